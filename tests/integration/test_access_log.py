"""SPEC §6: tokens are never logged, also not in the access log of the server that `make run`
starts."""
from __future__ import annotations

import re
import shlex
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import requests

from timetics import PROJECT_ROOT
from timetics.extensions import db

from ..booking_helpers import at, create_booking_setup, csrf_of, iso, weekday_ahead
from ..servers import BIN, operator_env
from ..smtp import free_port, text_of


def make_run_command(port: int) -> list[str]:
    """The gunicorn command of `make run`, as make prints it (-n runs nothing)."""
    printed = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", f"VENV={BIN.parent}", "HOST=127.0.0.1",
         f"PORT={port}"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    lines = printed.replace("\\\n", " ").splitlines()
    return shlex.split(next(line for line in lines if "/bin/gunicorn " in line))


@contextmanager
def make_run(app, folder: Path) -> Iterator[tuple[str, Path]]:
    """The app served as `make run` serves it; yields its URL and its access log (stdout)."""
    with app.app_context():
        db.engine.dispose()
    port = free_port()
    log, errors = folder / "stdout.log", folder / "stderr.log"
    with log.open("wb") as out, errors.open("wb") as err:
        process = subprocess.Popen(make_run_command(port), cwd=PROJECT_ROOT, stdout=out,
                                   stderr=err, env=operator_env(app), stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, errors.read_text()
            assert time.monotonic() < deadline, "gunicorn did not come up"
            try:
                requests.get(url + "/healthz", timeout=2)
                break
            except requests.RequestException:  # refused, or a worker still booting
                time.sleep(0.1)
        yield url, log
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "Traceback" not in errors.read_text(), errors.read_text()


def form_post(session: requests.Session, url: str, data: dict, page: str | None = None):
    html = session.get(page or url, timeout=10).text
    return session.post(url, data={"csrf_token": csrf_of(html), **data}, timeout=10)


def test_the_access_log_of_make_run_holds_no_token(app, make_user, mailbox, tmp_path):
    setup = create_booking_setup(app, make_user)
    start = iso(at(weekday_ahead(), 10))
    with make_run(app, tmp_path) as (url, log):
        guest = requests.Session()
        booked = form_post(guest, f"{url}/book/intro-call", {
            "start": start, "timezone": "UTC", "name": "Gina Guest", "email": "gina@example.com"},
            page=f"{url}/book/intro-call?tz=UTC&start={start}")
        assert booked.status_code == 200 and "/bookings/" in booked.url  # the manage page
        manage_token = re.search(r"token=([\w-]+)", booked.url).group(1)
        reference = urlsplit(booked.url).path
        guest.get(f"{url}{reference}/cancel?token={manage_token}", timeout=10)

        mailbox.wait_for(2)  # the booking's emails
        mailbox.clear()
        host = requests.Session()
        form_post(host, f"{url}/password/forgot", {"email": setup.host_email})
        link = re.search(r"http://timetics\.test(/password/set/[\w-]+)",
                         text_of(mailbox.wait_for(1)[0])).group(1)
        reset_token = link.rsplit("/", 1)[1]
        answer = form_post(host, url + link, {"password": "a brand new phrase",
                                              "confirm": "a brand new phrase"})
        assert answer.url.endswith("/dashboard")
    text = log.read_text()
    assert reference in text and "/password/set/" in text  # the visits are in the log
    assert manage_token not in text
    assert reset_token not in text

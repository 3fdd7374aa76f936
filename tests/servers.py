"""The app served by processes of its own, as an operator runs it: gunicorn, or any command
configured through ``TIMETICS_*`` variables only."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from timetics import PROJECT_ROOT
from timetics.extensions import db

from .conftest import TEST_SECRET_KEY
from .smtp import free_port

BIN = Path(sys.executable).parent


def operator_env(app, **extra: object) -> dict[str, str]:
    """How an operator configures a process of their own: ``TIMETICS_*`` variables only."""
    config = app.config
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMETICS_")}
    env.update({
        "TIMETICS_SQLALCHEMY_DATABASE_URI": config["SQLALCHEMY_DATABASE_URI"],
        "TIMETICS_SECRET_KEY": TEST_SECRET_KEY,
        "TIMETICS_ENCRYPTION_KEY": config["ENCRYPTION_KEY"][0],
        "TIMETICS_RATELIMIT_ENABLED": "false",
        "TIMETICS_MAIL_SERVER": "127.0.0.1",
        "TIMETICS_MAIL_PORT": str(config["MAIL_PORT"]),
        "TIMETICS_EXTERNAL_URL": config["EXTERNAL_URL"],
    })
    env.update({f"TIMETICS_{k}": str(v) for k, v in extra.items()})
    return env


def job_runners_together(app, count: int, *args: str, timeout: float = 120,
                         **config: object) -> list[int]:
    """Start ``count`` `flask run-jobs` processes (with ``args``, ``config`` as ``TIMETICS_*``)
    at once and wait for them; how many jobs each ran. Fails on an error, a traceback or
    "database is locked" in any of them."""
    runners = []
    try:
        runners = [subprocess.Popen(
            [str(BIN / "flask"), "--app", "timetics", "run-jobs", *args],
            cwd=PROJECT_ROOT, env=operator_env(app, **config), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True) for _ in range(count)]
        outputs = [runner.communicate(timeout=timeout) for runner in runners]
    finally:
        for runner in runners:
            if runner.poll() is None:
                runner.kill()
                runner.communicate()
    ran = []
    for runner, (out, err) in zip(runners, outputs, strict=True):
        assert runner.returncode == 0, err
        assert "database is locked" not in err and "Traceback" not in err, err
        ran.append(int(re.search(r"Ran (\d+) jobs?\.", out).group(1)))
    return ran


@contextmanager
def gunicorn(app, folder: Path, **config: object) -> Iterator[tuple[str, Path]]:
    """The app served by gunicorn as in production: 2 gthread worker processes of 4 threads
    on the app's database (its SQLite file, or its PostgreSQL database). Yields the base URL
    and the access log (one line per request, with the worker's pid). ``config``: more
    settings, as ``TIMETICS_*`` variables."""
    with app.app_context():
        db.engine.dispose()  # the test's own connections must not hold the file
    port = free_port()
    access_log, error_log = folder / "access.log", folder / "error.log"
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--worker-class", "gthread", "--workers", "2", "--threads", "4",
         "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "2",
         "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
         "--error-logfile", str(error_log), "wsgi:app"],
        cwd=PROJECT_ROOT, env=operator_env(app, **config), stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # Up when both workers have answered: each loads the app on its own after booting.
        deadline = time.monotonic() + 60
        while len(served_by(access_log, "GET")) < 2:
            assert process.poll() is None, error_log.read_text()
            assert time.monotonic() < deadline, "gunicorn's workers did not come up"
            try:
                requests.get(url + "/healthz", timeout=2, headers={"Connection": "close"})
            except (requests.ConnectionError, requests.Timeout):  # workers still booting
                time.sleep(0.1)
        yield url, access_log
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log = error_log.read_text()
    for trouble in ("database is locked", "Traceback", "Error handling request"):
        assert trouble not in log, log


def served_by(access_log: Path, method: str) -> Counter:
    """How many ``method`` requests each gunicorn worker (by pid) served."""
    if not access_log.exists():
        return Counter()
    return Counter(line.split()[0] for line in access_log.read_text().splitlines()
                   if line.split()[1:2] == [method])

"""Nothing is lost when a worker dies mid-request: the app under gunicorn, its workers killed
with SIGKILL (as the OOM killer or a hard restart does) while Zoom or the mail server is still
answering, then `run-jobs --once` after the dead worker's lease ran out.

Each test counts the outcome where a user would see it: meetings in the Zoom sandbox, emails
at the SMTP server, the booking's row.
"""
from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from timetics.extensions import db
from timetics.models import Booking, BookingStatus, Job, ZoomState

from ..booking_helpers import at, create_booking_setup, csrf_of, iso, weekday_ahead
from ..servers import gunicorn
from ..smtp import Mailbox, SMTPServer, text_of

pytestmark = pytest.mark.slow

ZOOM_TIMEOUT = 2  # seconds: long enough to kill the workers while a call is in flight
MAIL_TIMEOUT = 2
LEASE = 4 * max(ZOOM_TIMEOUT, MAIL_TIMEOUT) + 5  # jobs.lease() for these settings


def kill_workers(url: str) -> None:
    """SIGKILL every gunicorn worker serving ``url`` (its master then starts new ones)."""
    port = url.rsplit(":", 1)[1]
    processes = {}
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        if "gunicorn" in cmdline and f"127.0.0.1:{port}" in cmdline:
            processes[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])  # its parent
    workers = [pid for pid, parent in processes.items() if parent in processes]
    assert workers, "no gunicorn workers found"
    for pid in workers:
        os.kill(pid, signal.SIGKILL)


def wait_until(condition: Callable[[], object], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def post_in_background(session: requests.Session, url: str, data: dict):
    """The guest's browser posting; it sees the connection drop when the worker dies."""
    def post():
        try:
            return session.post(url, data=data, allow_redirects=False, timeout=30)
        except requests.ConnectionError as e:
            return e
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(post)
    pool.shutdown(wait=False)
    return future


def booking_form(session: requests.Session, url: str, start) -> dict:
    page = session.get(f"{url}/book/intro-call?tz=Europe/Berlin&start={iso(start)}", timeout=10)
    assert page.status_code == 200, page.text
    return {"csrf_token": csrf_of(page.text), "start": iso(start), "timezone": "Europe/Berlin",
            "name": "Gina Guest", "email": "gina@example.com", "notes": ""}


def run_jobs_after_the_lease(app) -> str:
    time.sleep(LEASE + 0.5)
    result = app.test_cli_runner().invoke(args=["run-jobs", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def the_booking(app) -> Booking:
    with app.app_context():
        booking = db.session.scalar(db.select(Booking))
        db.session.expunge(booking)
        return booking


def open_jobs(app) -> list[Job]:
    with app.app_context():
        return list(db.session.scalars(db.select(Job).where(Job.done_at.is_(None))))


def served(zoom_site, tmp_path):
    return gunicorn(zoom_site.app, tmp_path, ZOOM_OAUTH_URL=zoom_site.zoom_url,
                    ZOOM_API_URL=zoom_site.zoom_url + "/v2", ZOOM_TIMEOUT=ZOOM_TIMEOUT,
                    MAIL_TIMEOUT=MAIL_TIMEOUT)


def test_a_worker_killed_while_zoom_creates_the_meeting_loses_nothing(
        zoom_site, connected_host, mailbox, tmp_path):
    """The booking is committed and the meeting made at Zoom, but the worker dies before it
    hears back: the runner adopts that meeting (no second one), and guest and host each get a
    confirmation with its link."""
    # Zoom makes the meeting, then holds its answer past the moment the workers die.
    zoom_site.fault(target="create_meeting", mode="drop_after_success", seconds=ZOOM_TIMEOUT,
                    count=1)
    start = at(weekday_ahead(), 10)
    with served(zoom_site, tmp_path) as (url, _):
        session = requests.Session()
        answer = post_in_background(session, f"{url}/book/intro-call",
                                    booking_form(session, url, start))
        wait_until(lambda: zoom_site.zoom_meetings())
        kill_workers(url)
        assert isinstance(answer.result(timeout=30), requests.ConnectionError)
    booking = the_booking(zoom_site.app)
    assert booking.status == BookingStatus.CONFIRMED and booking.zoom_state == ZoomState.PENDING
    assert mailbox.messages == []
    assert {job.kind for job in open_jobs(zoom_site.app)} == {"zoom_create", "booking_email"}

    run_jobs_after_the_lease(zoom_site.app)
    booking = the_booking(zoom_site.app)
    [meeting] = zoom_site.zoom_meetings()
    assert booking.zoom_state == ZoomState.CREATED
    assert booking.zoom_meeting_id == str(meeting["id"])
    for address in ("gina@example.com", "host@example.com"):
        texts = [text_of(m) for m in mailbox.to(address)]
        assert any(booking.zoom_join_url in text for text in texts), address
    assert len(mailbox.messages) == 2  # one confirmation each, carrying the link
    assert open_jobs(zoom_site.app) == []


def test_a_worker_killed_while_zoom_deletes_the_meeting_loses_nothing(
        zoom_site, connected_host, mailbox, tmp_path):
    start = at(weekday_ahead(), 11)
    with served(zoom_site, tmp_path) as (url, _):
        session = requests.Session()
        booked = session.post(f"{url}/book/intro-call", data=booking_form(session, url, start),
                              allow_redirects=False, timeout=30)
        assert booked.status_code == 302
        manage = booked.headers["Location"]
        [meeting] = zoom_site.zoom_meetings()
        mailbox.wait_for(2)
        mailbox.clear()
        zoom_site.fault(target="delete_meeting", mode="drop_after_success",
                        seconds=ZOOM_TIMEOUT, count=1)
        cancel_url = url + manage.replace("?token=", "/cancel?token=")
        page = session.get(cancel_url, timeout=10)
        answer = post_in_background(session, cancel_url, {"csrf_token": csrf_of(page.text)})
        wait_until(lambda: not zoom_site.zoom_meetings())  # deleted at Zoom
        kill_workers(url)
        assert isinstance(answer.result(timeout=30), requests.ConnectionError)
    booking = the_booking(zoom_site.app)
    assert booking.status == BookingStatus.CANCELLED
    assert booking.zoom_state == ZoomState.DELETE_PENDING

    run_jobs_after_the_lease(zoom_site.app)
    booking = the_booking(zoom_site.app)
    assert booking.zoom_state == ZoomState.DELETED
    assert [m["id"] for m in zoom_site.zoom_meetings(live_only=False)] == [meeting["id"]]
    assert zoom_site.zoom_meetings() == []
    assert sorted(m["To"] for m in mailbox.wait_for(2)) == ["gina@example.com",
                                                             "host@example.com"]
    assert all(m["Subject"].startswith("Cancelled") for m in mailbox.messages)
    assert open_jobs(zoom_site.app) == []


class HoldingMailbox(Mailbox):
    """Holds the first message's DATA until told; a message whose client has gone by then
    was never accepted (the client never saw the 250), so it is not kept."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if not self.release.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            if server.transport is None or server.transport.is_closing():
                return "451 Client gone"
        return await super().handle_DATA(server, session, envelope)


def test_a_worker_killed_while_the_mail_server_takes_the_email_loses_nothing(
        app, make_app, make_user, tmp_path):
    create_booking_setup(app, make_user, host_zone="Europe/Berlin")
    holding = HoldingMailbox()
    smtp = SMTPServer(mailbox=holding).start()
    app.config["MAIL_PORT"] = smtp.port  # for the gunicorn workers' settings
    try:
        start = at(weekday_ahead(zone="Europe/Berlin"), 10, zone="Europe/Berlin")
        with gunicorn(app, tmp_path, ZOOM_TIMEOUT=ZOOM_TIMEOUT,
                      MAIL_TIMEOUT=MAIL_TIMEOUT) as (url, _):
            session = requests.Session()
            answer = post_in_background(session, f"{url}/book/intro-call",
                                        booking_form(session, url, start))
            assert holding.holding.wait(timeout=10)
            kill_workers(url)
            assert isinstance(answer.result(timeout=30), requests.ConnectionError)
            holding.release.set()
        assert holding.messages == []
        assert the_booking(app).status == BookingStatus.CONFIRMED
        runner = make_app(MAIL_PORT=smtp.port, ZOOM_TIMEOUT=ZOOM_TIMEOUT,
                          MAIL_TIMEOUT=MAIL_TIMEOUT,
                          ENCRYPTION_KEY=app.config["ENCRYPTION_KEY"][0])
        run_jobs_after_the_lease(runner)
        messages = holding.wait_for(2)
        assert sorted(m["To"] for m in messages) == ["gina@example.com", "host@example.com"]
        assert open_jobs(app) == []
    finally:
        smtp.stop()

"""Timetics holds under concurrency, shown against real servers: guests racing for the last
place (threads of one server, and two gunicorn worker processes), workers and processes that
all need a Zoom token refresh at once, and two job runners started together.

Every race starts behind a barrier so that the contenders really overlap; every test counts
the outcome in the database and at the outside server (SMTP, the Zoom sandbox), and fails on
any 500, traceback or "database is locked".
"""
from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import timedelta

import pytest
import requests
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from timetics import PROJECT_ROOT
from timetics.booking import availability
from timetics.booking import services as booking_services
from timetics.db import utcnow
from timetics.extensions import db
from timetics.integrations.tokens import StoredTokens, api_for
from timetics.models import Attendee, Booking, BookingStatus, Job, User, ZoomConnection
from timetics.settings.services import zoom_app

from ..booking_helpers import at, book, create_booking_setup, csrf_of, iso, weekday_ahead
from ..servers import gunicorn, job_runners_together, operator_env, served_by
from ..smtp import Mailbox, text_of

RACERS = 20
TIMEOUT = 90  # seconds for one HTTP call or one process: generous, a hang still fails
TAKEN = "That time was just taken"


def race(n: int, prepare: Callable[[int], object], act: Callable[[int, object], object]) -> list:
    """Run ``prepare(i)`` in ``n`` threads, then ``act(i, prepared)`` in all of them at once.

    The barrier releases every thread together, so the actions overlap for real. Exceptions
    in a thread are raised here."""
    barrier = threading.Barrier(n)

    def contender(i: int):
        try:
            prepared = prepare(i)
        except BaseException:
            barrier.abort()  # release the others at once: the error below is the news
            raise
        barrier.wait(timeout=TIMEOUT)
        return act(i, prepared)

    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(contender, i) for i in range(n)]
    errors = [f.exception() for f in futures if f.exception() is not None]
    for error in sorted(errors, key=lambda e: isinstance(e, threading.BrokenBarrierError)):
        raise error
    return [f.result() for f in futures]


def guests_race(base_url: str, slug: str, start) -> list[requests.Response]:
    """RACERS guests, each in their own browser session, confirm ``start`` at the same time."""

    def open_form(i: int) -> tuple[requests.Session, str]:
        session = requests.Session()
        page = session.get(f"{base_url}/book/{slug}?tz=Asia/Tokyo&start={iso(start)}",
                           timeout=TIMEOUT)
        assert page.status_code == 200, page.text
        token = csrf_of(page.text)
        assert token, "no CSRF token on the booking form"
        return session, token

    def confirm(i: int, prepared: tuple[requests.Session, str]) -> requests.Response:
        session, token = prepared
        try:
            return session.post(f"{base_url}/book/{slug}", allow_redirects=False,
                                timeout=TIMEOUT, data={
                                    "csrf_token": token, "start": iso(start),
                                    "timezone": "Asia/Tokyo", "name": f"Guest {i}",
                                    "email": f"guest{i}@example.com", "notes": "Racing"})
        finally:
            session.close()

    return race(RACERS, open_form, confirm)


def assert_clean_race(responses: list[requests.Response], winners: int, start) -> None:
    """``winners`` guests were booked (302 to their booking), the rest got a clean 409."""
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {302: winners, 409: RACERS - winners}, statuses
    for response in responses:
        assert "database is locked" not in response.text
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/bookings/")
        else:
            assert TAKEN in response.text
            # fresh slots: the lost time is not offered again
            assert f'data-start="{iso(start)}"' not in response.text


def assert_quiet_logs(caplog) -> None:
    """Nothing went wrong on the server side: no error logged, no lock timeout anywhere."""
    for record in caplog.records:
        text = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        assert "database is locked" not in text, text
        assert record.levelno < logging.ERROR, f"{record.name}: {text}"


def seats_at(app, start) -> tuple[int, int]:
    """(live bookings, live attendees) at ``start``."""
    with app.app_context():
        bookings = db.session.scalar(select(func.count(Booking.id)).where(
            Booking.start_at == start, Booking.status == BookingStatus.CONFIRMED))
        attendees = db.session.scalar(select(func.count(Attendee.id)).join(Booking).where(
            Booking.start_at == start, Attendee.status == BookingStatus.CONFIRMED))
        return bookings, attendees


# --- 1. guests racing for the last place -----------------------------------------------------

@pytest.fixture
def zoom_host(zoom_site, connected_host, caplog):
    """The live app (werkzeug's threaded server) with a host connected to the Zoom sandbox,
    which takes 0.2 s per call as the real one does over the internet."""
    caplog.set_level(logging.WARNING)
    zoom_site.zoom("post", "/latency", json={"seconds": 0.2})
    return connected_host


def meetings_of(site, app, start) -> tuple[list[dict], set[str | None]]:
    """The live sandbox meetings of the booking at ``start``, and the join URLs it stores."""
    with app.app_context():
        bookings = db.session.scalars(select(Booking).where(Booking.start_at == start)).all()
        references = {b.reference for b in bookings}
        links = {b.zoom_join_url for b in bookings if b.status == BookingStatus.CONFIRMED}
    meetings = [m for m in site.zoom_meetings()
                if any(r in (m.get("agenda") or "") for r in references)]
    return meetings, links


def assert_winners_got_the_link(app, mailbox, responses, join_url: str) -> None:
    """Each booked guest gets the booking's one Zoom link by email: in the confirmation, or
    (who joined while the meeting was being made) in one follow-up after a confirmation that
    said it would follow. The request that made the meeting sends the follow-ups while its
    time budget lasts; on a loaded machine the job runner sends the rest, as in production."""
    winners = [f"guest{i}@example.com" for i, r in enumerate(responses) if r.status_code == 302]
    mailbox.wait_for(2 * len(winners))
    result = app.test_cli_runner().invoke(args=["run-jobs", "--once", "--all"])
    assert result.exit_code == 0, result.output
    for address in winners:
        [confirmation] = [m for m in mailbox.to(address) if m["Subject"].startswith("Confirmed")]
        if join_url in text_of(confirmation):
            continue
        assert "your Zoom link will follow by email" in text_of(confirmation), address
        [follow_up] = [m for m in mailbox.to(address) if m["Subject"].startswith("Zoom link")]
        assert join_url in text_of(follow_up), address


def test_twenty_guests_racing_for_a_one_to_one_slot_get_one_booking(zoom_site, zoom_host,
                                                                     mailbox, caplog):
    """Threads of one server: 1 booking with 1 Zoom meeting, 19 clean 409s, no 500, no
    "database is locked"."""
    start = at(weekday_ahead(), 10)
    responses = guests_race(zoom_site.url, "intro-call", start)
    assert_clean_race(responses, 1, start)
    assert seats_at(zoom_site.app, start) == (1, 1)
    [meeting], links = meetings_of(zoom_site, zoom_site.app, start)
    assert links == {meeting["join_url"]}
    assert_winners_got_the_link(zoom_site.app, mailbox, responses, meeting["join_url"])
    assert_quiet_logs(caplog)


def test_twenty_guests_racing_for_a_group_of_five_get_five_places(zoom_site, zoom_host,
                                                                   mailbox, caplog):
    """The group slot fills to its capacity exactly: one booking with 5 guests who all share
    its one Zoom meeting, and 15 clean 409s."""
    start = at(weekday_ahead(), 11)
    responses = guests_race(zoom_site.url, "group-session", start)
    assert_clean_race(responses, 5, start)
    assert seats_at(zoom_site.app, start) == (1, 5)
    [meeting], links = meetings_of(zoom_site, zoom_site.app, start)
    assert links == {meeting["join_url"]}
    assert_winners_got_the_link(zoom_site.app, mailbox, responses, meeting["join_url"])
    assert_quiet_logs(caplog)


def test_two_gunicorn_worker_processes_racing_for_a_slot_give_one_booking(app, make_user,
                                                                         tmp_path):
    """The race across processes: each worker has its own connections, so only the
    database's own lock (BEGIN IMMEDIATE on SQLite, the host's row lock on PostgreSQL) can
    keep the second booking out."""
    create_booking_setup(app, make_user)
    start = at(weekday_ahead(), 14)
    with gunicorn(app, tmp_path) as (url, access_log):
        responses = guests_race(url, "intro-call", start)
    assert_clean_race(responses, 1, start)
    assert seats_at(app, start) == (1, 1)
    posts = served_by(access_log, "POST")
    assert sum(posts.values()) == RACERS
    assert len(posts) == 2, f"both worker processes took part: {posts}"


# --- 2. everyone needs a token refresh at once -----------------------------------------------

def connection_row(app, host_id: int) -> ZoomConnection:
    with app.app_context():
        row = db.session.scalar(select(ZoomConnection).where(ZoomConnection.user_id == host_id))
        db.session.expunge(row)
        return row


@contextmanager
def worker_processes(app, count: int, *args: str, **config) -> Iterator[list[subprocess.Popen]]:
    """``count`` processes of tests/concurrency_worker.py, each ready and waiting for go."""
    processes = [subprocess.Popen(
        [sys.executable, "-m", "tests.concurrency_worker", *args], cwd=PROJECT_ROOT,
        env=operator_env(app, **config), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True) for _ in range(count)]
    try:
        for process in processes:
            line = process.stdout.readline()
            assert line == "ready\n", line + process.stderr.read()
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            for pipe in (process.stdin, process.stdout, process.stderr):
                pipe.close()


@pytest.fixture
def pool_for_every_thread(app_config):
    """One process running RACERS requests at once holds as many database connections;
    SQLAlchemy's default pool stops at 15 (request this before ``app``)."""
    app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "pool_size": RACERS + 5}


@pytest.mark.parametrize("expired", ["at Zoom only", "by our clock too"])
def test_twenty_threads_and_two_processes_refresh_the_token_once(pool_for_every_thread,
                                                                 zoom_site, connected_host,
                                                                 tmp_path, caplog, expired):
    """Zoom rotates refresh tokens, so only one refresh may reach it: everyone else must use
    the winner's token. "at Zoom only": every caller learns it from a 401; "by our clock":
    every caller sees the stored expiry has passed before calling."""
    caplog.set_level(logging.WARNING)
    app, host_id = zoom_site.app, connected_host.host_id
    before = connection_row(app, host_id)
    zoom_site.zoom("post", "/tokens/expire", json={"user_id": "zoomuser-alex"})
    if expired == "by our clock too":
        with app.app_context():
            db.session.execute(update(ZoomConnection).values(
                expires_at=utcnow() - timedelta(minutes=1)))
            db.session.commit()
    # Every Zoom call takes a moment, as over the internet: the callers overlap for sure.
    zoom_site.zoom("post", "/latency", json={"seconds": 0.2})
    config = {"ZOOM_OAUTH_URL": app.config["ZOOM_OAUTH_URL"],
              "ZOOM_API_URL": app.config["ZOOM_API_URL"], "ZOOM_TIMEOUT": 5}
    app.config["ZOOM_TIMEOUT"] = 5

    def open_client(i: int):
        if i == RACERS:
            return None
        context = app.app_context()  # popped in ask_zoom, by the same thread
        context.push()
        # Like a request: the host is read first, then Zoom is needed.
        return context, api_for(db.session.get(User, host_id))

    def ask_zoom(i: int, prepared):
        if i == RACERS:  # the last contender sends the start signal to the processes
            for process in processes:
                process.stdin.write("go\n")
                process.stdin.flush()
            return None
        context, api = prepared
        try:
            return api.get_me()["id"]
        finally:
            context.pop()

    with worker_processes(app, 2, "zoom-me", str(host_id), str(tmp_path),
                          **config) as processes:
        in_process = race(RACERS + 1, open_client, ask_zoom)[:RACERS]
        outputs = [p.communicate(timeout=TIMEOUT) for p in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        assert json.loads(out) == {"ok": True, "zoom_user_id": "zoomuser-alex"}, err
    assert in_process == ["zoomuser-alex"] * RACERS

    state = zoom_site.zoom("get", "/state").json()
    assert state["refresh_count"] == 1
    assert state["refresh_refused"] == 0
    after = connection_row(app, host_id)
    assert not after.reconnect_needed and after.last_error is None
    assert after.version == before.version + 1 and after.refresh_started_at is None
    assert after.expires_at > utcnow() + timedelta(minutes=50)
    zoom_site.zoom("post", "/latency", json={"seconds": 0})
    with app.app_context():  # the stored token is the live one
        StoredTokens(zoom_app(), after.id).access_token()
        assert api_for(db.session.get(User, host_id)).get_me()["id"] == "zoomuser-alex"
    assert zoom_site.zoom("get", "/state").json()["refresh_count"] == 1
    assert_quiet_logs(caplog)


# --- 3. two job runners at once --------------------------------------------------------------

class OverlapMailbox(Mailbox):
    """A mail server that makes two job runners overlap for sure: the first message waits
    (up to 10 s) until a second one is being delivered at the same time, which only another
    process can do (a runner sends one email after the other)."""

    def __init__(self) -> None:
        super().__init__()
        self._in_flight = 0
        self._both_here = asyncio.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self._in_flight += 1
        if self._in_flight >= 2:
            self._both_here.set()
        # On a timeout the test fails on "each runner ran some", with the counts.
        with suppress(TimeoutError):
            await asyncio.wait_for(self._both_here.wait(), timeout=10)
        await asyncio.sleep(0.01)
        self._in_flight -= 1
        return await super().handle_DATA(server, session, envelope)


def test_two_job_runners_started_together_send_every_email_once(smtp_down, app, make_user):
    """SMTP was down for 15 bookings (30 emails queued as jobs); two `run-jobs` processes
    start at once when it is back: every email arrives once, every job is done once."""
    setup = create_booking_setup(app, make_user)
    client = app.test_client()
    day = weekday_ahead()
    for n in range(15):
        start = at(day, 9 + n // 2, 30 * (n % 2))
        response = book(client, setup.one_to_one, start, name=f"Guest {n}",
                        email=f"guest{n}@example.com")
        assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        jobs = db.session.scalars(select(Job)).all()
        assert len(jobs) == 30 and {j.kind for j in jobs} == {"booking_email"}
        expected = Counter((j.payload["subject"], j.payload["to"]) for j in jobs)
        db.session.remove()  # hand the connection back: dispose() closes only those
        db.engine.dispose()
    assert len(expected) == 30

    mailbox = OverlapMailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_down)
    smtp.start()
    try:
        ran = job_runners_together(app, 2, "--once", "--all", timeout=TIMEOUT)
    finally:
        smtp.stop()
    assert sum(ran) == 30 and min(ran) > 0, f"each runner ran some: {ran}"
    received = Counter((m["Subject"], m["To"]) for m in mailbox.messages)
    assert received == expected  # every email exactly once
    with app.app_context():
        for job in db.session.scalars(select(Job)):
            assert job.done_at is not None and job.failed_at is None, job.last_error
            assert job.attempts == 2  # the request's failed send, then the runner's
            assert job.locked_until is None and job.last_error is None


# --- 4. the last two guests of a group leave at once -----------------------------------------

def cancel_together(app, attendee_ids: list[int]) -> list[bool]:
    """Each guest cancels from their manage page at the same moment; who ended the booking."""

    def open_manage_page(i: int):
        context = app.app_context()  # popped in leave, by the same thread
        context.push()
        return context, db.session.get(Attendee, attendee_ids[i])

    def leave(i: int, prepared) -> bool:
        context, attendee = prepared
        try:
            return booking_services.cancel_attendee(attendee)
        finally:
            context.pop()

    return race(len(attendee_ids), open_manage_page, leave)


def test_the_last_two_guests_of_a_group_cancelling_at_once_end_the_booking(app, make_user):
    """Each sees the other's cancellation (a row lock on PostgreSQL, BEGIN IMMEDIATE on
    SQLite), so the booking ends, rather than staying live with nobody in it."""
    create_booking_setup(app, make_user)
    for hour in range(9, 14):
        start = at(weekday_ahead(), hour)
        with app.app_context():
            group = availability.active_meeting_type("group-session")
            guests = [booking_services.book_slot(
                group, start=start, name=f"Guest {i}", email=f"guest{i}@example.com",
                timezone="UTC").attendee.id for i in range(2)]
        assert sorted(cancel_together(app, guests)) == [False, True]  # one of them ended it
        with app.app_context():
            status = db.session.scalar(select(Booking.status).where(Booking.start_at == start))
            assert status == BookingStatus.CANCELLED

"""Reminder emails, run by `run-jobs --once` on a clock the test sets: each offset once, with
the links as they are when it goes out; moved by a reschedule, dropped by a cancellation,
skipped when booked inside the offset or found too late, and sent once by two runners."""
from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from sqlalchemy import select, text

from timetics import answer_cache, create_app, jobs
from timetics.booking import availability, notifications, reminders, services, views
from timetics.extensions import db
from timetics.i18n import format_local
from timetics.models import Booking, Job, MeetingType, ZoomState

from ..booking_helpers import (
    at,
    book,
    create_booking_setup,
    iso,
    manage_path,
    session_csrf,
    weekday_ahead,
)
from ..conftest import base_config, login, post_form
from ..servers import job_runners_together
from ..smtp import free_port, html_of, text_of
from .test_concurrency import OverlapMailbox

JOIN_URL = "https://zoom.example/j/81234567890"
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def clock(monkeypatch):
    """The app's "now" (a list of one value the test sets), for the booking pages, the
    services and the job runner alike."""
    now = [datetime.now(UTC).replace(microsecond=0)]
    for module in (answer_cache, availability, services, views, jobs, notifications, reminders):
        monkeypatch.setattr(module, "utcnow", lambda: now[0])
    return now


@pytest.fixture
def setup(app, make_user):
    return create_booking_setup(app, make_user, reminders="24h, 1h")


@pytest.fixture
def start():
    return at(weekday_ahead(min_days=4), 10)


def run_jobs_at(runner, clock, moment: datetime) -> int:
    """`flask run-jobs --once` at ``moment``; how many jobs it ran."""
    clock[0] = moment
    result = runner.invoke(args=["run-jobs", "--once"])
    assert result.exit_code == 0, result.output
    return int(re.search(r"Ran (\d+) jobs?\.", result.output).group(1))


def reminders_in(mailbox) -> list:
    return [m for m in mailbox.messages if m["Subject"].startswith("Reminder:")]


def reminder_jobs(app) -> list[Job]:
    with app.app_context():
        return [job for job in db.session.scalars(select(Job).order_by(Job.id))
                if job.payload.get("email") == "reminder"]


def give_the_booking_a_zoom_link(app) -> None:
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        booking.zoom_join_url, booking.zoom_meeting_id = JOIN_URL, "81234567890"
        booking.zoom_state = ZoomState.CREATED
        db.session.commit()


def test_both_reminders_go_out_once_each_with_the_join_and_manage_links(
        app, client, runner, setup, clock, mailbox, start):
    path = manage_path(book(client, setup.one_to_one, start))
    mailbox.wait_for(2)  # the confirmations
    mailbox.clear()
    # The link exists only after the booking: the reminder is written when it goes out.
    give_the_booking_a_zoom_link(app)

    assert run_jobs_at(runner, clock, start - 25 * HOUR) == 0
    assert run_jobs_at(runner, clock, start - 24 * HOUR + MINUTE) == 1
    assert run_jobs_at(runner, clock, start - 23 * HOUR) == 0  # sent once
    assert run_jobs_at(runner, clock, start - HOUR + MINUTE) == 1
    assert run_jobs_at(runner, clock, start - 10 * MINUTE) == 0

    sent = reminders_in(mailbox)
    assert len(sent) == 2 and len(mailbox.messages) == 2
    for message in sent:
        assert message["To"] == "gina@example.com"
        assert message["Subject"] == "Reminder: Intro call with Hana Host"
        assert JOIN_URL in text_of(message) and JOIN_URL in html_of(message)
        assert f"http://timetics.test{path}" in text_of(message)
    assert client.get(path).status_code == 200  # the link in the reminder works
    assert all(job.done_at and "token" not in job.payload and "skipped" not in job.payload
               for job in reminder_jobs(app))


def test_a_reminder_before_the_zoom_meeting_exists_says_the_link_will_follow(
        app, client, runner, setup, clock, mailbox, start):
    book(client, setup.one_to_one, start)
    with app.app_context():
        db.session.scalar(select(Booking)).zoom_state = ZoomState.PENDING
        db.session.commit()
    mailbox.wait_for(2)
    mailbox.clear()
    assert run_jobs_at(runner, clock, start - 24 * HOUR + MINUTE) == 1
    [message] = reminders_in(mailbox)
    assert "your Zoom link will follow by email" in text_of(message)


def test_the_host_is_reminded_once_per_group_booking(app, client, runner, make_user, clock,
                                                     mailbox, start):
    setup = create_booking_setup(app, make_user, reminders="1h", remind_host=True)
    for name in ("Ann", "Bob", "Cy"):
        assert book(app.test_client(), setup.group, start, name=name,
                    email=f"{name.lower()}@example.com").status_code == 302
    mailbox.wait_for(6)
    mailbox.clear()
    assert run_jobs_at(runner, clock, start - HOUR + MINUTE) == 4
    assert sorted(m["To"].addresses[0].username for m in reminders_in(mailbox)) == [
        "ann", "bob", "cy", "host"]
    [host_email] = mailbox.to(setup.host_email)
    assert "Ann (ann@example.com), Bob (bob@example.com), Cy (cy@example.com)" in \
        text_of(host_email)


def test_a_reschedule_moves_the_reminders(app, client, runner, setup, clock, mailbox, start):
    path = manage_path(book(client, setup.one_to_one, start))
    reference, token = path.split("/bookings/")[1].split("?token=")
    new_start = start + 5 * HOUR
    response = client.post(f"/bookings/{reference}/reschedule?token={token}",
                           data={"csrf_token": session_csrf(client), "start": iso(new_start)})
    assert response.status_code == 302
    mailbox.wait_for(4)
    mailbox.clear()

    assert run_jobs_at(runner, clock, start - 24 * HOUR + MINUTE) == 0
    assert run_jobs_at(runner, clock, new_start - 24 * HOUR + MINUTE) == 1
    assert run_jobs_at(runner, clock, start - HOUR + MINUTE) == 0
    assert run_jobs_at(runner, clock, new_start - HOUR + MINUTE) == 1
    sent = reminders_in(mailbox)
    assert len(sent) == 2
    assert all(f"http://timetics.test{path}" in text_of(m) for m in sent)
    in_tokyo = new_start.astimezone(ZoneInfo("Asia/Tokyo"))  # Gina's zone
    assert all(f"{in_tokyo:%H:%M}" in text_of(m) for m in sent)
    moved = [job for job in reminder_jobs(app) if job.payload.get("skipped")]
    assert len(moved) == 2 and {job.payload["skipped"] for job in moved} == {"moved"}


def test_a_cancellation_drops_the_reminders(app, client, runner, setup, clock, mailbox, start):
    path = manage_path(book(client, setup.one_to_one, start))
    reference, token = path.split("/bookings/")[1].split("?token=")
    response = client.post(f"/bookings/{reference}/cancel?token={token}",
                           data={"csrf_token": session_csrf(client)})
    assert response.status_code == 302
    assert run_jobs_at(runner, clock, start - 24 * HOUR + MINUTE) == 0
    assert run_jobs_at(runner, clock, start - HOUR + MINUTE) == 0
    assert reminders_in(mailbox) == []
    jobs_ = reminder_jobs(app)
    assert len(jobs_) == 2
    assert all(job.done_at and job.payload["skipped"] == "cancelled" for job in jobs_)
    assert all("token" not in job.payload for job in jobs_)


def test_a_guest_who_leaves_a_group_loses_only_their_reminders(app, runner, make_user, clock,
                                                               mailbox, start):
    setup = create_booking_setup(app, make_user, reminders="1h")
    staying, leaving = app.test_client(), app.test_client()
    book(staying, setup.group, start, name="Ann", email="ann@example.com")
    path = manage_path(book(leaving, setup.group, start, name="Bob", email="bob@example.com"))
    reference, token = path.split("/bookings/")[1].split("?token=")
    leaving.post(f"/bookings/{reference}/cancel?token={token}",
                 data={"csrf_token": session_csrf(leaving)})
    mailbox.clear()
    assert run_jobs_at(runner, clock, start - HOUR + MINUTE) == 1
    [message] = reminders_in(mailbox)
    assert message["To"].addresses[0].username == "ann"


def test_an_offset_already_passed_at_booking_time_is_skipped(app, client, runner, setup, clock,
                                                             mailbox, start):
    clock[0] = start - 23 * HOUR  # inside the 24-hour offset
    assert book(client, setup.one_to_one, start).status_code == 302
    assert [job.payload["offset"] for job in reminder_jobs(app)] == [60]
    mailbox.wait_for(2)
    mailbox.clear()
    assert run_jobs_at(runner, clock, start - HOUR + MINUTE) == 1
    assert len(reminders_in(mailbox)) == 1


def test_a_late_runner_sends_only_the_reminders_still_useful(app, client, runner, setup, clock,
                                                             mailbox, start):
    """The runner was down until 40 minutes before the start: the 24-hour reminder (useful up
    to 12 hours before) is skipped, the 1-hour one (up to 30 minutes before) goes out."""
    book(client, setup.one_to_one, start)
    mailbox.wait_for(2)
    mailbox.clear()
    assert run_jobs_at(runner, clock, start - 40 * MINUTE) == 2
    [message] = reminders_in(mailbox)
    day_before, hour_before = reminder_jobs(app)
    assert day_before.payload["skipped"] == "too late"
    assert "skipped" not in hour_before.payload and hour_before.done_at


def test_a_runner_down_until_just_before_the_start_sends_no_reminder(
        app, client, runner, setup, clock, mailbox, start):
    book(client, setup.one_to_one, start)
    mailbox.wait_for(2)
    mailbox.clear()
    assert run_jobs_at(runner, clock, start - 10 * MINUTE) == 2
    assert reminders_in(mailbox) == []
    assert {job.payload["skipped"] for job in reminder_jobs(app)} == {"too late"}


def test_run_jobs_all_does_not_send_reminders_early(app, client, runner, setup, mailbox, start):
    """`--all` is for retries whatever their backoff, not for jobs whose moment is to come."""
    book(client, setup.one_to_one, start)
    mailbox.wait_for(2)
    result = runner.invoke(args=["run-jobs", "--once", "--all"])
    assert result.output.strip() == "Ran 0 jobs."
    assert reminders_in(mailbox) == []


def test_two_runners_started_together_send_each_reminder_once(app, make_user):
    """Ten bookings' twenty reminders are due when two `run-jobs --once` processes start at
    once: every reminder arrives once. (The processes run on the real clock, so the test
    makes the reminders due by moving their moment, as the clock would, in the database.)"""
    setup = create_booking_setup(app, make_user, reminders="24h, 1h")
    client = app.test_client()
    day = weekday_ahead(min_days=4)
    for n in range(10):
        response = book(client, setup.one_to_one, at(day, 9 + n // 2, 30 * (n % 2)),
                        name=f"Guest {n}", email=f"guest{n}@example.com")
        assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        due = datetime.now(UTC) - MINUTE
        planned = [job for job in db.session.scalars(select(Job))
                   if job.payload.get("email") == "reminder"]
        assert len(planned) == 20
        for job in planned:
            job.run_after = job.created_at = due
        expected = Counter(job.payload["to"] for job in planned)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    mailbox = OverlapMailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        ran = job_runners_together(app, 2, "--once", MAIL_PORT=smtp.port)
    finally:
        smtp.stop()
    reminders_sent = reminders_in(mailbox)
    assert len(mailbox.messages) == len(reminders_sent) == 20
    assert Counter(m["To"].addresses[0].addr_spec for m in reminders_sent) == expected
    assert sum(ran) == 20 and min(ran) > 0, f"each runner ran some: {ran}"


# --- the meeting type form --------------------------------------------------------------------

def meeting_type_form(**changes) -> dict:
    data = {"name": "Demo", "slug": "demo", "duration_minutes": "30", "kind": "one_to_one",
            "capacity": "1", "location": "none", "buffer_before_minutes": "0",
            "buffer_after_minutes": "0", "min_notice_minutes": "60", "window_days": "60",
            "step_minutes": "", "description": "", "active": "y"}
    data.update(changes)
    return data


def test_a_new_meeting_type_reminds_24_hours_and_1_hour_before(as_admin):
    html = as_admin.get("/meeting-types/new").get_data(as_text=True)
    assert '<label for="reminder_offsets">Reminders</label>' in html
    assert 'value="24h, 1h"' in html
    assert '<label for="remind_host">Remind the host too</label>' in html


@pytest.mark.parametrize(("typed", "stored"), [
    ("30m, 2h, 1d", "24h, 2h, 30m"),
    ("1 h 2d", "2d, 1h"),
    ("", ""),
])
def test_reminder_offsets_are_saved_in_one_spelling(app, as_admin, admin, typed, stored):
    response = post_form(as_admin, "/meeting-types/new", meeting_type_form(
        host_id=str(admin.id), reminder_offsets=typed, remind_host="y"))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        meeting_type = db.session.scalar(select(MeetingType))
        assert (meeting_type.reminder_offsets, meeting_type.remind_host) == (stored, True)


@pytest.mark.parametrize(("typed", "message"), [
    ("tomorrow", "“tomorrow” is not a time before the meeting: write a number and m, h or d"),
    ("0h", "not at 0"),
    ("31d", "at most 30 days"),
    ("1h, 2h, 3h, 4h, 5h, 6h", "At most 5 reminders."),
])
def test_reminder_offsets_that_make_no_sense_are_refused(as_admin, admin, typed, message):
    response = post_form(as_admin, "/meeting-types/new", meeting_type_form(
        host_id=str(admin.id), reminder_offsets=typed))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_the_migration_gives_existing_meeting_types_the_default(empty_database, tmp_path):
    """0005 on a database with a meeting type: it reminds 24 hours and 1 hour before."""
    app = create_app(base_config(empty_database), instance_path=str(tmp_path))
    with app.app_context():
        upgrade(revision="0004")
        db.session.execute(text(
            "INSERT INTO users (email, name, role, timezone, active, session_version, "
            "created_at) VALUES ('h@example.com', 'H', 'staff', 'UTC', true, 1, '2026-01-01')"))
        db.session.execute(text(
            "INSERT INTO meeting_types (name, slug, host_id, duration_minutes, kind, capacity, "
            "location, buffer_before_minutes, buffer_after_minutes, min_notice_minutes, "
            "window_days, description, active, created_at) VALUES ('Old', 'old', 1, 30, "
            "'one_to_one', 1, 'none', 0, 0, 60, 60, '', true, '2026-01-01')"))
        db.session.commit()
        upgrade()
        meeting_type = db.session.scalar(select(MeetingType))
        assert (meeting_type.reminder_offsets, meeting_type.remind_host) == ("24h, 1h", False)
        db.session.remove()
        db.engine.dispose()


def test_the_booking_history_shows_reminders_and_why_one_was_not_sent(app, client, runner,
                                                                       setup, clock, start):
    path = manage_path(book(client, setup.one_to_one, start))
    reference, token = path.split("/bookings/")[1].split("?token=")
    assert run_jobs_at(runner, clock, start - 24 * HOUR + MINUTE) == 1
    client.post(f"/bookings/{reference}/cancel?token={token}",
                data={"csrf_token": session_csrf(client)})
    host = app.test_client()
    login(host, setup.host_email)
    html = host.get(f"/dashboard/bookings/{reference}").get_data(as_text=True)
    assert html.count("Reminder email to gina@example.com") == 2
    assert "Not sent: cancelled" in html


def test_a_move_without_the_guests_links_keeps_each_guests_link(app, client, runner, setup,
                                                                 clock, mailbox, start):
    """The host moves the booking (services.move_booking knows no manage link): the reminders
    move, each with the link sealed in the guest's reminder still to send."""
    path = manage_path(book(client, setup.one_to_one, start))
    new_start = start + 2 * HOUR
    mailbox.wait_for(2)
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        services.move_booking(booking, new_start, by=booking.host)
        jobs.run_written()  # what the request does after its commit: the move's emails
    mailbox.wait_for(4)
    mailbox.clear()
    assert run_jobs_at(runner, clock, new_start - 24 * HOUR + MINUTE) == 1
    assert run_jobs_at(runner, clock, start - HOUR + MINUTE) == 0
    assert run_jobs_at(runner, clock, new_start - HOUR + MINUTE) == 1
    sent = reminders_in(mailbox)
    assert len(sent) == 2 and all(f"http://timetics.test{path}" in text_of(m) for m in sent)


def test_a_new_manage_link_reaches_the_reminders(app, client, runner, setup, clock, mailbox,
                                                 start):
    """"Ask the guest to pick a new time" (services.ask_for_new_time) ends the old link, so the
    reminders still to send carry the new one."""
    old = manage_path(book(client, setup.one_to_one, start))
    mailbox.wait_for(2)
    mailbox.clear()
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        services.ask_for_new_time(booking, by=booking.host)
        jobs.run_written()  # what the request does after its commit: the email
    [ask] = mailbox.wait_for(1)
    new_token = re.search(r"\?token=([\w-]+)", text_of(ask)).group(1)
    assert new_token not in old
    mailbox.clear()
    assert run_jobs_at(runner, clock, start - HOUR + MINUTE) == 2
    [message] = reminders_in(mailbox)
    assert f"?token={new_token}" in text_of(message)
    assert old not in text_of(message)


def test_a_reminder_written_by_the_job_runner_is_in_the_guests_language(
        app, client, runner, setup, clock, mailbox, start):
    """Outside any request (`flask run-jobs`), the guest's stored language still writes it."""
    client.get("/book/intro-call?lang=es")
    book(client, setup.one_to_one, start)
    mailbox.wait_for(2)
    mailbox.clear()
    assert run_jobs_at(runner, clock, start - 24 * HOUR + MINUTE) == 1
    [message] = mailbox.messages
    assert message["Subject"] == "Recordatorio: Intro call con Hana Host"
    for part in (text_of(message), html_of(message)):
        assert "Un recordatorio de su reserva." in part and "Hola, Gina Guest:" in part
        # The date in Spanish, in the guest's zone: "miércoles, 9 de diciembre de 2026, 00:00".
        assert format_local(start.astimezone(ZoneInfo("Asia/Tokyo")), "%A %d %B %Y, %H:%M",
                            "es") in part

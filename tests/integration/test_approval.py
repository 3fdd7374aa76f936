"""Meeting types that require the host's approval: a booking is a request that holds its slot
with no Zoom meeting and no link; the host's Accept confirms it as any booking is confirmed,
Decline frees the slot and tells the guest; an unanswered request declines itself."""
from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import select

from timetics import answer_cache, jobs
from timetics.booking import approval, availability, notifications, reminders, services, views
from timetics.extensions import db
from timetics.models import Approval, Booking, BookingStatus, Job, MeetingType, Role

from ..booking_helpers import (
    at,
    book,
    create_booking_setup,
    csrf_of,
    iso,
    manage_path,
    weekday_ahead,
)
from ..conftest import PASSWORD, login, post_form
from ..smtp import html_of, text_of
from .test_concurrency import RACERS, TAKEN, TIMEOUT, assert_quiet_logs, race

WAITING = "Your request is waiting for Hana Host’s approval"


def require_approval(app, slug: str = "intro-call") -> None:
    with app.app_context():
        meeting_type = db.session.scalar(select(MeetingType).filter_by(slug=slug))
        meeting_type.requires_approval = True
        db.session.commit()


@pytest.fixture
def setup(app, make_user):
    setup = create_booking_setup(app, make_user)
    require_approval(app)
    return setup


@pytest.fixture
def start():
    return at(weekday_ahead(), 10)


def starts_on(client, start) -> list[str]:
    day = start.date()
    answer = client.get(f"/book/intro-call/slots?from={day}&to={day}&tz=UTC")
    assert answer.status_code == 200
    return [s["start"] for s in answer.json["slots"]]


def the_booking(app) -> Booking:
    with app.app_context():
        booking = db.session.scalar(select(Booking).order_by(Booking.id.desc()))
        db.session.expunge(booking)
        return booking


def subjects(mailbox) -> list[tuple[str, str]]:
    return [(m["To"], m["Subject"]) for m in mailbox.messages]


def host_client(app, setup):
    client = app.test_client()
    login(client, setup.host_email)
    return client


# --- the request ------------------------------------------------------------------------------

def test_the_meeting_type_form_has_requires_approval(app, as_admin, setup):
    with app.app_context():
        type_id = db.session.scalar(select(MeetingType.id).filter_by(slug="group-session"))
    html = as_admin.get(f"/meeting-types/{type_id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="requires_approval"[^>]*type="checkbox"', html)
    assert '<label for="requires_approval">Requires approval</label>' in html


def test_a_request_holds_its_slot_and_tells_both_sides(app, client, setup, start, mailbox):
    assert iso(start) in starts_on(client, start)
    response = book(client, "intro-call", start)
    page = client.get(manage_path(response)).get_data(as_text=True)
    assert WAITING in page
    assert "Reschedule" not in page and "Cancel booking" in page
    booking = the_booking(app)
    assert booking.status == BookingStatus.CONFIRMED and booking.approval == Approval.REQUESTED
    assert booking.approval_due_at is not None
    # Held: not offered to anyone else, and a POST for it is refused.
    assert iso(start) not in starts_on(app.test_client(), start)
    other = book(app.test_client(), "intro-call", start, name="Olga", email="olga@example.com")
    assert other.status_code == 409
    assert TAKEN in other.get_data(as_text=True)
    # The guest: received, with the manage link and no meeting link; the host: a link to the
    # dashboard's Requests.
    assert sorted(subjects(mailbox)) == [
        ("gina@example.com", "Request received: Intro call with Hana Host"),
        ("host@example.com", "Please accept or decline: Intro call with Gina Guest")]
    guest_mail = next(m for m in mailbox.messages if m["To"] == "gina@example.com")
    assert "waiting for Hana Host's approval" in text_of(guest_mail)
    assert f"/bookings/{booking.reference}?token=" in text_of(guest_mail)
    host_mail = next(m for m in mailbox.messages if m["To"] == "host@example.com")
    assert app.config["EXTERNAL_URL"] + "/dashboard#requests-heading" in text_of(host_mail)
    assert "Notes from Gina Guest" in text_of(host_mail)


def test_the_guest_cannot_reschedule_a_request_but_can_cancel_it(app, client, setup, start,
                                                                  mailbox):
    manage = manage_path(book(client, "intro-call", start))
    reference, token = manage.split("/bookings/")[1].split("?token=")
    moved = client.get(f"/bookings/{reference}/reschedule?token={token}")
    assert moved.status_code == 302
    assert "This request waits for the host" in client.get(moved.headers["Location"]) \
        .get_data(as_text=True)
    assert post_form(client, f"/bookings/{reference}/cancel?token={token}", {}).status_code \
        == 302
    assert iso(start) in starts_on(client, start)
    assert the_booking(app).status == BookingStatus.CANCELLED


def test_a_group_type_cannot_require_approval(app, as_admin, setup):
    from .test_meeting_types import values

    with app.app_context():
        type_id = db.session.scalar(select(MeetingType.id).filter_by(slug="group-session"))
    data = values(SimpleNamespace(id=setup.host_id), name="Group session",
                  slug="group-session", kind="one_to_many", capacity="5", location="none",
                  requires_approval="y")
    response = post_form(as_admin, f"/meeting-types/{type_id}", data)
    assert response.status_code == 422
    assert "Approval is for one-to-one meeting types" in response.get_data(as_text=True)


# --- Accept -----------------------------------------------------------------------------------

def test_accept_makes_exactly_one_zoom_meeting_and_sends_the_confirmations(
        zoom_site, connected_host, client, mailbox):
    app = zoom_site.app
    require_approval(app)
    start = at(weekday_ahead(), 10)
    manage = manage_path(book(client, "intro-call", start))
    assert zoom_site.zoom_meetings() == []
    page = client.get(manage).get_data(as_text=True)
    assert "The Zoom link follows by email once Hana Host accepts." in page
    assert "Join Zoom meeting" not in page
    mailbox.clear()

    host = host_client(app, connected_host)
    dashboard = host.get("/dashboard").get_data(as_text=True)
    reference = the_booking(app).reference
    assert '<h2 id="requests-heading" class="table-title">Requests</h2>' in dashboard
    assert f'aria-label="Accept request {reference}">Accept</button>' in dashboard
    assert f'aria-label="Decline request {reference}">Decline</button>' in dashboard
    accepted = post_form(host, f"/dashboard/bookings/{reference}/accept", {}, page="/dashboard")
    assert accepted.status_code == 302
    assert "is accepted" in host.get(accepted.headers["Location"]).get_data(as_text=True)

    [meeting] = zoom_site.zoom_meetings()
    booking = the_booking(app)
    assert booking.approval == Approval.ACCEPTED and booking.zoom_meeting_id == str(meeting["id"])
    assert sorted(subjects(mailbox)) == [
        ("gina@example.com", "Confirmed: Intro call with Hana Host"),
        ("host@example.com", "New booking: Intro call with Gina Guest")]
    confirmation = next(m for m in mailbox.messages if m["To"] == "gina@example.com")
    assert booking.zoom_join_url in text_of(confirmation)
    # The manage link of the request still works, and now shows the confirmed booking.
    assert manage.split("?")[1] in html_of(confirmation).replace("&amp;", "&")
    page = client.get(manage).get_data(as_text=True)
    assert "You are booked, Gina Guest" in page and booking.zoom_join_url in page
    assert "Requests" not in host.get("/dashboard").get_data(as_text=True).split("Find")[0]
    detail = host.get(f"/dashboard/bookings/{reference}").get_data(as_text=True)
    assert "Request accepted" in detail and ">Confirmed</span>" in detail
    # A second Accept (another tab) changes nothing.
    again = post_form(host, f"/dashboard/bookings/{reference}/accept", {},
                      page=f"/dashboard/bookings/{reference}")
    assert "does not wait for approval any more: it was accepted" in \
        host.get(again.headers["Location"]).get_data(as_text=True)
    assert len(zoom_site.zoom_meetings()) == 1
    with app.app_context():
        expiry = db.session.scalar(select(Job).where(Job.kind == "approval_expire"))
        assert expiry.done_at is not None and "token" not in expiry.payload


def test_accept_plans_the_reminders_a_confirmed_booking_has(app, setup, start, mailbox):
    with app.app_context():
        db.session.scalar(select(MeetingType).filter_by(slug="intro-call")).reminder_offsets = \
            "24h"
        db.session.commit()
    book(app.test_client(), "intro-call", start)
    with app.app_context():
        assert not [j for j in db.session.scalars(select(Job))
                    if j.payload.get("email") == "reminder"]
    host = host_client(app, setup)
    reference = the_booking(app).reference
    post_form(host, f"/dashboard/bookings/{reference}/accept", {}, page="/dashboard")
    with app.app_context():
        [reminder] = [j for j in db.session.scalars(select(Job))
                      if j.payload.get("email") == "reminder"]
        assert reminder.run_after == start - timedelta(hours=24)


# --- Decline ----------------------------------------------------------------------------------

def test_decline_frees_the_slot_and_tells_the_guest_with_the_message(app, client, setup, start,
                                                                      mailbox):
    manage = manage_path(book(client, "intro-call", start))
    mailbox.clear()
    host = host_client(app, setup)
    reference = the_booking(app).reference
    form = host.get(f"/dashboard/bookings/{reference}/decline").get_data(as_text=True)
    assert '<label for="message">Message to the guests</label>' in form
    assert '<button type="submit" class="button button-danger">Decline</button>' in form
    declined = post_form(host, f"/dashboard/bookings/{reference}/decline",
                         {"message": "I am away that week, sorry."})
    assert declined.status_code == 302
    booking = the_booking(app)
    assert booking.status == BookingStatus.CANCELLED and booking.approval == Approval.DECLINED
    assert iso(start) in starts_on(client, start)
    [mail] = mailbox.messages
    assert (mail["To"], mail["Subject"]) == ("gina@example.com",
                                             "Declined: Intro call with Hana Host")
    assert "Hana Host declined your request" in text_of(mail)
    assert "I am away that week, sorry." in text_of(mail)
    assert "Your request was declined" in client.get(manage).get_data(as_text=True)
    detail = host.get(f"/dashboard/bookings/{reference}").get_data(as_text=True)
    assert "Request declined by Hana Host" in detail and "I am away that week" in detail
    assert "Requested by Gina Guest" in detail and ">Declined</span>" in detail
    # The slot is free for the next guest, who gets a request of their own.
    assert book(app.test_client(), "intro-call", start, email="olga@example.com") \
        .status_code == 302


def test_a_declined_request_cannot_be_accepted(app, client, setup, start):
    book(client, "intro-call", start)
    host = host_client(app, setup)
    reference = the_booking(app).reference
    post_form(host, f"/dashboard/bookings/{reference}/decline", {})
    accepted = post_form(host, f"/dashboard/bookings/{reference}/accept", {},
                         page=f"/dashboard/bookings/{reference}")
    assert "it was declined" in host.get(accepted.headers["Location"]).get_data(as_text=True)
    assert the_booking(app).approval == Approval.DECLINED
    assert host.get(f"/dashboard/bookings/{reference}/decline").status_code == 302


def test_only_the_host_or_an_admin_answers_a_request(app, client, setup, start, make_user,
                                                     admin):
    book(client, "intro-call", start)
    reference = the_booking(app).reference
    other = make_user(email="other@example.com")
    stranger = app.test_client()
    login(stranger, other.email)
    page = "/dashboard"
    assert reference not in stranger.get(page).get_data(as_text=True)
    assert post_form(stranger, f"/dashboard/bookings/{reference}/accept", {},
                     page=page).status_code == 404
    assert stranger.get(f"/dashboard/bookings/{reference}/decline").status_code == 404
    assert post_form(stranger, f"/dashboard/bookings/{reference}/decline", {},
                     page=page).status_code == 404
    assert the_booking(app).awaiting_approval
    owner = host_client(app, setup)
    detail = owner.get(f"/dashboard/bookings/{reference}").get_data(as_text=True)
    assert f'aria-label="Accept request {reference}">Accept</button>' in detail
    assert ">Waiting for approval</span>" in detail and ">Reschedule</button>" not in detail
    boss = app.test_client()
    login(boss, admin.email, PASSWORD)
    assert f"Accept request {reference}" in boss.get(page).get_data(as_text=True)
    assert post_form(boss, f"/dashboard/bookings/{reference}/accept", {},
                     page=page).status_code == 302
    assert the_booking(app).approval == Approval.ACCEPTED


def test_a_post_without_csrf_changes_nothing(app, client, setup, start):
    book(client, "intro-call", start)
    host = host_client(app, setup)
    reference = the_booking(app).reference
    assert host.post(f"/dashboard/bookings/{reference}/accept").status_code == 400
    assert host.post(f"/dashboard/bookings/{reference}/decline").status_code == 400
    assert the_booking(app).awaiting_approval


def test_a_message_too_long_is_explained_and_kept(app, client, setup, start):
    book(client, "intro-call", start)
    host = host_client(app, setup)
    reference = the_booking(app).reference
    response = post_form(host, f"/dashboard/bookings/{reference}/decline", {"message": "x" * 2001})
    assert response.status_code == 422
    assert "x" * 2001 in response.get_data(as_text=True)
    assert the_booking(app).awaiting_approval


# --- finding requests: the dashboard's status filter and the API ------------------------------

def test_requests_are_pending_not_confirmed(app, client, setup, start):
    book(client, "intro-call", start)
    book(app.test_client(), "intro-call", start + timedelta(hours=2), email="olga@example.com")
    reference = the_booking(app).reference
    with app.app_context():
        first = db.session.scalar(select(Booking).order_by(Booking.id))
        first.approval = Approval.ACCEPTED  # as Accept leaves it
        db.session.commit()
        accepted = first.reference
    host = host_client(app, setup)
    pending = host.get("/dashboard?status=pending").get_data(as_text=True)
    assert reference in pending.split("Find bookings")[1] and accepted not in pending
    confirmed = host.get("/dashboard?status=confirmed").get_data(as_text=True)
    assert accepted in confirmed and reference not in confirmed.split("Find bookings")[1]
    assert "Waiting for approval" in pending


def test_the_api_books_a_request_and_finds_it_as_pending(app, setup, start, mailbox):
    """POST /api/v1/bookings of a type that requires approval makes a request, shown pending
    (and found by ?status=pending, not by ?status=confirmed) until the host accepts it."""
    from .test_api import bearer, new_booking, token_for

    api = app.test_client()
    headers = bearer(token_for(app, setup.host_id))
    made = api.post("/api/v1/bookings", json=new_booking(start), headers=headers)
    assert made.status_code == 201, made.get_data(as_text=True)
    shown = made.get_json()
    assert shown["status"] == "pending" and shown["approval"] == "requested"
    assert shown["zoom"]["join_url"] is None
    reference = shown["reference"]

    def listed(status: str) -> list[str]:
        answer = api.get(f"/api/v1/bookings?status={status}", headers=headers)
        assert answer.status_code == 200
        return [b["reference"] for b in answer.get_json()["bookings"]]

    assert listed("pending") == [reference] and listed("confirmed") == []
    post_form(host_client(app, setup), f"/dashboard/bookings/{reference}/accept", {},
              page="/dashboard")
    assert listed("pending") == [] and listed("confirmed") == [reference]
    detail = api.get(f"/api/v1/bookings/{reference}", headers=headers).get_json()
    assert detail["status"] == "confirmed" and detail["approval"] == "accepted"


# --- declined by itself -----------------------------------------------------------------------

@pytest.fixture
def clock(monkeypatch):
    """The app's "now" (as tests/integration/test_reminders.py sets it)."""
    now = [datetime.now(UTC).replace(microsecond=0)]
    for module in (answer_cache, availability, services, views, jobs, notifications, reminders,
                   approval):
        monkeypatch.setattr(module, "utcnow", lambda: now[0])
    return now


def run_jobs_at(app, clock, moment: datetime) -> None:
    clock[0] = moment
    result = app.test_cli_runner().invoke(args=["run-jobs", "--once"])
    assert result.exit_code == 0, result.output


def test_an_unanswered_request_is_declined_after_approval_hours(app, setup, clock, mailbox):
    app.config["APPROVAL_HOURS"] = 48
    start = at(weekday_ahead(min_days=5), 10)
    booked_at = clock[0]
    book(app.test_client(), "intro-call", start)
    assert the_booking(app).approval_due_at == booked_at + timedelta(hours=48)
    mailbox.clear()
    run_jobs_at(app, clock, booked_at + timedelta(hours=47, minutes=59))
    assert the_booking(app).awaiting_approval and mailbox.messages == []
    run_jobs_at(app, clock, booked_at + timedelta(hours=48, minutes=1))
    run_jobs_at(app, clock, booked_at + timedelta(hours=48, minutes=2))  # the emails it wrote
    booking = the_booking(app)
    assert booking.status == BookingStatus.CANCELLED and booking.approval == Approval.DECLINED
    host = host_client(app, setup)
    assert "Request declined: not answered in time" in host.get(
        f"/dashboard/bookings/{booking.reference}").get_data(as_text=True)
    assert sorted(subjects(mailbox)) == [
        ("gina@example.com", "Declined: Intro call with Hana Host"),
        ("host@example.com", "Declined, not answered in time: Intro call with Gina Guest")]
    guest_mail = next(m for m in mailbox.messages if m["To"] == "gina@example.com")
    assert "Your request was not answered in time" in text_of(guest_mail)
    assert iso(start) in starts_on(app.test_client(), start)


def test_a_request_is_declined_by_its_start_at_the_latest(app, setup, clock, mailbox):
    app.config["APPROVAL_HOURS"] = 24 * 30
    start = at(weekday_ahead(min_days=3), 10)
    book(app.test_client(), "intro-call", start)
    assert the_booking(app).approval_due_at == start
    run_jobs_at(app, clock, start - timedelta(minutes=1))
    assert the_booking(app).awaiting_approval
    run_jobs_at(app, clock, start + timedelta(minutes=1))  # a runner's round (cron) later
    assert the_booking(app).approval == Approval.DECLINED


def test_an_answered_request_is_not_declined_later(app, setup, clock, mailbox):
    start = at(weekday_ahead(min_days=5), 10)
    book(app.test_client(), "intro-call", start)
    host = host_client(app, setup)
    post_form(host, f"/dashboard/bookings/{the_booking(app).reference}/accept", {},
              page="/dashboard")
    mailbox.clear()
    run_jobs_at(app, clock, clock[0] + timedelta(hours=49))
    booking = the_booking(app)
    assert booking.status == BookingStatus.CONFIRMED and booking.approval == Approval.ACCEPTED
    assert not [m for m in mailbox.messages if m["Subject"].startswith("Declined")]


# --- the race ---------------------------------------------------------------------------------

def test_twenty_guests_racing_for_a_slot_get_one_request(zoom_site, make_user, caplog):
    """Twenty guests ask for the same time at once: one request holds it, nineteen get a
    clean 409, and no one can take it while it is held."""
    caplog.set_level(logging.WARNING)
    app, url = zoom_site.app, zoom_site.url
    create_booking_setup(app, make_user)
    require_approval(app)
    start = at(weekday_ahead(), 10)

    def open_form(i: int) -> tuple[requests.Session, str]:
        session = requests.Session()
        page = session.get(f"{url}/book/intro-call?tz=UTC&start={iso(start)}", timeout=TIMEOUT)
        assert page.status_code == 200, page.text
        return session, csrf_of(page.text)

    def confirm(i: int, prepared: tuple[requests.Session, str]) -> requests.Response:
        session, token = prepared
        with session:
            return session.post(f"{url}/book/intro-call", allow_redirects=False,
                                timeout=TIMEOUT, data={
                                    "csrf_token": token, "start": iso(start), "timezone": "UTC",
                                    "name": f"Guest {i}", "email": f"guest{i}@example.com"})

    responses = race(RACERS, open_form, confirm)
    assert Counter(r.status_code for r in responses) == {302: 1, 409: RACERS - 1}
    for response in responses:
        assert "database is locked" not in response.text
    with app.app_context():
        held = db.session.scalars(select(Booking).where(
            Booking.status == BookingStatus.CONFIRMED)).all()
        assert [b.approval for b in held] == [Approval.REQUESTED]
    assert_quiet_logs(caplog)


def test_the_admins_dashboard_lists_every_hosts_requests(app, client, setup, start, make_user):
    book(client, "intro-call", start)
    boss = make_user(Role.ADMIN, email="boss@example.com")
    admin_client = app.test_client()
    login(admin_client, boss.email)
    html = admin_client.get("/dashboard").get_data(as_text=True)
    assert "Requests" in html and "Hana Host" in html

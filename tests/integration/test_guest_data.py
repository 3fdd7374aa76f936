"""Guests' personal data does not stay forever: erased after GUEST_DATA_RETENTION_DAYS (from
the database file itself, not only from what the models show), or at once by email address."""
import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from timetics import jobs
from timetics.booking import guest_data
from timetics.extensions import db
from timetics.models import (
    Answer,
    Attendee,
    Booking,
    BookingQuestion,
    BookingStatus,
    ExtraGuest,
    MeetingType,
    QuestionKind,
    Role,
)

from ..booking_helpers import (
    add_booking,
    at,
    book,
    create_booking_setup,
    manage_path,
    weekday_ahead,
)
from ..conftest import database_bytes, login, post_form, sqlite_only

NAME, EMAIL = "Zelda Quillfeather", "zelda@quill.example"
NOTES, ANSWER, EXTRA = "Bring the cobalt folder", "Quillworks Ltd", "pal@quill.example"
PERSONAL = (NAME, EMAIL, NOTES, ANSWER, EXTRA)


@pytest.fixture
def clock(monkeypatch):
    """The erasure's and the job runner's "now", which the test moves."""
    now = [datetime.now(UTC)]
    for module in (guest_data, jobs):
        monkeypatch.setattr(module, "utcnow", lambda: now[0])
    return now


@pytest.fixture
def setup(app, make_user):
    setup = create_booking_setup(app, make_user)
    with app.app_context():
        meeting_type = db.session.scalar(db.select(MeetingType).filter_by(slug="intro-call"))
        meeting_type.extra_guests_allowed = 1
        meeting_type.questions.append(BookingQuestion(label="Company", required=True,
                                                      kind=QuestionKind.SHORT_TEXT))
        db.session.commit()
        question_id = meeting_type.questions[0].id
    return setup, f"q_{question_id}"


def book_zelda(client, setup, start):
    _, question_field = setup
    return manage_path(book(client, "intro-call", start, name=NAME, email=EMAIL, notes=NOTES,
                            guests=EXTRA, **{question_field: ANSWER}))


def run_jobs(runner) -> None:
    result = runner.invoke(args=["run-jobs", "--once"])
    assert result.exit_code == 0, result.output


@sqlite_only
def test_old_guests_data_leaves_the_database_file_and_the_booking_stays(app, client, runner,
                                                                       setup, clock, mailbox):
    """30 days: the day after, run-jobs erases the name, email, notes, answers and extra
    guests, in the file and its log; the booking's time, type, host and reference remain."""
    app.config["GUEST_DATA_RETENTION_DAYS"] = 30
    start = at(weekday_ahead(), 10)
    path = book_zelda(client, setup, start)
    mailbox.wait_for(3)
    assert all(value.encode() in database_bytes(app) for value in PERSONAL)

    clock[0] = start + timedelta(days=30)  # ended 29.5 days ago: kept
    run_jobs(runner)
    assert all(value.encode() in database_bytes(app) for value in PERSONAL)

    clock[0] = start + timedelta(days=31)
    run_jobs(runner)
    raw = database_bytes(app)
    assert [value for value in PERSONAL if value.encode() in raw] == []
    reference = path.split("/bookings/")[1].split("?")[0]
    with app.app_context():
        booking = db.session.scalar(db.select(Booking))
        assert (booking.reference, booking.start_at, booking.host_id) == (
            reference, start, setup[0].host_id)
        assert booking.meeting_type.slug == "intro-call"
        [attendee] = booking.attendees
        assert (attendee.name, attendee.email, attendee.notes) == ("", "", "")
        assert attendee.erased_at == clock[0]
        assert db.session.scalar(db.select(db.func.count(Answer.id))) == 0
        assert db.session.scalar(db.select(db.func.count(ExtraGuest.id))) == 0


def test_without_a_retention_period_nothing_is_erased(app, client, runner, setup, clock):
    start = at(weekday_ahead(), 10)
    book_zelda(client, setup, start)
    clock[0] = start + timedelta(days=3650)
    run_jobs(runner)
    with app.app_context():
        assert db.session.scalar(db.select(Attendee.email)) == EMAIL


def test_the_booking_detail_page_of_an_erased_booking_still_shows(app, client, runner, setup,
                                                                  clock, admin, mailbox):
    app.config["GUEST_DATA_RETENTION_DAYS"] = 0
    start = at(weekday_ahead(), 10)
    reference = book_zelda(client, setup, start).split("/bookings/")[1].split("?")[0]
    mailbox.wait_for(3)
    clock[0] = start + timedelta(days=1)
    run_jobs(runner)
    admin_client = app.test_client()
    login(admin_client, admin.email)
    page = admin_client.get(f"/dashboard/bookings/{reference}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert reference in html and NAME not in html and EMAIL not in html


def test_erase_guest_cancels_the_future_booking_with_emails_and_a_zoom_delete(
        zoom_site, connected_host, client, mailbox):
    """Past and future bookings of the address: the future one is cancelled first (the guest
    and the host are told, its Zoom meeting goes), then both lose the guest's data."""
    app = zoom_site.app
    manage_path(book(client, "intro-call", at(weekday_ahead(), 10), name=NAME, email=EMAIL,
                     notes=NOTES))
    past = add_booking(app, "intro-call", at(weekday_ahead(), 10) - timedelta(days=30),
                       name=NAME, email=EMAIL)
    other = add_booking(app, "intro-call", at(weekday_ahead(), 10) - timedelta(days=29),
                        name="Other Guest", email="other@example.com")
    [meeting] = zoom_site.zoom_meetings()
    mailbox.wait_for(2)
    mailbox.clear()

    result = app.test_cli_runner().invoke(args=["erase-guest", "--email", "Zelda@Quill.Example"])
    assert result.exit_code == 0, result.output
    assert "Erased the guest data of 2 bookings; cancelled 1 future booking first." in \
        result.output
    mailbox.wait_for(2)
    [to_guest] = mailbox.to(EMAIL)
    assert to_guest["Subject"].startswith("Cancelled:")
    [to_host] = mailbox.to("host@example.com")
    assert to_host["Subject"].startswith("Cancelled:")
    assert zoom_site.zoom_meetings() == []
    assert meeting["id"]
    with app.app_context():
        rows = {b.reference: b for b in db.session.scalars(db.select(Booking))}
        assert len(rows) == 3
        assert rows[past].attendees[0].email == ""
        assert rows[other].attendees[0].email == "other@example.com"
        future = [b for r, b in rows.items() if r not in (past, other)][0]
        assert future.status == BookingStatus.CANCELLED
        assert (future.attendees[0].name, future.attendees[0].email) == ("", "")
        assert db.session.scalar(db.select(db.func.count(Attendee.id)).where(
            Attendee.email == EMAIL)) == 0


def test_erase_guest_refuses_a_malformed_address(runner):
    result = runner.invoke(args=["erase-guest", "--email", "not-an-address"])
    assert result.exit_code == 2
    assert "--email" in result.output


def test_the_admin_erases_a_guest_on_the_guest_data_page(app, client, setup, as_admin,
                                                         mailbox):
    add_booking(app, "intro-call", at(weekday_ahead(), 10) - timedelta(days=30), name=NAME,
                email=EMAIL)
    page = as_admin.get("/settings/guest-data").get_data(as_text=True)
    assert '<label for="email">Email</label>' in page
    assert '<button type="submit" class="button button-danger">Erase guest data</button>' \
        in page
    assert "are kept (GUEST_DATA_RETENTION_DAYS is not set)" in page
    response = post_form(as_admin, "/settings/guest-data", {"email": EMAIL})
    assert response.status_code == 302
    shown = as_admin.get("/settings/guest-data").get_data(as_text=True)
    assert f"Erased the guest data of 1 booking of {EMAIL}; cancelled 0 future bookings" in shown
    with app.app_context():
        assert db.session.scalar(db.select(Attendee.email)) == ""


@pytest.mark.parametrize(("email", "message"), [
    ("", "Enter the guest's email address."),
    ("zelda@", "Enter a valid email address"),
])
def test_the_guest_data_page_explains_a_bad_address(app, as_admin, email, message):
    response = post_form(as_admin, "/settings/guest-data", {"email": email})
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))


def test_staff_cannot_erase_guest_data(client, make_user):
    staff = make_user(Role.STAFF, email="s@example.com")
    login(client, staff.email)
    assert client.get("/settings/guest-data").status_code == 403


@pytest.mark.parametrize("page", ["/settings/integrations/zoom", "/settings/embedding",
                                  "/settings/webhooks", "/settings/guest-data"])
def test_every_settings_page_links_to_guest_data(as_admin, page):
    """Settings > Guest data is reached from the settings tabs, not only by its address."""
    html = as_admin.get(page).get_data(as_text=True)
    assert re.search(r'<nav class="tabs" aria-label="Settings">.*?'
                     r'<a href="/settings/guest-data"[^>]*>Guest data</a>', html, re.S)

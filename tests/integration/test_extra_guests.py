"""Extra guests: up to the meeting type's number, told of the booking and every change (with
the .ics and the link, never the manage link), and counted as people in a group."""
import re

import pytest
from icalendar import Calendar

from timetics.extensions import db
from timetics.models import Attendee, Booking, ExtraGuest, MeetingType

from ..booking_helpers import (
    at,
    book,
    create_booking_setup,
    iso,
    manage_path,
    session_csrf,
    weekday_ahead,
)
from ..conftest import post_form
from ..smtp import html_of, text_of
from .test_meeting_types import values
from .test_reminders import HOUR, MINUTE, clock, run_jobs_at  # noqa: F401 (fixture)

EXTRAS = ("ann@example.com", "bo@example.test")


@pytest.fixture
def setup(app, make_user):
    setup = create_booking_setup(app, make_user, reminders="24h")
    allow(app, "intro-call", 2)
    allow(app, "group-session", 3)
    return setup


def allow(app, slug: str, count: int) -> None:
    with app.app_context():
        db.session.scalar(db.select(MeetingType).filter_by(slug=slug)).extra_guests_allowed = \
            count
        db.session.commit()


def method_of(message) -> str:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return str(Calendar.from_ical(part.get_content())["METHOD"])


def assert_no_manage_link(message) -> None:
    assert "token=" not in text_of(message) and "token=" not in html_of(message)


def test_the_field_is_there_only_when_the_type_allows_extra_guests(client, setup, app):
    start = iso(at(weekday_ahead(), 10))
    html = client.get(f"/book/intro-call?start={start}").get_data(as_text=True)
    assert '<label for="guests">Extra guests</label>' in html
    assert "Up to 2 more email addresses" in html
    allow(app, "intro-call", 0)
    html = client.get(f"/book/intro-call?start={start}").get_data(as_text=True)
    assert 'for="guests"' not in html


def test_extra_guests_get_the_confirmation_and_the_cancellation(client, setup, app, mailbox):
    path = manage_path(book(client, "intro-call", at(weekday_ahead(), 10),
                            guests="Ann@Example.com,\r\nbo@example.test, gina@example.com"))
    with app.app_context():
        assert db.session.scalars(db.select(ExtraGuest.email).order_by(ExtraGuest.id)).all() \
            == list(EXTRAS)  # normalised; the booker's own address is not an extra guest
    mailbox.wait_for(4)
    for address in EXTRAS:
        [message] = mailbox.to(address)
        assert message["Subject"].startswith("Confirmed:")
        assert "Gina Guest (gina@example.com) booked this meeting and added you" in \
            text_of(message)
        assert "Only Gina Guest can change or cancel this booking." in text_of(message)
        assert method_of(message) == "REQUEST"
        assert_no_manage_link(message)
    [to_host] = mailbox.to("host@example.com")
    assert "Extra guests: ann@example.com, bo@example.test" in text_of(to_host)

    mailbox.clear()
    page = client.get(path)
    reference, token = path.split("/bookings/")[1].split("?token=")
    response = client.post(f"/bookings/{reference}/cancel?token={token}",
                           data={"csrf_token": session_csrf(client)})
    assert response.status_code == 302 and page.status_code == 200
    mailbox.wait_for(4)
    for address in EXTRAS:
        [message] = mailbox.to(address)
        assert message["Subject"].startswith("Cancelled:")
        assert "Gina Guest cancelled this meeting" in text_of(message)
        assert method_of(message) == "CANCEL"


def test_extra_guests_hear_of_a_new_time(client, setup, app, mailbox):
    day = weekday_ahead()
    path = manage_path(book(client, "intro-call", at(day, 10), guests="ann@example.com"))
    mailbox.wait_for(3)
    mailbox.clear()
    reference, token = path.split("/bookings/")[1].split("?token=")
    response = client.post(f"/bookings/{reference}/reschedule?token={token}",
                           data={"csrf_token": session_csrf(client), "start": iso(at(day, 15))})
    assert response.status_code == 302
    mailbox.wait_for(3)
    [message] = mailbox.to("ann@example.com")
    assert message["Subject"].startswith("New time:")
    assert "has a new time" in text_of(message)
    assert_no_manage_link(message)


def test_extra_guests_are_reminded(app, client, runner, setup, clock, mailbox):  # noqa: F811
    start = at(weekday_ahead(min_days=4), 10)
    manage_path(book(client, "intro-call", start, guests="ann@example.com"))
    mailbox.wait_for(3)
    mailbox.clear()
    assert run_jobs_at(runner, clock, start - 24 * HOUR + MINUTE) == 2
    mailbox.wait_for(2)
    [message] = mailbox.to("ann@example.com")
    assert message["Subject"].startswith("Reminder:")
    assert "A reminder of this meeting, to which Gina Guest added you." in text_of(message)
    assert_no_manage_link(message)


@pytest.mark.parametrize(("guests", "message"), [
    ("a@example.com, b@example.com, c@example.com", "At most 2 extra guests."),
    ("a@example.com, not-an-address", "“not-an-address” is not an email address"),
])
def test_bad_extra_guests_are_explained_and_kept(client, setup, app, guests, message):
    response = book(client, "intro-call", at(weekday_ahead(), 10), guests=guests)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="guests-error">([^<]*)</p>', html)
    assert error and message in error.group(1)
    assert guests in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 0


def test_a_group_counts_extra_guests_as_people(client, setup, app):
    """Five places: Gina with two extra guests takes three, Ann with one takes the last two;
    Bo alone finds it full, and asking for more places than are left says how many are."""
    day = weekday_ahead()
    start = at(day, 10)

    def remaining() -> list[int]:
        slots = client.get(f"/book/group-session/slots?from={day}&to={day}"
                           "&tz=America/New_York").json["slots"]
        return [s["remaining"] for s in slots if s["start"] == iso(start)]

    manage_path(book(client, "group-session", start, guests="x@example.com, y@example.com"))
    assert remaining() == [2]
    too_many = book(app.test_client(), "group-session", start, email="cy@example.com",
                    guests="p@example.com, q@example.com")
    assert too_many.status_code == 409
    assert "Only 2 places are left at that time" in too_many.get_data(as_text=True)
    manage_path(book(app.test_client(), "group-session", start, email="ann@example.com",
                     guests="z@example.com"))
    assert remaining() == []
    assert book(app.test_client(), "group-session", start,
                email="bo@example.com").status_code == 409
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Attendee.id))) == 2


@pytest.mark.parametrize(("value", "saved"), [("3", 3), ("", 0), ("21", None)])
def test_the_admin_sets_how_many_extra_guests(app, as_admin, make_user, value, saved):
    host = make_user(name="Hana Host")
    page = as_admin.get("/meeting-types/new").get_data(as_text=True)
    assert '<label for="extra_guests_allowed">Extra guests allowed</label>' in page
    response = post_form(as_admin, "/meeting-types/new",
                         values(host, extra_guests_allowed=value))
    with app.app_context():
        stored = db.session.scalar(db.select(MeetingType.extra_guests_allowed))
    if saved is None:
        assert response.status_code == 422
        assert "Between 0 and 20." in response.get_data(as_text=True)
        assert stored is None
    else:
        assert response.status_code == 302 and stored == saved

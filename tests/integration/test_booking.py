"""Guests book, cancel and reschedule; emails arrive in each recipient's zone with an .ics."""
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy.exc import IntegrityError

from timetics.extensions import db
from timetics.models import Attendee, Booking, BookingStatus, MeetingType

from ..booking_helpers import (
    at,
    book,
    create_booking_setup,
    iso,
    manage_path,
    session_csrf,
    weekday_ahead,
)
from ..smtp import html_of, text_of


@pytest.fixture
def setup(app, make_user):
    return create_booking_setup(app, make_user)


def ics_of(message) -> Calendar:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_content())


def event_of(calendar: Calendar):
    [event] = calendar.walk("VEVENT")
    return event


def test_booking_page_shows_the_meeting_type_and_slot_buttons(client, setup):
    day = weekday_ahead()
    response = client.get(f"/book/intro-call?date={day}&tz=America/New_York")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Intro call" in html and "Hana Host" in html and "30 minutes" in html
    assert "A first chat." in html
    assert f'data-start="{iso(at(day, 9))}"' in html
    assert f'data-start="{iso(at(day, 16, 30))}"' in html
    assert f'data-start="{iso(at(day, 17))}"' not in html
    assert '<label for="tz">Time zone</label>' in html


def test_a_guest_in_tokyo_sees_tokyo_times(client, setup):
    """09:00 in New York is 23:00 (winter) or 22:00 (summer) in Tokyo, the same day."""
    day = weekday_ahead()
    first = at(day, 9)
    tokyo = first.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    response = client.get(f"/book/intro-call?date={tokyo.date()}&tz=Asia/Tokyo")
    html = response.get_data(as_text=True)
    assert f'data-start="{iso(first)}"' in html
    assert f">{tokyo:%H:%M}</button>" in html


def test_without_javascript_a_slot_button_opens_the_form(client, setup):
    day = weekday_ahead()
    response = client.get(f"/book/intro-call?date={day}&tz=Europe/Berlin&start={iso(at(day, 10))}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for label in ("Name", "Email", "Notes"):
        assert f">{label}</label>" in html
    assert '<button type="submit" class="button button-primary">Confirm booking</button>' in html
    assert f'name="start" type="hidden" value="{iso(at(day, 10))}"' in html


def test_booking_confirms_and_emails_both_sides_in_their_own_zones(app, client, setup, mailbox):
    day = weekday_ahead()
    start = at(day, 10)
    response = book(client, "intro-call", start, timezone="Asia/Tokyo")
    assert response.status_code == 302
    page = client.get(manage_path(response))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "You are booked, Gina Guest" in html
    assert "Reschedule" in html and "Cancel booking" in html

    with app.app_context():
        booking = db.session.scalar(db.select(Booking))
        assert booking.start_at == start and booking.end_at == start + timedelta(minutes=30)
        assert booking.status == BookingStatus.CONFIRMED
        reference = booking.reference
    messages = mailbox.wait_for(2)
    guest, host = mailbox.to("gina@example.com")[0], mailbox.to("host@example.com")[0]
    assert len(messages) == 2
    assert mailbox.connections == 1  # both over one SMTP connection
    tokyo = start.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    new_york = start.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert f"{tokyo:%H:%M}" in text_of(guest) and "Asia/Tokyo (UTC+09:00)" in text_of(guest)
    assert f"{new_york:%H:%M}" in text_of(host) and "America/New_York" in text_of(host)
    assert "Looking forward!" in text_of(host)
    assert f"/bookings/{reference}?token=" in text_of(guest)
    assert f"/bookings/{reference}?token=" in html_of(guest)
    assert "token=" not in text_of(host)
    for message in (guest, host):
        event = event_of(ics_of(message))
        assert ics_of(message)["METHOD"] == "REQUEST"
        assert event.decoded("DTSTART") == start
        assert event.decoded("DTEND") == start + timedelta(minutes=30)
        assert str(event["UID"]) == f"{reference}@timetics.test"
        assert int(event["SEQUENCE"]) == 0


def test_a_booked_slot_disappears_from_the_slots(client, setup):
    day = weekday_ahead()
    assert book(client, "intro-call", at(day, 10)).status_code == 302
    slots = client.get(f"/book/intro-call/slots?from={day}&to={day}&tz=America/New_York").json
    starts = {s["start"] for s in slots["slots"]}
    assert iso(at(day, 10)) not in starts and iso(at(day, 9, 30)) in starts
    # the host is busy for the group type too: its 10:00 hour overlaps
    group = client.get(f"/book/group-session/slots?from={day}&to={day}&tz=America/New_York").json
    assert iso(at(day, 10)) not in {s["start"] for s in group["slots"]}


def test_the_same_slot_cannot_be_booked_twice(client, setup, app):
    day = weekday_ahead()
    assert book(client, "intro-call", at(day, 11)).status_code == 302
    second = book(app.test_client(), "intro-call", at(day, 11), email="other@example.com")
    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert "That time was just taken." in html
    assert f'data-start="{iso(at(day, 11, 30))}"' in html  # fresh slots shown


def test_group_slot_takes_guests_until_full(client, setup, app, mailbox):
    day = weekday_ahead()
    start = at(day, 13)
    for n in range(5):
        response = book(app.test_client(), "group-session", start, email=f"g{n}@example.com",
                        name=f"Guest {n}")
        assert response.status_code == 302, n
    slots = client.get(f"/book/group-session/slots?from={day}&to={day}").json["slots"]
    assert iso(start) not in {s["start"] for s in slots}
    sixth = book(app.test_client(), "group-session", start, email="g6@example.com")
    assert sixth.status_code == 409
    with app.app_context():
        [booking] = db.session.scalars(db.select(Booking)).all()
        assert len(booking.attendees) == 5


def test_group_slots_report_remaining_places(client, setup, app):
    day = weekday_ahead()
    start = at(day, 14)
    book(client, "group-session", start)
    slots = client.get(f"/book/group-session/slots?from={day}&to={day}").json["slots"]
    [slot] = [s for s in slots if s["start"] == iso(start)]
    assert slot["remaining"] == 4


def test_a_booking_blocks_the_hosts_other_types_with_its_own_buffers(client, setup, app):
    """Through the database: a group session with 15-minute buffers, and a one-to-one call."""
    with app.app_context():
        group = db.session.scalar(db.select(MeetingType).filter_by(slug="group-session"))
        group.buffer_before_minutes = group.buffer_after_minutes = 15
        db.session.commit()
    day = weekday_ahead()
    book(client, "group-session", at(day, 11))  # busy 10:45-12:15 with its buffers
    book(client, "intro-call", at(day, 14))

    def starts(slug: str) -> set[str]:
        answer = client.get(f"/book/{slug}/slots?from={day}&to={day}").json
        return {s["start"] for s in answer["slots"]}

    calls = starts("intro-call")
    assert {iso(at(day, 10)), iso(at(day, 12, 30)), iso(at(day, 13, 30))} <= calls
    assert not {iso(at(day, 10, 30)), iso(at(day, 11)), iso(at(day, 12)),
                iso(at(day, 14))} & calls
    sessions = starts("group-session")
    assert iso(at(day, 11)) in sessions  # its own booking is a place taken, not a busy time
    assert iso(at(day, 14)) not in sessions


def test_guest_cancels_from_the_manage_link(client, setup, app, mailbox):
    day = weekday_ahead()
    start = at(day, 10)
    path = manage_path(book(client, "intro-call", start))
    mailbox.clear()
    reference, token = path.split("/bookings/")[1].split("?token=")
    confirm = client.get(f"/bookings/{reference}/cancel?token={token}")
    assert confirm.status_code == 200
    assert 'value="Cancel booking"' in confirm.get_data(as_text=True)
    assert client.get(path).status_code == 200  # GET changed nothing
    response = client.post(f"/bookings/{reference}/cancel?token={token}",
                           data={"csrf_token": session_csrf(client)})
    assert response.status_code == 302
    assert "This booking is cancelled" in client.get(path).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(Booking.status)) == BookingStatus.CANCELLED
    slots = client.get(f"/book/intro-call/slots?from={day}&to={day}").json["slots"]
    assert iso(start) in {s["start"] for s in slots}
    mailbox.wait_for(2)
    for address in ("gina@example.com", "host@example.com"):
        [message] = mailbox.to(address)
        assert message["Subject"].startswith("Cancelled:")
        assert ics_of(message)["METHOD"] == "CANCEL"
        assert event_of(ics_of(message)).decoded("DTSTART") == start


def test_guest_reschedules_to_a_new_free_time(client, setup, app, mailbox):
    day = weekday_ahead()
    old, new = at(day, 10), at(day, 15)
    path = manage_path(book(client, "intro-call", old))
    mailbox.clear()
    reference, token = path.split("/bookings/")[1].split("?token=")
    picker = client.get(f"/bookings/{reference}/reschedule?token={token}&date={day}"
                        f"&tz=America/New_York")
    assert f'data-start="{iso(new)}"' in picker.get_data(as_text=True)
    form = client.get(f"/bookings/{reference}/reschedule?token={token}&start={iso(new)}")
    assert 'value="Confirm new time"' in form.get_data(as_text=True)
    response = client.post(f"/bookings/{reference}/reschedule?token={token}",
                           data={"csrf_token": session_csrf(client), "start": iso(new)})
    assert response.status_code == 302
    assert response.headers["Location"] == path
    with app.app_context():
        booking = db.session.scalar(db.select(Booking))
        assert (booking.start_at, booking.sequence, booking.reference) == (new, 1, reference)
    mailbox.wait_for(2)
    for address in ("gina@example.com", "host@example.com"):
        [message] = mailbox.to(address)
        assert message["Subject"].startswith("New time:")
        event = event_of(ics_of(message))
        assert event.decoded("DTSTART") == new and int(event["SEQUENCE"]) == 1


def test_reschedule_to_a_taken_time_is_refused(client, setup, app):
    day = weekday_ahead()
    book(app.test_client(), "intro-call", at(day, 15), email="first@example.com")
    path = manage_path(book(client, "intro-call", at(day, 10)))
    reference, token = path.split("/bookings/")[1].split("?token=")
    response = client.post(f"/bookings/{reference}/reschedule?token={token}",
                           data={"csrf_token": session_csrf(client), "start": iso(at(day, 15))})
    assert response.status_code == 409
    assert "That time was just taken." in response.get_data(as_text=True)


def test_host_cancels_from_the_dashboard(client, setup, app, mailbox):
    from ..conftest import login

    day = weekday_ahead()
    book(app.test_client(), "intro-call", at(day, 10))
    mailbox.wait_for(2)
    mailbox.clear()
    login(client, "host@example.com")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Gina Guest" in html
    with app.app_context():
        booking_id = db.session.scalar(db.select(Booking.id))
    response = client.post(f"/dashboard/bookings/{booking_id}/cancel",
                           data={"csrf_token": session_csrf_logged_in(client)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(Booking.status)) == BookingStatus.CANCELLED
    mailbox.wait_for(2)
    assert "cancelled your booking" in text_of(mailbox.to("gina@example.com")[0])


def session_csrf_logged_in(client) -> str:
    import re

    html = client.get("/dashboard").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_another_staff_member_cannot_cancel_the_hosts_booking(client, setup, app, make_user):
    from ..conftest import login

    other = make_user(email="other-staff@example.com")
    book(app.test_client(), "intro-call", at(weekday_ahead(), 10))
    login(client, other.email)
    with app.app_context():
        booking_id = db.session.scalar(db.select(Booking.id))
    response = client.post(f"/dashboard/bookings/{booking_id}/cancel",
                           data={"csrf_token": session_csrf_logged_in(client)})
    assert response.status_code == 404
    assert "Gina" not in client.get("/dashboard").get_data(as_text=True)


def test_the_database_refuses_two_live_bookings_for_one_host_and_start(app, setup):
    day = weekday_ahead()
    with app.app_context():
        for n in range(2):
            db.session.add(Booking(reference=f"REF{n}", meeting_type_id=1, host_id=setup.host_id,
                                   start_at=at(day, 10), end_at=at(day, 10, 30)))
        with pytest.raises(IntegrityError):
            db.session.commit()


def test_only_the_hash_of_the_manage_token_is_stored(client, setup, app):
    from ..conftest import assert_not_stored

    path = manage_path(book(client, "intro-call", at(weekday_ahead(), 10)))
    token = path.split("?token=")[1]
    assert len(token) >= 40
    assert_not_stored(app, token)
    with app.app_context():
        assert db.session.scalar(db.select(Attendee.manage_token_hash)) != token


def test_date_overrides_shape_the_public_slots_of_their_own_day_in_any_zone(app, client, setup):
    """Other hours on one day (12:00-13:00 in New York), a day off the next; guests in
    New York and in Kiritimati (UTC+14, already the next date) see the same instants."""
    from timetics.models import DateOverride

    day = weekday_ahead(weekday=1)  # a Tuesday: Wednesday is a working day too
    with app.app_context():
        db.session.add_all([
            DateOverride(user_id=setup.host_id, day=day, start_minute=12 * 60,
                         end_minute=13 * 60),
            DateOverride(user_id=setup.host_id, day=day + timedelta(days=1)),
        ])
        db.session.commit()

    def starts(first, last, zone):
        response = client.get(f"/book/intro-call/slots?from={first}&to={last}&tz={zone}")
        assert response.status_code == 200
        return [slot["start"] for slot in response.get_json()["slots"]]

    expected = [iso(at(day, 12)), iso(at(day, 12, 30))]
    assert starts(day, day + timedelta(days=1), "America/New_York") == expected
    # Kiritimati's three dates from `day` run from Monday 05:00 to Thursday 05:00 in New York.
    kiritimati = starts(day, day + timedelta(days=2), "Pacific/Kiritimati")
    assert kiritimati[0] == iso(at(day - timedelta(days=1), 9)), "Monday's usual hours"
    assert [s for s in kiritimati if s >= iso(at(day, 0))] == expected, "then only the override"
    thursday = starts(day + timedelta(days=2), day + timedelta(days=2), "America/New_York")
    assert thursday[0] == iso(at(day + timedelta(days=2), 9))


def test_the_booking_page_adds_the_booking_to_a_calendar(client, setup):
    """An .ics download of this booking, and Google Calendar and Outlook links with its times."""
    day = weekday_ahead()
    manage = manage_path(book(client, "intro-call", at(day, 10)))
    html = client.get(manage).get_data(as_text=True)
    assert "Add to calendar" in html
    stamp = at(day, 10).strftime("%Y%m%dT%H%M%SZ")
    assert f"dates={stamp}%2F" in html and "calendar.google.com" in html
    assert "outlook.live.com" in html
    reference, token = manage.split("/bookings/")[1].split("?token=")
    ics = client.get(f"/bookings/{reference}/calendar.ics?token={token}")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    event = event_of(Calendar.from_ical(ics.data))
    assert event["dtstart"].dt == at(day, 10)
    assert str(event["uid"]).startswith(reference)
    assert client.get(f"/bookings/{reference}/calendar.ics?token=wrong").status_code == 404

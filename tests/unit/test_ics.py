"""Calendar invitations: UTC times, a stable UID, the sequence, and the join link."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from timetics.ics import Invitation, booking_uid, build_ics

START = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))  # the repeated hour
END = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)


def invitation(**overrides) -> Invitation:
    values = dict(uid="ABC@timetics.test", sequence=2, summary="Intro call with Hana",
                  description="Reference: ABC", start=START, end=END, organizer_name="Hana",
                  organizer_email="hana@example.com", attendees=(("Gina", "gina@example.com"),),
                  location="https://zoom.example/j/123", url="https://zoom.example/j/123")
    values.update(overrides)
    return Invitation(**values)


def parse(data: bytes):
    calendar = Calendar.from_ical(data)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_request_holds_utc_times_uid_sequence_and_link():
    calendar, event = parse(build_ics(invitation()))
    assert calendar["METHOD"] == "REQUEST"
    assert event.decoded("DTSTART") == START.astimezone(UTC)
    assert event.decoded("DTSTART").utcoffset().total_seconds() == 0
    assert b"DTSTART:20261101T053000Z" in build_ics(invitation())
    assert str(event["UID"]) == "ABC@timetics.test"
    assert int(event["SEQUENCE"]) == 2
    assert str(event["LOCATION"]) == "https://zoom.example/j/123"
    assert str(event["URL"]) == "https://zoom.example/j/123"
    assert "gina@example.com" in str(event["ATTENDEE"])


def test_cancel_has_method_and_status_cancel():
    calendar, event = parse(build_ics(invitation(), method="CANCEL"))
    assert calendar["METHOD"] == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"


def test_without_a_link_there_is_no_location():
    _, event = parse(build_ics(invitation(location=None, url=None)))
    assert "LOCATION" not in event and "URL" not in event


def test_uid_is_the_reference_at_the_sites_host():
    assert booking_uid("ABC", "https://book.example.com:8443") == "ABC@book.example.com"

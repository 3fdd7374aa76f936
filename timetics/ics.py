"""Calendar invitations (.ics) for bookings, built with the icalendar package.

Calendars match an update or a cancellation to the invitation they already hold by its UID and
take the one with the highest SEQUENCE, so the UID is fixed per booking and the sequence rises
with every change.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Timetics//Booking//EN"


@dataclass(frozen=True)
class Invitation:
    uid: str
    sequence: int
    summary: str
    description: str
    start: datetime  # aware
    end: datetime  # aware
    organizer_name: str
    organizer_email: str
    attendees: tuple[tuple[str, str], ...]  # (name, email)
    location: str | None = None  # the join link when there is one
    url: str | None = None


def booking_uid(reference: str, external_url: str) -> str:
    """A UID stable for the life of the booking: its reference at this site's host."""
    return f"{reference}@{urlsplit(external_url).hostname or 'timetics'}"


def build_ics(invitation: Invitation, *, method: str | None = "REQUEST",
              now: datetime | None = None) -> bytes:
    """The .ics for ``method`` REQUEST (new or changed) or CANCEL, with times in UTC; None
    for an event stored in a calendar (RFC 4791 §4.1: such a resource has no METHOD)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    event = Event()
    event.add("uid", invitation.uid)
    event.add("sequence", invitation.sequence)
    event.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", invitation.start.astimezone(UTC))
    event.add("dtend", invitation.end.astimezone(UTC))
    event.add("summary", invitation.summary)
    event.add("description", invitation.description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if invitation.location:
        event.add("location", vText(invitation.location))
    if invitation.url:
        event.add("url", invitation.url)
    organizer = vCalAddress(f"mailto:{invitation.organizer_email}")
    organizer.params["cn"] = vText(invitation.organizer_name)
    event.add("organizer", organizer)
    for name, email in invitation.attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()

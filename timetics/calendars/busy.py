"""Which stretches of time a calendar's events take: pure functions over icalendar objects.

Recurrences (RRULE, RDATE, EXDATE, and RECURRENCE-ID overrides that move or cancel one
occurrence) are expanded by ``recurring-ical-events``, in each event's own zone, so a weekly
10:00 in Berlin stays 10:00 there across a daylight-saving change. What does not block: events
marked free (RFC 5545 §3.8.2.7 TRANSP:TRANSPARENT), cancelled events or occurrences
(§3.8.1.11 STATUS:CANCELLED), invitations the host declined (§3.2.12 PARTSTAT=DECLINED), and
the events Timetics wrote for its own bookings (the booking blocks its time already).

All-day events (DTSTART;VALUE=DATE) and floating times (no zone) are read in the host's zone.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from ..slots import wall_to_utc

PIECE = timedelta(days=1)  # busy times are stored in pieces no longer than this


def busy_stretches(calendars: Iterable[icalendar.Calendar], start: datetime, end: datetime,
                   zone: ZoneInfo, *, own_uid_suffix: str, me: Iterable[str] = ()
                   ) -> list[tuple[datetime, datetime]]:
    """The [start, end) stretches in UTC that the events take within [start, end), sorted,
    overlapping ones joined, each cut into pieces of at most a day."""
    addresses = {f"mailto:{address.lower()}" for address in me if address}
    stretches = []
    for calendar in calendars:
        for event in recurring_ical_events.of(calendar).between(start, end):
            if _blocks(event, own_uid_suffix, addresses):
                begins, ends = _instant(event.start, zone), _instant(event.end, zone)
                if ends > begins:
                    stretches.append((max(begins, start), min(ends, end)))
    return [piece for stretch in _joined(stretches) for piece in _pieces(*stretch)]


def free_busy_periods(answer: icalendar.Calendar) -> list[tuple[datetime, datetime]]:
    """The periods of a free-busy answer (RFC 4791 §7.10) that may be busy: every FREEBUSY
    period but those of FBTYPE=FREE (RFC 5545 §3.2.9: BUSY when absent, and a type one does
    not know counts as BUSY; so BUSY, BUSY-TENTATIVE and BUSY-UNAVAILABLE), in UTC."""
    periods = []
    for freebusy in answer.walk("VFREEBUSY"):
        found = freebusy.get("FREEBUSY", [])
        for period in found if isinstance(found, list) else [found]:
            if str(period.params.get("FBTYPE", "BUSY")).upper() != "FREE":
                periods.append((period.start.astimezone(UTC), period.end.astimezone(UTC)))
    return periods


def _blocks(event: icalendar.Event, own_uid_suffix: str, addresses: set[str]) -> bool:
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return False
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return False
    if str(event.get("UID", "")).endswith(own_uid_suffix):
        return False
    return not any(str(attendee).lower() in addresses
                   and str(attendee.params.get("PARTSTAT", "")).upper() == "DECLINED"
                   for attendee in _attendees(event))


def _attendees(event: icalendar.Event) -> list:
    attendees = event.get("ATTENDEE", [])
    return attendees if isinstance(attendees, list) else [attendees]


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):  # an all-day event: from the host's midnight
        return wall_to_utc(value, time(0), zone)
    if value.tzinfo is None:  # floating: the host's wall clock
        return wall_to_utc(value.date(), value.time(), zone)
    return value.astimezone(UTC)


def _joined(stretches: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    joined: list[tuple[datetime, datetime]] = []
    for begins, ends in sorted(stretches):
        if joined and begins <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], ends))
        else:
            joined.append((begins, ends))
    return joined


def _pieces(begins: datetime, ends: datetime) -> list[tuple[datetime, datetime]]:
    pieces = []
    while ends - begins > PIECE:
        pieces.append((begins, begins + PIECE))
        begins += PIECE
    pieces.append((begins, ends))
    return pieces

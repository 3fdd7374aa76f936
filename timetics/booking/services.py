"""Booking rules: which slots are free, and taking, moving and giving back a place.

Every change that depends on what it read ("is this slot still free?") runs inside
``write_transaction()``: on SQLite that is BEGIN IMMEDIATE, so two guests racing for the last
place are served one after the other and the second sees the first one's booking. The partial
unique index on (host, start) of live bookings backs this up on any database.
"""
from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import slots
from ..db import UTCDateTime, utc_from_text, utcnow, write_transaction
from ..exceptions import SlotUnavailable
from ..extensions import db
from ..integrations import meetings
from ..models import (
    Attendee,
    AvailabilityRule,
    Booking,
    BookingStatus,
    DateOverride,
    MeetingType,
    User,
)
from ..security import hash_token, new_token
from . import notifications

logger = logging.getLogger(__name__)

# Bookings that start this long before a window can still reach into it (longest meeting plus
# the widest buffers); the query looks that far back so the index range stays narrow.
REACH = timedelta(minutes=480 + 240 + 240)
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud safely


@dataclass(frozen=True)
class BookingResult:
    booking: Booking
    attendee: Attendee
    manage_token: str
    first_attendee: bool  # the booking was created now (not joined)


# The statements of every slot request are built once: building a select() costs more than
# SQLite takes to run it.
_ACTIVE_MEETING_TYPE = (
    select(MeetingType).options(joinedload(MeetingType.host))
    .where(MeetingType.slug == bindparam("slug"), MeetingType.active.is_(True))
)


def active_meeting_type(slug: str) -> MeetingType | None:
    return db.session.scalar(_ACTIVE_MEETING_TYPE, {"slug": slug})


def slot_rules(meeting_type: MeetingType) -> slots.SlotRules:
    minutes = lambda n: timedelta(minutes=n)  # noqa: E731
    return slots.SlotRules(
        duration=minutes(meeting_type.duration_minutes),
        step=minutes(meeting_type.step_minutes) if meeting_type.step_minutes else None,
        buffer_before=minutes(meeting_type.buffer_before_minutes),
        buffer_after=minutes(meeting_type.buffer_after_minutes),
        min_notice=minutes(meeting_type.min_notice_minutes),
        window=timedelta(days=meeting_type.window_days),
        capacity=meeting_type.capacity,
    )


def _clock(minute: int) -> time:
    # The slot engine takes wall-clock times; the end of the day is stored as minute 1440.
    return slots.END_OF_DAY if minute >= 24 * 60 else time(minute // 60, minute % 60)


_RULES = select(AvailabilityRule.weekday, AvailabilityRule.start_minute,
                AvailabilityRule.end_minute).where(AvailabilityRule.user_id == bindparam("host"))
_OVERRIDES = select(DateOverride.day, DateOverride.start_minute, DateOverride.end_minute).where(
    DateOverride.user_id == bindparam("host"),
    DateOverride.day.between(bindparam("first"), bindparam("last")),
)


def host_schedule(host: User, start: datetime, end: datetime
                  ) -> tuple[list[slots.WeeklyRule], list[slots.DateOverride]]:
    """The host's weekly rules, and the date overrides of the local days near [start, end)."""
    zone = ZoneInfo(host.timezone)
    # The slot engine looks at one local day beyond each end; two keep clear of that edge.
    first = start.astimezone(zone).date() - timedelta(days=2)
    last = end.astimezone(zone).date() + timedelta(days=2)
    rules = [slots.WeeklyRule(weekday, _clock(opens), _clock(closes))
             for weekday, opens, closes in db.session.execute(_RULES, {"host": host.id})]
    by_day: dict[date, list[tuple[time, time]]] = {}
    for day, opens, closes in db.session.execute(
            _OVERRIDES, {"host": host.id, "first": first, "last": last}):
        intervals = by_day.setdefault(day, [])
        if opens is not None:  # a row without minutes is the whole day off
            intervals.append((_clock(opens), _clock(closes)))
    overrides = [slots.DateOverride(day, tuple(intervals)) for day, intervals in by_day.items()]
    return rules, overrides


def _busy_statement(counted_seats):
    return (
        select(Booking.id, Booking.start_at, Booking.end_at, Booking.meeting_type_id,
               MeetingType.buffer_before_minutes, MeetingType.buffer_after_minutes,
               counted_seats)
        .join(MeetingType, Booking.meeting_type_id == MeetingType.id)
        .where(
            Booking.host_id == bindparam("host"),
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at >= bindparam("from_", type_=UTCDateTime),
            Booking.start_at < bindparam("to", type_=UTCDateTime),
        )
    )


def _as_one_row(statement):
    """The same rows as one JSON array, for SQLite.

    Python's sqlite3 lets go of the GIL around every row it steps to, and under gunicorn's
    threads each of those is a hand-over to another request and back: a host's week at 100,000
    bookings (~60 rows) cost more in hand-overs than in SQLite or in Python. One row: one
    hand-over.
    """
    rows = statement.subquery()
    return select(func.json_group_array(func.json_array(*rows.c)))


# Seats are counted only where they matter: for a group type's own bookings.
_BUSY = _busy_statement(literal(0))
_BUSY_WITH_SEATS = _busy_statement(
    select(func.count(Attendee.id))
    .where(Attendee.booking_id == Booking.id, Attendee.status == BookingStatus.CONFIRMED)
    .scalar_subquery()
)
_BUSY_ROWS = {False: _BUSY, True: _BUSY_WITH_SEATS}
_BUSY_ONE_ROW = {group: _as_one_row(statement) for group, statement in _BUSY_ROWS.items()}


def _busy_rows(group: bool, parameters: dict) -> list[tuple]:
    if db.session.get_bind().dialect.name != "sqlite":
        return list(db.session.execute(_BUSY_ROWS[group], parameters))
    rows = json.loads(db.session.scalar(_BUSY_ONE_ROW[group], parameters))
    return [(booking_id, utc_from_text(start), utc_from_text(end), *rest)
            for booking_id, start, end, *rest in rows]


def busy_times(meeting_type: MeetingType, start: datetime, end: datetime,
               exclude_booking_id: int | None = None
               ) -> tuple[list[slots.Interval], dict[datetime, int]]:
    """The host's live bookings near [start, end), in one indexed query.

    Each is widened by its own meeting type's buffers. Group bookings of this same meeting type
    come back as seats taken per start instead, so that their slot stays open until full.
    """
    group = meeting_type.is_group
    rows = _busy_rows(group, {
        "host": meeting_type.host_id, "from_": start - REACH, "to": end + REACH})
    busy: list[slots.Interval] = []
    group_seats: dict[datetime, int] = {}
    for booking_id, b_start, b_end, type_id, before, after, taken in rows:
        if booking_id == exclude_booking_id:
            continue
        if group and type_id == meeting_type.id:
            group_seats[b_start] = taken
        else:
            busy.append(slots.Interval(b_start - timedelta(minutes=before),
                                       b_end + timedelta(minutes=after)))
    return busy, group_seats


def free_slots(meeting_type: MeetingType, start: datetime, end: datetime, *,
               now: datetime | None = None,
               exclude_booking_id: int | None = None) -> list[slots.Slot]:
    """The slots of ``meeting_type`` starting in [start, end)."""
    host = meeting_type.host
    rules, overrides = host_schedule(host, start, end)
    busy, group_seats = busy_times(meeting_type, start, end, exclude_booking_id)
    return slots.free_slots(
        rules=rules, overrides=overrides, host_zone=ZoneInfo(host.timezone),
        slot_rules=slot_rules(meeting_type), busy=busy, group_seats=group_seats,
        now=now or utcnow(), start=start, end=end,
    )


def slot_at(meeting_type: MeetingType, start: datetime, *, now: datetime | None = None,
            exclude_booking_id: int | None = None) -> slots.Slot | None:
    """The free slot starting exactly at ``start``, if there is one."""
    found = free_slots(meeting_type, start, start + timedelta(seconds=1), now=now,
                       exclude_booking_id=exclude_booking_id)
    return next((s for s in found if s.start == start), None)


def new_reference() -> str:
    """A short booking reference (10 characters, 50 bits): unguessable, easy to read out."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))


def book_slot(meeting_type: MeetingType, *, start: datetime, name: str, email: str,
              timezone: str, notes: str = "", now: datetime | None = None) -> BookingResult:
    """Take a place at ``start`` for a guest, or raise SlotUnavailable.

    One-to-one: a new booking. One-to-many: the guest joins the slot's booking while it has
    room (and it is created for the first guest).
    """
    token = new_token()
    try:
        with write_transaction():
            result = _take_place(meeting_type, start=start, name=name, email=email,
                                 timezone=timezone, notes=notes, token=token, now=now)
            if result.first_attendee:
                meetings.plan_meeting(result.booking)
            notifications.plan_confirmation(result.booking, result.attendee, token)
    except IntegrityError:
        # Another database session won the same start between our check and our insert.
        raise SlotUnavailable("That time was just taken.") from None
    logger.info("Booking %s confirmed for attendee %s", result.booking.reference,
                result.attendee.id)
    return result


def _take_place(meeting_type: MeetingType, *, start, name, email, timezone, notes, token,
                now) -> BookingResult:
    # On PostgreSQL this row lock serialises bookings per host; SQLite ignores it and relies
    # on BEGIN IMMEDIATE.
    db.session.execute(select(User.id).where(User.id == meeting_type.host_id).with_for_update())
    slot = slot_at(meeting_type, start, now=now)
    if slot is None:
        raise SlotUnavailable("That time was just taken.")
    booking = None
    if meeting_type.is_group:
        booking = db.session.scalar(select(Booking).where(
            Booking.meeting_type_id == meeting_type.id, Booking.start_at == start,
            Booking.status == BookingStatus.CONFIRMED))
    first = booking is None
    if booking is None:
        booking = Booking(
            reference=new_reference(), meeting_type=meeting_type, host_id=meeting_type.host_id,
            start_at=slot.start, end_at=slot.end, capacity=meeting_type.capacity,
        )
        db.session.add(booking)
    elif any(a.email == email and a.status == BookingStatus.CONFIRMED
             for a in booking.attendees):
        raise SlotUnavailable("You already have a place at this time.")
    attendee = Attendee(booking=booking, name=name, email=email, timezone=timezone, notes=notes,
                        manage_token_hash=hash_token(token))
    db.session.add(attendee)
    db.session.flush()
    return BookingResult(booking, attendee, token, first)


def attendee_for_token(reference: str, token: str | None) -> Attendee | None:
    """The attendee whose manage link this is; None for any wrong reference or token."""
    if not token or len(token) > 200:
        return None
    attendee = db.session.scalar(
        select(Attendee).where(Attendee.manage_token_hash == hash_token(token))
    )
    if attendee is None or attendee.booking.reference != reference:
        return None
    return attendee


def live_attendees(booking: Booking) -> list[Attendee]:
    return [a for a in booking.attendees if a.status == BookingStatus.CONFIRMED]


def _locked_booking(booking_id: int) -> Booking:
    # On PostgreSQL this row lock queues changes to one booking (the two last guests of a
    # group cancelling at once must each see the other's cancellation); SQLite ignores it and
    # relies on BEGIN IMMEDIATE.
    return db.session.get(Booking, booking_id, with_for_update=True, populate_existing=True)


def cancel_attendee(attendee: Attendee) -> bool:
    """Give back the guest's place; True when that ended the whole booking (last guest)."""
    with write_transaction():
        _locked_booking(attendee.booking_id)
        attendee = db.session.get(Attendee, attendee.id, populate_existing=True)
        if attendee.status == BookingStatus.CANCELLED:
            return False
        now = utcnow()
        attendee.status, attendee.cancelled_at = BookingStatus.CANCELLED, now
        booking = attendee.booking
        ended = not live_attendees(booking)
        if ended:
            booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now
            meetings.plan_delete(booking)
        notifications.plan_cancellation(booking, [attendee], by_host=False, booking_ended=ended)
    logger.info("Attendee %s cancelled booking %s%s", attendee.id, booking.reference,
                " (booking ended)" if ended else "")
    return ended


def cancel_booking(booking: Booking) -> list[Attendee]:
    """The host cancels the whole booking; returns the attendees who had a place."""
    with write_transaction():
        booking = _locked_booking(booking.id)
        if booking.status == BookingStatus.CANCELLED:
            return []
        now = utcnow()
        affected = live_attendees(booking)
        for attendee in affected:
            attendee.status, attendee.cancelled_at = BookingStatus.CANCELLED, now
        booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now
        meetings.plan_delete(booking)
        notifications.plan_cancellation(booking, affected, by_host=True, booking_ended=True)
    logger.info("Booking %s cancelled by the host", booking.reference)
    return affected


@dataclass(frozen=True)
class Reschedule:
    attendee: Attendee
    old_booking: Booking
    new_booking: Booking
    old_start: datetime
    moved_booking: bool  # the booking itself moved (vs. the guest changed to another booking)
    manage_token: str | None  # a new link, when the guest changed booking


def reschedule(attendee: Attendee, new_start: datetime, *, manage_token: str,
               now: datetime | None = None) -> Reschedule:
    """Move the guest to ``new_start``, or raise SlotUnavailable.

    A booking with this guest alone moves as a whole (its reference, link and Zoom meeting
    stay). A guest who shares a group booking with others leaves it for a place at the new time
    (and a new manage link). ``manage_token`` is the guest's link today, for the email.
    """
    try:
        with write_transaction():
            booking = _locked_booking(attendee.booking_id)
            attendee = db.session.get(Attendee, attendee.id, populate_existing=True)
            if booking.status != BookingStatus.CONFIRMED or \
                    attendee.status != BookingStatus.CONFIRMED:
                raise SlotUnavailable("This booking was cancelled.")
            old_start = booking.start_at
            if new_start == old_start:
                raise SlotUnavailable("That is the time you already have.")
            meeting_type = booking.meeting_type
            alone = live_attendees(booking) == [attendee]
            db.session.execute(select(User.id).where(User.id == booking.host_id)
                               .with_for_update())
            slot = slot_at(meeting_type, new_start, now=now,
                           exclude_booking_id=booking.id if alone else None)
            if slot is None:
                raise SlotUnavailable("That time was just taken.")
            if alone and slot.remaining == meeting_type.capacity:
                booking.start_at, booking.end_at = slot.start, slot.end
                booking.sequence += 1
                db.session.flush()
                meetings.plan_move(booking)
                notifications.plan_rescheduled(booking, attendee, old_start, manage_token)
                return Reschedule(attendee, booking, booking, old_start, True, None)
            # Others stay at the old time (or others are already at the new one): the guest
            # changes booking instead of moving one.
            token = new_token()
            moved = _take_place(meeting_type, start=new_start, name=attendee.name,
                                email=attendee.email, timezone=attendee.timezone,
                                notes=attendee.notes, token=token, now=now)
            attendee.status, attendee.cancelled_at = BookingStatus.CANCELLED, utcnow()
            if alone:
                booking.status, booking.cancelled_at = BookingStatus.CANCELLED, utcnow()
                meetings.plan_delete(booking)
            if moved.first_attendee:
                meetings.plan_meeting(moved.booking)
            notifications.plan_rescheduled(moved.booking, moved.attendee, old_start, token)
            return Reschedule(moved.attendee, booking, moved.booking, old_start, False, token)
    except IntegrityError:
        raise SlotUnavailable("That time was just taken.") from None

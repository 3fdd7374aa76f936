"""Which slots are free: the queries behind the booking page and the slots JSON.

Read-only: the booking transactions in ``services.py`` call ``slot_at`` inside their own
``write_transaction()``, so what it reads there is what they act on.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, literal, select
from sqlalchemy.orm import joinedload

from .. import slots
from ..db import UTCDateTime, utc_from_text, utcnow
from ..extensions import db
from ..models import (
    Attendee,
    AvailabilityRule,
    Booking,
    BookingStatus,
    BusyTime,
    DateOverride,
    ExtraGuest,
    MeetingType,
    User,
)

# Bookings that start this long before a window can still reach into it (longest meeting plus
# the widest buffers); the query looks that far back so the index range stays narrow.
REACH = timedelta(minutes=480 + 240 + 240)


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
# A seat per live attendee and per extra guest they bring.
_BUSY_WITH_SEATS = _busy_statement(
    select(func.count(Attendee.id))
    .where(Attendee.booking_id == Booking.id, Attendee.status == BookingStatus.CONFIRMED)
    .scalar_subquery()
    + select(func.count(ExtraGuest.id))
    .join(Attendee, ExtraGuest.attendee_id == Attendee.id)
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


# The host's calendars' busy times, stored by the last sync in pieces of at most a day
# (timetics/calendars/sync.py): a piece that reaches into the window starts at most that
# long before it.
_CALENDAR_BUSY = select(BusyTime.start_at, BusyTime.end_at).where(
    BusyTime.user_id == bindparam("host"),
    BusyTime.start_at >= bindparam("from_", type_=UTCDateTime),
    BusyTime.start_at < bindparam("to", type_=UTCDateTime),
)
_CALENDAR_BUSY_ONE_ROW = _as_one_row(_CALENDAR_BUSY)
CALENDAR_PIECE = timedelta(days=1)


def calendar_busy(host_id: int, start: datetime, end: datetime) -> list[slots.Interval]:
    """The stretches the host's calendars are busy near [start, end), as the last sync of each
    found them. The meeting type's buffers apply to them in the slot engine."""
    parameters = {"host": host_id, "from_": start - CALENDAR_PIECE - REACH, "to": end + REACH}
    if db.session.get_bind().dialect.name != "sqlite":
        rows = db.session.execute(_CALENDAR_BUSY, parameters)
    else:
        rows = [(utc_from_text(begins), utc_from_text(ends)) for begins, ends in
                json.loads(db.session.scalar(_CALENDAR_BUSY_ONE_ROW, parameters))]
    return [slots.Interval(begins, ends) for begins, ends in rows]


def busy_times(meeting_type: MeetingType, start: datetime, end: datetime,
               exclude_booking_id: int | None = None
               ) -> tuple[list[slots.Interval], dict[datetime, int]]:
    """The host's live bookings near [start, end), in one indexed query, and the busy times
    of the host's calendars.

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
    busy.extend(calendar_busy(meeting_type.host_id, start, end))
    return busy, group_seats


def booking_limits(meeting_type: MeetingType) -> slots.BookingLimits:
    return slots.BookingLimits(meeting_type.bookings_per_day, meeting_type.bookings_per_week)


_COUNTED_STARTS = select(Booking.start_at).where(
    Booking.meeting_type_id == bindparam("type_id"),
    Booking.status == BookingStatus.CONFIRMED,
    Booking.start_at >= bindparam("from_", type_=UTCDateTime),
    Booking.start_at < bindparam("to", type_=UTCDateTime),
    Booking.id != bindparam("exclude"),
)


def booked_starts(meeting_type: MeetingType, found: list[slots.Slot], zone: ZoneInfo,
                  exclude_booking_id: int | None = None) -> list[datetime]:
    """The starts of the type's live bookings in the host's local weeks of ``found``."""
    days = [s.start.astimezone(zone).date() for s in found]
    start, end = slots.local_days(slots.week_of(min(days)),
                                  slots.week_of(max(days)) + timedelta(days=6), zone)
    return list(db.session.scalars(_COUNTED_STARTS, {
        "type_id": meeting_type.id, "from_": start, "to": end,
        "exclude": exclude_booking_id or 0}))


def free_slots(meeting_type: MeetingType, start: datetime, end: datetime, *,
               now: datetime | None = None,
               exclude_booking_id: int | None = None) -> list[slots.Slot]:
    """The slots of ``meeting_type`` starting in [start, end), without those its booking
    limits close (the booking transaction reads the same, so a race cannot pass a limit)."""
    host = meeting_type.host
    zone = ZoneInfo(host.timezone)
    rules, overrides = host_schedule(host, start, end)
    busy, group_seats = busy_times(meeting_type, start, end, exclude_booking_id)
    found = slots.free_slots(
        rules=rules, overrides=overrides, host_zone=zone,
        slot_rules=slot_rules(meeting_type), busy=busy, group_seats=group_seats,
        now=now or utcnow(), start=start, end=end,
    )
    limits = booking_limits(meeting_type)
    if not limits or not found:
        return found
    return slots.within_limits(
        found, booked_starts(meeting_type, found, zone, exclude_booking_id), limits, zone,
        joinable=frozenset(s for s, taken in group_seats.items() if taken))


def slot_at(meeting_type: MeetingType, start: datetime, *, now: datetime | None = None,
            exclude_booking_id: int | None = None) -> slots.Slot | None:
    """The free slot starting exactly at ``start``, if there is one."""
    found = free_slots(meeting_type, start, start + timedelta(seconds=1), now=now,
                       exclude_booking_id=exclude_booking_id)
    return next((s for s in found if s.start == start), None)


def offered_at(meeting_type: MeetingType, start: datetime, *,
               now: datetime | None = None) -> bool:
    """Whether ``start`` is one of the type's times at all (hours, grid, notice, window),
    whoever has booked it: what tells "just taken" from "not available"."""
    host = meeting_type.host
    end = start + timedelta(seconds=1)
    rules, overrides = host_schedule(host, start, end)
    found = slots.free_slots(
        rules=rules, overrides=overrides, host_zone=ZoneInfo(host.timezone),
        slot_rules=slot_rules(meeting_type), busy=[], group_seats={},
        now=now or utcnow(), start=start, end=end,
    )
    return any(s.start == start for s in found)

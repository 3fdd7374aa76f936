"""The slot engine: which start times of a meeting type a guest can book.

Pure functions over plain values: no Flask, no database, no clock of its own (``now`` is passed
in). Working hours are wall-clock times in the host's zone; everything else is an aware instant,
and all arithmetic happens in UTC so that daylight-saving changes cannot bend a duration.

How a wall time becomes an instant: ``time t on date d`` means the first instant at which the
host's clock shows ``t`` (or later) on ``d``. So a time inside a spring-forward gap (02:30 in New
York on 2026-03-08) means the end of the gap (03:00 EDT), and a time in a repeated fall-back hour
(01:30 on 2026-11-01) means its first occurrence (01:30 EDT). Between its two ends a working
interval is continuous real time: on those two days 00:00–04:00 lasts three and five hours.

Midnight at the end of a day is written ``END_OF_DAY`` (``time.max``); an interval's end must be
after its start, so ``time(0, 0)`` is never an end.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

END_OF_DAY = time.max  # an interval end meaning midnight at the end of its day
ONE_DAY = timedelta(days=1)
RESOLUTION = timedelta(microseconds=1)  # the smallest step between two datetimes

_NO_SEATS: Mapping[datetime, int] = MappingProxyType({})


@dataclass(frozen=True)
class WeeklyRule:
    """A weekly working interval in the host's zone: ``weekday`` (0 = Monday) from ``start``
    to ``end`` (exclusive; ``END_OF_DAY`` for midnight), naive wall-clock times."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday}")
        _check_wall_interval(self.start, self.end)


@dataclass(frozen=True)
class DateOverride:
    """Working intervals that replace the weekly rules on one local date; none = a day off.

    Several overrides for the same date add up.
    """

    day: date
    intervals: tuple[tuple[time, time], ...] = ()

    def __post_init__(self) -> None:
        for start, end in self.intervals:
            _check_wall_interval(start, end)


@dataclass(frozen=True)
class Interval:
    """A busy period [start, end) between aware instants, already widened by its own buffers."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "Interval.start")
        _require_aware(self.end, "Interval.end")
        if self.end <= self.start:
            raise ValueError(f"Interval end {self.end} must be after its start {self.start}")


@dataclass(frozen=True)
class Slot:
    """A bookable start: [start, end) in UTC with ``remaining`` places left."""

    start: datetime
    end: datetime
    remaining: int


@dataclass(frozen=True)
class SlotRules:
    """The meeting type's side of the calculation."""

    duration: timedelta
    step: timedelta | None = None  # None: one slot after the other, every `duration`
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(0)
    window: timedelta = timedelta(days=60)  # no slot starts later than now + window
    capacity: int = 1  # 1 = one-to-one; more = one-to-many

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError(f"duration must be positive, not {self.duration}")
        if self.step is not None and self.step <= timedelta(0):
            raise ValueError(f"step must be positive, not {self.step}")
        for name in ("buffer_before", "buffer_after", "min_notice", "window"):
            if getattr(self, name) < timedelta(0):
                raise ValueError(f"{name} must not be negative, not {getattr(self, name)}")
        if self.capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {self.capacity}")

    @property
    def every(self) -> timedelta:
        """The distance between two candidate starts."""
        return self.step or self.duration


def free_slots(
    *,
    rules: Sequence[WeeklyRule],
    overrides: Sequence[DateOverride],
    host_zone: ZoneInfo,
    slot_rules: SlotRules,
    busy: Sequence[Interval],
    group_seats: Mapping[datetime, int] = _NO_SEATS,
    now: datetime,
    start: datetime,
    end: datetime,
) -> list[Slot]:
    """Free slots whose start lies in [start, end), sorted, in UTC.

    Candidates start at each working interval's start and every ``slot_rules.every`` after it,
    as long as the slot ends by the interval's end. A candidate is free when, widened by the
    buffers, it overlaps no ``busy`` interval (touching is fine), and it starts no sooner than
    ``now + min_notice`` and no later than ``now + window``.

    ``group_seats`` maps the start of each existing booking of this same one-to-many meeting type
    to its attendees (those bookings are not in ``busy``): that start is offered with the places
    left, not at all when full, and every other start it overlaps is blocked.

    Cost: O((n + m) log(n + m)) for n busy intervals and m candidates.
    """
    now = _utc(now, "now")
    start = _utc(start, "start")
    end = _utc(end, "end")
    if end <= start:
        raise ValueError(f"end {end} must be after start {start}")
    seats = _utc_seats(group_seats)

    first = max(start, now + slot_rules.min_notice)
    # Slots may start at now + window itself; datetimes count in microseconds, so this is exact.
    stop = min(end, now + slot_rules.window + RESOLUTION)
    if stop <= first:
        return []
    schedule = _Schedule(rules, overrides)
    starts = sorted(set(_candidate_starts(schedule, host_zone, slot_rules, first, stop)))
    return _sweep(starts, _merge(busy), seats, slot_rules)


def local_days(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) covering the local dates first..last (inclusive) in zone.

    Each bound is the first instant of its date there, so a range spans 23 or 25 hours over a
    daylight-saving change, and a day whose midnight is skipped starts when its clock jumps.
    """
    if last < first:
        raise ValueError(f"last day {last} must not be before first day {first}")
    return wall_to_utc(first, time(0), zone), wall_to_utc(last + ONE_DAY, time(0), zone)


def wall_to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which a clock in ``zone`` shows ``wall`` or later on ``day``.

    ``END_OF_DAY`` means the next day's midnight. A time in a repeated hour gives its first
    occurrence; a time in a spring-forward gap gives the first instant after the gap.
    """
    if wall == END_OF_DAY:
        return wall_to_utc(day + ONE_DAY, time(0), zone)
    naive = datetime.combine(day, wall)
    instant = naive.replace(tzinfo=zone).astimezone(UTC)  # fold=0: a repeated time's first pass
    if _wall(instant, zone) == naive:
        return instant
    # A gap: read with the offset after the jump (fold=1) the time lands before it, with the
    # offset before (fold=0) after it. Bisect down to the jump itself, which is exact to 1 µs.
    before = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    after = instant
    while after - before > RESOLUTION:
        middle = before + (after - before) // 2
        if _wall(middle, zone) >= naive:
            after = middle
        else:
            before = middle
    return after


class _Schedule:
    """The host's working intervals per local date: an override if any, else the weekly rules."""

    def __init__(self, rules: Sequence[WeeklyRule], overrides: Sequence[DateOverride]) -> None:
        self._weekly: dict[int, list[tuple[time, time]]] = {}
        for rule in rules:
            self._weekly.setdefault(rule.weekday, []).append((rule.start, rule.end))
        self._overrides: dict[date, list[tuple[time, time]]] = {}
        for override in overrides:
            self._overrides.setdefault(override.day, []).extend(override.intervals)

    def intervals(self, day: date) -> list[tuple[time, time]]:
        if day in self._overrides:
            return self._overrides[day]
        return self._weekly.get(day.weekday(), [])


def _candidate_starts(schedule: _Schedule, zone: ZoneInfo, slot_rules: SlotRules,
                      first: datetime, stop: datetime) -> Iterator[datetime]:
    """Candidate starts in [first, stop), possibly repeated where intervals overlap."""
    every, duration = slot_rules.every, slot_rules.duration
    # One extra local date on each side, for safety: where a fall-back crosses midnight, a
    # date's slots can start while the clock still shows the date before.
    day = _wall(first, zone).date() - ONE_DAY
    last_day = _wall(stop - RESOLUTION, zone).date() + ONE_DAY
    while day <= last_day:
        for wall_start, wall_end in schedule.intervals(day):
            opens = wall_to_utc(day, wall_start, zone)
            closes = wall_to_utc(day, wall_end, zone)
            # Jump straight to the first step at or after `first` instead of walking to it.
            skipped = max(0, -((opens - first) // every))
            at = opens + skipped * every
            while at < stop and at + duration <= closes:
                yield at
                at += every
        day += ONE_DAY


def _sweep(starts: list[datetime], busy: list[tuple[datetime, datetime]],
           seats: dict[datetime, int], slot_rules: SlotRules) -> list[Slot]:
    """Keep the sorted ``starts`` that are free, moving one pointer through each sorted list."""
    before, after = slot_rules.buffer_before, slot_rules.buffer_after
    duration, capacity = slot_rules.duration, slot_rules.capacity
    # Two group bookings' widened intervals, both this long, overlap when their starts are
    # closer than this.
    reach = before + duration + after
    groups = sorted(seats)
    slots: list[Slot] = []
    b = g = 0
    for at in starts:
        low, high = at - before, at + duration + after
        while b < len(busy) and busy[b][1] <= low:
            b += 1
        if b < len(busy) and busy[b][0] < high:
            continue
        while g < len(groups) and groups[g] < at:
            g += 1  # groups[g] is now the first group start at or after `at`
        # Only the nearest other group start on each side can be the one in reach.
        if g > 0 and at - groups[g - 1] < reach:
            continue
        later = g + 1 if g < len(groups) and groups[g] == at else g
        if later < len(groups) and groups[later] - at < reach:
            continue
        remaining = capacity - seats.get(at, 0)
        if remaining > 0:
            slots.append(Slot(at, at + duration, remaining))
    return slots


def _merge(busy: Sequence[Interval]) -> list[tuple[datetime, datetime]]:
    """The busy intervals in UTC, sorted, overlapping and touching ones joined."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted((i.start.astimezone(UTC), i.end.astimezone(UTC)) for i in busy):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _utc_seats(group_seats: Mapping[datetime, int]) -> dict[datetime, int]:
    seats: dict[datetime, int] = {}
    for at, taken in group_seats.items():
        if taken < 0:
            raise ValueError(f"seats taken at {at} must not be negative, not {taken}")
        seats[_utc(at, "a group_seats start")] = taken
    return seats


def _check_wall_interval(start: time, end: time) -> None:
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError("working hours must be naive wall-clock times in the host's zone")
    if end <= start:
        raise ValueError(
            f"working interval end {end} must be after its start {start} "
            "(write midnight at the end of the day as END_OF_DAY)"
        )


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be aware (have a time zone), not naive {value}")


def _utc(value: datetime, name: str) -> datetime:
    _require_aware(value, name)
    return value.astimezone(UTC)


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive wall-clock reading of ``instant`` in ``zone``."""
    return instant.astimezone(zone).replace(tzinfo=None)


@dataclass(frozen=True)
class BookingLimits:
    """At most ``per_day`` / ``per_week`` bookings (None: no limit) per local day / week
    (Monday to Sunday) in the host's zone."""

    per_day: int | None = None
    per_week: int | None = None

    def __bool__(self) -> bool:
        return self.per_day is not None or self.per_week is not None


def week_of(day: date) -> date:
    """The Monday that starts ``day``'s week."""
    return day - timedelta(days=day.weekday())


def within_limits(found: Sequence[Slot], booked_starts: Sequence[datetime],
                  limits: BookingLimits, host_zone: ZoneInfo,
                  joinable: frozenset[datetime] = frozenset()) -> list[Slot]:
    """The slots of ``found`` that a new booking may still take, given the starts of the
    bookings already made; a slot in ``joinable`` (a group booking with room) adds no booking
    and stays."""
    per_day: dict[date, int] = {}
    per_week: dict[date, int] = {}
    for start in booked_starts:
        day = start.astimezone(host_zone).date()
        per_day[day] = per_day.get(day, 0) + 1
        per_week[week_of(day)] = per_week.get(week_of(day), 0) + 1

    def full(day: date) -> bool:
        return ((limits.per_day is not None and per_day.get(day, 0) >= limits.per_day)
                or (limits.per_week is not None
                    and per_week.get(week_of(day), 0) >= limits.per_week))

    return [s for s in found
            if s.start in joinable or not full(s.start.astimezone(host_zone).date())]

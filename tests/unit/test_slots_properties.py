"""The slot engine against random schedules, bookings and zones (hypothesis).

Everything is drawn on a 15-minute grid in UTC. Every zone below has offsets and daylight-saving
changes on that grid too, which lets the checks walk the host's clock tick by tick instead of
reusing the engine's own conversion from wall time to instants.

Why "the clock's reading so far" and not simply the wall time of an instant: on a fall-back day
an interval 01:30–03:00 runs from the first 01:30 to 03:00, so it includes the second pass of
01:00–01:30, whose wall times look earlier than 01:30. The latest reading the clock has shown by
an instant is what a working interval's ends are compared with.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from timetics.slots import (
    END_OF_DAY,
    DateOverride,
    Interval,
    Slot,
    SlotRules,
    WeeklyRule,
    free_slots,
    local_days,
)

TICK = timedelta(minutes=15)
TICKS_PER_DAY = 96
# Each zone's local hour of its clock changes and the 2026 days on which they happen.
CLOCK_CHANGES: dict[str, tuple[int, list[date]]] = {
    "UTC": (2, []), "Asia/Kolkata": (2, []), "Asia/Tokyo": (2, []), "Asia/Kathmandu": (2, []),
    "America/New_York": (2, [date(2026, 3, 8), date(2026, 11, 1)]),
    "America/Havana": (0, [date(2026, 3, 8), date(2026, 11, 1)]),  # at midnight
    "Europe/Berlin": (2, [date(2026, 3, 29), date(2026, 10, 25)]),
    "Australia/Lord_Howe": (2, [date(2026, 4, 5), date(2026, 10, 4)]),  # by half an hour
}
ZONES = sorted(CLOCK_CHANGES)
PROPERTIES = settings(max_examples=200, deadline=None)


def quarter(n: int) -> time:
    """Wall time after n quarter hours; 96 is the end of the day."""
    return END_OF_DAY if n == TICKS_PER_DAY else time(n // 4, n % 4 * 15)


@st.composite
def wall_intervals(draw: st.DrawFn, hot_hour: int) -> tuple[time, time]:
    """A working interval, starting and ending near ``hot_hour`` (when clocks change) half of
    the time."""
    hot = st.integers(max(0, 4 * hot_hour - 4), 4 * hot_hour + 4)
    start = draw(hot | st.integers(0, TICKS_PER_DAY - 1))
    end = draw(st.integers(start + 1, min(start + 8, TICKS_PER_DAY))
               | st.integers(start + 1, TICKS_PER_DAY))
    return quarter(start), quarter(end)


@st.composite
def weekly_rules(draw: st.DrawFn, weekdays: st.SearchStrategy[int], hot_hour: int
                 ) -> WeeklyRule:
    return WeeklyRule(draw(weekdays), *draw(wall_intervals(hot_hour)))


@dataclass
class Scenario:
    zone: ZoneInfo
    rules: list[WeeklyRule]
    overrides: list[DateOverride]
    slot_rules: SlotRules
    busy: list[Interval]
    now: datetime
    start: datetime
    end: datetime
    seats: dict[datetime, int] = field(default_factory=dict)

    def run(self) -> list[Slot]:
        return free_slots(rules=self.rules, overrides=self.overrides, host_zone=self.zone,
                          slot_rules=self.slot_rules, busy=self.busy, group_seats=self.seats,
                          now=self.now, start=self.start, end=self.end)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone = draw(st.sampled_from(ZONES))
    hot_hour, change_days = CLOCK_CHANGES[zone]
    days = st.dates(date(2026, 1, 1), date(2026, 12, 31))
    if change_days:
        days = st.sampled_from(change_days) | days
    day = draw(days)
    ticks = st.integers
    start = datetime.combine(day, time(0), tzinfo=UTC) + draw(ticks(-48, 48)) * TICK
    end = start + draw(ticks(1, 3 * TICKS_PER_DAY)) * TICK
    # Rules for the drawn day's weekday half of the time, so that its clock change matters.
    rules = draw(st.lists(weekly_rules(st.just(day.weekday()) | ticks(0, 6), hot_hour),
                          min_size=1, max_size=8))
    overrides = draw(st.lists(st.builds(
        DateOverride,
        ticks(-1, 3).map(lambda n: day + timedelta(days=n)),
        st.lists(wall_intervals(hot_hour), max_size=3).map(tuple),
    ), max_size=3))
    busy = draw(st.lists(st.builds(
        lambda at, length: Interval(start + at * TICK, start + (at + length) * TICK),
        ticks(-TICKS_PER_DAY // 2, 3 * TICKS_PER_DAY), ticks(1, 8) | ticks(1, 48),
    ), max_size=8))
    slot_rules = SlotRules(
        duration=draw(ticks(1, 12)) * TICK,
        step=draw(st.none() | ticks(1, 8).map(lambda n: n * TICK)),
        buffer_before=draw(ticks(0, 4)) * TICK,
        buffer_after=draw(ticks(0, 4)) * TICK,
        min_notice=draw(st.just(0) | ticks(0, 8) | ticks(0, TICKS_PER_DAY)) * TICK,
        window=draw(ticks(4 * TICKS_PER_DAY, 6 * TICKS_PER_DAY) | ticks(0, 6 * TICKS_PER_DAY))
        * TICK,
        capacity=draw(st.just(1) | ticks(2, 4)),
    )
    # Mostly booking a little ahead of the range; sometimes long before or from inside it.
    now = start + draw(ticks(-8, 0) | ticks(-2 * TICKS_PER_DAY, TICKS_PER_DAY)) * TICK
    return Scenario(ZoneInfo(zone), rules, overrides, slot_rules, busy, now, start, end)


class HostClock:
    """The host's clock read on every tick from three days before to three days after a range:
    ``reading(at)`` is the latest wall time it has shown by ``at``."""

    def __init__(self, zone: ZoneInfo, start: datetime, end: datetime) -> None:
        first = start - timedelta(days=3)
        self.ticks = [first + n * TICK for n in range((end - first) // TICK + 3 * TICKS_PER_DAY)]
        self.readings: list[datetime] = []
        for at in self.ticks:
            wall = at.astimezone(zone).replace(tzinfo=None)
            self.readings.append(max(wall, self.readings[-1]) if self.readings else wall)
        self._by_tick = dict(zip(self.ticks, self.readings, strict=True))

    def reading(self, at: datetime) -> datetime:
        return self._by_tick[at]

    def first_showing(self, wall: datetime) -> datetime | None:
        """The first tick at which the clock shows ``wall`` or later."""
        index = bisect_left(self.readings, wall)
        return self.ticks[index] if index < len(self.ticks) else None

    def days(self) -> list[date]:
        first, last = self.readings[0].date(), self.readings[-1].date()
        return [first + timedelta(days=n) for n in range(1, (last - first).days)]


def working_hours(scenario: Scenario, day: date) -> list[tuple[datetime, datetime]]:
    """The day's working intervals as naive wall-clock datetimes."""
    overrides = [o for o in scenario.overrides if o.day == day]
    if overrides:
        intervals = [interval for o in overrides for interval in o.intervals]
    else:
        intervals = [(r.start, r.end) for r in scenario.rules if r.weekday == day.weekday()]
    return [(datetime.combine(day, start),
             datetime.combine(day + timedelta(days=1), time(0)) if end == END_OF_DAY
             else datetime.combine(day, end))
            for start, end in intervals]


def candidates(scenario: Scenario, clock: HostClock) -> set[datetime]:
    """Every start the working hours allow, before any filter."""
    found: set[datetime] = set()
    rules = scenario.slot_rules
    for day in clock.days():
        for wall_start, wall_end in working_hours(scenario, day):
            opens, closes = clock.first_showing(wall_start), clock.first_showing(wall_end)
            if opens is None or closes is None:
                continue
            at = opens
            while at + rules.duration <= closes:
                found.add(at)
                at += rules.every
    return found


def brute_force(scenario: Scenario, clock: HostClock) -> list[tuple[datetime, datetime, int]]:
    """The free slots by checking every candidate against every rule and every booking."""
    rules = scenario.slot_rules
    result = []
    for at in sorted(candidates(scenario, clock)):
        if not (scenario.start <= at < scenario.end
                and scenario.now + rules.min_notice <= at <= scenario.now + rules.window):
            continue
        low, high = at - rules.buffer_before, at + rules.duration + rules.buffer_after
        if any(b.start < high and low < b.end for b in scenario.busy):
            continue
        if any(g != at and g - rules.buffer_before < high
               and low < g + rules.duration + rules.buffer_after for g in scenario.seats):
            continue
        remaining = rules.capacity - scenario.seats.get(at, 0)
        if remaining > 0:
            result.append((at, at + rules.duration, remaining))
    return result


def with_group_seats(scenario: Scenario, data: st.DataObject, clock: HostClock) -> Scenario:
    """Give a one-to-many scenario group bookings on some free starts and on a stray tick."""
    capacity = scenario.slot_rules.capacity
    if capacity == 1:
        return scenario
    # Starts that are free before any group booking, so that the group is seen.
    starts = [slot.start for slot in scenario.run()]
    places = st.integers(0, capacity + 1)
    if starts:
        scenario.seats = data.draw(st.dictionaries(st.sampled_from(starts), places,
                                                   min_size=1, max_size=3))
    stray = st.integers(-TICKS_PER_DAY, 3 * TICKS_PER_DAY).map(lambda n: scenario.start + n * TICK)
    scenario.seats.update(data.draw(st.dictionaries(stray, places, max_size=1)))
    return scenario


@PROPERTIES
@given(scenarios(), st.data())
def test_free_slots_keep_every_rule(scenario: Scenario, data: st.DataObject):
    """No slot meets busy time or another group within the buffers, each lies in a working
    interval of its local day, inside notice, window and range; starts are unique and sorted;
    a group start offers the places left and a full one is absent."""
    clock = HostClock(scenario.zone, min(scenario.start, scenario.now), scenario.end)
    scenario = with_group_seats(scenario, data, clock)
    rules = scenario.slot_rules
    slots = scenario.run()

    starts = [slot.start for slot in slots]
    assert starts == sorted(set(starts))
    for slot in slots:
        assert slot.start.tzinfo is UTC and slot.end == slot.start + rules.duration
        assert scenario.start <= slot.start < scenario.end
        assert scenario.now + rules.min_notice <= slot.start <= scenario.now + rules.window

        low, high = slot.start - rules.buffer_before, slot.end + rules.buffer_after
        assert not any(b.start < high and low < b.end for b in scenario.busy)
        others = (g for g in scenario.seats if g != slot.start)
        assert not any(g - rules.buffer_before < high and low < g + rules.duration
                       + rules.buffer_after for g in others)

        began, last_tick = clock.reading(slot.start), clock.reading(slot.end - TICK)
        assert any(wall_start <= began and last_tick < wall_end
                   for wall_start, wall_end in working_hours(scenario, began.date()))

        assert slot.remaining == rules.capacity - scenario.seats.get(slot.start, 0) > 0
    full = {at for at, taken in scenario.seats.items() if taken >= rules.capacity}
    assert not full & set(starts)


@PROPERTIES
@given(scenarios(), st.data())
def test_free_slots_match_a_brute_force_search(scenario: Scenario, data: st.DataObject):
    """Nothing is missing either: the engine finds exactly what checking every candidate finds."""
    clock = HostClock(scenario.zone, min(scenario.start, scenario.now), scenario.end)
    scenario = with_group_seats(scenario, data, clock)
    found = [(slot.start, slot.end, slot.remaining) for slot in scenario.run()]
    assert found == brute_force(scenario, clock)


@PROPERTIES
@given(st.dates(date(2025, 1, 1), date(2027, 12, 31)), st.sampled_from(ZONES))
def test_local_days_tile_time_and_start_at_each_local_date(day: date, zone_name: str):
    """Consecutive local dates meet exactly, and each covers only instants of its own date."""
    zone = ZoneInfo(zone_name)
    start, end = local_days(day, day, zone)
    assert local_days(day + timedelta(days=1), day + timedelta(days=1), zone)[0] == end
    assert local_days(day, day + timedelta(days=1), zone) == (start, local_days(
        day + timedelta(days=1), day + timedelta(days=1), zone)[1])
    assert timedelta(hours=22) <= end - start <= timedelta(hours=26)
    assert start.astimezone(zone).date() == day
    assert (end - timedelta(microseconds=1)).astimezone(zone).date() == day
    assert (start - timedelta(microseconds=1)).astimezone(zone).date() < day

"""The slot engine on concrete days: weekly rules, overrides, busy time, groups and time zones."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from timetics.slots import (
    END_OF_DAY,
    DateOverride,
    Interval,
    Slot,
    SlotRules,
    WeeklyRule,
    free_slots,
    local_days,
    wall_to_utc,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
TOKYO = ZoneInfo("Asia/Tokyo")
HAVANA = ZoneInfo("America/Havana")  # its clocks jump at midnight
LONDON_UTC = ZoneInfo("UTC")

MONDAY = date(2026, 6, 15)
TUESDAY = MONDAY + timedelta(days=1)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def every_weekday(start: time, end: time) -> list[WeeklyRule]:
    return [WeeklyRule(weekday, start, end) for weekday in range(7)]


def find(
    day: date,
    *,
    zone: ZoneInfo = LONDON_UTC,
    rules: Sequence[WeeklyRule] = (),
    overrides: Sequence[DateOverride] = (),
    busy: Sequence[Interval] = (),
    group_seats: Mapping[datetime, int] | None = None,
    now: datetime | None = None,
    last_day: date | None = None,
    **slot_rules: object,
) -> list[Slot]:
    """The free slots on the host's local date(s) ``day``..``last_day``; one hour by default."""
    start, end = local_days(day, last_day or day, zone)
    return free_slots(
        rules=rules, overrides=overrides, host_zone=zone,
        slot_rules=SlotRules(**{"duration": hours(1), **slot_rules}),  # type: ignore[arg-type]
        busy=busy, group_seats=group_seats or {},
        now=now or start - timedelta(days=1), start=start, end=end,
    )


def clock(slots: Sequence[Slot], zone: ZoneInfo = LONDON_UTC) -> list[str]:
    """The slot starts as the host's wall clock shows them, with the UTC offset."""
    return [slot.start.astimezone(zone).strftime("%H:%M%z") for slot in slots]


def hhmm(slots: Sequence[Slot], zone: ZoneInfo = LONDON_UTC) -> list[str]:
    return [slot.start.astimezone(zone).strftime("%H:%M") for slot in slots]


# Weekly rules and overrides


def test_weekly_rule_gives_one_slot_per_duration_inside_the_interval():
    """09:00–12:00 with one-hour meetings gives 09:00, 10:00 and 11:00, each one hour long."""
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(12))])
    assert hhmm(slots) == ["09:00", "10:00", "11:00"]
    assert all(slot.end - slot.start == hours(1) and slot.remaining == 1 for slot in slots)
    assert all(slot.start.tzinfo is UTC for slot in slots)


def test_last_slot_must_end_by_the_interval_end():
    """A 30-minute meeting in 09:00–10:45 cannot start at 10:30."""
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(10, 45))], duration=minutes(30))
    assert hhmm(slots) == ["09:00", "09:30", "10:00"]


def test_several_intervals_per_day_each_give_their_own_slots():
    rules = [WeeklyRule(0, time(14), time(16)), WeeklyRule(0, time(9), time(11))]
    assert hhmm(find(MONDAY, rules=rules)) == ["09:00", "10:00", "14:00", "15:00"]


def test_weekly_rule_applies_only_on_its_weekday():
    rules = [WeeklyRule(1, time(9), time(10))]
    assert find(MONDAY, rules=rules) == []
    assert hhmm(find(TUESDAY, rules=rules)) == ["09:00"]


def test_overlapping_rules_do_not_offer_a_start_twice():
    rules = [WeeklyRule(0, time(9), time(12)), WeeklyRule(0, time(10), time(13))]
    assert hhmm(find(MONDAY, rules=rules)) == ["09:00", "10:00", "11:00", "12:00"]


def test_rule_until_end_of_day_offers_the_slot_that_ends_at_midnight():
    slots = find(MONDAY, rules=[WeeklyRule(0, time(22), END_OF_DAY)])
    assert hhmm(slots) == ["22:00", "23:00"]
    assert slots[-1].end == utc(TUESDAY, 0)


def test_day_off_override_removes_the_weekly_rules():
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(12))],
                 overrides=[DateOverride(MONDAY)])
    assert slots == []


def test_override_with_other_hours_replaces_the_weekly_rules():
    override = DateOverride(MONDAY, ((time(13), time(14)), (time(16), time(18))))
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(12))], overrides=[override])
    assert hhmm(slots) == ["13:00", "16:00", "17:00"]


def test_several_overrides_for_one_date_add_up():
    overrides = [DateOverride(MONDAY, ((time(9), time(10)),)),
                 DateOverride(MONDAY, ((time(15), time(16)),))]
    assert hhmm(find(MONDAY, overrides=overrides)) == ["09:00", "15:00"]


def test_override_affects_only_its_own_date():
    rules = [WeeklyRule(0, time(9), time(10))]
    overrides = [DateOverride(MONDAY + timedelta(days=7))]
    assert hhmm(find(MONDAY, rules=rules, overrides=overrides)) == ["09:00"]


def test_override_opens_a_day_without_weekly_rules():
    sunday = MONDAY - timedelta(days=1)
    slots = find(sunday, rules=[WeeklyRule(0, time(9), time(12))],
                 overrides=[DateOverride(sunday, ((time(10), time(11)),))])
    assert hhmm(slots) == ["10:00"]


# Steps, buffers, notice, window and the requested range


def test_step_shorter_than_duration_gives_overlapping_starts():
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(11))], step=minutes(30))
    assert hhmm(slots) == ["09:00", "09:30", "10:00"]


def test_step_longer_than_duration_leaves_gaps():
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(12))],
                 duration=minutes(30), step=minutes(90))
    assert hhmm(slots) == ["09:00", "10:30"]


def test_busy_time_blocks_overlapping_slots_but_touching_is_fine():
    busy = [Interval(utc(MONDAY, 10), utc(MONDAY, 10, 30))]
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(12))], busy=busy)
    assert hhmm(slots) == ["09:00", "11:00"]


def test_busy_time_inside_a_longer_one_does_not_shorten_it():
    busy = [Interval(utc(MONDAY, 9), utc(MONDAY, 12)), Interval(utc(MONDAY, 10), utc(MONDAY, 11))]
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(13))], busy=busy)
    assert hhmm(slots) == ["12:00"]


def test_busy_time_given_in_another_zone_counts_in_real_time():
    busy = [Interval(datetime(2026, 6, 15, 6, tzinfo=NEW_YORK),  # 10:00Z
                     datetime(2026, 6, 15, 7, tzinfo=NEW_YORK))]
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(12))], busy=busy)
    assert hhmm(slots) == ["09:00", "11:00"]


def test_buffers_widen_the_slot_against_busy_time():
    """A 15-minute buffer after 09:00–10:00 reaches into a booking at 10:00; one before 11:00
    reaches back into a booking that ends at 11:00."""
    rules = [WeeklyRule(0, time(9), time(13))]
    busy = [Interval(utc(MONDAY, 10), utc(MONDAY, 11))]
    assert hhmm(find(MONDAY, rules=rules, busy=busy)) == ["09:00", "11:00", "12:00"]
    assert hhmm(find(MONDAY, rules=rules, busy=busy, buffer_after=minutes(15))) == [
        "11:00", "12:00"]
    assert hhmm(find(MONDAY, rules=rules, busy=busy, buffer_before=minutes(15))) == [
        "09:00", "12:00"]


def test_min_notice_hides_slots_starting_too_soon_but_keeps_one_exactly_at_it():
    now = utc(MONDAY, 8)
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(13))], now=now,
                 min_notice=hours(2))
    assert hhmm(slots) == ["10:00", "11:00", "12:00"]


def test_slots_in_the_past_are_not_offered():
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(13))], now=utc(MONDAY, 10, 30))
    assert hhmm(slots) == ["11:00", "12:00"]


def test_window_hides_slots_starting_after_it_but_keeps_one_exactly_at_its_end():
    now = utc(MONDAY, 9)
    rules = every_weekday(time(9), time(12))
    slots = find(MONDAY, rules=rules, now=now, last_day=MONDAY + timedelta(days=5),
                 window=timedelta(days=2, hours=1))
    assert slots[-1].start == utc(MONDAY + timedelta(days=2), 10)
    assert len(slots) == 3 + 3 + 2


def test_only_starts_inside_the_requested_range_are_returned():
    """The range is half-open: a slot at its start is in, one at its end is out."""
    rules = [WeeklyRule(0, time(9), time(13))]
    slots = free_slots(rules=rules, overrides=[], host_zone=LONDON_UTC,
                       slot_rules=SlotRules(hours(1)), busy=[], now=utc(MONDAY, 0),
                       start=utc(MONDAY, 10), end=utc(MONDAY, 12))
    assert hhmm(slots) == ["10:00", "11:00"]


def test_range_given_in_another_zone_returns_utc_slots():
    rules = [WeeklyRule(0, time(9), time(13))]
    slots = free_slots(rules=rules, overrides=[], host_zone=LONDON_UTC,
                       slot_rules=SlotRules(hours(1)), busy=[], now=utc(MONDAY, 0),
                       start=datetime(2026, 6, 15, 19, tzinfo=TOKYO),  # 10:00Z
                       end=datetime(2026, 6, 15, 21, tzinfo=TOKYO))
    assert [slot.start for slot in slots] == [utc(MONDAY, 10), utc(MONDAY, 11)]
    assert all(slot.start.tzinfo is UTC for slot in slots)


def test_range_outside_notice_and_window_is_empty():
    rules = every_weekday(time(0), END_OF_DAY)
    assert find(MONDAY, rules=rules, now=utc(MONDAY + timedelta(days=1), 0)) == []
    assert find(MONDAY, rules=rules, now=utc(MONDAY - timedelta(days=9), 0),
                window=timedelta(days=7)) == []


# One-to-many


GROUP = {"capacity": 5, "duration": hours(1)}


def test_free_group_slot_offers_every_place():
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(10))], **GROUP)
    assert [slot.remaining for slot in slots] == [5]


def test_group_slot_reports_the_places_left():
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(11))],
                 group_seats={utc(MONDAY, 10): 3}, **GROUP)
    assert [(s, slot.remaining) for s, slot in zip(hhmm(slots), slots, strict=True)] == [
        ("09:00", 5), ("10:00", 2)]


def test_full_group_slot_is_not_offered():
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(11))],
                 group_seats={utc(MONDAY, 10): 5}, **GROUP)
    assert hhmm(slots) == ["09:00"]


def test_group_booking_blocks_other_starts_it_overlaps_with_buffers():
    """With 30-minute steps and a 15-minute buffer after, a group at 10:00 rules out 09:30 and
    10:30, which overlap it, and 09:00 and 11:00, which only the buffers bring into reach."""
    slots = find(MONDAY, rules=[WeeklyRule(0, time(8), time(13))], step=minutes(30),
                 buffer_after=minutes(15), group_seats={utc(MONDAY, 10): 1}, **GROUP)
    assert hhmm(slots) == ["08:00", "08:30", "10:00", "11:30", "12:00"]
    assert [slot.remaining for slot in slots] == [5, 5, 4, 5, 5]


def test_group_booking_seats_may_be_keyed_in_any_zone():
    seats = {datetime(2026, 6, 15, 6, tzinfo=NEW_YORK): 2}  # 10:00Z
    slots = find(MONDAY, rules=[WeeklyRule(0, time(10), time(11))], group_seats=seats, **GROUP)
    assert [slot.remaining for slot in slots] == [3]


def test_busy_time_of_another_meeting_type_blocks_a_group_slot():
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(11))],
                 busy=[Interval(utc(MONDAY, 10, 30), utc(MONDAY, 11, 30))],
                 group_seats={utc(MONDAY, 10): 1}, **GROUP)
    assert hhmm(slots) == ["09:00"]


def test_group_booking_outside_working_hours_still_blocks_its_neighbours():
    """The host may have changed their hours since; the booking stands and keeps its time."""
    slots = find(MONDAY, rules=[WeeklyRule(0, time(9), time(12))], step=minutes(30),
                 group_seats={utc(MONDAY, 8, 30): 2}, **GROUP)
    assert hhmm(slots)[0] == "09:30"


# Daylight saving and zones


def test_nine_to_five_in_new_york_is_13z_to_21z_in_summer_and_14z_to_22z_in_winter():
    rules = every_weekday(time(9), time(17))
    summer = find(MONDAY, zone=NEW_YORK, rules=rules)
    winter = find(date(2026, 12, 14), zone=NEW_YORK, rules=rules)
    assert (summer[0].start, summer[-1].end) == (utc(MONDAY, 13), utc(MONDAY, 21))
    assert (winter[0].start, winter[-1].end) == (utc(date(2026, 12, 14), 14),
                                                 utc(date(2026, 12, 14), 22))


def test_spring_forward_day_in_new_york_has_no_slot_in_the_gap():
    """On 2026-03-08 the clock goes from 01:59 EST to 03:00 EDT: 00:00–04:00 lasts 3 hours."""
    day = date(2026, 3, 8)
    slots = find(day, zone=NEW_YORK, rules=[WeeklyRule(6, time(0), time(4))],
                 duration=minutes(30), step=minutes(30))
    assert clock(slots, NEW_YORK) == ["00:00-0500", "00:30-0500", "01:00-0500", "01:30-0500",
                                      "03:00-0400", "03:30-0400"]
    assert hhmm(slots) == ["05:00", "05:30", "06:00", "06:30", "07:00", "07:30"]


def test_fall_back_day_in_new_york_offers_the_repeated_hour_twice_as_distinct_instants():
    """On 2026-11-01 01:00–02:00 happens twice: 00:00–04:00 lasts 5 hours, every instant once."""
    day = date(2026, 11, 1)
    slots = find(day, zone=NEW_YORK, rules=[WeeklyRule(6, time(0), time(4))],
                 duration=minutes(30), step=minutes(30))
    assert [slot.start for slot in slots] == [utc(day, 4) + minutes(30 * i) for i in range(10)]
    assert clock(slots, NEW_YORK) == [
        "00:00-0400", "00:30-0400", "01:00-0400", "01:30-0400",
        "01:00-0500", "01:30-0500", "02:00-0500", "02:30-0500", "03:00-0500", "03:30-0500"]


def test_interval_starting_in_the_gap_opens_when_the_clock_jumps():
    day = date(2026, 3, 8)
    slots = find(day, zone=NEW_YORK, overrides=[DateOverride(day, ((time(2, 30), time(4)),))],
                 duration=minutes(30))
    assert clock(slots, NEW_YORK) == ["03:00-0400", "03:30-0400"]


def test_interval_ending_in_the_gap_closes_when_the_clock_jumps():
    day = date(2026, 3, 8)
    slots = find(day, zone=NEW_YORK, overrides=[DateOverride(day, ((time(1), time(2, 30)),))],
                 duration=minutes(30))
    assert clock(slots, NEW_YORK) == ["01:00-0500", "01:30-0500"]
    assert slots[-1].end == utc(day, 7)


def test_interval_ending_in_the_repeated_hour_closes_at_its_first_pass():
    day = date(2026, 11, 1)
    slots = find(day, zone=NEW_YORK, overrides=[DateOverride(day, ((time(0), time(1, 30)),))],
                 duration=minutes(30))
    assert clock(slots, NEW_YORK) == ["00:00-0400", "00:30-0400", "01:00-0400"]


def test_berlin_spring_forward_skips_two_oclock():
    day = date(2026, 3, 29)
    slots = find(day, zone=BERLIN, rules=[WeeklyRule(6, time(1), time(4))],
                 duration=minutes(30))
    assert clock(slots, BERLIN) == ["01:00+0100", "01:30+0100", "03:00+0200", "03:30+0200"]
    assert hhmm(slots) == ["00:00", "00:30", "01:00", "01:30"]


def test_berlin_fall_back_repeats_two_oclock():
    day = date(2026, 10, 25)
    slots = find(day, zone=BERLIN, rules=[WeeklyRule(6, time(1), time(4))],
                 duration=minutes(30))
    assert clock(slots, BERLIN) == [
        "01:00+0200", "01:30+0200", "02:00+0200", "02:30+0200",
        "02:00+0100", "02:30+0100", "03:00+0100", "03:30+0100"]
    assert slots[0].start == utc(day - timedelta(days=1), 23)
    assert slots[-1].end == utc(day, 3)


def test_kolkata_half_hour_offset_gives_slots_on_the_half_hour_in_utc():
    slots = find(MONDAY, zone=KOLKATA, rules=[WeeklyRule(0, time(9), time(17))])
    assert (slots[0].start, slots[-1].end) == (utc(MONDAY, 3, 30), utc(MONDAY, 11, 30))
    assert hhmm(slots, KOLKATA)[:2] == ["09:00", "10:00"]


def test_lord_howe_half_hour_spring_forward_skips_two_to_half_past_two():
    day = date(2026, 10, 4)
    slots = find(day, zone=LORD_HOWE, rules=[WeeklyRule(6, time(0), time(4))],
                 duration=minutes(30))
    assert clock(slots, LORD_HOWE) == [
        "00:00+1030", "00:30+1030", "01:00+1030", "01:30+1030",
        "02:30+1100", "03:00+1100", "03:30+1100"]
    assert slots[0].start == utc(day - timedelta(days=1), 13, 30)


def test_lord_howe_half_hour_fall_back_repeats_half_past_one():
    day = date(2026, 4, 5)
    slots = find(day, zone=LORD_HOWE, rules=[WeeklyRule(6, time(0), time(4))],
                 duration=minutes(30))
    assert clock(slots, LORD_HOWE) == [
        "00:00+1100", "00:30+1100", "01:00+1100", "01:30+1100",
        "01:30+1030", "02:00+1030", "02:30+1030", "03:00+1030", "03:30+1030"]
    assert len({slot.start for slot in slots}) == 9


def test_guest_in_tokyo_sees_new_york_hours_of_two_host_days_on_one_date():
    """A Tokyo Tuesday runs 15:00Z Monday to 15:00Z Tuesday: it holds the end of the host's
    Monday (Tokyo 00:00–05:00) and the start of the host's Tuesday (Tokyo 22:00–24:00)."""
    start, end = local_days(TUESDAY, TUESDAY, TOKYO)
    assert (start, end) == (utc(MONDAY, 15), utc(TUESDAY, 15))
    slots = free_slots(rules=every_weekday(time(9), time(17)), overrides=[], host_zone=NEW_YORK,
                       slot_rules=SlotRules(hours(1)), busy=[], now=utc(MONDAY, 0),
                       start=start, end=end)
    assert hhmm(slots, TOKYO) == ["00:00", "01:00", "02:00", "03:00", "04:00", "05:00",
                                  "22:00", "23:00"]
    assert {slot.start.astimezone(TOKYO).date() for slot in slots} == {TUESDAY}


def test_guest_in_new_york_sees_a_berlin_host_across_both_dst_changes():
    """Europe changes three weeks after the US: for a New York guest, a Berlin 09:00 is 03:00
    until 2026-03-08, 04:00 in between, and 03:00 again from 2026-03-29 on."""
    rules = every_weekday(time(9), time(10))
    seen = {}
    for day in (date(2026, 3, 6), date(2026, 3, 16), date(2026, 3, 30)):
        start, end = local_days(day, day, NEW_YORK)
        slots = free_slots(rules=rules, overrides=[], host_zone=BERLIN,
                           slot_rules=SlotRules(hours(1)), busy=[],
                           now=utc(date(2026, 3, 1), 0), start=start, end=end)
        seen[day] = hhmm(slots, NEW_YORK)
    assert seen == {date(2026, 3, 6): ["03:00"], date(2026, 3, 16): ["04:00"],
                    date(2026, 3, 30): ["03:00"]}


# local_days and wall_to_utc


@pytest.mark.parametrize(("zone", "day", "length"), [
    (NEW_YORK, date(2026, 3, 8), hours(23)),
    (NEW_YORK, date(2026, 11, 1), hours(25)),
    (BERLIN, date(2026, 3, 29), hours(23)),
    (BERLIN, date(2026, 10, 25), hours(25)),
    (LORD_HOWE, date(2026, 10, 4), hours(23.5)),
    (LORD_HOWE, date(2026, 4, 5), hours(24.5)),
    (KOLKATA, date(2026, 3, 8), hours(24)),
])
def test_local_day_lasts_as_long_as_the_clocks_say(zone, day, length):
    start, end = local_days(day, day, zone)
    assert end - start == length
    assert start.astimezone(zone).replace(tzinfo=None) == datetime.combine(day, time(0))


def test_local_days_cover_the_whole_range_inclusive():
    start, end = local_days(date(2026, 3, 7), date(2026, 3, 9), NEW_YORK)
    assert (start, end) == (utc(date(2026, 3, 7), 5), utc(date(2026, 3, 10), 4))


def test_local_day_whose_midnight_is_skipped_starts_when_the_clock_jumps():
    """Havana goes from 23:59 to 01:00 on 2026-03-08: that date begins at 01:00 local."""
    start, _ = local_days(date(2026, 3, 8), date(2026, 3, 8), HAVANA)
    assert start == utc(date(2026, 3, 8), 5)
    assert start.astimezone(HAVANA).strftime("%H:%M%z") == "01:00-0400"


def test_wall_time_in_a_gap_is_the_first_instant_after_it():
    assert wall_to_utc(date(2026, 3, 8), time(2, 17, 5), NEW_YORK) == utc(date(2026, 3, 8), 7)


def test_repeated_wall_time_is_its_first_occurrence():
    assert wall_to_utc(date(2026, 11, 1), time(1, 30), NEW_YORK) == utc(date(2026, 11, 1), 5, 30)


# Validation


def call_with(**changes: object) -> Callable[[], object]:
    """A free_slots call that is valid except for ``changes``."""
    arguments: dict[str, object] = {
        "rules": [], "overrides": [], "host_zone": LONDON_UTC, "slot_rules": SlotRules(hours(1)),
        "busy": [], "now": utc(MONDAY, 0), "start": utc(MONDAY, 0), "end": utc(TUESDAY, 0),
    }
    return lambda: free_slots(**{**arguments, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(("build", "message"), [
    (call_with(now=datetime(2026, 6, 15)), "now must be aware"),
    (call_with(start=datetime(2026, 6, 15)), "start must be aware"),
    (call_with(end=datetime(2026, 6, 16)), "end must be aware"),
    (call_with(end=utc(MONDAY, 0)), "must be after start"),
    (call_with(group_seats={datetime(2026, 6, 15, 9): 1}), "group_seats start must be aware"),
    (call_with(group_seats={utc(MONDAY, 9): -1}), "must not be negative"),
    (lambda: SlotRules(timedelta(0)), "duration must be positive"),
    (lambda: SlotRules(hours(1), step=timedelta(0)), "step must be positive"),
    (lambda: SlotRules(hours(1), buffer_after=minutes(-5)), "buffer_after must not be negative"),
    (lambda: SlotRules(hours(1), min_notice=minutes(-5)), "min_notice must not be negative"),
    (lambda: SlotRules(hours(1), capacity=0), "capacity must be at least 1"),
    (lambda: WeeklyRule(7, time(9), time(10)), "weekday must be 0 (Monday) to 6"),
    (lambda: WeeklyRule(0, time(10), time(9)), "must be after its start"),
    (lambda: WeeklyRule(0, time(22), time(0)), "END_OF_DAY"),
    (lambda: WeeklyRule(0, time(9, tzinfo=UTC), time(10)), "naive wall-clock"),
    (lambda: DateOverride(MONDAY, ((time(9), time(9)),)), "must be after its start"),
    (lambda: Interval(datetime(2026, 6, 15, 9), utc(MONDAY, 9)), "Interval.start must be aware"),
    (lambda: Interval(utc(MONDAY, 10), utc(MONDAY, 9)), "must be after its start"),
    (lambda: local_days(TUESDAY, MONDAY, TOKYO), "must not be before first day"),
])
def test_bad_input_is_refused_with_a_clear_message(build, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build()

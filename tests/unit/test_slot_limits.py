"""Booking limits in the slot engine: local days and Monday-to-Sunday weeks of the host."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from timetics.slots import BookingLimits, Slot, within_limits

BERLIN = ZoneInfo("Europe/Berlin")


def slot(start: datetime) -> Slot:
    return Slot(start, start + timedelta(minutes=30), 1)


def test_a_booking_late_in_utc_counts_for_the_hosts_next_day():
    """23:30 UTC on Sunday is 00:30 on Monday in Berlin: Monday is full, Sunday is not."""
    booked = [datetime(2027, 1, 3, 23, 30, tzinfo=UTC)]  # Sunday UTC, Monday Berlin
    sunday = slot(datetime(2027, 1, 3, 10, tzinfo=UTC))
    monday = slot(datetime(2027, 1, 4, 10, tzinfo=UTC))
    assert within_limits([sunday, monday], booked, BookingLimits(per_day=1), BERLIN) == [sunday]


def test_the_week_runs_monday_to_sunday():
    booked = [datetime(2027, 1, 4, 9, tzinfo=UTC), datetime(2027, 1, 5, 9, tzinfo=UTC)]
    same_week = slot(datetime(2027, 1, 10, 9, tzinfo=UTC))  # Sunday
    next_week = slot(datetime(2027, 1, 11, 9, tzinfo=UTC))  # Monday
    limits = BookingLimits(per_week=2)
    assert within_limits([same_week, next_week], booked, limits, BERLIN) == [next_week]


def test_a_joinable_group_slot_stays_on_a_full_day():
    booked = [datetime(2027, 1, 4, 9, tzinfo=UTC)]
    joinable = slot(datetime(2027, 1, 4, 9, tzinfo=UTC))
    new = slot(datetime(2027, 1, 4, 11, tzinfo=UTC))
    assert within_limits([joinable, new], booked, BookingLimits(per_day=1), BERLIN,
                         joinable=frozenset({joinable.start})) == [joinable]

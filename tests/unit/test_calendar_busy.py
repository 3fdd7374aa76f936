"""What a calendar's events make busy (timetics/calendars/busy.py), on icalendar objects."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from timetics.calendars.busy import busy_stretches, free_busy_periods

NY = ZoneInfo("America/New_York")
START = datetime(2027, 1, 4, tzinfo=UTC)
END = START + timedelta(days=14)


def stretches(*events: str, me=("hana@example.com",)):
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + "".join(events)
            + "END:VCALENDAR\r\n")
    return busy_stretches([icalendar.Calendar.from_ical(text)], START, END, NY,
                          own_uid_suffix="@timetics.test", me=me)


def event(uid="a", start="DTSTART:20270105T150000Z", end="DTEND:20270105T160000Z", extra=""):
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n{start}\r\n{end}\r\n"
            f"{extra}END:VEVENT\r\n")


def test_an_event_is_busy_in_utc():
    assert stretches(event()) == [(datetime(2027, 1, 5, 15, tzinfo=UTC),
                                   datetime(2027, 1, 5, 16, tzinfo=UTC))]


def test_floating_times_are_the_host_s_wall_clock():
    [(begins, ends)] = stretches(event(start="DTSTART:20270105T100000",
                                       end="DTEND:20270105T110000"))
    assert begins.astimezone(NY).hour == 10 and ends - begins == timedelta(hours=1)


def test_a_multi_day_event_is_stored_in_pieces_of_a_day():
    pieces = stretches(event(start="DTSTART;VALUE=DATE:20270105",
                             end="DTEND;VALUE=DATE:20270108"))
    assert len(pieces) == 3 and all(e - b == timedelta(days=1) for b, e in pieces)
    assert pieces[0][0] == datetime(2027, 1, 5, tzinfo=NY)


@pytest.mark.parametrize("extra", [
    "TRANSP:TRANSPARENT\r\n",
    "STATUS:CANCELLED\r\n",
    "ATTENDEE;PARTSTAT=DECLINED:mailto:Hana@Example.com\r\n",
])
def test_what_does_not_block(extra):
    assert stretches(event(extra=extra)) == []


def test_another_attendee_declining_does_not_free_the_host():
    assert stretches(event(extra="ATTENDEE;PARTSTAT=DECLINED:mailto:other@example.com\r\n"))


def test_our_own_events_do_not_block():
    assert stretches(event(uid="ABCDEFGH23@timetics.test")) == []


def test_overlapping_events_are_joined():
    assert stretches(event("a"), event("b", "DTSTART:20270105T153000Z",
                                       "DTEND:20270105T170000Z")) == [
        (datetime(2027, 1, 5, 15, tzinfo=UTC), datetime(2027, 1, 5, 17, tzinfo=UTC))]


def test_a_free_busy_answer_s_busy_periods():
    """RFC 5545 §3.2.9: FBTYPE is BUSY when absent and a type one does not know counts as BUSY;
    only FREE periods are free. One FREEBUSY line may hold several periods, by end or length."""
    answer = icalendar.Calendar.from_ical(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VFREEBUSY\r\n"
        "FREEBUSY:20270105T150000Z/20270105T160000Z\r\n"
        "FREEBUSY;FBTYPE=FREE:20270105T160000Z/20270105T170000Z\r\n"
        "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20270105T170000Z/PT30M,20270105T180000Z/PT1H\r\n"
        "FREEBUSY;FBTYPE=X-OUT-SICK:20270106T000000Z/20270107T000000Z\r\n"
        "END:VFREEBUSY\r\nEND:VCALENDAR\r\n")
    day = datetime(2027, 1, 5, tzinfo=UTC)
    assert free_busy_periods(answer) == [
        (day.replace(hour=15), day.replace(hour=16)),
        (day.replace(hour=17), day.replace(hour=17, minute=30)),
        (day.replace(hour=18), day.replace(hour=19)),
        (day + timedelta(days=1), day + timedelta(days=2))]

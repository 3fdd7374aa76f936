"""Confirm booking's own look at the host's calendars: an event added since the last sync
must not be double-booked. Short: a calendar that does not answer in
``CALENDAR_CONFIRM_SECONDS`` is skipped, and its last sync (in the slot query) decides.

A CalDAV calendar is asked first for its free-busy report on just the slot (RFC 4791 §7.10
CALDAV:free-busy-query): the server expands recurrences and answers a few bytes. No busy
period there means free. A busy period only means "maybe busy" (the report cannot leave out our
own events or declined invitations, and places all-day and floating events in the server's
zone), so then the calendar query and our own rules (``fetch_busy``, as sync reads) decide. A
server that refuses the report or does not support it gets the calendar query straight away.
Feeds are files: they are read whole, as sync reads them."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from ..exceptions import CalendarError, CalendarUnavailable, FreeBusyRefused
from ..extensions import db
from ..models import Calendar, CalendarSource, MeetingType
from . import busy, remote
from .sync import fetch_busy, login_of

logger = logging.getLogger(__name__)


def calendars_say_free(meeting_type: MeetingType, start: datetime) -> bool:
    """False when a calendar that checks for conflicts, read now, has an event in the slot
    widened by the meeting type's buffers."""
    calendars = db.session.scalars(select(Calendar).where(
        Calendar.user_id == meeting_type.host_id, Calendar.check_conflicts.is_(True))).all()
    if not calendars:
        return True
    low = start - timedelta(minutes=meeting_type.buffer_before_minutes)
    high = start + timedelta(minutes=meeting_type.duration_minutes
                             + meeting_type.buffer_after_minutes)
    deadline = time.monotonic() + float(current_app.config["CALENDAR_CONFIRM_SECONDS"])
    for calendar in calendars:
        try:
            if _busy_now(calendar, low, high, deadline):
                return False
        except CalendarError as e:
            logger.info("Calendar %s not checked at confirmation: %s", calendar.id, e.message)
    return True


def _busy_now(calendar: Calendar, low: datetime, high: datetime, deadline: float) -> bool:
    slot, shifted = (low, high), _as_read_in_utc(calendar, low, high)
    asked = (min(low, shifted[0]), max(high, shifted[1]))
    if calendar.account.source == CalendarSource.CALDAV:
        try:
            answer = remote.caldav_freebusy(login_of(calendar), calendar.url, *asked,
                                            wait=_time_left(deadline))
            if not _overlap(busy.free_busy_periods(answer), (slot, shifted)):
                return False
        except FreeBusyRefused as e:
            logger.info("Calendar %s: %s Asking with a calendar query.", calendar.id,
                        e.message)
    return _overlap(fetch_busy(calendar, *asked, wait=_time_left(deadline)), (slot,))


def _as_read_in_utc(calendar: Calendar, low: datetime, high: datetime
                    ) -> tuple[datetime, datetime]:
    """Where a server that reads all-day and floating events in UTC (RFC 4791 §9.9, when the
    calendar has no CALDAV:calendar-timezone; Radicale always) puts those of the slot's wall
    clock: shifted by the host's UTC offset. Both its free-busy report and its calendar query
    (a time-range filter) must be asked that far, or they leave such an event out."""
    offset = low.astimezone(ZoneInfo(calendar.account.user.timezone)).utcoffset() \
        or timedelta(0)
    return low + offset, high + offset


def _overlap(stretches: list[tuple[datetime, datetime]],
             windows: tuple[tuple[datetime, datetime], ...]) -> bool:
    return any(begins < until and since < ends
               for begins, ends in stretches for since, until in windows)


def _time_left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise CalendarUnavailable("No time was left to ask it.")
    return left

"""Confirm booking's own look at the host's calendars: an event added since the last sync
must not be double-booked. Short: a calendar that does not answer in
``CALENDAR_CONFIRM_SECONDS`` is skipped, and its last sync (in the slot query) decides."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..exceptions import CalendarError
from ..extensions import db
from ..models import Calendar, MeetingType
from .sync import fetch_busy

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
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            if fetch_busy(calendar, low, high, wait=left):
                return False
        except CalendarError as e:
            logger.info("Calendar %s not checked at confirmation: %s", calendar.id, e.message)
    return True

"""What a verified Zoom event may do: each signed request acts once, a deauthorization only
ends the connection it is about, and a meeting event only tells a booking of the meeting
Timetics made for it what became of that meeting in Zoom."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..db import utcnow, write_transaction
from ..extensions import db
from ..integrations.meetings import is_news, note_deleted_in_zoom, note_zoom_time
from ..integrations.tokens import delete_connection_of_zoom_user
from ..models import Booking, BookingStatus, ProcessedWebhook, ZoomConnection, ZoomState
from ..validation import zone_or_none

logger = logging.getLogger(__name__)


def first_delivery(signature: str, timestamp: int, max_age_seconds: int) -> bool:
    """Remember a verified request; False if any process has already acted on it.

    Its signature is accepted until ``max_age_seconds`` after ``timestamp``; rows past that go.
    """
    expires_at = datetime.fromtimestamp(timestamp + max_age_seconds, UTC)
    try:
        with write_transaction() as session:
            session.execute(delete(ProcessedWebhook).where(ProcessedWebhook.expires_at < utcnow()))
            session.add(ProcessedWebhook(signature=signature, expires_at=expires_at))
    except IntegrityError:  # the primary key: this signature was processed already
        return False
    return True


def deauthorize(zoom_user_id: str, event_at: datetime) -> bool:
    """Zoom says the user removed the app at ``event_at``: delete their connection, unless it
    was made after that (a delayed or replayed event). True if one was deleted."""
    connection = db.session.scalar(
        select(ZoomConnection).where(ZoomConnection.zoom_user_id == zoom_user_id))
    if connection is None:
        return False
    # Zoom's event_ts counts milliseconds: compare at that precision.
    connected_at = connection.connected_at.replace(
        microsecond=connection.connected_at.microsecond // 1000 * 1000)
    if event_at < connected_at:
        logger.info("Zoom deauthorization from before user %s connected: ignored",
                    connection.user_id)
        return False
    return delete_connection_of_zoom_user(zoom_user_id)


def event_time(event: dict, timestamp: int) -> datetime:
    """When the event happened: its ``event_ts`` (milliseconds), else the request's timestamp."""
    event_ts = event.get("event_ts")
    if type(event_ts) is int:  # not a bool, not a float
        try:
            return datetime.fromtimestamp(event_ts // 1000, UTC) + timedelta(
                milliseconds=event_ts % 1000)
        except (OverflowError, ValueError, OSError):  # beyond what a datetime holds
            pass
    return datetime.fromtimestamp(timestamp, UTC)


# Zoom's Meetings webhooks (developers.zoom.us/docs/api/meetings/events/): ``meeting.deleted``
# carries ``payload.account_id`` and ``payload.object`` with the meeting's ``id``, ``uuid``,
# ``host_id``, ``topic``, ``start_time``; ``meeting.updated`` carries ``payload.object`` with the
# meeting's ``id`` and only the fields that changed, ``payload.old_object`` with their old values,
# and ``payload.time_stamp``. Zoom sends them for changes made anywhere, our own API calls too.
MEETING_DELETED, MEETING_UPDATED = "meeting.deleted", "meeting.updated"
MEETING_EVENTS = (MEETING_DELETED, MEETING_UPDATED)


def meeting_changed_in_zoom(name: str, payload: dict, event_at: datetime) -> bool:
    """Tell the booking whose meeting the event is about what the host did to it in Zoom.
    True if the booking changed; events about other meetings, about a meeting whose booking
    has moved on (cancelled, being deleted), older than what we know, or changing neither the
    meeting's life nor its time change nothing."""
    meeting = payload.get("object")
    if name not in MEETING_EVENTS or not isinstance(meeting, dict):
        return False
    zoom_start = None
    if name == MEETING_UPDATED:
        zoom_start = zoom_start_time(meeting)
        if zoom_start is None:  # the topic, the settings: nothing a guest was promised
            return False
    with write_transaction():
        booking = _booking_of_meeting(payload, meeting)
        if booking is None or not is_news(booking, event_at):
            return False
        if name == MEETING_DELETED:
            note_deleted_in_zoom(booking, event_at)
        else:
            note_zoom_time(booking, zoom_start, event_at)
    return True


def _booking_of_meeting(payload: dict, meeting: dict) -> Booking | None:
    """The live booking whose Zoom meeting this is, if the event's host and account are its
    host's Zoom user and account (as far as the event names them)."""
    meeting_id = meeting.get("id")
    if isinstance(meeting_id, bool) or not isinstance(meeting_id, int | str) \
            or not str(meeting_id).isascii() or not str(meeting_id).isdigit():
        return None
    booking = db.session.scalar(
        select(Booking).where(Booking.zoom_meeting_id == str(meeting_id),
                              Booking.status == BookingStatus.CONFIRMED,
                              Booking.zoom_state == ZoomState.CREATED)
        .limit(1).with_for_update())
    connection = booking.host.zoom_connection if booking is not None else None
    if connection is None:
        return None
    host_id, account_id = meeting.get("host_id"), payload.get("account_id")
    if host_id and host_id != connection.zoom_user_id:
        return None
    if account_id and connection.zoom_account_id and account_id != connection.zoom_account_id:
        return None
    return booking


def zoom_start_time(meeting: dict) -> datetime | None:
    """The event's ``start_time`` in UTC: Zoom writes ``yyyy-MM-ddTHH:mm:ssZ``; a time without
    an offset is read in the meeting's ``timezone``. None when there is none, or none we can
    read."""
    value = meeting.get("start_time")
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        return None
    if start.tzinfo is None:
        timezone = meeting.get("timezone")
        start = start.replace(tzinfo=zone_or_none(timezone if isinstance(timezone, str)
                                                  else None) or UTC)
    return start.astimezone(UTC)

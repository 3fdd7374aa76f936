"""What a verified Zoom event may do: each signed request acts once, and a deauthorization
only ends the connection it is about."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..db import utcnow, write_transaction
from ..extensions import db
from ..integrations.tokens import delete_connection_of_zoom_user
from ..models import ProcessedWebhook, ZoomConnection

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

"""Keep idle Zoom connections alive: the job runner refreshes the tokens of a connection that
no booking has used for ``ZOOM_KEEPALIVE_DAYS`` (default 30).

Zoom publishes no lifetime for a refresh token (one Zoom source says about 90 days for some user
flows; see ../shared/ZOOM.md), and every refresh issues a new one: so a host who takes no
bookings for months would find the connection dead at the next booking. A refresh that Zoom
refuses marks the connection "reconnect needed" and tells the host once, the same path as a
refused refresh during a booking (``tokens.mark_reconnect_needed``).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..db import utcnow
from ..exceptions import RetryLater, ZoomNotConfigured, ZoomTokenRefused
from ..extensions import db
from ..jobs import Kind, enqueue, handler, open_jobs_query, periodic
from ..models import Job, ZoomConnection
from ..settings.services import zoom_app
from .tokens import StoredTokens

logger = logging.getLogger(__name__)


def idle_for() -> timedelta:
    return timedelta(days=float(current_app.config["ZOOM_KEEPALIVE_DAYS"]))


def _issued():
    # Connections made before tokens_issued_at existed: as old as the connection.
    return func.coalesce(ZoomConnection.tokens_issued_at, ZoomConnection.connected_at)


def _is_due(now: datetime):
    return (ZoomConnection.reconnect_needed.is_(False)) & (_issued() <= now - idle_for())


@periodic
def plan_keepalives() -> int:
    """One keep-alive job for each connection that has come due and has none open yet."""
    now = utcnow()
    due = set(db.session.scalars(select(ZoomConnection.id).where(_is_due(now))))
    if not due:
        return 0
    planned = {job.payload.get("connection_id") for job in db.session.scalars(
        open_jobs_query().where(Job.kind == Kind.ZOOM_KEEPALIVE))}
    for connection_id in sorted(due - planned):
        enqueue(Kind.ZOOM_KEEPALIVE, payload={"connection_id": connection_id})
    return len(due - planned)


@handler(Kind.ZOOM_KEEPALIVE)
def _keep_alive(job: Job) -> None:
    connection_id = job.payload["connection_id"]
    still_due = db.session.scalar(select(ZoomConnection.id).where(
        ZoomConnection.id == connection_id, _is_due(utcnow())))
    if still_due is None:  # removed, refused, or refreshed by a booking since
        return
    try:
        StoredTokens(zoom_app(), connection_id).refresh_now()
    except ZoomNotConfigured as e:
        raise RetryLater("The Zoom app is not configured (Settings > Integrations > Zoom).") \
            from e
    except ZoomTokenRefused:
        # Marked "reconnect needed", and the host told once, by the refresh itself.
        logger.warning("Zoom refused the keep-alive of connection %s", connection_id)
        return
    logger.info("Zoom connection %s kept alive", connection_id)

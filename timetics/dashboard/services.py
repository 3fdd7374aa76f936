"""What the dashboard lists: bookings the user may see, each query filtered by the user."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..db import utcnow
from ..extensions import db
from ..mail import SEND_EMAIL
from ..models import Booking, Job, User, ZoomConnection, ZoomState


def visible_bookings(user: User, *, upcoming: bool, limit: int = 100) -> list[Booking]:
    """Upcoming (soonest first) or past (latest first) bookings: all for an admin, own for staff."""
    now = utcnow()
    query = (
        select(Booking)
        .options(selectinload(Booking.attendees), selectinload(Booking.meeting_type),
                 selectinload(Booking.host))
        .order_by(Booking.start_at if upcoming else Booking.start_at.desc())
        .limit(limit)
    )
    query = query.where(Booking.end_at > now) if upcoming else query.where(Booking.end_at <= now)
    if not user.is_admin:
        query = query.where(Booking.host_id == user.id)
    return list(db.session.scalars(query))


def booking_for_user(user: User, booking_id: int) -> Booking | None:
    """The booking if ``user`` may act on it (its host, or an admin)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not (user.is_admin or booking.host_id == user.id):
        return None
    return booking


def job_for_user(user: User, job_id: int) -> Job | None:
    """The job if ``user`` may retry it: an admin any, staff those of their own bookings."""
    job = db.session.get(Job, job_id)
    if job is None or user.is_admin:
        return job
    return job if job.booking is not None and job.booking.host_id == user.id else None


def unsent_emails(user: User, limit: int = 50) -> list[Job]:
    """Emails that SMTP refused and that wait in the outbox (own bookings' only, for staff)."""
    query = (
        select(Job)
        .where(Job.kind == SEND_EMAIL, Job.done_at.is_(None))
        .order_by(Job.created_at)
        .limit(limit)
    )
    if not user.is_admin:
        query = query.join(Booking, Job.booking_id == Booking.id).where(
            Booking.host_id == user.id
        )
    return list(db.session.scalars(query))


def zoom_problems(user: User, limit: int = 50) -> list[Booking]:
    """Bookings whose Zoom work is pending or failed (own only, for staff)."""
    query = (
        select(Booking)
        .options(selectinload(Booking.meeting_type), selectinload(Booking.host))
        .where(Booking.zoom_state.in_(
            [ZoomState.PENDING, ZoomState.FAILED, ZoomState.DELETE_PENDING]))
        .order_by(Booking.start_at)
        .limit(limit)
    )
    if not user.is_admin:
        query = query.where(Booking.host_id == user.id)
    return list(db.session.scalars(query))


def broken_connections(user: User) -> list[ZoomConnection]:
    query = select(ZoomConnection).where(ZoomConnection.reconnect_needed.is_(True))
    if not user.is_admin:
        query = query.where(ZoomConnection.user_id == user.id)
    return list(db.session.scalars(query))

"""What the dashboard lists: bookings the user may see, each query filtered by the user."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..db import utcnow
from ..extensions import db
from ..jobs import Kind
from ..models import (
    AvailabilityRule,
    Booking,
    Job,
    Location,
    MeetingType,
    Role,
    User,
    ZoomConnection,
    ZoomSettings,
    ZoomState,
)


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
    """Emails that could not be sent yet and wait in the outbox (own bookings' only, for
    staff)."""
    query = (
        select(Job)
        .where(Job.kind.in_([Kind.SEND_EMAIL, Kind.BOOKING_EMAIL]), Job.done_at.is_(None),
               Job.last_error.is_not(None))
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


def hosts_without_zoom(user: User) -> list[User]:
    """Hosts whose Zoom cannot make meetings (reconnect needed, or active Zoom meeting types
    and no connection at all): the user themself, or for an admin everyone."""
    has_zoom_types = select(MeetingType.id).where(
        MeetingType.host_id == User.id, MeetingType.active.is_(True),
        MeetingType.location == Location.ZOOM).exists()
    broken = select(ZoomConnection.id).where(ZoomConnection.user_id == User.id,
                                             ZoomConnection.reconnect_needed.is_(True)).exists()
    connected = select(ZoomConnection.id).where(ZoomConnection.user_id == User.id).exists()
    query = select(User).where(User.active.is_(True),
                               broken | (has_zoom_types & ~connected)).order_by(User.name)
    if not user.is_admin:
        query = query.where(User.id == user.id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class SetupStep:
    label: str
    done: bool
    endpoint: str  # where to do it, for url_for
    values: dict = field(default_factory=dict)


def setup_checklist(user: User) -> list[SetupStep]:
    """What is left to do before guests can book: the admin's steps, or a staff member's own."""
    count = lambda query: db.session.scalar(query) or 0  # noqa: E731
    if not user.is_admin:
        own_hours = count(select(func.count(AvailabilityRule.id))
                          .where(AvailabilityRule.user_id == user.id))
        return [
            SetupStep("Set your working hours", bool(own_hours), "staff.availability",
                      {"user_id": user.id}),
            SetupStep("Connect Zoom", user.zoom_connection is not None, "staff.integrations",
                      {"user_id": user.id}),
        ]
    zoom = db.session.get(ZoomSettings, 1)
    unconnected = [SetupStep(f"Connect Zoom for {host.name}", False, "staff.integrations",
                             {"user_id": host.id})
                   for host in hosts_without_zoom(user) if host.zoom_connection is None]
    return [
        SetupStep("Configure the Zoom app", bool(zoom and zoom.is_configured), "settings.zoom"),
        *unconnected,
        SetupStep("Add a staff member",
                  bool(count(select(func.count(User.id)).where(User.role == Role.STAFF))),
                  "staff.new"),
        SetupStep("Set working hours", bool(count(select(func.count(AvailabilityRule.id)))),
                  "staff.index"),
        SetupStep("Create a meeting type", bool(count(select(func.count(MeetingType.id)))),
                  "meeting_types.new"),
    ]

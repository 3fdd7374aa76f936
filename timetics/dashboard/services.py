"""What the dashboard lists: bookings the user may see, each query filtered by the user."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ..db import utcnow
from ..extensions import db
from ..jobs import Kind
from ..models import (
    ZOOM_BASIC,
    ZOOM_BASIC_LIMIT_MINUTES,
    Approval,
    Attendee,
    AvailabilityRule,
    Booking,
    BookingStatus,
    Job,
    Location,
    MeetingType,
    Role,
    User,
    ZoomConnection,
    ZoomSettings,
    ZoomState,
)
from .forms import PAGE_SIZE


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
    """Bookings whose Zoom work is pending or failed, and upcoming ones whose meeting the host
    deleted or moved in Zoom (own only, for staff)."""
    out_of_step = (Booking.status == BookingStatus.CONFIRMED) & (Booking.end_at > utcnow()) & (
        (Booking.zoom_state == ZoomState.DELETED_IN_ZOOM)
        | (Booking.zoom_start_at.is_not(None) & (Booking.zoom_start_at != Booking.start_at)))
    query = (
        select(Booking)
        .options(selectinload(Booking.meeting_type), selectinload(Booking.host))
        .where(Booking.zoom_state.in_(
            [ZoomState.PENDING, ZoomState.FAILED, ZoomState.DELETE_PENDING]) | out_of_step)
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


def types_cut_short_by_zoom(user: User) -> list[MeetingType]:
    """Active Zoom meeting types longer than their Basic host's Zoom lets a meeting run: the
    user's own, or for an admin everyone's."""
    query = (select(MeetingType).join(ZoomConnection, ZoomConnection.user_id ==
                                      MeetingType.host_id)
             .where(MeetingType.active.is_(True), MeetingType.location == Location.ZOOM,
                    ZoomConnection.zoom_user_type == ZOOM_BASIC,
                    MeetingType.duration_minutes > ZOOM_BASIC_LIMIT_MINUTES)
             .options(selectinload(MeetingType.host)).order_by(MeetingType.name))
    if not user.is_admin:
        query = query.where(MeetingType.host_id == user.id)
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
            SetupStep(_("Set your working hours"), bool(own_hours), "staff.availability",
                      {"user_id": user.id}),
            SetupStep(_("Connect Zoom"), user.zoom_connection is not None, "staff.integrations",
                      {"user_id": user.id}),
        ]
    zoom = db.session.get(ZoomSettings, 1)
    unconnected = [SetupStep(_("Connect Zoom for %(name)s", name=host.name), False,
                             "staff.integrations",
                             {"user_id": host.id})
                   for host in hosts_without_zoom(user) if host.zoom_connection is None]
    return [
        SetupStep(_("Configure the Zoom app"), bool(zoom and zoom.is_configured), "settings.zoom"),
        *unconnected,
        SetupStep(_("Add a staff member"),
                  bool(count(select(func.count(User.id)).where(User.role == Role.STAFF))),
                  "staff.new"),
        SetupStep(_("Set working hours"), bool(count(select(func.count(AvailabilityRule.id)))),
                  "staff.index"),
        SetupStep(_("Create a meeting type"), bool(count(select(func.count(MeetingType.id)))),
                  "meeting_types.new"),
    ]


# --- the bookings list: filters, paging, export ------------------------------------------------

ZOOM_WAITING = (ZoomState.PENDING, ZoomState.FAILED)


def status_clause(status: str):
    """What a ``status`` filter keeps (the dashboard's and the API's): ``pending`` is a live
    booking that waits for something, the host's approval or its Zoom link; ``confirmed`` one
    that does not wait for the host; "" anything not cancelled."""
    live = Booking.status == BookingStatus.CONFIRMED
    requested = Booking.approval == Approval.REQUESTED
    if status == "cancelled":
        return Booking.status == BookingStatus.CANCELLED
    if status == "confirmed":
        return live & ~requested
    if status == "pending":
        return live & (requested | Booking.zoom_state.in_(ZOOM_WAITING))
    return Booking.status != BookingStatus.CANCELLED


@dataclass(frozen=True)
class BookingFilters:
    """What the dashboard's GET parameters ask for; dates are days in the viewer's zone."""

    host_id: int | None = None
    type_id: int | None = None
    status: str = ""  # "" (not cancelled), "confirmed", "pending", "cancelled": status_clause
    first_day: date | None = None  # ?from=
    last_day: date | None = None  # ?to=, inclusive
    q: str = ""


@dataclass(frozen=True)
class BookingPage:
    bookings: list[Booking]
    number: int
    pages: int
    total: int
    first_past_page: int | None  # where the past bookings start, if any match


def filter_choices(user: User) -> tuple[list[SelectChoice], list[SelectChoice]]:
    """The hosts and meeting types the user may filter by."""
    types = select(MeetingType).order_by(MeetingType.name)
    if user.is_admin:
        hosts = [SelectChoice(str(u.id), u.name)
                 for u in db.session.scalars(select(User).order_by(User.name))]
    else:
        hosts = [SelectChoice(str(user.id), user.name)]
        types = types.where(MeetingType.host_id == user.id)
    return hosts, [SelectChoice(str(t.id), t.name) for t in db.session.scalars(types)]


def _filtered(user: User, filters: BookingFilters, zone: str):
    query = select(Booking)
    if not user.is_admin:
        query = query.where(Booking.host_id == user.id)
    if filters.host_id is not None:
        query = query.where(Booking.host_id == filters.host_id)
    if filters.type_id is not None:
        query = query.where(Booking.meeting_type_id == filters.type_id)
    query = query.where(status_clause(filters.status))
    tz = ZoneInfo(zone)
    if filters.first_day:
        query = query.where(Booking.start_at >= _midnight(filters.first_day, tz))
    if filters.last_day:
        query = query.where(Booking.start_at < _midnight(filters.last_day + timedelta(days=1),
                                                         tz))
    if filters.q:
        pattern = "%" + filters.q.lower().replace("\\", "\\\\").replace("%", "\\%") \
            .replace("_", "\\_") + "%"
        query = query.where(or_(
            func.upper(Booking.reference) == filters.q.upper(),
            Booking.attendees.any(or_(func.lower(Attendee.name).like(pattern, escape="\\"),
                                      func.lower(Attendee.email).like(pattern, escape="\\")))))
    return query


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def bookings_page(user: User, filters: BookingFilters, zone: str, page: int = 1,
                  per_page: int = PAGE_SIZE) -> BookingPage:
    """One page of the filtered bookings: upcoming ones first (soonest first), then past ones
    (latest first), so page 1 is what comes next and paging on goes back in time."""
    now = utcnow()
    query = _filtered(user, filters, zone)
    upcoming = Booking.end_at > now
    total = db.session.scalar(query.with_only_columns(func.count(Booking.id))) or 0
    upcoming_total = db.session.scalar(
        query.where(upcoming).with_only_columns(func.count(Booking.id))) or 0
    pages = max(1, -(-total // per_page))
    number = min(max(page, 1), pages)
    rows = db.session.scalars(
        query.options(selectinload(Booking.attendees), selectinload(Booking.meeting_type),
                      selectinload(Booking.host))
        .order_by(case((upcoming, 0), else_=1), case((upcoming, Booking.start_at)).asc(),
                  case((upcoming, None), else_=Booking.start_at).desc(), Booking.id)
        .offset((number - 1) * per_page).limit(per_page))
    first_past = upcoming_total // per_page + 1 if total > upcoming_total else None
    return BookingPage(list(rows), number, pages, total, first_past)


def shown_guests(booking: Booking) -> list[Attendee]:
    """The guests a booking is listed with: those holding a place, or for a cancelled booking
    those who had one when it was cancelled."""
    if booking.status == BookingStatus.CANCELLED:
        return [a for a in booking.attendees if a.cancelled_at == booking.cancelled_at] \
            or list(booking.attendees)
    return [a for a in booking.attendees if a.status == BookingStatus.CONFIRMED]


CSV_HEADER = ["Reference", "Start", "End", "Time zone", "Meeting type", "Host", "Status",
              "Zoom", "Guests", "Guest emails", "Notes"]


def bookings_csv(user: User, filters: BookingFilters, zone: str) -> Iterator[str]:
    """The filtered bookings as CSV lines, in the dashboard's order. No join links,
    passcodes or manage tokens: a spreadsheet travels further than the dashboard."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    tz = ZoneInfo(zone)
    rows = [CSV_HEADER]
    page = 1
    while True:
        batch = bookings_page(user, filters, zone, page, per_page=500)
        for b in batch.bookings:
            guests = shown_guests(b)
            rows.append([
                b.reference, f"{b.start_at.astimezone(tz):%Y-%m-%d %H:%M}",
                f"{b.end_at.astimezone(tz):%Y-%m-%d %H:%M}", zone, b.meeting_type.name,
                b.host.name, b.status.value, b.zoom_state.value,
                "; ".join(a.name for a in guests), "; ".join(a.email for a in guests),
                " | ".join(a.notes for a in guests if a.notes)])
        for row in rows:
            writer.writerow([_spreadsheet_safe(cell) for cell in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        rows = []
        if batch.number >= batch.pages:
            return
        page += 1


def _spreadsheet_safe(cell: str) -> str:
    # A cell that starts like a formula would run as one in Excel or LibreOffice (OWASP's
    # "CSV injection"); a leading apostrophe makes it text.
    return "'" + cell if cell.startswith(("=", "+", "-", "@", "\t", "\r")) else cell


def booking_by_reference(user: User, reference: str) -> Booking | None:
    """The booking with this reference if ``user`` may see it (its host, or an admin)."""
    booking = db.session.scalar(select(Booking).where(Booking.reference == reference[:16]))
    if booking is None or not (user.is_admin or booking.host_id == user.id):
        return None
    return booking


def own_booking_pages(user: User) -> list[MeetingType]:
    """The active meeting types ``user`` hosts: the links they hand out."""
    return list(db.session.scalars(select(MeetingType).where(
        MeetingType.host_id == user.id, MeetingType.active.is_(True)).order_by(MeetingType.name)))

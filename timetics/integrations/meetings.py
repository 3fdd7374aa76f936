"""Zoom meetings for bookings: create one per booking, move it, delete it.

Called after the booking's own transaction has committed. Zoom is tried at once with a short
timeout; what fails leaves the booking in a visible Zoom state with a job that retries it.
"""
from __future__ import annotations

import logging

from .. import zoom
from ..db import utcnow
from ..exceptions import ZoomError, ZoomRateLimited
from ..extensions import db
from ..models import Booking, BookingStatus, Job, Location, ZoomState
from .connections import ZoomNotConfigured, api_for

logger = logging.getLogger(__name__)

CREATE, UPDATE, DELETE = "zoom_create", "zoom_update", "zoom_delete"


def meeting_payload(booking: Booking) -> dict:
    guests = ", ".join(a.name for a in booking.attendees if a.status == BookingStatus.CONFIRMED)
    meeting_type = booking.meeting_type
    return zoom.meeting_payload(
        topic=f"{meeting_type.name}: {guests}" if not meeting_type.is_group
        else meeting_type.name,
        start=booking.start_at,
        duration_minutes=meeting_type.duration_minutes,
        timezone=booking.host.timezone,
        agenda=agenda_for(booking),
    )


def agenda_marker(booking: Booking) -> str:
    """What the agenda says to name the booking; how a meeting whose create timed out is
    found again."""
    return f"Timetics booking {booking.reference}"


def agenda_for(booking: Booking) -> str:
    # The marker comes first: Zoom's meeting list cuts agendas to 250 characters.
    return (f"{agenda_marker(booking)}: {booking.meeting_type.name} with {booking.host.name}, "
            "booked through Timetics.")


def wants_zoom(booking: Booking) -> bool:
    return booking.meeting_type.location == Location.ZOOM


def create_meeting_for(booking: Booking) -> None:
    """Give the booking its Zoom meeting, unless it has one or its host has no connection."""
    if not wants_zoom(booking) or booking.zoom_meeting_id:
        return
    if booking.zoom_state == ZoomState.PENDING:
        return  # a job is creating it; later group guests get that same meeting
    try:
        api = api_for(booking.host)
    except ZoomNotConfigured:
        api = None
    if api is None:
        return  # no connection: the booking goes ahead without a link
    try:
        meeting = api.create_meeting(meeting_payload(booking))
    except ZoomError as e:
        _defer(booking, CREATE, e)
        return
    adopt_meeting(booking, meeting)


def adopt_meeting(booking: Booking, meeting: dict) -> None:
    booking.zoom_meeting_id = str(meeting["id"])
    booking.zoom_join_url = meeting.get("join_url")
    booking.zoom_passcode = meeting.get("password") or None
    booking.zoom_state = ZoomState.CREATED
    booking.zoom_error = None
    db.session.commit()
    logger.info("Zoom meeting %s created for booking %s", booking.zoom_meeting_id,
                booking.reference)


def update_meeting_for(booking: Booking) -> None:
    """Move the booking's meeting to its new time (the link stays the same)."""
    if not booking.zoom_meeting_id:
        return
    api = _api_or_none(booking)
    if api is None:
        return _defer(booking, UPDATE, ZoomError("The host's Zoom connection is not usable."))
    try:
        api.update_meeting(booking.zoom_meeting_id, meeting_payload(booking))
    except ZoomError as e:
        return _defer(booking, UPDATE, e)
    logger.info("Zoom meeting %s moved for booking %s", booking.zoom_meeting_id,
                booking.reference)


def delete_meeting_for(booking: Booking) -> None:
    """Delete the meeting of a booking that ended; Zoom's "not found" counts as deleted.

    Without a meeting id there is nothing to delete here; a pending create job sees the
    cancellation and removes whatever its timed-out attempt may have made at Zoom."""
    if not booking.zoom_meeting_id:
        return
    api = _api_or_none(booking)
    if api is None:
        return _defer(booking, DELETE, ZoomError("The host's Zoom connection is not usable."))
    try:
        api.delete_meeting(booking.zoom_meeting_id)
    except ZoomError as e:
        return _defer(booking, DELETE, e)
    booking.zoom_state = ZoomState.DELETED
    booking.zoom_error = None
    db.session.commit()
    logger.info("Zoom meeting %s deleted for booking %s", booking.zoom_meeting_id,
                booking.reference)


def _api_or_none(booking: Booking) -> zoom.ZoomAPI | None:
    try:
        return api_for(booking.host)
    except ZoomNotConfigured:
        return None


def _defer(booking: Booking, kind: str, error: ZoomError) -> None:
    """Record the failure on the booking and leave a job that retries it (due at once, or
    when Zoom said to come back)."""
    booking.zoom_state = {CREATE: ZoomState.PENDING, UPDATE: ZoomState.CREATED,
                          DELETE: ZoomState.DELETE_PENDING}[kind]
    booking.zoom_error = error.message
    run_after = utcnow()
    if isinstance(error, ZoomRateLimited) and error.retry_after:
        run_after = max(run_after, error.retry_after)
    db.session.add(Job(kind=kind, booking_id=booking.id, attempts=1, last_error=error.message,
                       run_after=run_after))
    db.session.commit()
    logger.warning("Zoom %s for booking %s failed (%s); retry queued", kind, booking.reference,
                   error.__class__.__name__)



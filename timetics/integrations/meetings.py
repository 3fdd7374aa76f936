"""Zoom meetings for bookings: create one per booking, move it, delete it.

A booking's service plans the Zoom work in the booking's own transaction (``plan_*``: a job and
the Zoom state the pages show); the handlers below are the one implementation of each call,
run after the commit by the request that wrote them or, if it could not, by ``run-jobs``.
"""
from __future__ import annotations

import logging
import secrets

from .. import zoom
from ..booking.notifications import plan_zoom_link
from ..db import write_transaction
from ..exceptions import RetryLater, ZoomNotConfigured
from ..extensions import db
from ..jobs import Kind, enqueue, handler, open_jobs_query, wake
from ..models import Booking, BookingStatus, Job, Location, MeetingType, User, ZoomState
from ..webhooks.outgoing import plan_webhooks
from .tokens import api_for

logger = logging.getLogger(__name__)

ZOOM_KINDS = (Kind.ZOOM_CREATE, Kind.ZOOM_UPDATE, Kind.ZOOM_DELETE)


def meeting_payload(booking: Booking, *, update: bool = False) -> dict:
    """The meeting as the booking is now: a job that runs late still sends the latest time,
    and the meeting type's Zoom options as they are now."""
    guests = ", ".join(a.name for a in booking.attendees if a.status == BookingStatus.CONFIRMED)
    meeting_type = booking.meeting_type
    return zoom.meeting_payload(
        topic=f"{meeting_type.name}: {guests}" if not meeting_type.is_group
        else meeting_type.name,
        start=booking.start_at,
        duration_minutes=meeting_type.duration_minutes,
        timezone=booking.host.timezone,
        agenda=agenda_for(booking),
        options=meeting_options(meeting_type),
        # PATCH has no default_password: keep the passcode Zoom gave (or make one, if the
        # type asks for one since), in Zoom's alphabet.
        update_passcode=(booking.zoom_passcode or secrets.token_hex(4)) if update else None,
    )


def meeting_options(meeting_type: MeetingType) -> zoom.MeetingOptions:
    return zoom.MeetingOptions(
        waiting_room=meeting_type.zoom_waiting_room,
        passcode=meeting_type.zoom_passcode,
        join_before_minutes=meeting_type.zoom_join_before_minutes,
        mute_on_entry=meeting_type.zoom_mute_on_entry,
        auto_recording=meeting_type.zoom_auto_recording,
        alternative_hosts=tuple(a for a in meeting_type.zoom_alternative_hosts.split(";") if a),
    )


def store_applied(booking: Booking, meeting: dict) -> None:
    """What Zoom says the meeting has, which the pages and emails show."""
    applied = zoom.applied_settings(meeting)
    booking.zoom_passcode = applied["passcode"]
    booking.zoom_waiting_room = applied["waiting_room"]
    booking.zoom_join_before_host = applied["join_before_host"]
    booking.zoom_jbh_time = applied["jbh_time"]


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


# --- what a change writes (in its transaction) ---------------------------------------------------

def plan_meeting(booking: Booking) -> None:
    """A new booking gets its meeting, if its host has a Zoom connection (even one that needs
    reconnecting: the booking then waits for it, and its guests are told the link follows)."""
    if wants_zoom(booking) and booking.host.zoom_connection is not None:
        booking.zoom_state = ZoomState.PENDING
        enqueue(Kind.ZOOM_CREATE, booking=booking)


def plan_move(booking: Booking) -> None:
    """The booking's meeting follows it to its new time (same link). A create still to run
    will use the new time by itself."""
    if booking.zoom_meeting_id and booking.zoom_state == ZoomState.CREATED:
        enqueue(Kind.ZOOM_UPDATE, booking=booking)


def plan_delete(booking: Booking) -> None:
    """The meeting of a booking that ended goes. A create still to run sees the cancellation
    and makes nothing (or removes what a timed-out attempt made)."""
    if booking.zoom_meeting_id and booking.zoom_state != ZoomState.DELETED:
        booking.zoom_state = ZoomState.DELETE_PENDING
        enqueue(Kind.ZOOM_DELETE, booking=booking)


def resume_waiting_jobs(host: User) -> None:
    """The host's Zoom works again: the Zoom jobs that waited for it run now, not at their
    next backoff."""
    waiting = db.session.scalars(
        open_jobs_query().with_only_columns(Job.id).join(Booking, Job.booking_id == Booking.id)
        .where(Booking.host_id == host.id, Job.kind.in_(ZOOM_KINDS)))
    wake(list(waiting))


# --- the jobs: one implementation of each Zoom call ----------------------------------------------

def _record_failure(job: Job, message: str, gave_up: bool) -> None:
    booking = job.booking
    booking.zoom_error = message
    if gave_up and job.kind in (Kind.ZOOM_CREATE, Kind.ZOOM_DELETE):
        booking.zoom_state = ZoomState.FAILED
        if job.kind == Kind.ZOOM_CREATE:
            plan_webhooks("zoom.meeting_failed", booking)


def _api(booking: Booking) -> zoom.ZoomAPI | None:
    """The host's Zoom client; None when the host has no connection at all (never connected
    or disconnected on purpose); RetryLater while the connection cannot be used."""
    if booking.host.zoom_connection is None:
        return None
    try:
        api = api_for(booking.host)
    except ZoomNotConfigured as e:
        raise RetryLater("The Zoom app is not configured (Settings > Integrations > Zoom).") \
            from e
    if api is None:
        raise RetryLater("Waiting for the host to reconnect Zoom.")
    return api


@handler(Kind.ZOOM_CREATE, on_failure=_record_failure)
def _create(job: Job) -> None:
    booking = job.booking
    if booking.zoom_meeting_id:
        return
    api = _api(booking)
    if api is None:  # disconnected since: the booking goes ahead without a link
        booking.zoom_state, booking.zoom_error = ZoomState.NONE, None
        return
    # An earlier attempt may have worked at Zoom before it failed or its process died: adopt
    # that meeting rather than make a second one.
    meeting = api.find_meeting_by_agenda(agenda_marker(booking)) if job.attempts > 1 else None
    if meeting is None and booking.status == BookingStatus.CONFIRMED:
        meeting = api.create_meeting(meeting_payload(booking))
    _adopt(booking.id, meeting)


def _adopt(booking_id: int, meeting: dict | None) -> None:
    # Decided on the booking as it is now: it may have been cancelled while we were at Zoom.
    with write_transaction():
        booking = db.session.get(Booking, booking_id, with_for_update=True,
                                 populate_existing=True)
        if meeting is None:
            booking.zoom_state, booking.zoom_error = ZoomState.NONE, None
            return
        booking.zoom_meeting_id = str(meeting["id"])
        booking.zoom_join_url = meeting.get("join_url")
        store_applied(booking, meeting)
        booking.zoom_state, booking.zoom_error = ZoomState.CREATED, None
        logger.info("Zoom meeting %s created for booking %s", booking.zoom_meeting_id,
                    booking.reference)
        if booking.status == BookingStatus.CANCELLED:
            plan_delete(booking)
        else:
            plan_zoom_link(booking)
            plan_webhooks("zoom.meeting_ready", booking)


@handler(Kind.ZOOM_UPDATE, on_failure=_record_failure)
def _update(job: Job) -> None:
    booking = job.booking
    if booking.status == BookingStatus.CANCELLED or not booking.zoom_meeting_id:
        return
    api = _api(booking)
    if api is None:
        return
    while True:
        sent = booking.start_at
        api.update_meeting(booking.zoom_meeting_id, meeting_payload(booking, update=True))
        # Moved again meanwhile? Another job may have sent that time before ours landed:
        # send the latest once more, so Zoom ends at the booking's own time.
        db.session.commit()  # a fresh snapshot (nothing was written)
        db.session.refresh(booking)
        if booking.start_at == sent or booking.status == BookingStatus.CANCELLED:
            break
    # PATCH answers 204 with no body: read back what Zoom applied (it may have overridden the
    # security options; Meeting API Security Enhancements says to re-GET and store).
    store_applied(booking, api.get_meeting(booking.zoom_meeting_id))
    logger.info("Zoom meeting %s moved for booking %s", booking.zoom_meeting_id,
                booking.reference)


@handler(Kind.ZOOM_DELETE, on_failure=_record_failure)
def _delete(job: Job) -> None:
    booking = job.booking
    if not booking.zoom_meeting_id or booking.zoom_state == ZoomState.DELETED:
        return
    api = _api(booking)
    if api is None:
        raise RetryLater("The host disconnected Zoom: Timetics can no longer delete the "
                         "meeting. Delete it in Zoom.")
    api.delete_meeting(booking.zoom_meeting_id)  # False when Zoom says it is gone: fine too
    booking.zoom_state, booking.zoom_error = ZoomState.DELETED, None
    logger.info("Zoom meeting %s deleted for booking %s", booking.zoom_meeting_id,
                booking.reference)

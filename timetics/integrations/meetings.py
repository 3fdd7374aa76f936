"""Zoom meetings for bookings: create one per booking, move it, delete it.

A booking's service plans the Zoom work in the booking's own transaction (``plan_*``: a job and
the Zoom state the pages show); the handlers below are the one implementation of each call,
run after the commit by the request that wrote them or, if it could not, by ``run-jobs``.
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime

from .. import zoom
from ..booking.notifications import answer_lines, plan_guest_link, plan_zoom_link
from ..calendars import writeback
from ..db import utcnow, write_transaction
from ..exceptions import RetryLater, ZoomNotConfigured
from ..extensions import db
from ..jobs import Kind, enqueue, handler, open_jobs_query, wake
from ..models import (
    Attendee,
    Booking,
    BookingStatus,
    ExtraGuest,
    GuestJoin,
    Job,
    Location,
    MeetingType,
    User,
    ZoomState,
)
from ..webhooks.outgoing import plan_webhooks
from .tokens import api_for

logger = logging.getLogger(__name__)

ZOOM_KINDS = (Kind.ZOOM_CREATE, Kind.ZOOM_UPDATE, Kind.ZOOM_DELETE, Kind.ZOOM_REGISTER,
              Kind.ZOOM_UNREGISTER)


def is_webinar(booking: Booking) -> bool:
    return booking.zoom_guest_join == GuestJoin.WEBINAR


def zoom_body(booking: Booking, *, update: bool = False) -> dict:
    """The create/update body for the way the booking's guests join: a plain meeting, a
    meeting with registration, or a webinar."""
    body = meeting_payload(booking, update=update)
    if is_webinar(booking):
        return zoom.webinar_payload(body)
    if booking.zoom_guest_join == GuestJoin.REGISTRATION:
        return zoom.with_registration(body)
    return body


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
    booking.zoom_dial_in = applied["dial_in"]


def agenda_marker(booking: Booking) -> str:
    """What the agenda says to name the booking; how a meeting whose create timed out is
    found again."""
    return f"Timetics booking {booking.reference}"


def agenda_for(booking: Booking) -> str:
    # The marker comes first: Zoom's meeting list cuts agendas to 250 characters.
    agenda = (f"{agenda_marker(booking)}: {booking.meeting_type.name} with "
              f"{booking.host.name}, booked through Timetics.")
    # The guest's answers follow, for a one-to-one meeting only: everyone invited to a shared
    # group meeting could read the others' answers there. zoom.meeting_payload cuts the whole
    # to Zoom's limit (agenda maxLength 2000), which leaves the marker whole.
    guests = [a for a in booking.attendees if a.status == BookingStatus.CONFIRMED]
    if not booking.meeting_type.is_group and guests:
        agenda = "\n".join([agenda, *answer_lines(guests[0])])
    return agenda


def wants_zoom(booking: Booking) -> bool:
    return booking.meeting_type.location == Location.ZOOM


# --- what a change writes (in its transaction) ---------------------------------------------------

def plan_meeting(booking: Booking, *, replaces: str | None = None) -> None:
    """A new booking gets its meeting, if its host has a Zoom connection (even one that needs
    reconnecting: the booking then waits for it, and its guests are told the link follows).
    ``replaces``: the id of the meeting the host deleted in Zoom, which this one replaces."""
    if wants_zoom(booking) and booking.host.zoom_connection is not None:
        booking.zoom_state = ZoomState.PENDING
        meeting_type = booking.meeting_type
        booking.zoom_guest_join = meeting_type.zoom_guest_join if meeting_type.is_group \
            else GuestJoin.SHARED.value
        enqueue(Kind.ZOOM_CREATE, booking=booking,
                payload={"replaces": replaces} if replaces else None)


def plan_move(booking: Booking) -> bool:
    """The booking's meeting follows it to its new time (same link). A create still to run
    will use the new time by itself. True if an update was planned."""
    if booking.zoom_meeting_id and booking.zoom_state == ZoomState.CREATED:
        enqueue(Kind.ZOOM_UPDATE, booking=booking)
        return True
    return False


Person = Attendee | ExtraGuest  # a guest, or someone they brought: each a registrant


def plan_registrant(booking: Booking, attendee: Attendee) -> None:
    """A guest who joined a booking whose meeting exists becomes a registrant, and so does
    each extra guest they bring: one job per person, so that one failing holds up no other
    (a meeting still to be made registers everyone it finds when it is made)."""
    if booking.links_per_guest and booking.zoom_state == ZoomState.CREATED:
        for person in (attendee, *attendee.extra_guests):
            enqueue(Kind.ZOOM_REGISTER, booking=booking, payload=_payload_of(person))


def plan_unregister(booking: Booking, attendee: Attendee) -> None:
    """A guest who gave back their place: their registration and their extra guests' are
    cancelled, so those links stop working while the others' still work. A registration
    still being made is cancelled by its own job, which sees the place given back."""
    for person in (attendee, *attendee.extra_guests):
        _plan_unregister(booking, person)


def _plan_unregister(booking: Booking, person: Person) -> None:
    if booking.links_per_guest and person.zoom_registrant_id:
        enqueue(Kind.ZOOM_UNREGISTER, booking=booking, payload=_payload_of(person))


def _payload_of(person: Person) -> dict:
    return {"extra_guest": person.id} if isinstance(person, ExtraGuest) \
        else {"attendee": person.id}


def _person_in(payload: dict) -> Person | None:
    """The job's person; None when they are gone (erased guest data deletes extra guests)."""
    if "extra_guest" in payload:
        return db.session.get(ExtraGuest, payload["extra_guest"])
    return db.session.get(Attendee, payload["attendee"])


def _who(person: Person) -> str:
    """The person for the log, without their address."""
    return f"{'extra guest' if isinstance(person, ExtraGuest) else 'attendee'} {person.id}"


def plan_new_meeting(booking: Booking) -> bool:
    """Make a new meeting: the host deleted the booking's meeting in Zoom. The create job and
    the link email that follows it are the ones every booking's meeting goes through. False
    when there is nothing to replace, or no Zoom connection to make it with."""
    if booking.status != BookingStatus.CONFIRMED \
            or booking.zoom_state != ZoomState.DELETED_IN_ZOOM \
            or booking.host.zoom_connection is None:
        return False
    deleted = booking.zoom_meeting_id
    booking.zoom_meeting_id = booking.zoom_join_url = booking.zoom_passcode = None
    booking.zoom_waiting_room = booking.zoom_join_before_host = booking.zoom_jbh_time = None
    booking.zoom_start_at = booking.zoom_error = None
    booking.zoom_state = ZoomState.NONE
    for attendee in booking.attendees:  # registrations of the deleted meeting went with it
        for person in (attendee, *attendee.extra_guests):
            person.zoom_registrant_id = person.zoom_join_url = None
    plan_meeting(booking, replaces=deleted)
    return booking.zoom_state == ZoomState.PENDING


# --- what Zoom told us (its meeting.deleted and meeting.updated events) --------------------------

def is_news(booking: Booking, event_at: datetime) -> bool:
    """An event newer than what we know of the booking's meeting; an older one (a delayed
    delivery) would undo what we learnt since."""
    return booking.zoom_synced_at is None or event_at > booking.zoom_synced_at


def note_deleted_in_zoom(booking: Booking, event_at: datetime) -> None:
    """The host deleted the meeting in Zoom: its link is dead until a new meeting is made."""
    booking.zoom_state = ZoomState.DELETED_IN_ZOOM
    # Its link is dead: no page or email may hand it out any more.
    booking.zoom_join_url = booking.zoom_passcode = booking.zoom_start_at = None
    booking.zoom_synced_at = event_at
    logger.info("Zoom meeting %s of booking %s was deleted in Zoom", booking.zoom_meeting_id,
                booking.reference)


def note_zoom_time(booking: Booking, zoom_start: datetime, event_at: datetime) -> None:
    """Zoom's start time for the meeting, kept beside the booking's and never over it: the
    guest's booked time changes only in Timetics. Zoom having the booking's time (our own
    update coming back, or the host moving it back) is no difference."""
    booking.zoom_start_at = None if zoom_start == booking.start_at else zoom_start
    booking.zoom_synced_at = event_at
    if booking.zoom_start_at is not None:
        logger.info("Zoom meeting %s of booking %s was moved in Zoom to %s",
                    booking.zoom_meeting_id, booking.reference, zoom_start.isoformat())


def _in_step(booking: Booking, since: datetime) -> None:
    """Zoom has the booking's time: Zoom just said so to a call sent at ``since``. Events
    from before then are old news (kept at the latest known, whichever clock said it)."""
    booking.zoom_start_at = None
    if is_news(booking, since):
        booking.zoom_synced_at = since


def plan_delete(booking: Booking) -> None:
    """The meeting of a booking that ended goes. A create still to run sees the cancellation
    and makes nothing (or removes what a timed-out attempt made)."""
    if booking.zoom_state == ZoomState.DELETED_IN_ZOOM:  # the host deleted it already
        booking.zoom_state = ZoomState.DELETED
        return
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
    # that meeting (or webinar: Zoom lists those apart) rather than make a second one.
    meeting = None
    if job.attempts > 1:
        find = api.find_webinar_by_agenda if is_webinar(booking) else api.find_meeting_by_agenda
        meeting = find(agenda_marker(booking))
    if meeting is None and booking.status == BookingStatus.CONFIRMED:
        meeting = api.create_webinar(zoom_body(booking)) if is_webinar(booking) \
            else api.create_meeting(zoom_body(booking))
    _adopt(booking.id, meeting, replaced=bool(job.payload.get("replaces")))


def _adopt(booking_id: int, meeting: dict | None, *, replaced: bool = False) -> None:
    # Decided on the booking as it is now: it may have been cancelled while we were at Zoom.
    with write_transaction():
        booking = db.session.get(Booking, booking_id, with_for_update=True,
                                 populate_existing=True)
        if meeting is None:
            booking.zoom_state, booking.zoom_error = ZoomState.NONE, None
            return
        booking.zoom_meeting_id = str(meeting["id"])
        # With a link per guest the shared one only leads to Zoom's registration form.
        booking.zoom_join_url = None if booking.links_per_guest else meeting.get("join_url")
        store_applied(booking, meeting)
        _in_step(booking, utcnow())
        booking.zoom_state, booking.zoom_error = ZoomState.CREATED, None
        logger.info("Zoom meeting %s created for booking %s", booking.zoom_meeting_id,
                    booking.reference)
        if booking.status == BookingStatus.CANCELLED:
            plan_delete(booking)
        elif booking.links_per_guest:
            for attendee in booking.attendees:
                if attendee.status == BookingStatus.CONFIRMED:
                    plan_registrant(booking, attendee)
            writeback.plan_update(booking)
            plan_webhooks("zoom.meeting_ready", booking)
        else:
            plan_zoom_link(booking, replaced=replaced)
            writeback.plan_update(booking)  # the host's calendar shows the link too
            plan_webhooks("zoom.meeting_ready", booking)


@handler(Kind.ZOOM_UPDATE, on_failure=_record_failure)
def _update(job: Job) -> None:
    booking = job.booking
    if booking.status == BookingStatus.CANCELLED or not booking.zoom_meeting_id \
            or booking.zoom_state == ZoomState.DELETED_IN_ZOOM:  # nothing left to move
        return
    api = _api(booking)
    if api is None:
        return
    while True:
        sent, sent_at = booking.start_at, utcnow()
        if is_webinar(booking):
            api.update_webinar(booking.zoom_meeting_id, zoom_body(booking, update=True))
        else:
            api.update_meeting(booking.zoom_meeting_id, zoom_body(booking, update=True))
        # Moved again meanwhile? Another job may have sent that time before ours landed:
        # send the latest once more, so Zoom ends at the booking's own time.
        db.session.commit()  # a fresh snapshot (nothing was written)
        db.session.refresh(booking)
        if booking.start_at == sent or booking.status == BookingStatus.CANCELLED:
            break
    # PATCH answers 204 with no body: read back what Zoom applied (it may have overridden the
    # security options; Meeting API Security Enhancements says to re-GET and store).
    store_applied(booking, api.get_webinar(booking.zoom_meeting_id) if is_webinar(booking)
                  else api.get_meeting(booking.zoom_meeting_id))
    # From when the PATCH left: Zoom's own event for it, or a host's move after it, is news.
    _in_step(booking, sent_at)
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
    # False when Zoom says it is gone: fine too. Its registrants go with it.
    if is_webinar(booking):
        api.delete_webinar(booking.zoom_meeting_id)
    else:
        api.delete_meeting(booking.zoom_meeting_id)
    booking.zoom_state, booking.zoom_error = ZoomState.DELETED, None
    logger.info("Zoom meeting %s deleted for booking %s", booking.zoom_meeting_id,
                booking.reference)


def _registrant_kind(booking: Booking) -> str:
    return zoom.WEBINARS if is_webinar(booking) else zoom.MEETINGS


def _registrant_name(person: Person) -> tuple[str, str]:
    """First and last name for Zoom (Add a registrant: ``first_name`` required, ``last_name``
    optional). An extra guest gave us only their address: ZoomAPI.add_registrant then uses
    it as the first name."""
    name = person.name if isinstance(person, Attendee) else ""
    first, _, last = name.partition(" ")
    return first, last


@handler(Kind.ZOOM_REGISTER, on_failure=_record_failure)
def _register(job: Job) -> None:
    """One guest (or one of their extra guests) becomes a registrant with their own link,
    which is then mailed to them if they were already told "your Zoom link will follow".
    Zoom answers an email registered before with the same registration, and a person with a
    registrant id is skipped: a retried job registers them once."""
    booking = job.booking
    person = _person_in(job.payload)
    if person is None or person.zoom_registrant_id or not booking.zoom_meeting_id \
            or booking.zoom_state != ZoomState.CREATED \
            or person.status != BookingStatus.CONFIRMED:
        return
    api = _api(booking)
    if api is None:
        return
    first, last = _registrant_name(person)
    registrant = api.add_registrant(_registrant_kind(booking), booking.zoom_meeting_id,
                                    email=person.email, first_name=first, last_name=last)
    db.session.refresh(person)
    if isinstance(person, ExtraGuest):  # their place is the guest's, which may have gone
        db.session.refresh(person.attendee)
    person.zoom_registrant_id = str(registrant["registrant_id"])
    person.zoom_join_url = registrant["join_url"]
    booking.zoom_error = None
    logger.info("Zoom: %s registered for %s %s of booking %s", _who(person),
                _registrant_kind(booking), booking.zoom_meeting_id, booking.reference)
    if person.status == BookingStatus.CANCELLED:  # the place was given back meanwhile
        _plan_unregister(booking, person)
    else:
        plan_guest_link(booking, person)


@handler(Kind.ZOOM_UNREGISTER, on_failure=_record_failure)
def _unregister(job: Job) -> None:
    """Cancel one guest's (or extra guest's) registration (Update registrant's status, action
    cancel): their link stops working. Nothing to do once the whole meeting is deleted."""
    booking = job.booking
    person = _person_in(job.payload)
    if person is None or not person.zoom_registrant_id \
            or booking.zoom_state != ZoomState.CREATED:
        return
    api = _api(booking)
    if api is None:
        raise RetryLater("The host disconnected Zoom: Timetics can no longer cancel the "
                         "guest's registration. Cancel it in Zoom.")
    api.cancel_registrant(_registrant_kind(booking), booking.zoom_meeting_id,
                          registrant_id=person.zoom_registrant_id, email=person.email)
    logger.info("Zoom registration of %s cancelled (booking %s)", _who(person),
                booking.reference)

"""Booking rules: taking, moving and giving back a place (which slots are free is in
``availability.py``).

Every change that depends on what it read ("is this slot still free?") runs inside
``write_transaction()``: on SQLite that is BEGIN IMMEDIATE, so two guests racing for the last
place are served one after the other and the second sees the first one's booking. The partial
unique index on (host, start) of live bookings backs this up on any database.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..calendars import writeback
from ..calendars.check import calendars_say_free
from ..db import utcnow, write_transaction
from ..exceptions import SlotUnavailable
from ..extensions import db
from ..i18n import current_language
from ..integrations import meetings
from ..jobs import Kind, enqueue
from ..models import (
    Answer,
    Approval,
    Attendee,
    Booking,
    BookingStatus,
    ExtraGuest,
    MeetingType,
    User,
)
from ..security import encrypt_secret, hash_token, new_token
from ..webhooks.outgoing import plan_webhooks
from . import notifications, reminders
from .availability import slot_at

logger = logging.getLogger(__name__)

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud safely


@dataclass(frozen=True)
class BookingResult:
    booking: Booking
    attendee: Attendee
    manage_token: str
    first_attendee: bool  # the booking was created now (not joined)


def new_reference() -> str:
    """A short booking reference (10 characters, 50 bits): unguessable, easy to read out."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))


def book_slot(meeting_type: MeetingType, *, start: datetime, name: str, email: str,
              timezone: str, notes: str = "", answers: Sequence[Answer] = (),
              extra_guests: Sequence[str] = (), now: datetime | None = None) -> BookingResult:
    """Take a place at ``start`` for a guest (with their ``answers`` to the type's
    questions, and a place for each of their ``extra_guests`` in a group), or raise
    SlotUnavailable.

    One-to-one: a new booking. One-to-many: the guest joins the slot's booking while it has
    room (and it is created for the first guest).
    """
    _check_calendars(meeting_type, start)
    token = new_token()
    try:
        with write_transaction():
            result = _take_place(meeting_type, start=start, name=name, email=email,
                                 timezone=timezone, notes=notes, token=token, now=now,
                                 answers=answers, extra_guests=extra_guests)
            if meeting_type.requires_approval and result.first_attendee:
                _plan_request(result.booking, result.attendee, token, now=now)
            else:
                plan_confirmed(result.booking, result.attendee, token,
                               first_attendee=result.first_attendee)
    except IntegrityError:
        # Another database session won the same start between our check and our insert.
        raise SlotUnavailable(_("That time was just taken.")) from None
    logger.info("Booking %s %s for attendee %s", result.booking.reference,
                "requested" if result.booking.awaiting_approval else "confirmed",
                result.attendee.id)
    return result


def plan_confirmed(booking: Booking, attendee: Attendee, token: str, *,
                   first_attendee: bool) -> None:
    """In the transaction that confirms the guest's place (booked, or a request accepted):
    the Zoom meeting, the calendar event, the emails, the reminders and the webhooks."""
    _plan_joined(booking, attendee, first_attendee=first_attendee)
    notifications.plan_confirmation(booking, attendee, token)
    reminders.plan_guest_reminders(booking, attendee, token)
    plan_webhooks("booking.created", booking)


# What a change to the booking means for its copies elsewhere (the Zoom meeting, each guest's
# Zoom registration, the event in the host's calendar, the host's reminders). The emails, the
# guests' reminders and the webhooks differ by who changed what, so each path says those itself.

def _plan_joined(booking: Booking, attendee: Attendee, *, first_attendee: bool) -> None:
    if first_attendee:
        meetings.plan_meeting(booking)
        writeback.plan_event(booking)
        reminders.plan_host_reminders(booking)
    else:
        writeback.plan_update(booking)  # the event lists the new guest
        meetings.plan_registrant(booking, attendee)  # their own link, when guests get one


def _plan_left(booking: Booking, attendee: Attendee, *, ended: bool) -> None:
    if ended:
        _plan_ended(booking)
    else:
        writeback.plan_update(booking)  # the event no longer lists the guest
        meetings.plan_unregister(booking, attendee)  # their link stops, not the others'


def _plan_ended(booking: Booking) -> None:
    meetings.plan_delete(booking)
    writeback.plan_removal(booking)


def _plan_moved(booking: Booking) -> None:
    meetings.plan_move(booking)  # one update: the meeting and its links stay
    writeback.plan_update(booking)


def approval_deadline(start: datetime, now: datetime | None = None) -> datetime:
    """When an unanswered request is declined by itself: APPROVAL_HOURS after it was made,
    and in any case at its start."""
    hours = float(current_app.config["APPROVAL_HOURS"])
    return min((now or utcnow()) + timedelta(hours=hours), start)


def _plan_request(booking: Booking, attendee: Attendee, token: str, *,
                  now: datetime | None) -> None:
    """The place is held but waits for the host (booking/approval.py): no Zoom meeting, no
    link, no reminders yet. The guest and the host are told; the job that declines it by
    itself at the deadline keeps the guest's manage link sealed for the confirmation that
    Accept sends."""
    booking.approval = Approval.REQUESTED
    booking.approval_due_at = approval_deadline(booking.start_at, now)
    notifications.plan_request(booking, attendee, token)
    enqueue(Kind.APPROVAL_EXPIRE, booking=booking, run_after=booking.approval_due_at,
            payload={"attendee": attendee.id, "token": encrypt_secret(token)})
    plan_webhooks("booking.requested", booking)


def _check_calendars(meeting_type: MeetingType, start: datetime) -> None:
    """The host's calendars, read now, must not have an event there (timetics/calendars/
    check.py). Outside the write transaction: a calendar server must not hold the lock."""
    if not calendars_say_free(meeting_type, start):
        raise SlotUnavailable(_("That time is not available."))


def _take_place(meeting_type: MeetingType, *, start, name, email, timezone, notes, token,
                now, answers: Sequence[Answer] = (),
                extra_guests: Sequence[str] = ()) -> BookingResult:
    # On PostgreSQL this row lock serialises bookings per host; SQLite ignores it and relies
    # on BEGIN IMMEDIATE.
    db.session.execute(select(User.id).where(User.id == meeting_type.host_id).with_for_update())
    slot = slot_at(meeting_type, start, now=now)
    if slot is None:
        raise SlotUnavailable(_("That time was just taken."))
    if meeting_type.is_group and slot.remaining < 1 + len(extra_guests):
        raise SlotUnavailable(_("Only %(num)s places are left at that time, for you "
                                "and your extra guests.", num=slot.remaining))
    booking = None
    if meeting_type.is_group:
        booking = db.session.scalar(select(Booking).where(
            Booking.meeting_type_id == meeting_type.id, Booking.start_at == start,
            Booking.status == BookingStatus.CONFIRMED))
    first = booking is None
    if booking is None:
        booking = Booking(
            reference=new_reference(), meeting_type=meeting_type, host_id=meeting_type.host_id,
            start_at=slot.start, end_at=slot.end, capacity=meeting_type.capacity,
        )
        db.session.add(booking)
    elif any(a.email == email and a.status == BookingStatus.CONFIRMED
             for a in booking.attendees):
        raise SlotUnavailable(_("You already have a place at this time."))
    attendee = Attendee(booking=booking, name=name, email=email, timezone=timezone, notes=notes,
                        language=current_language(),
                        manage_token_hash=hash_token(token), answers=list(answers),
                        extra_guests=[ExtraGuest(email=address) for address in extra_guests])
    db.session.add(attendee)
    db.session.flush()
    return BookingResult(booking, attendee, token, first)


def copy_answer(answer: Answer) -> Answer:
    return Answer(question_id=answer.question_id, label=answer.label, value=answer.value,
                  position=answer.position)


def attendee_for_token(reference: str, token: str | None) -> Attendee | None:
    """The attendee whose manage link this is; None for any wrong reference or token."""
    if not token or len(token) > 200:
        return None
    attendee = db.session.scalar(
        select(Attendee).where(Attendee.manage_token_hash == hash_token(token))
    )
    if attendee is None or attendee.booking.reference != reference:
        return None
    return attendee


def live_attendees(booking: Booking) -> list[Attendee]:
    return [a for a in booking.attendees if a.status == BookingStatus.CONFIRMED]


def locked_booking(booking_id: int) -> Booking:
    # On PostgreSQL this row lock queues changes to one booking (the two last guests of a
    # group cancelling at once must each see the other's cancellation); SQLite ignores it and
    # relies on BEGIN IMMEDIATE.
    return db.session.get(Booking, booking_id, with_for_update=True, populate_existing=True)


def cancel_attendee(attendee: Attendee) -> bool:
    """Give back the guest's place; True when that ended the whole booking (last guest)."""
    with write_transaction():
        locked_booking(attendee.booking_id)
        attendee = db.session.get(Attendee, attendee.id, populate_existing=True)
        if attendee.status == BookingStatus.CANCELLED:
            return False
        now = utcnow()
        attendee.status, attendee.cancelled_at = BookingStatus.CANCELLED, now
        booking = attendee.booking
        ended = not live_attendees(booking)
        if ended:
            booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now
        _plan_left(booking, attendee, ended=ended)
        notifications.plan_cancellation(booking, [attendee], by_host=False, booking_ended=ended)
        reminders.drop_reminders(booking, None if ended else attendee)
        plan_webhooks("booking.cancelled", booking, guest=attendee)  # ended or not
    logger.info("Attendee %s cancelled booking %s%s", attendee.id, booking.reference,
                " (booking ended)" if ended else "")
    return ended


def cancel_booking(booking: Booking, *, by: User | None = None,
                   message: str = "") -> list[Attendee]:
    """The host (or ``by``, an admin) cancels the whole booking, with an optional ``message``
    to the guests; returns the attendees who had a place."""
    with write_transaction():
        booking = locked_booking(booking.id)
        if booking.status == BookingStatus.CANCELLED:
            return []
        now = utcnow()
        affected = live_attendees(booking)
        for attendee in affected:
            attendee.status, attendee.cancelled_at = BookingStatus.CANCELLED, now
        booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now
        _plan_ended(booking)
        notifications.plan_cancellation(booking, affected, by_host=True, booking_ended=True,
                                        by=by, message=message)
        reminders.drop_reminders(booking)
        plan_webhooks("booking.cancelled", booking)
    logger.info("Booking %s cancelled by user %s", booking.reference,
                by.id if by else booking.host_id)
    return affected


@dataclass(frozen=True)
class Reschedule:
    attendee: Attendee
    old_booking: Booking
    new_booking: Booking
    old_start: datetime
    moved_booking: bool  # the booking itself moved (vs. the guest changed to another booking)
    manage_token: str | None  # a new link, when the guest changed booking


def reschedule(attendee: Attendee, new_start: datetime, *, manage_token: str,
               now: datetime | None = None) -> Reschedule:
    """Move the guest to ``new_start``, or raise SlotUnavailable.

    A booking with this guest alone moves as a whole (its reference, link and Zoom meeting
    stay). A guest who shares a group booking with others leaves it for a place at the new time
    (and a new manage link). ``manage_token`` is the guest's link today, for the email.
    """
    _check_calendars(attendee.booking.meeting_type, new_start)
    try:
        with write_transaction():
            booking = locked_booking(attendee.booking_id)
            attendee = db.session.get(Attendee, attendee.id, populate_existing=True)
            if booking.status != BookingStatus.CONFIRMED or \
                    attendee.status != BookingStatus.CONFIRMED:
                raise SlotUnavailable(_("This booking was cancelled."))
            if booking.awaiting_approval:
                raise SlotUnavailable(_("This request waits for the host's approval: cancel "
                                        "it and request another time instead."))
            old_start = booking.start_at
            if new_start == old_start:
                raise SlotUnavailable(_("That is the time you already have."))
            meeting_type = booking.meeting_type
            alone = live_attendees(booking) == [attendee]
            db.session.execute(select(User.id).where(User.id == booking.host_id)
                               .with_for_update())
            slot = slot_at(meeting_type, new_start, now=now,
                           exclude_booking_id=booking.id if alone else None)
            if slot is None:
                raise SlotUnavailable(_("That time was just taken."))
            if alone and slot.remaining == meeting_type.capacity:
                booking.start_at, booking.end_at = slot.start, slot.end
                booking.sequence += 1
                db.session.flush()
                _plan_moved(booking)
                notifications.plan_rescheduled(booking, attendee, old_start, manage_token)
                reminders.move_reminders(booking, {attendee.id: manage_token})
                plan_webhooks("booking.rescheduled", booking)
                return Reschedule(attendee, booking, booking, old_start, True, None)
            # Others stay at the old time (or others are already at the new one): the guest
            # changes booking instead of moving one.
            token = new_token()
            moved = _take_place(meeting_type, start=new_start, name=attendee.name,
                                email=attendee.email, timezone=attendee.timezone,
                                notes=attendee.notes, token=token, now=now,
                                answers=[copy_answer(a) for a in attendee.answers],
                                extra_guests=[g.email for g in attendee.extra_guests])
            attendee.status, attendee.cancelled_at = BookingStatus.CANCELLED, utcnow()
            if alone:
                booking.status, booking.cancelled_at = BookingStatus.CANCELLED, utcnow()
            _plan_left(booking, attendee, ended=alone)
            plan_webhooks("booking.cancelled", booking, guest=attendee)  # left, ended or not
            reminders.drop_reminders(booking, None if alone else attendee, reason="moved")
            _plan_joined(moved.booking, moved.attendee, first_attendee=moved.first_attendee)
            notifications.plan_rescheduled(moved.booking, moved.attendee, old_start, token)
            reminders.plan_guest_reminders(moved.booking, moved.attendee, token)
            plan_webhooks("booking.rescheduled", moved.booking)
            return Reschedule(moved.attendee, booking, moved.booking, old_start, False, token)
    except IntegrityError:
        raise SlotUnavailable(_("That time was just taken.")) from None


def move_booking(booking: Booking, new_start: datetime, *, by: User,
                 now: datetime | None = None) -> datetime:
    """The host (or ``by``, an admin) moves the whole booking, every guest with it, to another
    free time of the same host, or SlotUnavailable. The reference, the manage links and the
    Zoom meeting stay (one update moves the meeting); returns the old start."""
    _check_calendars(booking.meeting_type, new_start)
    try:
        with write_transaction():
            booking = locked_booking(booking.id)
            if booking.status != BookingStatus.CONFIRMED:
                raise SlotUnavailable(_("This booking was cancelled."))
            if booking.awaiting_approval:
                raise SlotUnavailable(_("Accept or decline this request first."))
            old_start = booking.start_at
            if new_start == old_start:
                raise SlotUnavailable(_("That is the time the booking already has."))
            db.session.execute(select(User.id).where(User.id == booking.host_id)
                               .with_for_update())
            meeting_type = booking.meeting_type
            slot = slot_at(meeting_type, new_start, now=now, exclude_booking_id=booking.id)
            # A group booking moves only to a time where no other group meets: merging two
            # bookings would leave one of their Zoom meetings behind.
            if slot is None or slot.remaining < meeting_type.capacity:
                raise SlotUnavailable(_("That time is not available."))
            booking.start_at, booking.end_at = slot.start, slot.end
            booking.sequence += 1
            db.session.flush()
            _plan_moved(booking)
            reminders.move_reminders(booking)  # each guest's link stays sealed in them
            notifications.plan_host_moved(booking, live_attendees(booking), old_start, by=by)
            plan_webhooks("booking.rescheduled", booking)
    except IntegrityError:
        raise SlotUnavailable(_("That time was just taken.")) from None
    logger.info("Booking %s moved by user %s", booking.reference, by.id)
    return old_start


def ask_for_new_time(booking: Booking, *, by: User) -> list[Attendee]:
    """Email each guest a fresh manage link asking them to pick a new time; returns them.

    Only the hash of a manage token is stored, so the old link cannot be resent: each guest
    gets a new one (its hash replaces the old, which stops working), sealed in the email job.
    """
    with write_transaction():
        booking = locked_booking(booking.id)
        # A request's manage link is sealed in its deadline job for the confirmation: keep it.
        if booking.status != BookingStatus.CONFIRMED or booking.awaiting_approval:
            return []
        guests = live_attendees(booking)
        for attendee in guests:
            token = new_token()
            attendee.manage_token_hash = hash_token(token)
            reminders.reseal_manage_link(booking, attendee, token)  # the old link is dead
            notifications.plan_pick_new_time(booking, attendee, token, by=by)
    logger.info("Booking %s: user %s asked %d guests to pick a new time", booking.reference,
                by.id, len(guests))
    return guests


def make_new_meeting(booking: Booking) -> bool:
    """The host deleted the booking's meeting in Zoom: make a new one (its guests get the new
    link by email once it exists). False if the booking needs none or cannot have one yet."""
    with write_transaction():
        booking = locked_booking(booking.id)
        planned = meetings.plan_new_meeting(booking)
    if planned:
        logger.info("Booking %s: a new Zoom meeting replaces the one deleted in Zoom",
                    booking.reference)
    return planned


def move_zoom_back(booking: Booking) -> bool:
    """The host moved the booking's meeting in Zoom: give Zoom the booking's time again (the
    guests' time never changed). False if Zoom has the booking's time already."""
    with write_transaction():
        booking = locked_booking(booking.id)
        planned = booking.status == BookingStatus.CONFIRMED and booking.zoom_time_differs \
            and meetings.plan_move(booking)
    if planned:
        logger.info("Booking %s: its Zoom meeting goes back to the booked time",
                    booking.reference)
    return planned

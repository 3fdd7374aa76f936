"""Bookings that wait for the host's approval: Accept, Decline, and the request nobody
answered in time, which declines itself.

A request is made by ``services.book_slot`` for a meeting type that requires approval: the
booking is live (status confirmed, so it holds its slot wherever a booking does) with
``approval`` = requested. It has no Zoom meeting, calendar event or reminders, and one job
(``Kind.APPROVAL_EXPIRE``), due at ``approval_due_at``, that declines it then; that job also
keeps the guest's manage link sealed, so that Accept can send it in the confirmation (only its
hash is stored on the attendee).
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..db import utcnow, write_transaction
from ..exceptions import NotARequest
from ..extensions import db
from ..jobs import Kind, handler
from ..models import Approval, Attendee, Booking, BookingStatus, Job, User
from ..security import decrypt_secret, hash_token, new_token
from ..webhooks.outgoing import plan_webhooks
from . import notifications
from .services import live_attendees, locked_booking, plan_confirmed

logger = logging.getLogger(__name__)


def open_requests(user: User) -> list[Booking]:
    """The requests that wait for ``user``'s answer (an admin: everyone's), soonest first."""
    query = select(Booking).where(Booking.approval == Approval.REQUESTED,
                                  Booking.status == BookingStatus.CONFIRMED)
    if not user.is_admin:
        query = query.where(Booking.host_id == user.id)
    return list(db.session.scalars(query.order_by(Booking.start_at, Booking.id)))


def accept(booking: Booking, *, by: User, now: datetime | None = None) -> Booking:
    """Confirm the request exactly as a booking of a type without approval is confirmed (its
    Zoom meeting, emails, reminders, calendar event and ``booking.created``), or NotARequest."""
    with write_transaction():
        booking = _still_a_request(booking)
        if booking.start_at <= (now or utcnow()):
            raise NotARequest(_("The time of request %(reference)s has passed: it can no longer "
                                "be accepted.", reference=booking.reference))
        attendee = live_attendees(booking)[0]
        token = _sealed_link(_close_deadline(booking)) or _new_link(attendee)
        booking.approval, booking.approval_due_at = Approval.ACCEPTED, None
        plan_confirmed(booking, attendee, token, first_attendee=True)
    logger.info("Booking %s accepted by user %s", booking.reference, by.id)
    return booking


def decline(booking: Booking, *, by: User | None, message: str = "") -> list[Attendee]:
    """Free the request's slot and tell its guest (with ``message``); ``by`` None: nobody
    answered in time. Returns the guests told, or raises NotARequest."""
    with write_transaction():
        booking = _still_a_request(booking)
        _close_deadline(booking)
        now = utcnow()
        guests = live_attendees(booking)
        for attendee in guests:
            attendee.status, attendee.cancelled_at = BookingStatus.CANCELLED, now
        booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now
        booking.approval = Approval.DECLINED
        notifications.plan_declined(booking, guests, by=by, message=message)
        plan_webhooks("booking.declined", booking)
    logger.info("Booking %s declined %s", booking.reference,
                f"by user {by.id}" if by else "by itself (not answered in time)")
    return guests


def _still_a_request(booking: Booking) -> Booking:
    booking = locked_booking(booking.id)
    if not booking.awaiting_approval:
        if booking.approval == Approval.ACCEPTED and booking.status == BookingStatus.CONFIRMED:
            message = _("Booking %(reference)s does not wait for approval any more: it was "
                        "accepted.", reference=booking.reference)
        elif booking.approval == Approval.DECLINED:
            message = _("Booking %(reference)s does not wait for approval any more: it was "
                        "declined.", reference=booking.reference)
        else:
            message = _("Booking %(reference)s does not wait for approval any more: it was "
                        "cancelled.", reference=booking.reference)
        raise NotARequest(message)
    return booking


def _close_deadline(booking: Booking) -> dict:
    """Finish the request's deadline job (answered now); what it carried."""
    job = db.session.scalar(select(Job).where(
        Job.booking_id == booking.id, Job.kind == Kind.APPROVAL_EXPIRE,
        Job.done_at.is_(None)).order_by(Job.id.desc()).limit(1))
    if job is None:
        return {}
    payload = job.payload
    job.payload = {k: v for k, v in payload.items() if k != "token"}
    job.done_at = utcnow()
    return payload


def _sealed_link(payload: dict) -> str | None:
    return decrypt_secret(payload["token"]) if payload.get("token") else None


def _new_link(attendee: Attendee) -> str:
    # The sealed link is lost (a deadline job removed by hand): a new one replaces it.
    token = new_token()
    attendee.manage_token_hash = hash_token(token)
    return token


@handler(Kind.APPROVAL_EXPIRE)
def _expire(job: Job) -> None:
    """The deadline came with no answer: the request declines itself (an answered request
    finished this job already; one cancelled by its guest needs nothing)."""
    booking = job.booking
    if booking is None or not booking.awaiting_approval:
        return
    try:
        decline(booking, by=None)
    except NotARequest:  # answered while this job waited for the lock
        return

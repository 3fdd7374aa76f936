"""Bookings written into the host's calendar (the one chosen under Add new bookings to): an
event per booking, replaced when the booking moves or gets its Zoom link, deleted when it is
cancelled. Each is an outbox job of the booking's own transaction; a calendar server that is
down leaves the job to retry.

The event's UID is the booking's (timetics/ics.py), so a write is the same PUT however often
it runs, and our own events are known on sync and do not block their booking's time.
"""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from ..booking.notifications import host_calendar_event
from ..extensions import db
from ..ics import booking_uid
from ..jobs import Kind, enqueue, handler
from ..models import Booking, BookingStatus, Calendar, Job
from . import remote
from .services import booking_calendar
from .sync import login_of

logger = logging.getLogger(__name__)


def _written_to(booking: Booking) -> int | None:
    """The calendar the booking's event went to, as its first write planned it."""
    first = db.session.scalar(select(Job.payload).where(
        Job.booking_id == booking.id, Job.kind == Kind.CALENDAR_PUT).order_by(Job.id).limit(1))
    return first["calendar_id"] if first else None


def plan_event(booking: Booking) -> None:
    """A new booking becomes an event in the host's chosen calendar, if they chose one."""
    calendar = booking_calendar(booking.host_id)
    if calendar is not None:
        enqueue(Kind.CALENDAR_PUT, booking=booking, payload={"calendar_id": calendar.id})


def plan_update(booking: Booking) -> None:
    """The booking moved (or got its Zoom link): its event is written again."""
    calendar_id = _written_to(booking)
    if calendar_id is not None:
        enqueue(Kind.CALENDAR_PUT, booking=booking, payload={"calendar_id": calendar_id})


def plan_removal(booking: Booking) -> None:
    """The booking ended: its event goes."""
    calendar_id = _written_to(booking)
    if calendar_id is not None:
        enqueue(Kind.CALENDAR_DELETE, booking=booking, payload={"calendar_id": calendar_id})


def _uid(booking: Booking) -> str:
    return booking_uid(booking.reference, current_app.config["EXTERNAL_URL"])


@handler(Kind.CALENDAR_PUT)
def _put(job: Job) -> None:
    booking, calendar = job.booking, db.session.get(Calendar, job.payload["calendar_id"])
    if calendar is None or booking.status == BookingStatus.CANCELLED:
        return  # the account was removed, or the delete job takes over
    remote.put_event(login_of(calendar), calendar.url, _uid(booking),
                     host_calendar_event(booking))
    logger.info("Booking %s written to calendar %s", booking.reference, calendar.id)


@handler(Kind.CALENDAR_DELETE)
def _delete(job: Job) -> None:
    booking, calendar = job.booking, db.session.get(Calendar, job.payload["calendar_id"])
    if calendar is None:
        return
    remote.delete_event(login_of(calendar), calendar.url, _uid(booking))
    logger.info("Booking %s deleted from calendar %s", booking.reference, calendar.id)

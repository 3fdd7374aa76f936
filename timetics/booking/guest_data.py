"""Guests' personal data does not stay forever: what a guest typed (name, email, notes,
answers, extra guests) is erased once their booking has ended ``GUEST_DATA_RETENTION_DAYS``
ago, or at once for one address on an admin's request. The booking row stays (its time,
meeting type, host and reference) for the host's records.

The emails about a booking name the guest, so the outbox rows of an erased place lose their
addresses, subjects and errors too. SQLite runs with ``secure_delete`` (db.py), which zeroes
what an update or delete leaves behind in the database file; the write-ahead log still holds
the pages as they were until a checkpoint, so erasing ends with one that truncates it.
Logs never held these values: they name attendees, bookings and jobs by id and reference.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, text

from .. import jobs
from ..db import utcnow, write_transaction
from ..extensions import db
from ..jobs import Kind
from ..models import Attendee, Booking, BookingStatus, Job
from . import services

logger = logging.getLogger(__name__)

# What an erased place's email jobs keep for the booking's history: which email, to whom by
# id or role, who acted (staff), when; not the address, subject, message or link.
KEPT_JOB_KEYS = ("email", "recipient", "extra_guest", "attendee", "attendees", "skipped",
                 "old_start", "by", "by_name", "by_host", "booking_ended", "offset", "until")


def retention_days() -> int | None:
    """``GUEST_DATA_RETENTION_DAYS`` as a number of days; None (empty or unset) keeps all."""
    value = current_app.config.get("GUEST_DATA_RETENTION_DAYS")
    if value in (None, ""):
        return None
    days = int(value)
    if days < 0:
        raise ValueError("GUEST_DATA_RETENTION_DAYS must be 0 or more days.")
    return days


def erase_expired(now: datetime | None = None) -> int:
    """Erase the guests of bookings that ended more than the retention period ago; how many
    places were erased (0 when guest data is kept)."""
    days = retention_days()
    if days is None:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    with write_transaction():
        attendees = db.session.scalars(
            select(Attendee).join(Booking).where(Booking.end_at < cutoff,
                                                 Attendee.erased_at.is_(None))).all()
        _erase(attendees, now or utcnow())
    _truncate_sqlite_log()
    if attendees:
        logger.info("Guest data of %d places of bookings ended before %s erased",
                    len(attendees), cutoff.isoformat())
    return len(attendees)


@dataclass(frozen=True)
class Erasure:
    cancelled: int  # future places cancelled first
    erased: int  # places erased, past and future


def erase_guest(email: str) -> Erasure:
    """Erase every place booked by ``email`` (normalised), past and future. Future places are
    cancelled first, with the usual emails and Zoom delete, which run before the erasure; an
    email that could not go out at once is not sent later (there is no address left)."""
    now = utcnow()
    places = db.session.scalars(select(Attendee).where(Attendee.email == email,
                                                       Attendee.erased_at.is_(None))).all()
    future = [a for a in places if a.status == BookingStatus.CONFIRMED
              and a.booking.end_at > now]
    for attendee in future:
        services.cancel_attendee(attendee)
    jobs.run_written()  # the cancellations' emails and Zoom deletes, while the address exists
    with write_transaction():
        places = db.session.scalars(select(Attendee).where(Attendee.email == email,
                                                           Attendee.erased_at.is_(None))).all()
        _erase(places, utcnow())
    _truncate_sqlite_log()
    logger.info("Guest data erased on request: %d places, %d future ones cancelled first",
                len(places), len(future))
    return Erasure(cancelled=len(future), erased=len(places))


def _erase(attendees: list[Attendee], now: datetime) -> None:
    for attendee in attendees:
        attendee.name, attendee.email, attendee.notes = "", "", ""
        attendee.zoom_join_url = None  # their own Zoom link is theirs too
        attendee.answers.clear()
        attendee.extra_guests.clear()
        attendee.erased_at = now
    erased = {a.id for a in attendees}
    if not erased:
        return
    for job in db.session.scalars(select(Job).where(
            Job.booking_id.in_({a.booking_id for a in attendees}),
            Job.kind.in_((Kind.BOOKING_EMAIL, Kind.SEND_EMAIL)))):
        if job.payload.get("recipient") in erased:
            _scrub(job, now, close=True)
        elif job.done_at is not None and erased & _named_in(job.payload):
            _scrub(job, now, close=False)  # the host's email about the guest, already sent


def _named_in(payload: dict) -> set:
    """The attendees a host's email names (its subject and body)."""
    return {payload.get("attendee"), *payload.get("attendees", ())}


def _scrub(job: Job, now: datetime, *, close: bool) -> None:
    job.payload = {k: v for k, v in job.payload.items() if k in KEPT_JOB_KEYS}
    job.last_error = None  # an SMTP refusal quotes the address
    if close and job.done_at is None:  # nobody left to send it to
        job.done_at, job.locked_until = now, None
        job.payload = {**job.payload, "skipped": "guest data erased"}


def _truncate_sqlite_log() -> None:
    """Copy the write-ahead log into the database file and empty it: it still holds the
    pages as they were before the erasure (SQLite, PRAGMA wal_checkpoint(TRUNCATE))."""
    if db.session.get_bind().dialect.name == "sqlite":
        busy = db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).first()[0]
        db.session.commit()
        if busy:
            logger.warning("The SQLite log could not be emptied yet (readers); the next "
                           "checkpoint will")

"""Reminder emails: one per offset of the meeting type ("24h, 1h"), due that long before the
start, to each guest and (with ``remind_host``) once per booking to the host.

A reminder is a booking email job (notifications.py) written in the transaction that makes the
booking or the guest's place, with ``run_after`` at start − offset; it is written when it runs,
from the booking as it is then (the Zoom link, or that it will follow). An offset whose moment
has passed when the guest books is skipped (the confirmation is their reminder). A reschedule
drops the open reminders and plans new ones; a cancellation drops them.

A reminder is still useful while at least half its offset is left before the start: a 24-hour
reminder goes out up to 12 hours before, a 1-hour one up to 30 minutes before. The job carries
that limit (``until``); a runner that was down longer skips it.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from sqlalchemy import select

from ..db import utcnow
from ..extensions import db
from ..i18n import in_language, language_of
from ..jobs import Kind, enqueue, in_flight
from ..models import Attendee, Booking, BookingStatus, Job
from ..security import encrypt_secret
from .notifications import HOST, REMINDER, copy_to_extra_guests

logger = logging.getLogger(__name__)

MAX_REMINDERS = 5
MAX_OFFSET_MINUTES = 30 * 24 * 60
_UNITS = {"m": 1, "h": 60, "d": 24 * 60}
_OFFSET = re.compile(r"(\d{1,6})\s*(m|mins?|minutes?|h|hours?|d|days?)", re.IGNORECASE)


def parse_offsets(text: str) -> list[int]:
    """The minutes before the start of each reminder, longest first, from "24h, 1h" (a number
    and m, h or d, separated by commas or spaces; empty for none). Raises ValueError with a
    message for the form."""
    minutes: set[int] = set()
    for part in (p.strip() for p in re.split(r",|\s+(?=\d)", (text or "").strip())):
        if not part:
            continue
        match = _OFFSET.fullmatch(part)
        if match is None:
            raise ValueError(f"“{part}” is not a time before the meeting: write a number and "
                             "m, h or d, e.g. 24h, 1h.")
        value = int(match.group(1)) * _UNITS[match.group(2)[0].lower()]
        if value == 0:
            raise ValueError("A reminder goes out some time before the meeting, not at 0.")
        if value > MAX_OFFSET_MINUTES:
            raise ValueError("A reminder goes out at most 30 days (30d) before the meeting.")
        minutes.add(value)
    if len(minutes) > MAX_REMINDERS:
        raise ValueError(f"At most {MAX_REMINDERS} reminders.")
    return sorted(minutes, reverse=True)


def format_offsets(minutes: list[int]) -> str:
    """The text for ``parse_offsets``' answer: [1440, 60, 30] is "24h, 1h, 30m"."""
    def one(value: int) -> str:
        if value % (24 * 60) == 0 and value > 24 * 60:
            return f"{value // (24 * 60)}d"
        return f"{value // 60}h" if value % 60 == 0 else f"{value}m"
    return ", ".join(one(value) for value in minutes)


# --- what a change writes (in its transaction) ---------------------------------------------------

def plan_guest_reminders(booking: Booking, attendee: Attendee, token: str) -> None:
    """The guest's reminders, each with their manage link (``token``, sealed in the job)."""
    _plan(booking, attendee, encrypt_secret(token))


def plan_host_reminders(booking: Booking) -> None:
    """The host's reminders for the booking, when its meeting type asks for them."""
    if booking.meeting_type.remind_host:
        _plan(booking, None, None)


def drop_reminders(booking: Booking, attendee: Attendee | None = None, *,
                   reason: str = "cancelled") -> None:
    """Mark the reminders still to send (the guest's, or all of the booking's) as not sent.
    One a runner is sending right now goes out."""
    now = utcnow()
    for job in _open_reminders(booking):
        if in_flight(job, now) or (attendee is not None and
                                   job.payload["recipient"] != attendee.id):
            continue
        job.payload = {**_without_token(job.payload), "skipped": reason}
        job.done_at = now


def move_reminders(booking: Booking, tokens: dict[int, str] | None = None) -> None:
    """The booking has a new time: its reminders again for that time. A guest's manage link
    is in ``tokens`` (attendee id: token) or sealed in their reminder still to send (a host's
    move: no link is known, the guests keep theirs)."""
    sealed = {job.payload["recipient"]: job.payload["token"]
              for job in _open_reminders(booking) if "token" in job.payload}
    sealed.update({attendee_id: encrypt_secret(t) for attendee_id, t in (tokens or {}).items()})
    drop_reminders(booking, reason="moved")
    for attendee in booking.attendees:
        if attendee.status == BookingStatus.CONFIRMED and attendee.id in sealed:
            _plan(booking, attendee, sealed[attendee.id])
    plan_host_reminders(booking)


def reseal_manage_link(booking: Booking, attendee: Attendee, token: str) -> None:
    """The guest got a new manage link (the old one stopped working): their reminders still to
    send carry the new one."""
    sealed = encrypt_secret(token)
    for job in _open_reminders(booking):
        if job.payload["recipient"] == attendee.id and "token" in job.payload:
            job.payload = {**job.payload, "token": sealed}


def _plan(booking: Booking, attendee: Attendee | None, sealed_token: str | None) -> None:
    now = utcnow()
    title, host = booking.meeting_type.name, booking.host
    subject = (in_language(language_of(attendee), "Reminder: %(meeting)s with %(host)s",
                           meeting=title, host=host.name) if attendee
               else in_language(language_of(host), "Reminder: %(meeting)s (%(reference)s)",
                                meeting=title, reference=booking.reference))
    for offset in parse_offsets(booking.meeting_type.reminder_offsets):
        moment = booking.start_at - timedelta(minutes=offset)
        if moment <= now:
            continue  # booked inside this offset: the confirmation was the reminder
        payload = {"email": REMINDER, "recipient": attendee.id if attendee else HOST,
                   "to": attendee.email if attendee else host.email, "subject": subject,
                   "offset": offset, "until": _until(booking.start_at, offset).isoformat()}
        if sealed_token:
            payload["token"] = sealed_token
        enqueue(Kind.BOOKING_EMAIL, booking=booking, payload=payload, run_after=moment)
        if attendee is not None:
            copy_to_extra_guests(booking, attendee, payload, run_after=moment)


def _until(start: datetime, offset: int) -> datetime:
    """The last moment a reminder ``offset`` minutes before ``start`` is worth sending."""
    return start - timedelta(minutes=offset) / 2


def _open_reminders(booking: Booking) -> list[Job]:
    jobs = db.session.scalars(select(Job).where(
        Job.booking_id == booking.id, Job.kind == Kind.BOOKING_EMAIL, Job.done_at.is_(None)))
    return [job for job in jobs if job.payload.get("email") == REMINDER]


def _without_token(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if k != "token"}

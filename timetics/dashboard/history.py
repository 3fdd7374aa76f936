"""A booking's history, read from what the booking already records.

Every side effect of a change is a job written in the change's own transaction (jobs.py), so
the booking's rows and its jobs are its log: when it was made and cancelled, who joined and who
left, each email and each Zoom call with its outcome. The cancellation email jobs also say who
cancelled (``by_name``), and the reschedule emails the old time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..i18n import N_
from ..jobs import Kind, in_flight
from ..models import Approval, Booking, BookingStatus, Job

ZOOM_CALLS = {Kind.ZOOM_CREATE: N_("Create the Zoom meeting"),
              Kind.ZOOM_UPDATE: N_("Move the Zoom meeting"),
              Kind.ZOOM_DELETE: N_("Delete the Zoom meeting")}
# The booking's event in the host's own calendar (timetics/calendars/writeback.py).
CALENDAR_WRITES = {Kind.CALENDAR_PUT: N_("Write the event in the host's calendar"),
                   Kind.CALENDAR_DELETE: N_("Delete the event from the host's calendar")}
CALLS = {**ZOOM_CALLS, **CALENDAR_WRITES}
# Each kind of email as the history names it: "%(kind)s email to %(to)s" reads "Confirmation
# email to …"; the whole line is one message per kind.
EMAILS = {"confirmed": N_("Confirmation email to %(to)s"),
          "cancelled": N_("Cancellation email to %(to)s"),
          "rescheduled": N_("New time email to %(to)s"),
          "zoom_link": N_("Zoom link email to %(to)s"),
          "reminder": N_("Reminder email to %(to)s"),
          "pick_new_time": N_("Please pick a new time email to %(to)s"),
          "requested": N_("Request received email to %(to)s"),
          "declined": N_("Request declined email to %(to)s")}
OTHER_EMAIL = N_("Email to %(to)s")


@dataclass(frozen=True)
class Entry:
    at: datetime
    what: str
    outcome: str = ""
    tone: str = ""  # "ok", "warn" or "bad": how the outcome's badge looks
    detail: str = ""  # the last error, a message to the guests
    was: datetime | None = None  # the old time, for a move


def booking_history(booking: Booking) -> list[Entry]:
    """What happened to ``booking``, oldest first."""
    jobs = list(db.session.scalars(select(Job).where(Job.booking_id == booking.id)
                                   .order_by(Job.created_at, Job.id)))
    cancellations = [j for j in jobs if j.kind == Kind.BOOKING_EMAIL
                     and j.payload.get("email") == "cancelled"
                     and j.payload.get("recipient") == "host"]
    entries = []
    for n, attendee in enumerate(booking.attendees):
        made = _("Requested by %(name)s", name=attendee.name) \
            if booking.approval != Approval.NONE else _("Booked by %(name)s", name=attendee.name)
        entries.append(Entry(booking.created_at, made) if n == 0
                       else Entry(attendee.created_at, _("%(name)s joined", name=attendee.name)))
        if attendee.cancelled_at and attendee.cancelled_at != booking.cancelled_at:
            entries.append(Entry(attendee.cancelled_at, _guest_left(attendee, cancellations)))
    if booking.status == BookingStatus.CANCELLED and booking.cancelled_at:
        entries.append(_cancelled(booking, cancellations))
    for job in jobs:
        entries.extend(_job_entries(job))
    return sorted(entries, key=lambda e: e.at)


def _guest_left(attendee, cancellations: list[Job]) -> str:
    if any(attendee.id in j.payload.get("attendees", []) for j in cancellations):
        return _("%(name)s cancelled their place", name=attendee.name)
    return _("%(name)s moved to another time", name=attendee.name)


def _cancelled(booking: Booking, cancellations: list[Job]) -> Entry:
    if booking.approval == Approval.DECLINED:
        return _declined(booking)
    by_host = [j for j in cancellations if j.payload.get("by_host")]
    if by_host:
        payload = by_host[-1].payload
        # Jobs written before "by_name" existed were the host's own cancellations.
        return Entry(booking.cancelled_at,
                     _("Cancelled by %(name)s", name=payload.get("by_name", booking.host.name)),
                     detail=payload.get("message", ""))
    if cancellations:
        return Entry(booking.cancelled_at, _("Cancelled by the guest"))
    return Entry(booking.cancelled_at, _("Cancelled: the guest moved to another time"))


def _declined(booking: Booking) -> Entry:
    """A request declined by the host (their message to the guest is in its email job), or
    by itself (booking/approval.py)."""
    told = db.session.scalars(select(Job).where(
        Job.booking_id == booking.id, Job.kind == Kind.BOOKING_EMAIL).order_by(Job.id))
    payload = next((j.payload for j in told if j.payload.get("email") == "declined"), {})
    if payload.get("by_name"):
        return Entry(booking.cancelled_at, _("Request declined by %(name)s",
                                             name=payload["by_name"]),
                     detail=payload.get("message", ""))
    return Entry(booking.cancelled_at, _("Request declined: not answered in time"))


def _job_entries(job: Job) -> list[Entry]:
    if job.kind == Kind.APPROVAL_EXPIRE:  # finished when the request was answered
        accepted = job.booking.approval == Approval.ACCEPTED and job.done_at
        return [Entry(job.done_at, _("Request accepted"))] if accepted else []
    outcome, tone = _outcome(job)
    if job.kind in CALLS:
        return [Entry(job.created_at, _(CALLS[job.kind]), outcome, tone,
                      job.last_error or "")]
    if job.kind != Kind.BOOKING_EMAIL:
        return []
    payload = job.payload
    entries = []
    if payload.get("email") == "rescheduled" and payload.get("recipient") == "host":
        moved = _("Moved to a new time by %(name)s", name=payload["by_name"]) \
            if payload.get("by_name") else _("Moved to a new time")
        entries.append(Entry(job.created_at, moved,
                             was=datetime.fromisoformat(payload["old_start"])))
    line = EMAILS.get(payload.get("email"), OTHER_EMAIL)
    entries.append(Entry(job.created_at, _(line, to=payload.get("to", "")), outcome,
                         tone, job.last_error or ""))
    return entries


def _outcome(job: Job) -> tuple[str, str]:
    if job.payload.get("skipped"):  # a reminder made pointless (reminders.py)
        return _("Not sent: %(reason)s", reason=job.payload["skipped"]), ""
    if job.done_at:
        return _("Done"), "ok"
    if job.failed_at:
        return _("Gave up after %(num)s attempts", num=job.attempts), "bad"
    if in_flight(job):
        return _("Running"), ""
    if job.attempts:
        return _("Failed %(num)s×, will retry", num=job.attempts), "warn"
    return _("Waiting"), ""

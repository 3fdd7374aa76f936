"""Needs attention in words: what a stored Zoom error means, and when the work is tried again;
and the bookings whose event could not be written to the host's calendar.

Jobs store the error as the Zoom client described it ("Zoom refused the meeting creation:
HTTP 500, 500 (…)"), which is right for a log and the disclosure but not for a person. The
known kinds map to plain words here, in one place; the raw text stays beside them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from ..db import utcnow
from ..extensions import db
from ..i18n import N_, format_local
from ..integrations.meetings import ZOOM_KINDS
from ..jobs import Kind
from ..models import Booking, Calendar, Job, User

# How the Zoom client words what it could not do (timetics/zoom/transport.py, oauth.py).
_FROM_ZOOM = re.compile(r"^Zoom (refused the|did not answer|could not be reached)|^Zoom's answer")
_HTTP_STATUS = re.compile(r"\bHTTP (\d{3})\b")
_TOKEN_REFUSED = ("invalid_grant", "invalid_request", "token refresh")
_SCOPE_MISSING = ("4711", "does not contain scope")
CONNECTION_REFUSED = N_("Zoom no longer accepts the host's connection")


def plain_words(detail: str | None) -> str:
    """What a stored error means, in words a host can act on (in the current language).
    Errors that did not come from Zoom (ours, the mail server's) are worded already and come
    back unchanged."""
    words = _english_words(detail)
    return words if _worded_already(detail) else _(words)


def _worded_already(detail: str | None) -> bool:
    detail = (detail or "").strip()
    return bool(detail) and not _FROM_ZOOM.match(detail)


def _english_words(detail: str | None) -> str:
    detail = (detail or "").strip()
    return detail.rstrip(".") if _worded_already(detail) else _zoom_error_kind(detail)


def _zoom_error_kind(detail: str) -> str:
    """The English words (a catalogue message) for an error of the Zoom client."""
    if not detail:
        return N_("Waiting for Zoom")
    lowered = detail.lower()
    if "did not answer" in lowered:
        return N_("Zoom did not answer in time")
    if "could not be reached" in lowered:
        return N_("Zoom could not be reached from this server")
    if lowered.startswith("zoom's answer"):
        return N_("Zoom sent an answer Timetics could not read")
    match = _HTTP_STATUS.search(detail)
    status = int(match.group(1)) if match else 0
    if any(marker in lowered for marker in _SCOPE_MISSING):
        return N_("The Zoom app lacks a permission (scope); add it in the Zoom App Marketplace")
    if status == 429:
        return N_("Zoom's rate limit was reached")
    if status >= 500:
        return N_("Zoom had an internal error")
    if status == 401 or any(marker in lowered for marker in _TOKEN_REFUSED):
        return CONNECTION_REFUSED
    if status == 404:
        return N_("Zoom no longer has this meeting")
    return N_("Zoom refused the request")


def when_next(job: Job | None, zone: str, now: datetime | None = None) -> str:
    """When the job runs again, in ``zone``: "we retry at 10:42", "we stopped retrying"."""
    if job is None or job.done_at is not None:
        return ""
    if job.failed_at is not None:
        return _("we stopped retrying: use Retry now")
    now = now or utcnow()
    if job.run_after <= now:
        return _("we retry in a moment")
    local, today = job.run_after.astimezone(ZoneInfo(zone)), now.astimezone(ZoneInfo(zone))
    if local.date() == today.date():
        return _("we retry at %(time)s", time=format_local(local, "%H:%M"))
    return _("we retry on %(day)s at %(time)s", day=format_local(local, "%a %d %b"),
             time=format_local(local, "%H:%M"))


def sentence(detail: str | None, job: Job | None, zone: str) -> str:
    """``plain_words`` and ``when_next`` as one sentence: "Zoom had an internal error; we retry
    at 10:42"."""
    english, retry = _english_words(detail), when_next(job, zone)
    if retry and (english == CONNECTION_REFUSED or "reconnect" in english):
        # Reconnecting runs the waiting work at once (meetings.resume_waiting_jobs): no backoff.
        retry = _("it runs as soon as the host connects Zoom again")
    return _("%(problem)s; %(retry)s.", problem=plain_words(detail), retry=retry) if retry \
        else _("%(problem)s.", problem=plain_words(detail))


def open_zoom_jobs(bookings: list[Booking]) -> dict[int, Job]:
    """Each booking's Zoom job that is still to run (the one due first)."""
    if not bookings:
        return {}
    query = (select(Job)
             .where(Job.booking_id.in_([b.id for b in bookings]), Job.kind.in_(ZOOM_KINDS),
                    Job.done_at.is_(None))
             .order_by(Job.run_after.desc()))
    return {job.booking_id: job for job in db.session.scalars(query)}  # the earliest wins


CALENDAR_WRITES = (Kind.CALENDAR_PUT, Kind.CALENDAR_DELETE)


@dataclass(frozen=True)
class CalendarWriteProblem:
    """A booking whose event in the host's calendar is not as it should be."""

    job: Job  # the booking's newest failing write: retrying it writes the booking as it is
    calendar: Calendar

    @property
    def removal(self) -> bool:
        return self.job.kind == Kind.CALENDAR_DELETE


def calendar_write_problems(user: User, limit: int = 50) -> list[CalendarWriteProblem]:
    """Bookings whose calendar write-back failed, still retrying or given up (own only, for
    staff): one line per booking, its newest write if that one failed (each write writes the
    booking as it is, so a newer one that worked puts the older failures right)."""
    failing = select(Job.booking_id).where(Job.kind.in_(CALENDAR_WRITES), Job.done_at.is_(None),
                                           Job.last_error.is_not(None))
    query = (select(Job).join(Booking, Job.booking_id == Booking.id)
             .where(Job.kind.in_(CALENDAR_WRITES), Job.booking_id.in_(failing))
             .order_by(Job.id.desc()))
    if not user.is_admin:
        query = query.where(Booking.host_id == user.id)
    newest: dict[int, Job] = {}
    for job in db.session.scalars(query):
        newest.setdefault(job.booking_id, job)
    problems = []
    for job in newest.values():
        calendar = db.session.get(Calendar, job.payload.get("calendar_id"))
        if job.done_at is None and job.last_error and calendar is not None:
            problems.append(CalendarWriteProblem(job, calendar))  # removed: nothing to do
    return problems[:limit]

"""Busy times: read from each calendar by the job runner and stored, so that the public pages
never wait for a calendar server.

Each calendar that checks for conflicts has at most one sync job open at a time: at once on
Sync now and when it is added or ticked, and from the job runner's rounds (``plan_due_syncs``,
a ``jobs.periodic`` planner) once ``CALENDAR_SYNC_MINUTES`` have passed since its last sync.
No job plans the next one, so a job that is lost or crashes cannot stop a calendar's syncing:
the next round finds it due. The job always finishes (a failing calendar is the calendar's
state, not the job's).
A calendar that fails keeps the busy times of its last good sync, shows why on the Calendars
tab and the dashboard, and its owner is told once by email until it works again.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app
from sqlalchemy import delete, func, insert, or_, select

from ..auth.services import external_url
from ..db import utcnow
from ..exceptions import CalendarError
from ..extensions import db
from ..i18n import in_language, language_of
from ..jobs import Kind, enqueue, handler, in_flight, open_jobs_query, periodic
from ..mail import enqueue_email
from ..models import BusyTime, Calendar, CalendarAccount, CalendarSource, Job, MeetingType
from ..security import decrypt_secret
from . import busy, failures, remote

logger = logging.getLogger(__name__)

LOOK_BACK = timedelta(days=1)
DEFAULT_HORIZON_DAYS = 60
MAX_HORIZON_DAYS = 730  # the longest booking window a meeting type may have


def login_of(calendar: Calendar) -> remote.Login:
    return account_login(calendar.account)


def account_login(account: CalendarAccount) -> remote.Login:
    try:
        password = decrypt_secret(account.password_encrypted) \
            if account.password_encrypted else ""
        return remote.Login(decrypt_secret(account.url_encrypted), account.username, password)
    except ValueError as e:  # ENCRYPTION_KEY lost the key it was stored under
        raise CalendarError(failures.KEY_CHANGED) from e


def own_uid_suffix() -> str:
    """How the UIDs of the events we write end (timetics/ics.py booking_uid)."""
    return "@" + (urlsplit(current_app.config["EXTERNAL_URL"]).hostname or "timetics")


def horizon(calendar: Calendar, now: datetime) -> tuple[datetime, datetime]:
    """From a day ago to the end of the longest booking window of the owner's meeting types."""
    days = db.session.scalar(select(func.max(MeetingType.window_days)).where(
        MeetingType.host_id == calendar.user_id, MeetingType.active.is_(True)))
    days = min(days or DEFAULT_HORIZON_DAYS, MAX_HORIZON_DAYS)
    return now - LOOK_BACK, now + timedelta(days=days + 1)


def fetch_busy(calendar: Calendar, start: datetime, end: datetime, *,
               wait: float | None = None) -> list[tuple[datetime, datetime]]:
    """The calendar's busy stretches in [start, end), read now (CalendarError if it fails)."""
    login = login_of(calendar)
    if calendar.account.source == CalendarSource.FEED:
        objects = remote.feed_events(login.url, wait=wait)
    else:
        objects = remote.caldav_events(login, calendar.url, start, end, wait=wait)
    return stretches_of(calendar, objects, start, end)


def stretches_of(calendar: Calendar, objects: list[icalendar.Calendar], start: datetime,
                 end: datetime) -> list[tuple[datetime, datetime]]:
    owner = calendar.account.user
    try:
        return busy.busy_stretches(objects, start, end, ZoneInfo(owner.timezone),
                                   own_uid_suffix=own_uid_suffix(),
                                   me=(owner.email, calendar.account.username))
    except Exception as e:  # the libraries' many ways of refusing a malformed event
        logger.exception("Calendar %s: events that cannot be expanded", calendar.id)
        raise CalendarError(failures.BAD_EVENT) from e


def sync_calendar(calendar: Calendar, now: datetime | None = None) -> bool:
    """Read the calendar and replace its stored busy times; on failure keep them and record
    why. True when it worked. Commits."""
    now = now or utcnow()
    start, end = horizon(calendar, now)
    calendar.last_sync_at = now
    try:
        stretches = fetch_busy(calendar, start, end)
    except CalendarError as e:
        _record_failure(calendar, e.message)
        db.session.commit()
        return False
    synced(calendar, stretches, now)
    db.session.commit()
    return True


def synced_from(calendar: Calendar, objects: list[icalendar.Calendar]) -> None:
    """The calendar was just read (``objects``) by someone else: store what it holds as a
    sync (the runner's next is due ``CALENDAR_SYNC_MINUTES`` from now). Flushes."""
    now = utcnow()
    calendar.last_sync_at = now
    synced(calendar, stretches_of(calendar, objects, *horizon(calendar, now)), now)


def synced(calendar: Calendar, stretches: list[tuple[datetime, datetime]],
           now: datetime) -> None:
    store_busy(calendar, stretches)
    calendar.last_success_at, calendar.last_error, calendar.failure_told_at = now, None, None
    logger.info("Calendar %s synced: %d busy times", calendar.id, len(stretches))


def store_busy(calendar: Calendar, stretches: list[tuple[datetime, datetime]]) -> None:
    db.session.execute(delete(BusyTime).where(BusyTime.calendar_id == calendar.id))
    if stretches:
        db.session.execute(insert(BusyTime), [
            {"calendar_id": calendar.id, "user_id": calendar.user_id, "start_at": begins,
             "end_at": ends} for begins, ends in stretches])


def forget_busy(calendar: Calendar) -> None:
    """The calendar no longer blocks slots."""
    db.session.execute(delete(BusyTime).where(BusyTime.calendar_id == calendar.id))


def _record_failure(calendar: Calendar, message: str) -> None:
    calendar.last_error = message
    logger.warning("Calendar %s failed to sync: %s", calendar.id, message)
    if calendar.failure_told_at is None:
        calendar.failure_told_at = utcnow()
        owner = calendar.account.user
        language = language_of(owner)
        enqueue_email(owner.email, in_language(language, "Your calendar “%(name)s” cannot be "
                                               "read", name=calendar.name),
                      "email/calendar_failed", person=owner, calendar=calendar,
                      link=external_url("calendars.index", user_id=owner.id), language=language)


# --- the jobs ------------------------------------------------------------------------------------

def _open_syncs() -> list[Job]:
    return list(db.session.scalars(open_jobs_query().where(Job.kind == Kind.CALENDAR_SYNC)))


def plan_sync(calendar: Calendar) -> None:
    """Sync the calendar at once, replacing a sync of it still waiting for its turn."""
    now = utcnow()
    for job in _open_syncs():
        if job.payload.get("calendar_id") == calendar.id and not in_flight(job, now):
            db.session.delete(job)
    enqueue(Kind.CALENDAR_SYNC, payload={"calendar_id": calendar.id})


def sync_interval() -> timedelta:
    return timedelta(minutes=float(current_app.config["CALENDAR_SYNC_MINUTES"]))


@periodic
def plan_due_syncs() -> int:
    """One sync job for each checked calendar whose last sync (good or failed) is
    ``CALENDAR_SYNC_MINUTES`` old, unless it has one open already. How many were planned."""
    synced_before = utcnow() - sync_interval()
    due = set(db.session.scalars(select(Calendar.id).where(
        Calendar.check_conflicts.is_(True),
        or_(Calendar.last_sync_at.is_(None), Calendar.last_sync_at <= synced_before))))
    if not due:
        return 0
    pending = {job.payload.get("calendar_id") for job in _open_syncs()}
    for calendar_id in sorted(due - pending):
        enqueue(Kind.CALENDAR_SYNC, payload={"calendar_id": calendar_id})
    return len(due - pending)


@handler(Kind.CALENDAR_SYNC)
def _sync(job: Job) -> None:
    calendar = db.session.get(Calendar, job.payload["calendar_id"])
    if calendar is None or not calendar.check_conflicts:
        return  # removed, or no longer checked
    sync_calendar(calendar)
    # Finished syncs are not history worth keeping: one row per calendar every few minutes.
    db.session.execute(delete(Job).where(Job.kind == Kind.CALENDAR_SYNC,
                                         Job.done_at.is_not(None)))

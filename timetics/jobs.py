"""The outbox: deferred Zoom calls and emails, claimed one at a time and retried with backoff.

A job is written in the same transaction as the change that needs it (or right after a failed
inline attempt), so nothing a user asked for is lost. ``run_due`` claims a job with a
compare-and-swap on ``locked_until`` before running it, so two runners never run the same job.
"""
from __future__ import annotations

import logging
import random
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from .booking.notifications import send_zoom_link
from .db import utcnow
from .exceptions import ZoomError, ZoomRateLimited
from .extensions import db
from .integrations import meetings
from .integrations.connections import api_for
from .mail import SEND_EMAIL, deliver_sealed, describe_mail_error
from .models import Booking, BookingStatus, Job, ZoomState

logger = logging.getLogger(__name__)

FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
LEASE = timedelta(minutes=2)  # a runner that died mid-job frees it after this


class RetryLater(Exception):
    """The job cannot run yet (e.g. the host must reconnect Zoom); try again later."""


def backoff(attempts: int, rng: Callable[[], float] = random.random) -> timedelta:
    """30 s doubling per attempt up to 1 h, with ±20 % jitter so retries do not march in step."""
    base = min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)
    return base * (0.8 + 0.4 * rng())


def max_age() -> timedelta:
    return timedelta(hours=float(current_app.config["JOB_MAX_AGE_HOURS"]))


def open_jobs_query():
    return select(Job).where(Job.done_at.is_(None), Job.failed_at.is_(None))


def due_job_ids(now: datetime, *, everything: bool = False) -> list[int]:
    query = open_jobs_query().with_only_columns(Job.id).order_by(Job.run_after, Job.id)
    if not everything:
        query = query.where(Job.run_after <= now)
    return list(db.session.scalars(query))


def claim(job_id: int, now: datetime, *, everything: bool = False) -> Job | None:
    """Take the job for this runner, or None if another runner has it or it is finished."""
    conditions = [Job.id == job_id, Job.done_at.is_(None), Job.failed_at.is_(None),
                  or_(Job.locked_until.is_(None), Job.locked_until < now)]
    if not everything:
        conditions.append(Job.run_after <= now)
    claimed = db.session.execute(update(Job).where(*conditions).values(locked_until=now + LEASE))
    db.session.commit()
    return db.session.get(Job, job_id) if claimed.rowcount == 1 else None


def run_due(*, everything: bool = False) -> int:
    """Run every job that is due now (``everything``: whatever its due time). Returns how many
    were run."""
    ran = 0
    for job_id in due_job_ids(utcnow(), everything=everything):
        job = claim(job_id, utcnow(), everything=everything)
        if job is not None:
            run(job)
            ran += 1
    return ran


def run_jobs_of(booking: Booking) -> None:
    """Retry now: run the booking's unfinished jobs at once."""
    ids = db.session.scalars(select(Job.id).where(Job.booking_id == booking.id,
                                                  Job.done_at.is_(None)))
    for job_id in list(ids):
        retry_now(job_id)


def retry_now(job_id: int) -> None:
    """Run one unfinished job at once, whatever its due time. A job that had given up is
    revived, with its maximum age counted afresh from now."""
    now = utcnow()
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.done_at.is_(None), Job.failed_at.is_not(None))
        .values(failed_at=None, created_at=now, run_after=now)
    )
    db.session.commit()
    job = claim(job_id, utcnow(), everything=True)
    if job is not None:
        run(job)


def run(job: Job) -> None:
    """Run one claimed job and record what happened."""
    handler = HANDLERS.get(job.kind)
    try:
        if handler is None:
            raise LookupError(f"unknown job kind {job.kind!r}")
        handler(job)
    except (ZoomError, RetryLater, OSError, LookupError, ValueError) as error:
        _failed_attempt(job, error)
        return
    except Exception as error:  # a bug must not stop the runner; the job records it
        logger.exception("Job %s (%s) crashed", job.id, job.kind)
        _failed_attempt(job, error)
        return
    job.done_at = utcnow()
    job.locked_until = None
    job.last_error = None
    if job.kind == SEND_EMAIL:
        job.payload = {k: v for k, v in job.payload.items() if k != "sealed"}
    db.session.commit()
    logger.info("Job %s (%s) done after %s attempts", job.id, job.kind, job.attempts + 1)


def _failed_attempt(job: Job, error: BaseException) -> None:
    db.session.rollback()
    job = db.session.get(Job, job.id)
    now = utcnow()
    job.attempts += 1
    job.locked_until = None
    job.last_error = getattr(error, "message", None) or str(error) or error.__class__.__name__
    wait = backoff(job.attempts)
    if isinstance(error, ZoomRateLimited) and error.retry_after:
        wait = max(wait, error.retry_after - now)
    job.run_after = now + wait
    if now - job.created_at > max_age():
        job.failed_at = now
        _mark_booking_failed(job)
        logger.error("Job %s (%s) gave up after %s attempts", job.id, job.kind, job.attempts)
    else:
        logger.warning("Job %s (%s) failed (attempt %s); next try at %s", job.id, job.kind,
                       job.attempts, job.run_after.isoformat(timespec="seconds"))
    if job.booking is not None and job.kind.startswith("zoom_"):
        job.booking.zoom_error = job.last_error
    db.session.commit()


def _mark_booking_failed(job: Job) -> None:
    if job.booking is not None and job.kind in ("zoom_create", "zoom_delete"):
        job.booking.zoom_state = ZoomState.FAILED


# --- handlers -------------------------------------------------------------------------------

def _send_email(job: Job) -> None:
    try:
        deliver_sealed(job.payload["sealed"])
    except (OSError, smtplib.SMTPException) as error:
        raise RetryLater(describe_mail_error(error)) from error


def _zoom_create(job: Job) -> None:
    booking = job.booking
    if booking.zoom_meeting_id:
        return
    api = api_for(booking.host)
    if api is None:
        raise RetryLater("Waiting for the host to reconnect Zoom.")
    # A create that timed out may have worked at Zoom: adopt that meeting rather than make two.
    meeting = api.find_meeting_by_agenda(meetings.agenda_marker(booking))
    if booking.status == BookingStatus.CANCELLED:
        # Cancelled while the create was pending: make nothing, and delete what the timed-out
        # attempt may have made, so no meeting outlives its booking.
        if meeting is not None:
            meetings.adopt_meeting(booking, meeting)
            meetings.delete_meeting_for(booking)
        else:
            booking.zoom_state = ZoomState.NONE
        return
    meetings.adopt_meeting(booking, meeting or api.create_meeting(
        meetings.meeting_payload(booking)))
    send_zoom_link(booking)


def _zoom_update(job: Job) -> None:
    booking = job.booking
    if booking.status == BookingStatus.CANCELLED or not booking.zoom_meeting_id:
        return
    api = api_for(booking.host)
    if api is None:
        raise RetryLater("Waiting for the host to reconnect Zoom.")
    api.update_meeting(booking.zoom_meeting_id, meetings.meeting_payload(booking))


def _zoom_delete(job: Job) -> None:
    booking = job.booking
    if not booking.zoom_meeting_id or booking.zoom_state == ZoomState.DELETED:
        return
    api = api_for(booking.host)
    if api is None:
        raise RetryLater("Waiting for the host to reconnect Zoom.")
    api.delete_meeting(booking.zoom_meeting_id)  # False when Zoom says it is gone: fine too
    booking.zoom_state = ZoomState.DELETED
    booking.zoom_error = None


HANDLERS: dict[str, Callable[[Job], None]] = {
    SEND_EMAIL: _send_email,
    "zoom_create": _zoom_create,
    "zoom_update": _zoom_update,
    "zoom_delete": _zoom_delete,
}

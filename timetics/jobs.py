"""The outbox: every side effect of a change is a job, written in the same transaction.

A service that changes a booking calls ``enqueue`` for each Zoom call and each email the change
needs, so the jobs commit (or roll back) with the change itself. After the commit, the request
runs the jobs it wrote (``run_written``, hooked in by the app factory), and ``run-jobs`` runs
whatever is due: both through ``claim`` (a compare-and-swap that takes a lease on the row) and
``run``, so two runners never run one job, and a process that died mid-job leaves it to the next
runner once its lease has run out. Nothing a user asked for is lost while the database stands.

This module is plumbing: the modules that own a kind of work register its handler
(``@handler(Kind.X)``); it imports nothing from the domain.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app, g
from sqlalchemy import inspect, or_, select, update

from .db import utcnow
from .exceptions import GiveUp, TimeticsError
from .extensions import db
from .models import Booking, Job

logger = logging.getLogger(__name__)

FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


class Kind(StrEnum):
    """Every kind of job, and the module whose handler runs it."""

    SEND_EMAIL = "send_email"  # a message written earlier, kept sealed (mail.py)
    BOOKING_EMAIL = "booking_email"  # a booking's email, written when it runs (notifications.py)
    ZOOM_CREATE = "zoom_create"  # integrations/meetings.py
    ZOOM_UPDATE = "zoom_update"
    ZOOM_DELETE = "zoom_delete"
    ZOOM_REGISTER = "zoom_register"  # one registrant (payload: attendee or extra_guest)
    ZOOM_UNREGISTER = "zoom_unregister"  # cancel that guest's registration
    ZOOM_KEEPALIVE = "zoom_keepalive"  # integrations/keepalive.py
    CALENDAR_SYNC = "calendar_sync"  # calendars/sync.py
    CALENDAR_PUT = "calendar_put"  # calendars/writeback.py: write the booking's event as it is
    CALENDAR_DELETE = "calendar_delete"
    WEBHOOK_DELIVERY = "webhook_delivery"  # one event to one endpoint (webhooks/outgoing.py)
    APPROVAL_EXPIRE = "approval_expire"  # decline an unanswered request (booking/approval.py)


@dataclass(frozen=True)
class Handler:
    run: Callable[[Job], None]
    # Told of each failed attempt (job, error message, whether it gave up), in its transaction.
    on_failure: Callable[[Job, str, bool], None] | None = None


_HANDLERS: dict[str, Handler] = {}


def handler(kind: Kind, *, on_failure: Callable[[Job, str, bool], None] | None = None):
    """Register the decorated function as the one way to run jobs of ``kind``.

    It raises to fail the attempt (retried with backoff; ``retry_after`` on the error is
    honoured; ``GiveUp`` ends the retries now), or returns to finish the job; the job's
    changes commit with its "done".
    """
    def register(run: Callable[[Job], None]) -> Callable[[Job], None]:
        _HANDLERS[kind] = Handler(run, on_failure)
        return run
    return register


_PLANNERS: list[Callable[[], None]] = []


def periodic(plan: Callable[[], None]) -> Callable[[], None]:
    """Register ``plan`` to run at the start of each runner round (``run_round``): it writes
    the jobs of periodic work that has come due (a connection's keep-alive), in the session's
    transaction, which the round commits."""
    _PLANNERS.append(plan)
    return plan


def enqueue(kind: Kind, *, booking: Booking | None = None, payload: dict | None = None,
            run_after: datetime | None = None) -> Job:
    """Add a job to the current transaction; it is due at once (or at ``run_after``), and the
    request that wrote it runs it after the commit if it is due by then."""
    now = utcnow()
    due = max(run_after or now, now)
    # A job planned for later (a reminder) is as old as it is due: its maximum age, and its
    # place in a booking's history, count from then.
    job = Job(kind=kind, booking=booking, payload=payload or {}, run_after=due, created_at=due)
    db.session.add(job)
    g.setdefault("jobs_written", []).append(job)
    return job


def backoff(attempts: int, rng: Callable[[], float] = random.random) -> timedelta:
    """30 s doubling per attempt up to 1 h, with ±20 % jitter so retries do not march in step."""
    base = min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)
    return base * (0.8 + 0.4 * rng())


def max_age() -> timedelta:
    return timedelta(hours=float(current_app.config["JOB_MAX_AGE_HOURS"]))


def lease() -> timedelta:
    """How long a claimed job is the claimer's: longer than any handler can take (a few Zoom
    calls or one SMTP session, each bounded by its timeout), so only a dead runner loses it."""
    longest_call = max(float(current_app.config["ZOOM_TIMEOUT"]),
                       float(current_app.config["MAIL_TIMEOUT"]))
    return timedelta(seconds=4 * longest_call + 5)


def request_budget() -> float:
    """Seconds a request spends starting the jobs it wrote; the rest is left to the runner."""
    return float(current_app.config["ZOOM_TIMEOUT"]) + float(current_app.config["MAIL_TIMEOUT"])


def open_jobs_query():
    return select(Job).where(Job.done_at.is_(None), Job.failed_at.is_(None))


def in_flight(job: Job, now: datetime | None = None) -> bool:
    """Claimed by a runner that may still be at it."""
    return job.locked_until is not None and job.locked_until > (now or utcnow())


def _planned_for_later(now: datetime):
    """Jobs nobody has tried yet that are due later (reminders): "whatever its due time" means
    a retry's backoff, never a reminder's moment."""
    return (Job.attempts == 0) & (Job.run_after > now)


def due_job_ids(now: datetime, *, everything: bool = False) -> list[int]:
    """The open jobs due at ``now``, oldest first. A job nobody has tried yet is left to the
    request that wrote it for ``request_budget()`` seconds: after that its request has died."""
    query = open_jobs_query().with_only_columns(Job.id).order_by(Job.run_after, Job.id)
    if everything:
        query = query.where(~_planned_for_later(now))
    else:
        fresh = now - timedelta(seconds=request_budget())
        query = query.where(Job.run_after <= now,
                            or_(Job.attempts > 0, Job.created_at <= fresh))
    return list(db.session.scalars(query))


def claim(job_id: int, now: datetime, *, everything: bool = False) -> Job | None:
    """Take the job for this runner (counting an attempt), or None if another runner has it or
    it is finished."""
    conditions = [Job.id == job_id, Job.done_at.is_(None), Job.failed_at.is_(None),
                  or_(Job.locked_until.is_(None), Job.locked_until < now)]
    conditions.append(~_planned_for_later(now) if everything else Job.run_after <= now)
    claimed = db.session.execute(update(Job).where(*conditions).values(
        locked_until=now + lease(), attempts=Job.attempts + 1))
    db.session.commit()
    return db.session.get(Job, job_id, populate_existing=True) if claimed.rowcount == 1 else None


def run_written() -> int:
    """Run the jobs this request (or command) wrote and committed, in the order written, for
    at most ``request_budget()`` seconds. Jobs that they write in turn run too. Returns how
    many ran."""
    deadline = time.monotonic() + request_budget()
    ran = 0
    while written := g.pop("jobs_written", []):
        for job in written:
            # A job whose transaction rolled back was never written; one due later (a
            # reminder) is the runner's, and needs no claim attempt here.
            if not inspect(job).persistent or job.run_after > utcnow() \
                    or time.monotonic() > deadline:
                continue
            claimed = claim(job.id, utcnow())
            if claimed is not None:
                run(claimed)
                ran += 1
    return ran


def run_due(*, everything: bool = False) -> int:
    """Run every job that is due now (``everything``: whatever its due time), and those that
    they write in turn, each once. Returns how many were run."""
    seen: set[int] = set()
    ran = 0
    while todo := [i for i in due_job_ids(utcnow(), everything=everything) if i not in seen]:
        for job_id in todo:
            seen.add(job_id)
            job = claim(job_id, utcnow(), everything=everything)
            if job is not None:
                run(job)
                ran += 1 + run_written()  # and what it wrote (a follow-up email)
    return ran


def run_round(*, everything: bool = False) -> int:
    """One round of the job runner: write the periodic work that is due, then run it and every
    job that is due (``run_due``). Returns how many jobs ran."""
    for plan in _PLANNERS:
        plan()
    db.session.commit()
    return run_written() + run_due(everything=everything)


def run_jobs_of(booking: Booking) -> None:
    """Retry now: run the booking's unfinished jobs at once."""
    ids = db.session.scalars(select(Job.id).where(Job.booking_id == booking.id,
                                                  Job.done_at.is_(None),
                                                  ~_planned_for_later(utcnow())).order_by(Job.id))
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


def wake(job_ids: list[int]) -> None:
    """Make these open jobs due now (what they waited for has happened), and run them after
    this request's commit like the jobs it wrote."""
    if not job_ids:
        return
    db.session.execute(update(Job).where(Job.id.in_(job_ids), Job.done_at.is_(None))
                       .values(run_after=utcnow(), failed_at=None))
    g.setdefault("jobs_written", []).extend(
        db.session.scalars(select(Job).where(Job.id.in_(job_ids))))


def run(job: Job) -> None:
    """Run one claimed job and record what happened."""
    entry = _HANDLERS.get(job.kind)
    try:
        if entry is None:
            raise LookupError(f"unknown job kind {job.kind!r}")
        entry.run(job)
    except Exception as error:  # any failure is the job's, never the runner's or the request's
        if not isinstance(error, TimeticsError | OSError):
            logger.exception("Job %s (%s) crashed", job.id, job.kind)
        _failed_attempt(job, error, entry)
        return
    job.done_at = utcnow()
    job.locked_until = None
    job.last_error = None
    db.session.commit()
    logger.info("Job %s (%s) done after %s attempts", job.id, job.kind, job.attempts)


def _failed_attempt(job: Job, error: BaseException, entry: Handler | None) -> None:
    db.session.rollback()
    job = db.session.get(Job, job.id)
    now = utcnow()
    job.locked_until = None
    job.last_error = getattr(error, "message", None) or str(error) or error.__class__.__name__
    # The first attempt is the request's own: like the inline try it stands for, its failure
    # leaves the job due at once (SPEC §5); each later failure backs off.
    wait = backoff(job.attempts - 1) if job.attempts > 1 else timedelta(0)
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, datetime):
        wait = max(wait, retry_after - now)
    job.run_after = now + wait
    gave_up = isinstance(error, GiveUp) or now - job.created_at > max_age()
    if gave_up:
        job.failed_at = now
        logger.error("Job %s (%s) gave up after %s attempts", job.id, job.kind, job.attempts)
    else:
        logger.warning("Job %s (%s) failed (attempt %s); next try at %s", job.id, job.kind,
                       job.attempts, job.run_after.isoformat(timespec="seconds"))
    if entry is not None and entry.on_failure is not None:
        entry.on_failure(job, job.last_error, gave_up)
    db.session.commit()

"""Outgoing webhooks: each event a booking goes through, POSTed as signed JSON to the endpoints
that asked for it (Settings > Webhooks).

A delivery is an outbox job (``Kind.WEBHOOK_DELIVERY``) written in the transaction of the
change, one per endpoint, with its body fixed then: every retry sends the same bytes and the
same event id, so a receiver can drop repeats. A non-2xx answer or no answer within
``WEBHOOK_TIMEOUT`` fails the attempt, and the outbox retries with its backoff until it gives
up (after ``WEBHOOK_MAX_ATTEMPTS`` attempts, or ``JOB_MAX_AGE_HOURS``); the endpoint then shows
as failing. Every attempt is logged.

The signature header (SPEC §7): ``Timetics-Signature: t=<unix seconds>,v1=<hex>``, the hex being
HMAC-SHA256 of ``"<t>.<raw body>"`` with the endpoint's secret (README, "Webhooks").
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import timedelta

import requests
from flask import current_app
from sqlalchemy import delete, select

from ..db import utcnow
from ..exceptions import GiveUp, RetryLater, UnsafeURL
from ..extensions import db
from ..jobs import Kind, enqueue, handler
from ..models import (
    Approval,
    Attendee,
    Booking,
    BookingStatus,
    Job,
    MeetingType,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    ZoomState,
)
from ..safe_urls import safe_session
from ..security import decrypt_secret, encrypt_secret, new_token

logger = logging.getLogger(__name__)

EVENTS = ("booking.created", "booking.rescheduled", "booking.cancelled", "booking.requested",
          "booking.declined", "zoom.meeting_ready", "zoom.meeting_failed")
# What each event means, for the OpenAPI document's "webhooks" (api/openapi.py).
GUEST_CANCELLED = ("When a guest cancels their own place (or leaves it for another time), "
                   "`data.guest` is that guest: in a group booking with other guests left, "
                   "`data.booking.status` stays `confirmed` and only that guest is gone from "
                   "its `guests`; the booking itself ended only when its status is "
                   "`cancelled`.")
DESCRIPTIONS = {
    "booking.created": "A booking was made, or a guest joined a group booking.",
    "booking.rescheduled": "A booking moved to another time, or a group guest moved to a "
                           "booking at another time (this is the booking they joined).",
    "booking.cancelled": "A booking was cancelled, or a guest left it. " + GUEST_CANCELLED,
    "booking.requested": "A guest asked for a time of a meeting type that requires the host's "
                         "approval; the booking is `pending` and holds its slot.",
    "booking.declined": "The host declined a request, or nobody answered it in time; the "
                        "slot is free again.",
    "zoom.meeting_ready": "The booking's Zoom meeting was made; `zoom.join_url` is set.",
    "zoom.meeting_failed": "Zoom could not make the booking's meeting; retried.",
}
TEST_EVENT = "test"
SAMPLE_REFERENCE = "SAMPLE01"  # the booking of a test event (Send test)
SIGNATURE_HEADER = "Timetics-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a marker, not a secret)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Timetics-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


# --- endpoints (Settings > Webhooks) ----------------------------------------------------------

def add_endpoint(url: str, events: list[str]) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint; returns it and its signing secret, to show once."""
    secret = SECRET_PREFIX + new_token()
    endpoint = WebhookEndpoint(url=url, events=[e for e in EVENTS if e in events],
                               secret_encrypted=encrypt_secret(secret))
    db.session.add(endpoint)
    db.session.commit()
    logger.info("Webhook endpoint %s added for %s", endpoint.id, ", ".join(endpoint.events))
    return endpoint, secret


def all_endpoints() -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def recent_deliveries(endpoint: WebhookEndpoint, limit: int = 20) -> list[WebhookDelivery]:
    """The endpoint's delivery log, newest first."""
    return list(db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id).order_by(WebhookDelivery.id.desc())
        .limit(limit)))


def set_active(endpoint: WebhookEndpoint, active: bool) -> None:
    endpoint.active = active
    db.session.commit()


def remove_endpoint(endpoint: WebhookEndpoint) -> None:
    db.session.delete(endpoint)
    db.session.commit()
    logger.info("Webhook endpoint %s removed", endpoint.id)


# --- events and their delivery ----------------------------------------------------------------

def _event(event_type: str, booking: Booking | None, guest: Attendee | None = None) -> str:
    from ..api.serialize import booking_json, guest_json  # the API's own form

    data = {"booking": booking_json(booking) if booking is not None else None}
    if guest is not None:
        data["guest"] = guest_json(guest)
    return json.dumps({
        "id": "evt_" + secrets.token_hex(12),
        "type": event_type,
        "created": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": data,
    }, separators=(",", ":"))


def plan_webhooks(event_type: str, booking: Booking, *, guest: Attendee | None = None) -> None:
    """In the change's transaction: one delivery job for each active endpoint that wants
    ``event_type``, with the booking as it is now; ``guest``: the one guest whose own place
    the event is about (``GUEST_CANCELLED``)."""
    endpoints = [e for e in db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.active.is_(True))) if event_type in e.events]
    if not endpoints:
        return
    db.session.flush()  # the booking's guests and times as this change leaves them
    body = _event(event_type, booking, guest)
    for endpoint in endpoints:
        enqueue(Kind.WEBHOOK_DELIVERY, booking=booking,
                payload={"endpoint": endpoint.id, "type": event_type, "body": body})


def plan_test(endpoint: WebhookEndpoint) -> None:
    """Send test: a ``test`` event with a sample booking to this endpoint only."""
    enqueue(Kind.WEBHOOK_DELIVERY, payload={"endpoint": endpoint.id, "type": TEST_EVENT,
                                            "body": _event(TEST_EVENT, sample_booking())})


def sample_booking() -> Booking:
    """A made-up booking, never stored (not added to the session), in the shape of every
    event's booking: tomorrow at this hour, one guest, a Zoom meeting made. No real guest's
    data goes to an endpoint being tried out."""
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    booking = Booking(
        reference=SAMPLE_REFERENCE, status=BookingStatus.CONFIRMED, capacity=1,
        meeting_type=MeetingType(slug="sample", name="Sample meeting"),
        host=User(id=0, name="Sam Host", email="host@example.com"),
        start_at=start, end_at=start + timedelta(minutes=30), created_at=utcnow(),
        cancelled_at=None, approval=Approval.NONE, zoom_state=ZoomState.CREATED,
        zoom_meeting_id="1234567890",
        zoom_join_url="https://example.zoom.us/j/1234567890")
    booking.attendees = [Attendee(name="Gail Guest", email="guest@example.com",
                                  timezone="Europe/Berlin", notes="A sample booking.",
                                  status=BookingStatus.CONFIRMED)]
    return booking


def _post(endpoint: WebhookEndpoint, body: bytes) -> tuple[int | None, str | None]:
    """(HTTP status, None) on a 2xx; (status or None, what went wrong) otherwise."""
    headers = {"Content-Type": "application/json", "User-Agent": "Timetics-Webhooks/1",
               SIGNATURE_HEADER: sign(decrypt_secret(endpoint.secret_encrypted),
                                      int(time.time()), body)}
    timeout = float(current_app.config["WEBHOOK_TIMEOUT"])
    try:
        # safe_urls checks the address (and any redirect hop) on every delivery, not only when
        # the endpoint was saved: DNS may point elsewhere by now. A redirect is not followed:
        # the signed event goes where the admin said, or fails.
        with safe_session(timeout=timeout) as session:
            response = session.post(endpoint.url, data=body, headers=headers, stream=True,
                                    allow_redirects=False)
            response.close()  # the answer's body is not read: only its status counts
    except UnsafeURL as e:
        return None, str(e)
    except requests.Timeout:
        return None, f"No answer within {timeout:g} seconds."
    except requests.RequestException as e:
        return None, f"Could not reach the endpoint ({e.__class__.__name__})."
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"The endpoint answered {response.status_code}."


def _trim_log(endpoint: WebhookEndpoint) -> None:
    """Keep the newest WEBHOOK_LOG_KEPT deliveries of the endpoint's log."""
    kept = int(current_app.config["WEBHOOK_LOG_KEPT"])
    oldest_kept = select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == endpoint.id).order_by(WebhookDelivery.id.desc()) \
        .offset(kept - 1).limit(1).scalar_subquery()
    db.session.flush()
    db.session.execute(delete(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.id < oldest_kept))


def _gave_up(job: Job, message: str, gave_up: bool) -> None:
    endpoint = db.session.get(WebhookEndpoint, job.payload["endpoint"])
    if endpoint is not None and gave_up:
        endpoint.failing_since = endpoint.failing_since or utcnow()


@handler(Kind.WEBHOOK_DELIVERY, on_failure=_gave_up)
def _deliver(job: Job) -> None:
    endpoint = db.session.get(WebhookEndpoint, job.payload["endpoint"])
    if endpoint is None or not endpoint.active:
        return  # removed or switched off since: nothing to deliver
    body = job.payload["body"].encode()
    started = time.monotonic()
    status, error = _post(endpoint, body)
    db.session.add(WebhookDelivery(
        endpoint=endpoint, event_id=json.loads(body)["id"], event_type=job.payload["type"],
        attempt=job.attempts, status_code=status, error=error,
        duration_ms=round((time.monotonic() - started) * 1000)))
    last = error is not None and job.attempts >= int(current_app.config["WEBHOOK_MAX_ATTEMPTS"])
    endpoint.last_error = f"{error} Gave up after {job.attempts} attempts." if last else error
    _trim_log(endpoint)
    if error:
        # The log row is the attempt's record whatever happens next: committed before the
        # failure rolls the attempt back.
        db.session.commit()
        raise GiveUp(endpoint.last_error) if last else RetryLater(error)
    endpoint.failing_since = None
    logger.info("Webhook %s delivered to endpoint %s (attempt %s)", job.payload["type"],
                endpoint.id, job.attempts)

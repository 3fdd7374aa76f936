"""Event notifications to an app's endpoint, signed the way Zoom signs them.

Delivery is best effort, as at Zoom: one POST with a short timeout in a background thread, so
the revoke that caused it answers at once. Each attempt's outcome is kept for tests to read.

Payload shapes follow Zoom's published webhook reference: ``app_deauthorized`` (Marketplace,
"Deauthorization"), and ``meeting.deleted`` / ``meeting.updated`` (Meetings events,
developers.zoom.us/docs/api/meetings/events/).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections import deque

import requests

from .meetings import Meeting, zoom_time
from .models import OAuthApp, ZoomUser

logger = logging.getLogger(__name__)

DELIVERY_TIMEOUT = 3.0  # seconds; Zoom expects an answer within 3 seconds


def signature(secret_token: str, timestamp: str, body: bytes) -> str:
    """``x-zm-signature``: ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{raw body}``."""
    message = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret_token.encode(), message, hashlib.sha256).hexdigest()


def deauthorization_event(app: OAuthApp, user: ZoomUser, now: float) -> dict:
    """The ``app_deauthorized`` event Zoom sends when a user removes or revokes the app."""
    return {
        "event": "app_deauthorized",
        "event_ts": int(now * 1000),
        "payload": {
            "account_id": user.account_id,
            "user_id": user.id,
            "client_id": app.client_id,
            "deauthorization_time": zoom_time(now),
            "signature": secrets.token_hex(32),  # the retired verification scheme: opaque here
            "user_data_retention": "false",
        },
    }


def meeting_deleted_event(meeting: Meeting, operator: ZoomUser, now: float) -> dict:
    """``meeting.deleted``: the meeting as it was, under ``payload.object``."""
    return {
        "event": "meeting.deleted",
        "event_ts": int(now * 1000),
        "payload": {
            "account_id": operator.account_id,
            "operator": operator.email,
            "operator_id": operator.id,
            "object": {
                "id": meeting.id, "uuid": meeting.uuid, "host_id": meeting.host_id,
                "topic": meeting.topic, "type": meeting.type, "start_time": meeting.start_time,
                "duration": meeting.duration, "timezone": meeting.timezone,
            },
        },
    }


def meeting_updated_event(meeting: Meeting, operator: ZoomUser, changed: dict, old: dict,
                          now: float) -> dict:
    """``meeting.updated``: the fields that changed under ``payload.object`` and their old
    values under ``payload.old_object``, each with the meeting's ``id``."""
    return {
        "event": "meeting.updated",
        "event_ts": int(now * 1000),
        "payload": {
            "account_id": operator.account_id,
            "operator": operator.email,
            "operator_id": operator.id,
            "scope": "single",
            "object": {"id": meeting.id, **changed},
            "old_object": {"id": meeting.id, **old},
            "time_stamp": int(now * 1000),
        },
    }


class EventOutbox:
    """Sends signed events and remembers what happened to each one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deliveries: deque[dict] = deque(maxlen=1000)

    def send(self, app: OAuthApp, event: dict) -> threading.Thread | None:
        """POST ``event`` to the app's endpoint in the background; None if it has none."""
        if not app.event_url or not app.secret_token:
            return None
        thread = threading.Thread(target=self._deliver, args=(app.event_url,
                                  app.secret_token, event), daemon=True)
        thread.start()
        return thread

    def _deliver(self, url: str, secret_token: str, event: dict) -> None:
        body = json.dumps(event).encode()
        # Wall-clock time, not the sandbox clock: receivers reject stale timestamps.
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "x-zm-request-timestamp": timestamp,
            "x-zm-signature": signature(secret_token, timestamp, body),
        }
        payload = event["payload"]
        record = {"event": event["event"], "url": url,
                  "user_id": payload.get("user_id") or payload.get("operator_id"),
                  "status": None, "error": None}
        try:
            response = requests.post(url, data=body, headers=headers, timeout=DELIVERY_TIMEOUT)
            record["status"] = response.status_code
        except requests.RequestException as e:
            record["error"] = e.__class__.__name__
            logger.warning("Sandbox could not deliver %s to %s: %s", event["event"], url, e)
        with self._lock:
            self._deliveries.append(record)

    def deliveries(self) -> list[dict]:
        with self._lock:
            return list(self._deliveries)

"""Injected faults: make the next calls to a Zoom endpoint fail, stall or answer late.

A fault names a target (one operation such as ``create_meeting``, ``api`` for every ``/v2``
call, or ``any`` for every call a server makes) and a mode:

- ``error``: answer ``status`` (default 500) with Zoom's error body, doing nothing.
- ``rate_limit``: answer 429 with Zoom's rate-limit headers, doing nothing.
- ``hang``: sleep ``seconds`` (default 30), then answer 504, doing nothing.
- ``latency``: sleep ``seconds`` (default 1), then do the call and answer normally.
- ``drop_after_success``: do the call, then sleep ``seconds`` (default 30) before answering, so
  the client times out on something that did happen (a create that "failed" but exists).

``count`` limits how many calls a fault hits; without it the fault stays until cleared.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape  # nosec B406

from flask import Response, jsonify

from .errors import ControlError
from .meetings import zoom_time

# Each operation is the name of its view function; the area is its blueprint.
OPERATIONS = {
    "users_me": "api", "create_meeting": "api", "list_meetings": "api", "get_meeting": "api",
    "update_meeting": "api", "delete_meeting": "api", "token": "oauth", "revoke": "oauth",
    "user_settings": "api", "meeting_invitation": "api",
    "create_webinar": "api", "list_webinars": "api", "get_webinar": "api", "update_webinar": "api",
    "delete_webinar": "api", "add_registrant": "api", "list_registrants": "api",
    "registrant_status": "api", "delete_registrant": "api",
}
TARGETS = frozenset({*OPERATIONS, "api", "any"})
DEFAULT_SECONDS = {"error": 0.0, "rate_limit": 0.0, "hang": 30.0, "latency": 1.0,
                   "drop_after_success": 30.0}
DEFAULT_STATUS = {"error": 500, "rate_limit": 429, "hang": 504, "latency": 200,
                  "drop_after_success": 200}
LIMIT_TYPES = ("QPS", "Daily-limit")
MAX_SECONDS = 600


@dataclass
class Fault:
    target: str
    mode: str
    status: int
    seconds: float
    count: int | None = None
    code: int | None = None
    message: str | None = None
    format: str = "json"
    limit_type: str | None = "QPS"
    retry_after: str | None = None
    retry_after_seconds: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        target, mode = data.get("target"), data.get("mode", "error")
        if target not in TARGETS:
            raise ControlError(f"'target' must be one of {sorted(TARGETS)}.")
        if mode not in DEFAULT_SECONDS:
            raise ControlError(f"'mode' must be one of {sorted(DEFAULT_SECONDS)}.")
        fault = cls(
            target=target,
            mode=mode,
            status=_number(data, "status", DEFAULT_STATUS[mode], int, 400, 599),
            seconds=_number(data, "seconds", DEFAULT_SECONDS[mode], float, 0, MAX_SECONDS),
            count=_number(data, "count", None, int, 1, None),
            code=_number(data, "code", None, int, 0, None),
            message=data.get("message"),
            format=data.get("format", "json"),
            limit_type=data.get("limit_type", "QPS"),
            retry_after=data.get("retry_after"),
            retry_after_seconds=_number(data, "retry_after_seconds", None, float, 0, None),
        )
        if fault.format not in ("json", "xml"):
            raise ControlError("'format' must be 'json' or 'xml'.")
        if fault.limit_type not in (*LIMIT_TYPES, None):
            raise ControlError("'limit_type' must be 'QPS', 'Daily-limit' or null.")
        return fault

    def hits(self, operation: str) -> bool:
        return self.target in (operation, OPERATIONS.get(operation), "any")

    def describe(self) -> dict:
        return asdict(self)


class FaultBook:
    """The active faults, oldest first; each call is hit by at most one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> int:
        with self._lock:
            cleared, self._faults = len(self._faults), []
        return cleared

    def take(self, operation: str) -> Fault | None:
        """The fault that hits this call, if any, spending one of its ``count``."""
        with self._lock:
            fault = next((f for f in self._faults if f.hits(operation)), None)
            if fault is not None and fault.count is not None:
                fault.count -= 1
                if fault.count == 0:
                    self._faults.remove(fault)
        return fault

    def describe(self) -> list[dict]:
        with self._lock:
            return [f.describe() for f in self._faults]


def fault_response(fault: Fault, operation: str) -> Response:
    """The answer of an ``error``, ``rate_limit`` or (after its sleep) ``hang`` fault."""
    message = fault.message or _default_message(fault)
    code = fault.code if fault.code is not None else fault.status
    if fault.format == "xml":
        # Zoom has been seen answering errors in XML; clients must not assume JSON.
        body = (f'<?xml version="1.0" encoding="UTF-8"?><error><code>{code}</code>'
                f"<message>{escape(message)}</message></error>")
        response = Response(body, status=fault.status, content_type="application/xml")
    elif OPERATIONS[operation] == "oauth":
        response = jsonify(reason=message, error="server_error")
    else:
        response = jsonify(code=code, message=message)
    response.status_code = fault.status
    if fault.mode == "rate_limit":
        response.headers.update(rate_limit_headers(fault, operation))
    return response


def rate_limit_headers(fault: Fault, operation: str) -> dict[str, str]:
    """Zoom's 429 headers; ``Retry-After`` is an absolute UTC date-time, not seconds."""
    heavy = operation == "create_meeting"
    daily = fault.limit_type == "Daily-limit"
    headers = {
        "X-RateLimit-Category": "Medium" if heavy else "Light",
        "X-RateLimit-Limit": "100" if daily else ("20" if heavy else "30"),  # Pro plan numbers
        "X-RateLimit-Remaining": "0",
    }
    if fault.limit_type is None:
        return headers  # the per-host daily 429 has been seen without type and Retry-After
    headers["X-RateLimit-Type"] = fault.limit_type
    headers["Retry-After"] = fault.retry_after or _retry_moment(fault)
    return headers


def _retry_moment(fault: Fault) -> str:
    # Wall-clock time, not the sandbox clock: the client compares it with its own clock.
    now = datetime.now(UTC)
    if fault.retry_after_seconds is not None:
        moment = now + timedelta(seconds=fault.retry_after_seconds)
    elif fault.limit_type == "Daily-limit":
        moment = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    else:
        moment = now + timedelta(seconds=1)
    return zoom_time(moment.timestamp())


def _default_message(fault: Fault) -> str:
    if fault.mode == "rate_limit":
        if fault.limit_type == "QPS":
            return "You have reached the maximum per-second rate limit for this API."
        return "You have reached the maximum daily rate limit for this API."
    if fault.mode == "hang":
        return f"Sandbox fault: no answer for {fault.seconds:g} seconds."
    return "Sandbox fault: internal error."


def _number(data: Mapping[str, Any], key: str, default: Any, kind: type,
            low: float | None, high: float | None) -> Any:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or (
            kind is int and not isinstance(value, int)):
        raise ControlError(f"'{key}' must be a {'whole ' if kind is int else ''}number.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ControlError(f"'{key}' must be between {low} and {high}.")
    return kind(value)

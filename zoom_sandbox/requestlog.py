"""A log of every request made to the Zoom endpoints, with secrets and tokens blanked out.

Tests read it to check what Timetics sent (``schedule_for_reminder=false``, a ``Z`` time, …)
without ever seeing a credential in an assertion message.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from flask import Request, Response

REDACTED = "[redacted]"
SECRET_FIELDS = frozenset({
    "access_token", "client_secret", "code", "code_verifier", "password", "refresh_token",
    "secret_token", "token",
})
MAX_ENTRIES = 10_000  # enough for a benchmark run; the oldest entries go first


def redact(value: Any) -> Any:
    """``value`` with every secret field (at any depth) replaced by a marker."""
    if isinstance(value, dict):
        return {k: REDACTED if k in SECRET_FIELDS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict] = deque(maxlen=MAX_ENTRIES)

    def record(self, request: Request, response: Response, *, operation: str | None,
               fault: str | None) -> None:
        entry = {
            "time": time.time(),
            "method": request.method,
            "path": request.path,
            "query": redact(request.args.to_dict()),
            "body": redact(_body(request)),
            "auth": _auth_scheme(request),
            "operation": operation,
            "fault": fault,
            "status": response.status_code,
        }
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _body(request: Request) -> Any:
    if request.is_json:
        return request.get_json(silent=True)
    if request.form:
        return request.form.to_dict()
    return None


def _auth_scheme(request: Request) -> str | None:
    """Which kind of credential came (``Basic``, ``Bearer``), never the credential itself."""
    header = request.headers.get("Authorization", "")
    return header.split(" ", 1)[0] or None

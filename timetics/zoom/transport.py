"""The HTTP side of the Zoom client: sessions, timeouts, and Zoom's answers as ZoomError kinds.

Every HTTP call goes through one ``requests.Session`` per thread with an explicit
``(connect, read)`` timeout and without following redirects. ``Transport`` adds the REST API's
base URL and bearer token, and refreshes once after a 401. Zoom's own error text is scrubbed of
every secret before it is repeated.
"""
from __future__ import annotations

import email.utils
import logging
import re
import secrets
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import requests
from requests.auth import AuthBase

from ..exceptions import (
    ZoomError,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomTimeout,
    ZoomTokenRefused,
    ZoomUnavailable,
)
from .app import ZoomApp

logger = logging.getLogger(__name__)

RETRY_AFTER_MAX = timedelta(hours=25)
USER_AGENT = "Timetics"
# Zoom's error codes that the client acts on.
SCOPES_MISSING = 4711
NOT_FOUND_CODES = frozenset({3001, 1001})  # meeting not found or expired; user does not exist


def _utcnow() -> datetime:
    return datetime.now(UTC)


_local = threading.local()


def _session() -> requests.Session:
    """This thread's session: sessions keep connections alive but are not thread-safe."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
        session.headers["Accept"] = "application/json"
        _local.session = session
    return session


class _Authorization(AuthBase):
    """A fixed Authorization header, given as ``auth=`` so that no ~/.netrc entry replaces it."""

    def __init__(self, value: str):
        self.value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self.value
        return request

    def __repr__(self) -> str:
        return "<Authorization>"


def _send(app: ZoomApp, method: str, url: str, what: str, *, authorization: str,
          **kwargs: Any) -> requests.Response:
    """One HTTP call with the app's timeouts; no answer at all becomes ZoomUnavailable.

    Redirects are not followed: Zoom's API does not redirect, and a token must not travel on.
    """
    with reaching_zoom(app, what):
        response = _session().request(
            method, url, auth=_Authorization(authorization), timeout=app.http_timeout,
            allow_redirects=False, **kwargs)
    logger.debug("Zoom %s: HTTP %s", what, response.status_code)
    return response


@contextmanager
def reaching_zoom(app: ZoomApp, what: str) -> Iterator[None]:
    """Turns no answer at all into ZoomTimeout (a timeout) or ZoomUnavailable (a refused or
    broken connection)."""
    try:
        yield
    except requests.Timeout as e:
        logger.warning("Zoom %s timed out (%s)", what, e.__class__.__name__)
        raise ZoomTimeout(
            f"Zoom did not answer the {what} within {app.timeout:g} seconds.") from e
    except requests.RequestException as e:
        logger.warning("Zoom %s failed: %s", what, e.__class__.__name__)
        raise ZoomUnavailable(f"Zoom could not be reached for the {what}.") from e


def _json_body(response: requests.Response) -> Any:
    """The parsed JSON body, or None: Zoom has answered XML and HTML too."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:  # JSONDecodeError, and bad encodings
        return None


_XML_FIELD = re.compile(r"<(code|message|reason|error)>\s*([^<]{0,500}?)\s*</\1>", re.I)


def _error_details(response: requests.Response) -> tuple[int | str | None, str | None]:
    """Zoom's error code and message from a JSON or XML body; (None, None) for anything else."""
    body = _json_body(response)
    fields: dict[str, Any] = {}
    if isinstance(body, dict):
        fields = {k: body[k] for k in ("code", "message", "reason", "error") if k in body}
    elif body is None and _looks_like_xml(response):
        # Regular expressions, not an XML parser: the body is untrusted and two fields matter.
        for name, value in _XML_FIELD.findall(response.text[:10_000]):
            fields.setdefault(name.lower(), value)
    code = _error_code(fields.get("code"))
    if code is None:
        code = _error_code(fields.get("error"))  # the OAuth endpoints' "invalid_grant" and co.
    message = fields.get("message") or fields.get("reason")
    return code, (str(message)[:300] if message else None)


def _looks_like_xml(response: requests.Response) -> bool:
    if "xml" in response.headers.get("Content-Type", "").lower():
        return True
    return response.text[:100].lstrip().startswith(("<?xml", "<error"))


def _error_code(value: Any) -> int | str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()[:100]
    if text.isdigit():
        return int(text)
    return text or None


def _scrub(text: str, hidden: Iterable[str]) -> str:
    """``text`` with every secret value replaced, before it goes near a log or an exception."""
    for value in hidden:
        if value and len(value) >= 4:
            text = text.replace(value, "[redacted]")
    return text


def _refusal(response: requests.Response, what: str,
             hidden: Iterable[str]) -> tuple[int | str | None, str | None, str]:
    """Zoom's error code and message, and a description fit for a log or an exception, all
    scrubbed of ``hidden``."""
    code, message = _error_details(response)
    if isinstance(code, str):
        code = _scrub(code, hidden)
    text = f"Zoom refused the {what}: HTTP {response.status_code}"
    if code is not None:
        text += f", {code}"
    if message:
        text += f" ({message})"
    return code, message, _scrub(text, hidden)


def _error_for(response: requests.Response, what: str, hidden: Iterable[str] = ()) -> ZoomError:
    """The ZoomError kind for an unsuccessful REST answer."""
    status = response.status_code
    code, message, text = _refusal(response, what, hidden)
    logger.warning("Zoom %s: HTTP %s, code %s", what, status, code)
    if status == 429:
        return ZoomRateLimited(text, retry_after=rate_limit_until(response.headers),
                               status=status, code=code)
    if status >= 500:
        return ZoomUnavailable(text, status=status, code=code)
    if status == 401 and not _is_scope_error(code, message):
        return ZoomTokenRefused(text, status=status, code=code)
    if status == 404 and code in NOT_FOUND_CODES:
        return ZoomNotFound(text, status=status, code=code)
    return ZoomError(text, status=status, code=code)


def _is_scope_error(code: Any, message: str | None) -> bool:
    # A refresh cannot add scopes: that needs the app changed and the user to connect again.
    return code == SCOPES_MISSING or "does not contain scope" in (message or "").lower()


def rate_limit_until(headers: Any, now: datetime | None = None) -> datetime:
    """When to call Zoom again after a 429, as an aware UTC datetime.

    Zoom sends ``Retry-After`` as an absolute date-time (``2020-05-31T00:00:00Z``); seconds and
    HTTP-dates are read too. Without it: about a second for a ``QPS`` limit, else the next
    00:00 UTC, when the daily limits reset (the per-host daily 429 comes without any header).
    """
    now = now or _utcnow()
    parsed = _parse_retry_after(headers.get("Retry-After"), now)
    if parsed is not None:
        # Bounded: a misread header must not park the work for days (daily limits reset at 0:00).
        return min(max(parsed, now + timedelta(seconds=1)), now + RETRY_AFTER_MAX)
    if (headers.get("X-RateLimit-Type") or "").strip().lower() == "qps":
        return now + timedelta(seconds=1, milliseconds=secrets.randbelow(500))
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return now + timedelta(seconds=float(value))
    except (ValueError, OverflowError):
        pass
    for parse in (datetime.fromisoformat, email.utils.parsedate_to_datetime):
        try:
            moment = parse(value)
        except (ValueError, TypeError, IndexError):
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    return None

class TokenSource(Protocol):
    """Where ZoomAPI gets access tokens; the service layer stores them and serialises refresh."""

    def access_token(self) -> str:
        """A valid access token, refreshed first if it is about to expire."""
        ...

    def refreshed(self, stale: str) -> str:
        """Called after Zoom refused ``stale`` (401): refresh, unless someone already replaced
        it, and return the current access token."""
        ...


class Transport:
    """Knows the API's base URL, the bearer token and the timeout; refreshes once on a 401."""

    def __init__(self, app: ZoomApp, tokens: TokenSource):
        self.app = app
        self.tokens = tokens

    def request(self, method: str, path: str, what: str, *, params: dict | None = None,
                json: dict | None = None) -> requests.Response:
        """Zoom's 2xx answer; anything else raises the matching ZoomError."""
        token = self.tokens.access_token()
        response = self._send(method, path, what, token, params, json)
        if response.status_code == 401 and not _is_scope_error(*_error_details(response)):
            # Zoom code 124: the token expired early or was replaced. Refresh once, retry once.
            logger.info("Zoom refused the access token for the %s; refreshing once", what)
            token = self.tokens.refreshed(token)
            response = self._send(method, path, what, token, params, json)
        if not 200 <= response.status_code < 300:
            raise _error_for(response, what, hidden=(token,))
        return response

    def _send(self, method: str, path: str, what: str, token: str, params: dict | None,
              json: dict | None) -> requests.Response:
        return _send(self.app, method, f"{self.app.api_url}{path}", what, params=params,
                     json=json, authorization=f"Bearer {token}")


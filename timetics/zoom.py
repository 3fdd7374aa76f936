"""The Zoom client: the only code in Timetics that talks to Zoom.

Plain values in, plain values out: no Flask, no database, so services, the job runner and tests
can all call it. Three parts:

- the OAuth side: the authorize URL (PKCE S256), code exchange, refresh and revoke;
- the transport (``_Transport``): base URL, bearer token, timeouts, one refresh and one retry
  after a 401, and every Zoom answer mapped to a ``ZoomError`` kind;
- the facade (``ZoomAPI``): one method per operation, each checking the status it expects.

Every HTTP call goes through one ``requests.Session`` per thread with an explicit
``(connect, read)`` timeout and without following redirects. Only URLs accepted by
``check_zoom_url`` are used. No token, secret, code or code verifier is ever logged or put in an
exception message; Zoom's own error text is scrubbed of them before it is repeated.
"""
from __future__ import annotations

import base64
import email.utils
import ipaddress
import logging
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

import requests
from oauthlib.oauth2 import WebApplicationClient
from requests.auth import AuthBase

from .exceptions import (
    ZoomError,
    ZoomNotFound,
    ZoomOAuthError,
    ZoomRateLimited,
    ZoomTokenRefused,
    ZoomUnavailable,
)

logger = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)
CONNECT_TIMEOUT = 3.05  # a lost SYN is resent after 3 s; waiting longer to connect rarely helps
DEFAULT_EXPIRES_IN = 3600
RETRY_AFTER_MAX = timedelta(hours=25)
USER_AGENT = "Timetics"

# The scopes Timetics needs: Zoom's granular names, and the classic names older apps carry.
GRANULAR_SCOPES = (
    "meeting:write:meeting",
    "meeting:read:meeting",
    "meeting:update:meeting",
    "meeting:delete:meeting",
    "user:read:user",
)
CLASSIC_SCOPES = ("user:read", "meeting:read", "meeting:write")
# Which classic scope grants what each granular scope grants.
_CLASSIC_EQUIVALENT = {
    "meeting:write:meeting": "meeting:write",
    "meeting:read:meeting": "meeting:read",
    "meeting:update:meeting": "meeting:write",
    "meeting:delete:meeting": "meeting:write",
    "user:read:user": "user:read",
}

TOPIC_MAX = 200
AGENDA_MAX = 2000
LIST_PAGE_SIZE = 300
LIST_MAX_PAGES = 20  # 6,000 scheduled meetings: far past any host's; guards a looping cursor

# Zoom's error codes that the client acts on.
SCOPES_MISSING = 4711
NOT_FOUND_CODES = frozenset({3001, 1001})  # meeting not found or expired; user does not exist
MEETING_GONE = 3001
MEETING_ENDED = 3007
# Token endpoint answers that mean the refresh token is dead (4735: user gone, 4741: replaced
# by a newer authorisation).
REFRESH_REFUSED = frozenset({"invalid_grant", "invalid_request", 4735, 4741})


# --- settings and tokens --------------------------------------------------------------------

def check_zoom_url(url: str) -> str:
    """``url`` without its trailing slash, if Timetics may talk to Zoom there.

    It must be ``https://``, or ``http://`` to a loopback host (127.0.0.0/8, ``localhost``,
    ``::1``: the sandbox and tests). Raises ValueError otherwise.
    """
    if not isinstance(url, str):
        raise ValueError("A Zoom URL must be a string.")
    url = url.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a bad port
    except ValueError as e:
        raise ValueError(f"Not a valid Zoom URL: {url!r}") from e
    if parts.username is not None or parts.password is not None:
        raise ValueError("A Zoom URL must not carry a user name or password.")
    if parts.query or parts.fragment:
        raise ValueError(f"A Zoom URL must not have a query or fragment: {url!r}")
    if not parts.hostname:
        raise ValueError(f"A Zoom URL needs a host: {url!r}")
    scheme = parts.scheme.lower()
    if scheme == "https":
        return url
    if scheme == "http" and _is_loopback(parts.hostname):
        return url
    raise ValueError(
        f"A Zoom URL must start with https:// (http:// only to this machine, such as "
        f"http://127.0.0.1): {url!r}"
    )


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ZoomApp:
    """The admin's Zoom app settings, and where Zoom is.

    URLs are checked with ``check_zoom_url`` and stored without a trailing slash.
    """

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str  # EXTERNAL_URL + /integrations/zoom/callback
    oauth_url: str = "https://zoom.us"
    api_url: str = "https://api.zoom.us/v2"
    timeout: float = 10.0  # seconds for one HTTP call

    def __post_init__(self) -> None:
        object.__setattr__(self, "oauth_url", check_zoom_url(self.oauth_url))
        object.__setattr__(self, "api_url", check_zoom_url(self.api_url))
        if not self.timeout or self.timeout <= 0:
            raise ValueError("The Zoom timeout must be a positive number of seconds.")

    @property
    def http_timeout(self) -> tuple[float, float]:
        """``(connect, read)`` seconds for requests: never none."""
        return (min(float(self.timeout), CONNECT_TIMEOUT), float(self.timeout))


@dataclass(frozen=True)
class TokenSet:
    """One access and refresh token pair as Zoom issued it."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime  # aware UTC, counted from when the request was sent
    scopes: frozenset[str]

    def needs_refresh(self, now: datetime) -> bool:
        """Whether to refresh before using the access token (5 minutes early)."""
        if now.tzinfo is None:
            raise ValueError("needs_refresh() needs an aware datetime.")
        return now >= self.expires_at - REFRESH_MARGIN


def missing_scopes(granted: Iterable[str]) -> list[str]:
    """The granular scope names Timetics still needs, given the scopes Zoom granted.

    Each need is met by its granular scope (or its ``:admin`` form) or by the classic scope that
    covers it, so a complete granular set, a complete classic set, or a mix all pass.
    """
    if isinstance(granted, str):
        granted = granted.split()
    have = set(granted)
    return [
        scope for scope in GRANULAR_SCOPES
        if not have & {scope, f"{scope}:admin", _CLASSIC_EQUIVALENT[scope]}
    ]


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --- HTTP plumbing --------------------------------------------------------------------------

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
    try:
        response = _session().request(
            method, url, auth=_Authorization(authorization), timeout=app.http_timeout,
            allow_redirects=False, **kwargs)
    except requests.Timeout as e:
        logger.warning("Zoom %s timed out (%s)", what, e.__class__.__name__)
        raise ZoomUnavailable(
            f"Zoom did not answer the {what} within {app.timeout:g} seconds.") from e
    except requests.RequestException as e:
        logger.warning("Zoom %s failed: %s", what, e.__class__.__name__)
        raise ZoomUnavailable(f"Zoom could not be reached for the {what}.") from e
    logger.debug("Zoom %s: HTTP %s", what, response.status_code)
    return response


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


def _describe(response: requests.Response, what: str, code: Any, message: str | None,
              hidden: Iterable[str]) -> str:
    text = f"Zoom refused the {what}: HTTP {response.status_code}"
    if code is not None:
        text += f", {code}"
    if message:
        text += f" ({message})"
    return _scrub(text, hidden)


def _error_for(response: requests.Response, what: str, hidden: Iterable[str] = ()) -> ZoomError:
    """The ZoomError kind for an unsuccessful REST answer."""
    status = response.status_code
    code, message = _error_details(response)
    if isinstance(code, str):
        code = _scrub(code, hidden)
    text = _describe(response, what, code, message, hidden)
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


# --- OAuth ----------------------------------------------------------------------------------

def new_authorization(app: ZoomApp) -> tuple[str, str, str]:
    """Start connecting a Zoom user: (authorize URL, state, PKCE code verifier).

    The caller keeps state and verifier (in the browser's session) for the callback. oauthlib
    makes the verifier and S256 challenge; the URL is built here because oauthlib refuses
    ``http://`` without OAUTHLIB_INSECURE_TRANSPORT, and the loopback sandbox needs it.
    """
    client = WebApplicationClient(app.client_id)
    verifier = client.create_code_verifier(length=64)
    challenge = client.create_code_challenge(verifier, "S256")
    state = secrets.token_urlsafe(32)
    query = urlencode({
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",  # Zoom's default is plain: always say S256
    })
    return f"{app.oauth_url}/oauth/authorize?{query}", state, verifier


def exchange_code(app: ZoomApp, code: str, code_verifier: str) -> TokenSet:
    """Trade the callback's authorization code for tokens.

    Raises ZoomOAuthError (``code`` = Zoom's OAuth error, such as ``invalid_grant`` or
    ``invalid_client``) when Zoom refuses, ZoomUnavailable when it cannot be reached.
    """
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uri,
        "code_verifier": code_verifier,
    }
    return _token_request(app, form, "authorization code exchange",
                          hidden=(code, code_verifier), refused=frozenset())


def refresh_tokens(app: ZoomApp, refresh_token: str) -> TokenSet:
    """A new token pair. Zoom rotates the refresh token: the one passed in is dead afterwards,
    so store the result before using it.

    Raises ZoomTokenRefused when Zoom refuses the refresh token (``invalid_grant``): the user
    must connect again.
    """
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _token_request(app, form, "token refresh", hidden=(refresh_token,),
                          refused=REFRESH_REFUSED, previous_refresh_token=refresh_token)


def revoke_token(app: ZoomApp, access_token: str) -> None:
    """Revoke the user's token, which also uninstalls the app for them at Zoom."""
    what = "token revocation"
    response = _send(app, "POST", f"{app.oauth_url}/oauth/revoke", what,
                     authorization=_basic(app), data={"token": access_token})
    if response.status_code != 200:
        raise _oauth_error(response, what, hidden=(access_token, app.client_secret),
                           refused=frozenset())
    logger.info("Zoom token revoked")


def _basic(app: ZoomApp) -> str:
    pair = f"{app.client_id}:{app.client_secret}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _token_request(app: ZoomApp, form: dict[str, str], what: str, *, hidden: tuple[str, ...],
                   refused: frozenset, previous_refresh_token: str | None = None) -> TokenSet:
    hidden = (*hidden, app.client_secret)
    sent_at = _utcnow()  # expiry counts from sending: the answer may come seconds later
    response = _send(app, "POST", f"{app.oauth_url}/oauth/token", what,
                     authorization=_basic(app), data=form)
    if response.status_code != 200:
        raise _oauth_error(response, what, hidden=hidden, refused=refused)
    body = _json_body(response)
    access = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(access, str) or not access:
        raise ZoomUnavailable(f"Zoom's answer to the {what} held no access token.",
                              status=response.status_code)
    refresh = body.get("refresh_token") or previous_refresh_token
    if not isinstance(refresh, str) or not refresh:
        raise ZoomUnavailable(f"Zoom's answer to the {what} held no refresh token.",
                              status=response.status_code)
    logger.info("Zoom %s succeeded", what)
    return TokenSet(
        access_token=access,
        refresh_token=refresh,
        expires_at=sent_at + timedelta(seconds=_expires_in(body.get("expires_in"))),
        scopes=frozenset(re.split(r"[\s,]+", str(body.get("scope") or "").strip())) - {""},
    )


def _expires_in(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_EXPIRES_IN
    return seconds if 0 < seconds < 10 * 365 * 86400 else DEFAULT_EXPIRES_IN


def _oauth_error(response: requests.Response, what: str, *, hidden: Iterable[str],
                 refused: frozenset) -> ZoomError:
    """The ZoomError kind for a refusal from Zoom's token or revoke endpoint."""
    status = response.status_code
    if status == 429 or status >= 500:
        return _error_for(response, what, hidden)
    code, message = _error_details(response)
    if isinstance(code, str):
        code = _scrub(code, hidden)
    text = _describe(response, what, code, message, hidden)
    logger.warning("Zoom %s: HTTP %s, %s", what, status, code)
    if code in refused:
        return ZoomTokenRefused(text, status=status, code=code)
    return ZoomOAuthError(text, status=status, code=code)


# --- the REST API ---------------------------------------------------------------------------

class TokenSource(Protocol):
    """Where ZoomAPI gets access tokens; the service layer stores them and serialises refresh."""

    def access_token(self) -> str:
        """A valid access token, refreshed first if it is about to expire."""
        ...

    def refreshed(self, stale: str) -> str:
        """Called after Zoom refused ``stale`` (401): refresh, unless someone already replaced
        it, and return the current access token."""
        ...


class _Transport:
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


class ZoomAPI:
    """Zoom's REST API acting as one user (``me``): one method per operation."""

    def __init__(self, app: ZoomApp, tokens: TokenSource):
        self._transport = _Transport(app, tokens)

    def get_me(self) -> dict:
        """The user the tokens belong to: ``id``, ``email``, ``display_name``, ``account_id``…"""
        return self._json("GET", "/users/me", "user lookup", expect=200)

    def create_meeting(self, payload: dict) -> dict:
        """Create a meeting (see ``meeting_payload``); Zoom's answer, with ``id``, ``join_url``
        and ``password``. ``start_url`` in it lets anyone start the meeting: never store it."""
        meeting = self._json("POST", "/users/me/meetings", "meeting creation", json=payload,
                             expect=201)
        if meeting.get("id") in (None, ""):
            raise ZoomUnavailable("Zoom's answer to the meeting creation held no meeting id.",
                                  status=201)
        return meeting

    def get_meeting(self, meeting_id: str) -> dict:
        """The meeting as Zoom has it now; ZoomNotFound if it is gone."""
        return self._json("GET", f"/meetings/{_meeting_path(meeting_id)}", "meeting lookup",
                          expect=200)

    def update_meeting(self, meeting_id: str, payload: dict) -> None:
        """Change the meeting (the join link stays). Zoom answers 204 with no body."""
        self._expect(self._transport.request(
            "PATCH", f"/meetings/{_meeting_path(meeting_id)}", "meeting update", json=payload),
            204, "meeting update")

    def delete_meeting(self, meeting_id: str) -> bool:
        """Delete the meeting: True if Zoom deleted it, False if it was already gone (not
        found, expired or ended), which counts as deleted too."""
        what = "meeting deletion"
        try:
            response = self._transport.request(
                "DELETE", f"/meetings/{_meeting_path(meeting_id)}", what,
                params={"schedule_for_reminder": "false"})  # Zoom's default is unconfirmed
        except ZoomError as e:
            if (e.status, e.code) in ((404, MEETING_GONE), (400, MEETING_ENDED)):
                logger.info("Zoom meeting %s was already gone", meeting_id)
                return False
            raise
        self._expect(response, 204, what)
        return True

    def find_meeting_by_agenda(self, needle: str) -> dict | None:
        """The user's first scheduled meeting whose agenda contains ``needle``, as
        ``get_meeting`` returns it, or None. Finds the meeting of a create that timed out.

        Listing meetings needs the ``meeting:read:list_meetings`` scope with granular scopes;
        without it Zoom refuses, and this says None (and logs why) rather than failing forever.
        """
        if not needle:
            raise ValueError("find_meeting_by_agenda() needs a non-empty needle.")
        what = "meeting search"
        params: dict[str, Any] = {"type": "scheduled", "page_size": LIST_PAGE_SIZE}
        seen: set[str] = set()
        for _ in range(LIST_MAX_PAGES):
            try:
                page = self._json("GET", "/users/me/meetings", what, params=params, expect=200)
            except ZoomError as e:
                if e.status in (400, 401, 403) and _is_scope_error(e.code, e.message):
                    logger.warning("Zoom refused the meeting search for lack of a scope; "
                                   "assuming no meeting was made")
                    return None
                raise
            for item in page.get("meetings") or []:
                if isinstance(item, dict) and needle in str(item.get("agenda") or ""):
                    try:
                        return self.get_meeting(str(item["id"]))
                    except ZoomNotFound:
                        continue  # deleted since the listing
            cursor = page.get("next_page_token")
            if not cursor or cursor in seen:
                return None
            seen.add(cursor)
            params = {**params, "next_page_token": cursor}
        logger.warning("Zoom meeting search stopped after %s pages", LIST_MAX_PAGES)
        return None

    def _json(self, method: str, path: str, what: str, *, expect: int,
              params: dict | None = None, json: dict | None = None) -> dict:
        response = self._transport.request(method, path, what, params=params, json=json)
        self._expect(response, expect, what)
        body = _json_body(response)
        if not isinstance(body, dict):
            raise ZoomUnavailable(f"Zoom's answer to the {what} was not JSON.",
                                  status=response.status_code)
        return body

    @staticmethod
    def _expect(response: requests.Response, status: int, what: str) -> None:
        if response.status_code != status:
            logger.warning("Zoom %s: HTTP %s where %s was expected", what,
                           response.status_code, status)
            raise ZoomError(f"Zoom answered the {what} with HTTP {response.status_code} "
                            f"instead of {status}.", status=response.status_code)


def _meeting_path(meeting_id: str | int) -> str:
    """The meeting id as one path segment, whatever characters it holds."""
    return quote(str(meeting_id).strip(), safe="")


def meeting_payload(*, topic: str, start: datetime, duration_minutes: int, timezone: str,
                    agenda: str) -> dict:
    """The body to create or update a scheduled meeting.

    ``start`` must be aware: it is sent in UTC with a ``Z``, so Zoom cannot read a local
    wall-clock time as UTC; ``timezone`` (IANA) only sets how Zoom displays it. Topic and agenda
    are cut to Zoom's 200 and 2,000 characters.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("The meeting start must be a timezone-aware datetime.")
    if isinstance(duration_minutes, bool) or int(duration_minutes) < 1:
        raise ValueError("The meeting duration must be at least one minute.")
    return {
        "topic": topic[:TOPIC_MAX],
        "type": 2,  # scheduled
        "start_time": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": int(duration_minutes),
        "timezone": timezone,
        "agenda": agenda[:AGENDA_MAX],
        "settings": {"join_before_host": False},
    }

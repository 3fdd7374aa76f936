"""Zoom's OAuth endpoints: the authorize URL (PKCE S256), code exchange, refresh and revoke.

No token, secret, code or code verifier is ever logged or put in an exception message.
"""
from __future__ import annotations

import base64
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from oauthlib.oauth2 import WebApplicationClient

from ..exceptions import ZoomError, ZoomOAuthError, ZoomTokenRefused, ZoomUnavailable
from . import transport
from .app import ZoomApp
from .transport import _describe, _error_details, _error_for, _json_body, _scrub, _send

logger = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)
DEFAULT_EXPIRES_IN = 3600
# Token endpoint answers that mean the refresh token is dead (4735: user gone, 4741: replaced
# by a newer authorisation).
REFRESH_REFUSED = frozenset({"invalid_grant", "invalid_request", 4735, 4741})


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
    sent_at = transport._utcnow()  # expiry counts from sending: the answer may come seconds later
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


"""Zoom's OAuth endpoints: the authorize URL (PKCE S256), code exchange, refresh and revoke.

requests-oauthlib's ``OAuth2Session`` does the protocol (the authorize URL, the token requests
and reading their answers); around it this module keeps Timetics' timeouts, its refusal to follow
redirects, and its mapping of every refusal to a ``ZoomError`` kind. No token, secret, code or
code verifier is ever logged or put in an exception message.
"""
from __future__ import annotations

import base64
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from oauthlib.oauth2 import InsecureTransportError, OAuth2Error, WebApplicationClient
from requests_oauthlib import OAuth2Session

from ..exceptions import ZoomError, ZoomOAuthError, ZoomTokenRefused, ZoomUnavailable
from . import transport
from .app import ZoomApp, is_loopback_host
from .transport import (
    USER_AGENT,
    _Authorization,
    _error_for,
    _json_body,
    _refusal,
    _send,
    reaching_zoom,
)

logger = logging.getLogger(__name__)
# Their debug lines print token request bodies and answers: codes, verifiers and tokens.
for _name in ("requests_oauthlib", "oauthlib"):
    logging.getLogger(_name).setLevel(logging.INFO)

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

    The caller keeps state and verifier (in the browser's session) for the callback.
    """
    client = WebApplicationClient(app.client_id)
    verifier = client.create_code_verifier(length=64)
    with _ZoomOAuthSession(app, "authorization") as session:
        url, state = session.authorization_url(
            session.url("/oauth/authorize"), state=secrets.token_urlsafe(32),
            code_challenge=client.create_code_challenge(verifier, "S256"),
            code_challenge_method="S256")  # Zoom's default is plain: always say S256
        return session.real_url(url), state, verifier


def exchange_code(app: ZoomApp, code: str, code_verifier: str) -> TokenSet:
    """Trade the callback's authorization code for tokens.

    Raises ZoomOAuthError (``code`` = Zoom's OAuth error, such as ``invalid_grant`` or
    ``invalid_client``) when Zoom refuses, ZoomUnavailable when it cannot be reached.
    """
    what = "authorization code exchange"
    with _ZoomOAuthSession(app, what, hidden=(code, code_verifier)) as session:
        return session.tokens(lambda: session.fetch_token(
            session.url("/oauth/token"), code=code, code_verifier=code_verifier,
            auth=session.basic, timeout=app.http_timeout))


def refresh_tokens(app: ZoomApp, refresh_token: str) -> TokenSet:
    """A new token pair. Zoom rotates the refresh token: the one passed in is dead afterwards,
    so store the result before using it.

    Raises ZoomTokenRefused when Zoom refuses the refresh token (``invalid_grant``): the user
    must connect again.
    """
    what = "token refresh"
    with _ZoomOAuthSession(app, what, hidden=(refresh_token,), refused=REFRESH_REFUSED) as session:
        # requests-oauthlib keeps the refresh token sent when the answer carries no new one.
        return session.tokens(lambda: session.refresh_token(
            session.url("/oauth/token"), refresh_token=refresh_token, auth=session.basic,
            timeout=app.http_timeout))


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


class _ZoomOAuthSession(OAuth2Session):
    """An OAuth2Session for one request to one Zoom app's OAuth endpoints.

    oauthlib refuses any URL that is not ``https://`` unless OAUTHLIB_INSECURE_TRANSPORT is set
    for the whole process. The sandbox and tests serve Zoom over ``http://`` on this machine,
    so for a loopback host only, oauthlib is given the ``https://`` spelling of the URL
    (``url()``) and the request goes out to the real one (``send``).
    """

    def __init__(self, app: ZoomApp, what: str, *, hidden: Iterable[str] = (),
                 refused: frozenset = frozenset()):
        # No scope: Zoom takes the scopes from the app's configuration.
        super().__init__(client_id=app.client_id, redirect_uri=app.redirect_uri)
        self.app = app
        self.what = what
        self.hidden = (*hidden, app.client_secret)
        self.refused = refused
        self.basic = _Authorization(_basic(app))
        self.headers["User-Agent"] = USER_AGENT
        self._shown = _oauthlib_spelling(app.oauth_url)
        if self._shown != app.oauth_url:
            self.trust_env = False  # a loopback Zoom is reached directly, never by a proxy
        for hook in ("access_token_response", "refresh_token_response"):
            self.register_compliance_hook(hook, self._check_answer)

    def url(self, path: str) -> str:
        """The endpoint's URL as oauthlib may see it."""
        return self._shown + path

    def real_url(self, url: str) -> str:
        """The URL that ``url()`` spelled for oauthlib, as it really is."""
        if url.startswith(self._shown + "/") or url == self._shown:
            return self.app.oauth_url + url[len(self._shown):]
        return url

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        request.url = self.real_url(request.url or "")
        kwargs["allow_redirects"] = False  # a secret must not travel on
        return super().send(request, **kwargs)

    def tokens(self, call: Callable[[], dict]) -> TokenSet:
        """Run the token request ``call`` and read its answer as a TokenSet."""
        sent_at = transport._utcnow()  # expiry counts from sending: the answer may come later
        with reaching_zoom(self.app, self.what):
            try:
                token = call()
            except InsecureTransportError:
                raise  # not Zoom's answer: a URL that check_zoom_url would have refused
            except OAuth2Error as e:  # _check_answer let through an answer oauthlib refuses
                logger.warning("Zoom %s: unreadable answer (%s)", self.what, e.error)
                raise ZoomUnavailable(
                    f"Zoom's answer to the {self.what} could not be read.", status=200) from None
        refresh = token.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            raise ZoomUnavailable(f"Zoom's answer to the {self.what} held no refresh token.",
                                  status=200)
        logger.info("Zoom %s succeeded", self.what)
        return TokenSet(
            access_token=token["access_token"],
            refresh_token=refresh,
            expires_at=sent_at + timedelta(seconds=_expires_in(token.get("expires_in"))),
            scopes=_scopes(token.get("scope")),
        )

    def _check_answer(self, response: requests.Response) -> requests.Response:
        """Our error mapping, before oauthlib reads the answer."""
        if response.status_code != 200:
            raise _oauth_error(response, self.what, hidden=self.hidden, refused=self.refused)
        body = _json_body(response)
        access = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access:
            raise ZoomUnavailable(f"Zoom's answer to the {self.what} held no access token.",
                                  status=response.status_code)
        return response


def _oauthlib_spelling(url: str) -> str:
    """``url`` as oauthlib's https-only check may see it: a loopback ``http://`` URL (which
    check_zoom_url admits for the sandbox) becomes ``https://``; any other is left alone, so
    oauthlib still refuses it."""
    scheme, sep, rest = url.partition("://")
    if scheme.lower() == "http" and is_loopback_host(urlsplit(url).hostname or ""):
        return f"https{sep}{rest}"
    return url


def _scopes(value: Any) -> frozenset[str]:
    """The granted scopes, from oauthlib's list or Zoom's space-separated string."""
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value)
    return frozenset(re.split(r"[\s,]+", str(value or "").strip())) - {""}


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
    code, _, text = _refusal(response, what, hidden)
    logger.warning("Zoom %s: HTTP %s, %s", what, status, code)
    if code in refused:
        return ZoomTokenRefused(text, status=status, code=code)
    return ZoomOAuthError(text, status=status, code=code)


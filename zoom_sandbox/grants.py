"""Authorization codes, grants and tokens, with Zoom's rules.

- A code works once, for five minutes, for the client, redirect URI and PKCE challenge it was
  issued with.
- One grant per (app, Zoom user): authorising again replaces the grant and kills its tokens.
- Every refresh rotates the refresh token; the old one dies at once, with no grace period, so
  two callers racing with the same refresh token get exactly one success.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .errors import OAuthError, ZoomApiError, invalid_token
from .models import OAuthApp

GrantKey = tuple[str, str]  # (client_id, user_id)


@dataclass(frozen=True)
class AuthorizationCode:
    client_id: str
    user_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    challenge_method: str
    expires_at: float


@dataclass(frozen=True)
class AccessToken:
    client_id: str
    user_id: str
    scopes: tuple[str, ...]
    expires_at: float

    @property
    def key(self) -> GrantKey:
        return (self.client_id, self.user_id)


@dataclass
class Grant:
    """A user's authorisation of one app: its current refresh token and live access tokens."""

    scopes: tuple[str, ...]
    refresh_token: str
    access_tokens: set[str] = field(default_factory=set)
    granted_at: float = 0.0


@dataclass(frozen=True)
class GrantRecord:
    """One grant as the sandbox's overview page lists it: live, replaced or revoked."""

    client_id: str
    user_id: str
    scopes: tuple[str, ...]
    granted_at: float
    ended: str | None = None  # "revoked" or "replaced"; None while it is live
    ended_at: float | None = None


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    scopes: tuple[str, ...]

    def as_response(self, api_url: str) -> dict:
        """The token endpoint's JSON body."""
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "refresh_token": self.refresh_token,
            "expires_in": self.expires_in,
            "scope": " ".join(self.scopes),
            "api_url": api_url,
        }


def pkce_challenge(verifier: str, method: str) -> str:
    """The challenge a verifier stands for (RFC 7636): S256 or, Zoom's default, plain."""
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _verifier_matches(issued: AuthorizationCode, code_verifier: str | None) -> bool:
    if not code_verifier or issued.code_challenge is None:
        return False
    given = pkce_challenge(code_verifier, issued.challenge_method)
    return hmac.compare_digest(given.encode(), issued.code_challenge.encode())


class OAuthStore:
    """Codes, grants and tokens behind one lock; times come from ``clock``."""

    def __init__(self, clock: Callable[[], float], *, code_lifetime: float,
                 token_lifetime: int) -> None:
        self._clock = clock
        self._code_lifetime = code_lifetime
        self._token_lifetime = token_lifetime
        self._lock = threading.Lock()
        self._codes: dict[str, AuthorizationCode] = {}
        self._grants: dict[GrantKey, Grant] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, GrantKey] = {}
        self._ended: list[GrantRecord] = []  # grants no longer live, oldest first
        self.refresh_count = 0
        self.refresh_refused = 0

    # --- authorization codes --------------------------------------------------------------

    def issue_code(self, app: OAuthApp, user_id: str, redirect_uri: str,
                   code_challenge: str | None, challenge_method: str) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = AuthorizationCode(
                client_id=app.client_id, user_id=user_id, redirect_uri=redirect_uri,
                scopes=app.scopes, code_challenge=code_challenge,
                challenge_method=challenge_method,
                expires_at=self._clock() + self._code_lifetime,
            )
        return code

    def exchange_code(self, app: OAuthApp, code: str | None, redirect_uri: str | None,
                      code_verifier: str | None) -> IssuedTokens:
        """Spend ``code`` for a new grant, replacing the user's older grant for this app."""
        if not code:
            raise OAuthError(400, "invalid_request", "Missing authorization code.")
        with self._lock:
            issued = self._checked_code(app, code, redirect_uri, code_verifier)
            del self._codes[code]
            key = (issued.client_id, issued.user_id)
            # Re-authorising kills the older tokens (Zoom error 4741).
            self._drop_grant(key, ended="replaced")
            grant = Grant(scopes=issued.scopes, refresh_token="", granted_at=self._clock())
            self._grants[key] = grant
            return self._issue(key, grant)

    def _checked_code(self, app: OAuthApp, code: str, redirect_uri: str | None,
                      code_verifier: str | None) -> AuthorizationCode:
        """The code's record if every check passes; the caller holds the lock."""
        issued = self._codes.get(code)
        if issued is None or issued.client_id != app.client_id:
            raise OAuthError(400, "invalid_grant", "Invalid authorization code.")
        if issued.expires_at <= self._clock():
            raise OAuthError(400, "invalid_grant", "Authorization code has expired.")
        if redirect_uri != issued.redirect_uri:
            raise OAuthError(400, "invalid_request", "Redirect URI mismatch.")
        if issued.code_challenge is not None and not _verifier_matches(issued, code_verifier):
            raise OAuthError(400, "invalid_grant", "Invalid code verifier.")
        return issued

    # --- tokens ---------------------------------------------------------------------------

    def refresh(self, app: OAuthApp, refresh_token: str | None) -> IssuedTokens:
        """Rotate: the given refresh token dies and a new pair is issued."""
        with self._lock:
            key = self._refresh.get(refresh_token or "")
            if key is None or key[0] != app.client_id:
                self.refresh_refused += 1
                raise OAuthError(400, "invalid_grant", "Invalid Token!")
            del self._refresh[refresh_token]
            self.refresh_count += 1
            return self._issue(key, self._grants[key])

    def _issue(self, key: GrantKey, grant: Grant) -> IssuedTokens:
        """New access and refresh tokens for ``grant``; the caller holds the lock."""
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._access[access] = AccessToken(
            client_id=key[0], user_id=key[1], scopes=grant.scopes,
            expires_at=self._clock() + self._token_lifetime,
        )
        grant.access_tokens.add(access)
        grant.refresh_token = refresh
        self._refresh[refresh] = key
        return IssuedTokens(access, refresh, self._token_lifetime, grant.scopes)

    def authenticate(self, access_token: str | None) -> AccessToken:
        """The live access token, or the 401 code 124 Zoom answers for a bad or expired one."""
        with self._lock:
            token = self._access.get(access_token or "")
        if token is None:
            raise invalid_token()
        if token.expires_at <= self._clock():
            raise ZoomApiError(401, 124, "Access token is expired.")
        return token

    # --- revocation -----------------------------------------------------------------------

    def revoke(self, app: OAuthApp, token: str | None) -> GrantKey:
        """Revoke the grant an access (or refresh) token belongs to; the grant's key."""
        with self._lock:
            access = self._access.get(token or "")
            key = access.key if access else self._refresh.get(token or "")
            if key is None or key[0] != app.client_id:
                raise OAuthError(400, "invalid_request", "Invalid Token!")
            self._drop_grant(key)
        return key

    def revoke_user(self, user_id: str, client_id: str | None = None) -> list[GrantKey]:
        """Revoke every grant of ``user_id`` (for one app, if given), as if removed in Zoom."""
        with self._lock:
            keys = [k for k in self._grants
                    if k[1] == user_id and client_id in (None, k[0])]
            for key in keys:
                self._drop_grant(key)
        return keys

    def apps_of_user(self, user_id: str) -> list[str]:
        """The client ids of the apps ``user_id`` has a live grant for (they get the user's
        event notifications)."""
        with self._lock:
            return [client_id for client_id, user in self._grants if user == user_id]

    def expire_user_tokens(self, user_id: str) -> int:
        """Make every access token of ``user_id`` expired now; how many there were."""
        now = self._clock()
        with self._lock:
            mine = [t for t, a in self._access.items() if a.user_id == user_id]
            for token in mine:
                self._access[token] = replace(self._access[token], expires_at=now)
        return len(mine)

    def _drop_grant(self, key: GrantKey, ended: str = "revoked") -> None:
        grant = self._grants.pop(key, None)
        if grant is None:
            return
        self._ended.append(GrantRecord(key[0], key[1], grant.scopes, grant.granted_at,
                                       ended=ended, ended_at=self._clock()))
        for token in grant.access_tokens:
            self._access.pop(token, None)
        self._refresh.pop(grant.refresh_token, None)

    def history(self) -> list[GrantRecord]:
        """Every grant issued since the last reset, the live ones first, newest first."""
        with self._lock:
            live = [GrantRecord(c, u, g.scopes, g.granted_at)
                    for (c, u), g in self._grants.items()]
            ended = list(self._ended)
        return sorted(live, key=lambda r: -r.granted_at) + ended[::-1]

    def describe(self) -> dict:
        with self._lock:
            return {
                "grants": [{"client_id": c, "user_id": u, "scopes": list(g.scopes)}
                           for (c, u), g in self._grants.items()],
                "access_tokens": len(self._access),
                "pending_codes": len(self._codes),
                "refresh_count": self.refresh_count,
                "refresh_refused": self.refresh_refused,
            }

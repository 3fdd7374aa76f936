"""The Zoom client: the only code in Timetics that talks to Zoom.

Plain values in, plain values out: no Flask, no database, so services, the job runner and tests
can all call it. Four parts:

- ``app``: the admin's Zoom app, where Zoom is (``check_zoom_url``), and the scopes Timetics needs;
- ``transport``: sessions, timeouts, Zoom's answers mapped to ``ZoomError`` kinds, and the REST
  transport that refreshes once and retries once after a 401;
- ``oauth``: the authorize URL (PKCE S256), code exchange, refresh and revoke;
- ``api``: the facade (``ZoomAPI``), one method per operation, each checking the status it expects.
"""
from .api import (
    MEETINGS,
    WEBINARS,
    MeetingOptions,
    ZoomAPI,
    applied_settings,
    dial_in_numbers,
    meeting_payload,
    webinar_payload,
    with_registration,
)
from .app import (
    EVENT_SUBSCRIPTIONS,
    GRANULAR_SCOPES,
    REGISTRATION_SCOPES,
    SCOPES,
    SETTINGS_SCOPE,
    USER_SCOPE,
    WEBINAR_SCOPES,
    Scope,
    ZoomApp,
    check_zoom_url,
    has_scope,
    missing_scopes,
)
from .oauth import (
    REFRESH_MARGIN,
    TokenSet,
    exchange_code,
    new_authorization,
    refresh_tokens,
    revoke_token,
)
from .transport import TokenSource, rate_limit_until

__all__ = [
    "EVENT_SUBSCRIPTIONS", "MeetingOptions", "applied_settings", "dial_in_numbers", "has_scope",
    "SETTINGS_SCOPE", "REGISTRATION_SCOPES", "WEBINAR_SCOPES",
    "GRANULAR_SCOPES", "REFRESH_MARGIN", "SCOPES", "USER_SCOPE", "Scope", "TokenSet", "TokenSource",
    "ZoomAPI", "ZoomApp",
    "MEETINGS", "WEBINARS", "webinar_payload", "with_registration",
    "check_zoom_url", "exchange_code", "meeting_payload", "missing_scopes", "new_authorization",
    "rate_limit_until", "refresh_tokens", "revoke_token",
]

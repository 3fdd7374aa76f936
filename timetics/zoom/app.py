"""The Zoom app as the admin configured it, where Zoom is, and the scopes Timetics needs.

``check_zoom_url`` is the URL policy: every Zoom URL is ``https://``, except ``http://`` to this
machine (the sandbox and tests), which works with no extra setting.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

CONNECT_TIMEOUT = 3.05  # a lost SYN is resent after 3 s; waiting longer to connect rarely helps


@dataclass(frozen=True)
class Scope:
    """A scope the admin adds to the Zoom app, as the Zoom App Marketplace names it."""

    name: str  # Zoom's granular name
    meaning: str  # the Marketplace's description of it
    classic: str  # the classic scope that grants the same, which older apps carry
    required: bool = True
    unlocks: str = ""  # what an optional scope adds, for the settings page and the guide


USER_SCOPE = "user:read:user"  # GET /users/me, the first call after connecting
# GET /users/{userId}/settings (Zoom's scope list: "user:read:settings", View a user's
# settings); optional: without it the host's feature flags stay unknown, nothing fails.
SETTINGS_SCOPE = "user:read:settings"
REGISTRATION_UNLOCKS = ("How guests join: Zoom meeting with registration (optional), a join "
                        "link of their own for each guest of a group")
WEBINAR_UNLOCKS = ("How guests join: Zoom webinar (optional), with a join link of their own "
                   "for each guest")
# The scopes Timetics asks for, in one place: the settings page lists them, and the callback
# checks the granted ones against them.
SCOPES = (
    Scope("meeting:write:meeting", "Create a meeting for a user", classic="meeting:write"),
    Scope("meeting:read:meeting", "View a meeting", classic="meeting:read"),
    Scope("meeting:update:meeting", "Update a meeting", classic="meeting:write"),
    Scope("meeting:delete:meeting", "Delete a meeting", classic="meeting:write"),
    Scope(USER_SCOPE, "View a user", classic="user:read"),
    # Not required, but lets Timetics find a meeting whose creation timed out at Zoom's end
    # instead of creating a second one.
    Scope("meeting:read:list_meetings", "View a user's meetings (recommended)",
          classic="meeting:read", required=False,
          unlocks="finds a meeting whose creation timed out at Zoom instead of making a "
                  "second one"),
    # The same for webinars, which Zoom lists apart (Webinars: List webinars, GET
    # /users/{userId}/webinars; the API reference names the classic webinar:read).
    Scope("webinar:read:list_webinars", "View a user's webinars (recommended)",
          classic="webinar:read", required=False,
          unlocks="finds a webinar whose creation timed out at Zoom instead of making a "
                  "second one"),
    # Optional: the host's plan features (Get user settings' ``feature``: webinars, capacity).
    Scope(SETTINGS_SCOPE, "View a user's settings (optional)", classic="user:read",
          required=False,
          unlocks="reads the host's plan features (webinars, meeting capacity) on connect and "
                  "on Check connection; without it they show as unknown, naming this scope"),
    # Optional: "How guests join" with a link per guest. Names from Zoom's granular scope list
    # (developers.zoom.us/docs/integrations/oauth-scopes-granular/, Meetings and Webinars);
    # the published API reference names the classic meeting:write / webinar:write for each.
    *(Scope(name, meaning, classic=classic, required=False, unlocks=REGISTRATION_UNLOCKS)
      for name, meaning, classic in (
          ("meeting:write:registrant", "Add a meeting registrant", "meeting:write"),
          ("meeting:update:registrant_status", "Update a meeting registrant's status",
           "meeting:write"))),
    *(Scope(name, meaning, classic=classic, required=False, unlocks=WEBINAR_UNLOCKS)
      for name, meaning, classic in (
          ("webinar:write:webinar", "Create a webinar", "webinar:write"),
          ("webinar:update:webinar", "Update a webinar", "webinar:write"),
          ("webinar:delete:webinar", "Delete a webinar", "webinar:write"),
          ("webinar:write:registrant", "Add a webinar registrant", "webinar:write"),
          ("webinar:update:registrant_status", "Update a webinar registrant's status",
           "webinar:write"))),
)
GRANULAR_SCOPES = tuple(scope.name for scope in SCOPES if scope.required)
REGISTRATION_SCOPES = tuple(s.name for s in SCOPES if s.unlocks == REGISTRATION_UNLOCKS)
WEBINAR_SCOPES = tuple(s.name for s in SCOPES if s.unlocks == WEBINAR_UNLOCKS)


@dataclass(frozen=True)
class EventSubscription:
    """An event the admin subscribes the Zoom app to (Features > Event subscriptions)."""

    name: str  # Zoom's event type, as /webhooks/zoom receives it
    meaning: str  # what Timetics does with it
    scope: str | None  # the scope Zoom requires for the subscription; None: no scope


# The events /webhooks/zoom handles (endpoint.url_validation needs no subscription: Zoom sends
# it whenever the URL is saved). Zoom's Meetings webhooks reference
# (developers.zoom.us/docs/api/meetings/events/) gates meeting.deleted and meeting.updated
# behind the meeting read scope; the event subscription screen names it when it is missing.
EVENT_SUBSCRIPTIONS = (
    EventSubscription("app_deauthorized", "a user removed the app: Timetics deletes their "
                      "tokens", scope=None),
    EventSubscription("meeting.deleted", "a host deleted a Timetics meeting in Zoom: the "
                      "dashboard offers Make a new meeting", scope="meeting:read:meeting"),
    EventSubscription("meeting.updated", "a host moved a Timetics meeting in Zoom: the "
                      "dashboard shows Zoom's time and offers Move it back",
                      scope="meeting:read:meeting"),
)


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
    if scheme == "http" and is_loopback_host(parts.hostname):
        return url
    raise ValueError(
        f"A Zoom URL must start with https:// (http:// only to this machine, such as "
        f"http://127.0.0.1): {url!r}"
    )


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ``::1`` or ``localhost``: this machine."""
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


def missing_scopes(granted: Iterable[str]) -> list[str]:
    """The granular names of the required scopes Zoom did not grant.

    Each need is met by its granular scope (or its ``:admin`` form) or by the classic scope that
    covers it, so a complete granular set, a complete classic set, or a mix all pass.
    """
    if isinstance(granted, str):
        granted = granted.split()
    have = set(granted)
    return [
        scope.name for scope in SCOPES
        if scope.required and not have & {scope.name, f"{scope.name}:admin", scope.classic}
    ]


def has_scope(granted: Iterable[str], name: str) -> bool:
    """Whether ``granted`` covers the scope ``name`` (granular, its ``:admin`` form, or the
    classic scope of the same need)."""
    if isinstance(granted, str):
        granted = granted.split()
    classic = next((scope.classic for scope in SCOPES if scope.name == name), name)
    return bool(set(granted) & {name, f"{name}:admin", classic})

"""What the sandbox knows up front: the registered OAuth apps and the Zoom users.

Both are built from plain dicts (the factory's config and the control API), so each
``from_dict`` checks its input and raises ``ControlError`` naming the bad field.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ControlError

# The granular user-level scopes Timetics asks admins to add (see ZOOM.md, "App and scopes").
DEFAULT_SCOPES = (
    "meeting:write:meeting",
    "meeting:read:meeting",
    "meeting:update:meeting",
    "meeting:delete:meeting",
    "user:read:user",
)

BASIC, LICENSED = 1, 2
USER_TYPES = (BASIC, LICENSED, 99)
DIAL_IN_FIELDS = {"country", "country_name", "city", "number", "type"}

DEMO_CLIENT_ID = "sandbox-client-id"
DEMO_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 (a published sandbox credential)
DEMO_REDIRECT_URI = "http://127.0.0.1:5000/integrations/zoom/callback"


@dataclass(frozen=True)
class OAuthApp:
    """A Zoom Marketplace app (General, user-managed) that users can authorise."""

    client_id: str
    client_secret: str
    name: str = "Timetics"
    redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    event_url: str | None = None
    secret_token: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OAuthApp:
        return cls(
            client_id=_text(data, "client_id"),
            client_secret=_text(data, "client_secret"),
            name=_text(data, "name", "Timetics"),
            redirect_uris=_texts(data, "redirect_uris", ()),
            scopes=_texts(data, "scopes", DEFAULT_SCOPES),
            event_url=_text(data, "event_url", None),
            secret_token=_text(data, "secret_token", None),
        )

    def allows_redirect(self, redirect_uri: str | None) -> bool:
        # Zoom compares the whole URL with the app's allow list; no prefix matching.
        return redirect_uri is not None and redirect_uri in self.redirect_uris

    def describe(self) -> dict:
        """The app as the control API shows it: secrets masked."""
        return {
            "client_id": self.client_id,
            "name": self.name,
            "redirect_uris": list(self.redirect_uris),
            "scopes": list(self.scopes),
            "event_url": self.event_url,
            "has_secret_token": bool(self.secret_token),
        }


@dataclass(frozen=True)
class ZoomUser:
    """A Zoom user who can sign in on the consent page."""

    id: str
    email: str
    first_name: str = ""
    last_name: str = ""
    display_name: str = ""
    account_id: str = "sandbox-account"
    timezone: str = "UTC"
    # Get a user ``type``: 1 Basic, 2 Licensed (99 None). Licensed unless a user says, so that
    # a meeting runs its full length; a Basic user's is cut at 40 minutes.
    type: int = LICENSED
    # The account's telephone dial-in, as a meeting's settings.global_dial_in_numbers lists it
    # (country, country_name, city, number, type); () for an account without dial-in.
    dial_in_numbers: tuple[dict, ...] = ()
    features: tuple[tuple[str, Any], ...] = ()  # Get user settings' ``feature``, overrides

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ZoomUser:
        first, last = _text(data, "first_name", ""), _text(data, "last_name", "")
        return cls(
            id=_text(data, "id"),
            email=_text(data, "email"),
            first_name=first,
            last_name=last,
            display_name=_text(data, "display_name", f"{first} {last}".strip()),
            account_id=_text(data, "account_id", "sandbox-account"),
            timezone=_text(data, "timezone", "UTC"),
            type=_user_type(data),
            dial_in_numbers=_dial_in(data),
            features=_features(data),
        )

    @property
    def is_basic(self) -> bool:
        return self.type == BASIC

    def feature(self) -> dict:
        """Get user settings' ``feature`` object: the plan's defaults, then the overrides."""
        plan = {"meeting_capacity": 100, "large_meeting": False, "webinar": False,
                "zoom_events": False, "zoom_phone": False}
        if not self.is_basic:
            plan["meeting_capacity"] = 300
        return {**plan, **dict(self.features)}

    def settings_json(self) -> dict:
        """``GET /users/{userId}/settings`` as Zoom answers it (the parts Timetics reads)."""
        return {
            "feature": self.feature(),
            "schedule_meeting": {"host_video": False, "participants_video": False},
            "in_meeting": {"waiting_room": False},
            "audio_conferencing": {
                "toll_free_and_fee_based_toll_call": {"enable": bool(self.dial_in_numbers)}},
        }

    def as_zoom_json(self) -> dict:
        """``GET /users/me`` as Zoom answers it (the fields Timetics reads, and a few more)."""
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "display_name": self.display_name,
            "email": self.email,
            "type": self.type,
            "role_name": "Member",
            "account_id": self.account_id,
            "timezone": self.timezone,
            "language": "en-US",
            "status": "active",
            "verified": 1,
        }


DEMO_APP = OAuthApp(
    client_id=DEMO_CLIENT_ID,
    client_secret=DEMO_CLIENT_SECRET,
    redirect_uris=(DEMO_REDIRECT_URI,),
)

# Made-up numbers in the shape of Zoom's (numbering plans' fictional ranges where they have
# them): enough to show the guest's country first.
SAMPLE_DIAL_IN = (
    {"country": "US", "country_name": "US", "city": "New York", "number": "+1 555 010 0100",
     "type": "toll"},
    {"country": "DE", "country_name": "Germany", "city": "", "number": "+49 30 5555 0100",
     "type": "toll"},
    {"country": "GB", "country_name": "United Kingdom", "city": "",
     "number": "+44 20 7946 0100", "type": "toll"},
    {"country": "US", "country_name": "US", "city": "", "number": "+1 800 555 0100",
     "type": "tollfree"},
)

DEMO_USER = ZoomUser(
    id="zoomuser-alex",
    email="alex.rivera@zoom.example",
    first_name="Alex",
    last_name="Rivera",
    display_name="Alex Rivera",
    account_id="zoomaccount-demo",
    timezone="America/New_York",
    type=LICENSED,
    dial_in_numbers=SAMPLE_DIAL_IN,
)

DEMO_BASIC_USER = ZoomUser(
    id="zoomuser-bo",
    email="bo.basic@zoom.example",
    first_name="Bo",
    last_name="Basic",
    display_name="Bo Basic",
    account_id="zoomaccount-free",
    timezone="Europe/Berlin",
    type=BASIC,
)


def _user_type(data: Mapping[str, Any]) -> int:
    value = data.get("type", LICENSED)
    if value not in USER_TYPES or isinstance(value, bool):
        raise ControlError(f"'type' must be one of {list(USER_TYPES)} (1 Basic, 2 Licensed).")
    return value


def _dial_in(data: Mapping[str, Any]) -> tuple[dict, ...]:
    """``dial_in_numbers``: a list of Zoom's number objects, or true for the sample set."""
    value = data.get("dial_in_numbers")
    if value is True:
        return SAMPLE_DIAL_IN
    if value in (None, False):
        return ()
    if not isinstance(value, list) or not all(
            isinstance(n, dict) and isinstance(n.get("number"), str) and n["number"]
            and set(n) <= DIAL_IN_FIELDS and all(isinstance(v, str) for v in n.values())
            and n.get("type", "toll") in ("toll", "tollfree") for n in value):
        raise ControlError("'dial_in_numbers' must be true or a list of objects with a "
                           "'number' and optional 'country', 'country_name', 'city' and "
                           "'type' (toll or tollfree).")
    return tuple(dict(n) for n in value)


def _features(data: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    value = data.get("features", {})
    if not isinstance(value, dict) or not all(
            isinstance(v, bool | int) for v in value.values()):
        raise ControlError("'features' must be an object of booleans and numbers.")
    return tuple(sorted(value.items()))


def _text(data: Mapping[str, Any], key: str, default: Any = ...) -> Any:
    """``data[key]`` as a non-empty string; ``default`` when absent (required if none given)."""
    value = data.get(key)
    if value is None:
        if default is ...:
            raise ControlError(f"'{key}' is required.")
        return default
    if not isinstance(value, str) or not value:
        raise ControlError(f"'{key}' must be a non-empty string.")
    return value


def _texts(data: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A list of strings; a single space-separated string is accepted too (like ``scope``)."""
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ControlError(f"'{key}' must be a list of strings.")
    return tuple(value)

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
        )

    def as_zoom_json(self) -> dict:
        """``GET /users/me`` as Zoom answers it (the fields Timetics reads, and a few more)."""
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "display_name": self.display_name,
            "email": self.email,
            "type": 1,
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

DEMO_USER = ZoomUser(
    id="zoomuser-alex",
    email="alex.rivera@zoom.example",
    first_name="Alex",
    last_name="Rivera",
    display_name="Alex Rivera",
    account_id="zoomaccount-demo",
    timezone="America/New_York",
)


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

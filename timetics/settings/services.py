"""The admin's Zoom app settings. Secrets are stored encrypted and never shown again."""
from __future__ import annotations

import logging

from flask import current_app

from .. import zoom
from ..exceptions import ZoomNotConfigured
from ..extensions import db
from ..models import ZoomSettings
from ..security import decrypt_secret, encrypt_secret

logger = logging.getLogger(__name__)


def zoom_redirect_url() -> str:
    """The OAuth Redirect URL, always from EXTERNAL_URL (never from the request's Host header)."""
    return current_app.config["EXTERNAL_URL"] + "/integrations/zoom/callback"


def zoom_event_url() -> str:
    return current_app.config["EXTERNAL_URL"] + "/webhooks/zoom"


def get_zoom_settings() -> ZoomSettings | None:
    return db.session.get(ZoomSettings, 1)


def save_zoom_settings(*, client_id: str, client_secret: str, secret_token: str) -> ZoomSettings:
    """Store the settings; a blank secret keeps the one already stored."""
    settings = get_zoom_settings() or ZoomSettings(id=1)
    settings.client_id = client_id.strip()
    if client_secret.strip():
        settings.client_secret_encrypted = encrypt_secret(client_secret.strip())
    if secret_token.strip():
        settings.secret_token_encrypted = encrypt_secret(secret_token.strip())
    db.session.add(settings)
    db.session.commit()
    logger.info("Zoom app settings saved (client id %s)", settings.client_id)
    return settings


def zoom_client_secret(settings: ZoomSettings) -> str | None:
    if not settings.client_secret_encrypted:
        return None
    return decrypt_secret(settings.client_secret_encrypted)


def zoom_secret_token(settings: ZoomSettings) -> str | None:
    if not settings.secret_token_encrypted:
        return None
    return decrypt_secret(settings.secret_token_encrypted)


def zoom_app() -> zoom.ZoomApp:
    """The Zoom app as configured by the admin, with where Zoom is."""
    settings = get_zoom_settings()
    if settings is None or not settings.is_configured:
        raise ZoomNotConfigured("The Zoom app is not configured yet.")
    config = current_app.config
    return zoom.ZoomApp(
        client_id=settings.client_id,
        client_secret=zoom_client_secret(settings),
        redirect_uri=zoom_redirect_url(),
        oauth_url=zoom.check_zoom_url(config["ZOOM_OAUTH_URL"]),
        api_url=zoom.check_zoom_url(config["ZOOM_API_URL"]),
        timeout=float(config["ZOOM_TIMEOUT"]),
    )

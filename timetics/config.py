"""Configuration: defaults here, then ``instance/config.py``, then ``TIMETICS_*`` variables.

Secrets that an operator did not set (``SECRET_KEY``, ``ENCRYPTION_KEY``) are generated once into
the instance folder with mode 0600, so a one-box install keeps its sessions and its encrypted
data across restarts without anyone choosing a key.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from flask import Flask

from .exceptions import ConfigError

DEFAULTS = {
    "EXTERNAL_URL": "http://127.0.0.1:5000",
    "ZOOM_OAUTH_URL": "https://zoom.us",
    "ZOOM_API_URL": "https://api.zoom.us/v2",
    "ZOOM_TIMEOUT": 10,
    "MAIL_TIMEOUT": 10,
    "MAIL_DEFAULT_SENDER": "Timetics <timetics@localhost>",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "RATELIMIT_ENABLED": True,
    # Explicit, so that Flask-Limiter knows the in-memory store is chosen on purpose.
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # A shared store (Redis) that is down must not turn bookings into 500s: each process then
    # counts in memory until it answers again.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "INVITATION_MAX_AGE_HOURS": 72,
    "JOB_MAX_AGE_HOURS": 72,
    # A Zoom connection whose tokens are this old is refreshed by the job runner, so that its
    # refresh token does not lapse while the host takes no bookings (integrations/keepalive.py).
    "ZOOM_KEEPALIVE_DAYS": 30,  # a job still failing after this is marked failed and shown
    "SESSION_IDLE_MINUTES": 120,  # a login ends after this long without a request
    "SESSION_MAX_HOURS": 12,  # and after this long whatever happens
    "PASSWORD_RESET_MAX_AGE_HOURS": 2,
    # Bytes of one request body; more is refused with 413 before it fills a worker's memory.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Public booking answers are reused for at most this long while the data is unchanged
    # (timetics/answer_cache.py); 0 computes every answer afresh.
    "ANSWER_CACHE_SECONDS": 60,
    # Hosts or networks (e.g. "nextcloud.lan 10.0.0.0/8") that calendar and webhook URLs may
    # reach although they are not public (timetics/safe_urls.py); empty: public addresses only.
    "CALENDAR_ALLOWED_HOSTS": "",
    # Origins (scheme://host[:port], space-separated) whose pages may frame the booking pages
    # opened with ?embed=1; an admin's Allowed origins in Settings replace it.
    "EMBED_ALLOWED_ORIGINS": "",
    # Days after a booking ends that its guests' name, email, notes, answers and extra guests
    # are kept (booking/guest_data.py); None or empty: kept.
    "GUEST_DATA_RETENTION_DAYS": None,
    # Hours a host has to accept a booking request before it is declined by itself (and in
    # any case before its start: booking/approval.py).
    "APPROVAL_HOURS": 48,
    # How often the job runner reads each calendar's busy times (timetics/calendars/sync.py).
    "CALENDAR_SYNC_MINUTES": 5,
    # Seconds for one calendar request while syncing; Confirm booking's own check waits less.
    "CALENDAR_TIMEOUT": 10,
    "CALENDAR_CONFIRM_SECONDS": 2,
    "WEBHOOK_TIMEOUT": 5,  # seconds an outgoing webhook's endpoint has to answer
    "WEBHOOK_LOG_KEPT": 200,  # deliveries kept in each endpoint's log
    "WEBHOOK_MAX_ATTEMPTS": 8,  # attempts of one delivery before it gives up (or JOB_MAX_AGE)
}

MIN_SECRET_KEY_LENGTH = 32


def load_config(app: Flask, test_config: dict | None = None) -> None:
    """Fill ``app.config`` in order: defaults, instance file, environment, then ``test_config``."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("TIMETICS")
    if test_config:
        app.config.from_mapping(test_config)

    instance = Path(app.instance_path)
    # Private when we create it: the keys and the SQLite database live here.
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI", f"sqlite:///{instance / 'timetics.sqlite3'}"
    )
    app.config["EXTERNAL_URL"] = str(app.config["EXTERNAL_URL"]).rstrip("/")
    _ensure_secret_key(app, instance)
    _ensure_encryption_key(app, instance)
    _check_embed_origins(app)
    _check_approval_hours(app)
    if not app.config.get("TRUSTED_HOSTS"):
        app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config["EXTERNAL_URL"])
    if app.config["EXTERNAL_URL"].startswith("https://"):
        # Flask's defaults are False, so "unset" cannot be told apart: https always means Secure.
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        # __Host-: the browser accepts it only over https, for this host, on path /.
        if not app.config.get("SESSION_COOKIE_DOMAIN") and \
                app.config["SESSION_COOKIE_NAME"] == "session":
            app.config["SESSION_COOKIE_NAME"] = "__Host-session"


def trusted_hosts(external_url: str) -> list[str]:
    """The Host headers we answer: EXTERNAL_URL's host, and loopback for health checks and a
    reverse proxy on the same box. Absolute URLs never come from the Host header anyway."""
    host = urlsplit(external_url).hostname or "127.0.0.1"
    return list(dict.fromkeys([host, "127.0.0.1", "localhost", "::1", "[::1]"]))


def _check_embed_origins(app: Flask) -> None:
    from .embedding import parse_origins
    from .exceptions import OriginError

    try:
        parse_origins(app.config["EMBED_ALLOWED_ORIGINS"])
    except OriginError as e:
        raise ConfigError(f"EMBED_ALLOWED_ORIGINS: {e}") from None


def _check_approval_hours(app: Flask) -> None:
    # Read by every booking of a type that requires approval: refuse a bad one before serving.
    try:
        hours = float(app.config["APPROVAL_HOURS"])
    except (TypeError, ValueError):
        hours = 0
    if not 0 < hours <= 24 * 365:  # also refuses nan and inf, which no timedelta takes
        raise ConfigError("APPROVAL_HOURS must be a number of hours above 0, at most a year "
                          "(default 48).")


def _ensure_secret_key(app: Flask, instance: Path) -> None:
    key = app.config.get("SECRET_KEY")
    if not key:
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key", _new_secret_key)
    elif len(str(key)) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"SECRET_KEY is too short: use at least {MIN_SECRET_KEY_LENGTH} random characters "
            "(or leave it unset to have one generated under instance/)."
        )


def _ensure_encryption_key(app: Flask, instance: Path) -> None:
    keys = app.config.get("ENCRYPTION_KEY")
    if not keys:
        keys = _instance_secret(instance / "encryption_key", lambda: Fernet.generate_key().decode())
    if isinstance(keys, str):
        keys = [k.strip() for k in keys.split(",") if k.strip()]
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ConfigError(
                "ENCRYPTION_KEY must be one or more comma-separated Fernet keys "
                "(32 url-safe base64-encoded bytes each)."
            ) from None
    app.config["ENCRYPTION_KEY"] = list(keys)


def _new_secret_key() -> str:
    return secrets.token_urlsafe(48)


def _instance_secret(path: Path, make) -> str:
    """Read a generated secret, creating it (mode 0600) if this is the first start.

    O_EXCL makes the first of several workers starting at once the only writer; the others read it.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text().strip()
        if value:
            return value
        raise ConfigError(f"{path} is empty: delete it to have a new one generated.") from None
    value = make()
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value

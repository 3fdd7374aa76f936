"""First run: the one-time link that creates the first admin of an empty install.

The token is an HMAC of SECRET_KEY over a fixed purpose, so nothing is stored; it is only
honoured while the database has no admin, so it is spent the moment the first admin exists.
"""
from __future__ import annotations

import hashlib
import hmac
import logging

from flask import Flask, current_app

from ..db import write_transaction
from ..extensions import db
from ..models import Role, User
from .services import create_user, external_url

logger = logging.getLogger(__name__)

_PURPOSE = b"timetics first-run setup link"


def admin_exists() -> bool:
    return db.session.scalar(db.select(User.id).where(User.role == Role.ADMIN).limit(1)) \
        is not None


def setup_token() -> str:
    """The token of this install's setup link (the same on every worker and every start)."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, _PURPOSE, hashlib.sha256).hexdigest()


def setup_link() -> str | None:
    """``EXTERNAL_URL/setup?token=…`` while no admin exists, else None."""
    if admin_exists():
        return None
    return external_url("auth.setup", token=setup_token())


def token_is_valid(token: str | None) -> bool:
    """True for this install's setup token while no admin exists (compared in constant time)."""
    if not token or len(token) > 200:
        return False
    return hmac.compare_digest(token.encode(), setup_token().encode()) and not admin_exists()


def create_first_admin(token: str, *, name: str, email: str, password: str,
                       timezone: str, language: str | None = None) -> User | None:
    """The first admin, made through the setup link; None if the link is no longer valid
    (someone else was quicker). Raises AccountError for bad input, like ``create_user``."""
    with write_transaction():  # two submissions at once: the second sees the first's admin
        if not token_is_valid(token):
            return None
        user = create_user(email=email, name=name, role=Role.ADMIN, timezone=timezone,
                           password=password, language=language)
    logger.info("First admin %s created through the setup link", user.id)
    return user


def announce_setup_link(app: Flask) -> None:
    """Print the setup link where the operator sees it (the server's output) if the install
    has no admin yet. Quiet when the database is not upgraded yet: `db upgrade` comes first."""
    from sqlalchemy.exc import SQLAlchemyError

    with app.app_context():
        try:
            link = setup_link()
        except SQLAlchemyError:
            return
        finally:
            db.session.remove()
    if link:
        print(f"\nTimetics has no admin yet. Create the first one here (the link works until "
              f"an admin exists):\n\n    {link}\n", flush=True)

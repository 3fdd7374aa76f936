"""Accounts: authenticate, create users, and the single-use set-password links."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _

from ..db import utcnow, write_transaction
from ..exceptions import AccountError
from ..extensions import db
from ..i18n import valid_language
from ..mail import UndeliverableAddress, refuse_undeliverable
from ..models import PasswordToken, Role, TokenPurpose, User
from ..security import hash_password, hash_token, new_token, password_needs_rehash, verify_password
from ..validation import is_control_character, normalize_email, zone_or_none

logger = logging.getLogger(__name__)

# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = hash_password("not-a-real-password-just-for-timing")


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def _refuse_undeliverable(email: str) -> None:
    try:
        refuse_undeliverable(email)
    except UndeliverableAddress as e:
        raise AccountError(str(e)) from None


def create_user(*, email: str, name: str, role: str | Role = Role.STAFF, timezone: str = "UTC",
                password: str | None = None, language: str | None = None) -> User:
    """Add a user (flushes, does not commit), reading ``language`` (a shipped one; None:
    English). Raises AccountError for bad or duplicate input."""
    try:
        email = normalize_email(email)
    except ValueError as e:
        raise AccountError(_("Invalid email address: %(problem)s", problem=e)) from None
    _refuse_undeliverable(email)
    name = name.strip()
    if not name or len(name) > 200:
        raise AccountError(_("A name of 1 to 200 characters is required."))
    if any(is_control_character(c) for c in name):
        raise AccountError(_("A name cannot hold line breaks, tabs or other control "
                             "characters."))
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(_("Unknown role %(role)s: use admin or staff.",
                             role=repr(role))) from None
    if zone_or_none(timezone) is None:
        raise AccountError(_("Unknown time zone %(zone)s: use an IANA name like Europe/Berlin.",
                             zone=repr(timezone)))
    if find_user_by_email(email) is not None:
        raise AccountError(_("A user with the email %(email)s already exists.", email=email))
    user = User(email=email, name=name, role=role, timezone=timezone,
                language=valid_language(language),
                password_hash=hash_password(password) if password else None)
    db.session.add(user)
    db.session.flush()
    logger.info("User %s created with role %s", user.id, role)
    return user


def issue_password_link(user: User, purpose: TokenPurpose) -> str:
    """A new set-password URL for ``user`` (flushes). Earlier unused links of that kind die."""
    hours = current_app.config[
        "INVITATION_MAX_AGE_HOURS" if purpose == TokenPurpose.INVITATION
        else "PASSWORD_RESET_MAX_AGE_HOURS"
    ]
    now = utcnow()
    for old in db.session.scalars(
        db.select(PasswordToken).where(
            PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None)
        )
    ):
        old.used_at = now
    token = new_token()
    db.session.add(PasswordToken(user_id=user.id, token_hash=hash_token(token), purpose=purpose,
                                 expires_at=now + timedelta(hours=int(hours))))
    db.session.flush()
    return external_url("auth.set_password", token=token)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for emails, always built on EXTERNAL_URL, never on the request's Host.

    Works outside a request too (the job runner sends emails): url_for then needs a request
    context only to know the URL map, not to know the host."""
    if has_request_context():
        return current_app.config["EXTERNAL_URL"] + url_for(endpoint, **values)
    with current_app.test_request_context():
        return current_app.config["EXTERNAL_URL"] + url_for(endpoint, **values)


def valid_password_token(token: str) -> PasswordToken | None:
    """The unused, unexpired token row for this link, or None."""
    row = db.session.scalar(
        db.select(PasswordToken).where(PasswordToken.token_hash == hash_token(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def end_sessions(user: User) -> None:
    """Log the user out everywhere: every copy of their session cookie stops loading them."""
    # One UPDATE, so that two logouts at once both advance the version.
    db.session.execute(db.update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    db.session.commit()
    logger.info("User %s logged out; their sessions ended", user.id)


def set_password_with_token(token: str, password: str) -> User | None:
    """Use the link once: set the password and spend the token. None if it is spent or expired."""
    with write_transaction():
        row = valid_password_token(token)
        if row is None:
            return None
        row.used_at = utcnow()
        row.user.password_hash = hash_password(password)
        row.user.session_version += 1  # every other session of this user ends here
        user = row.user
    logger.info("User %s set a password through a %s link", user.id, row.purpose)
    return user

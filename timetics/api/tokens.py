"""Personal API tokens: made and revoked on a user's profile, checked on every API request.

A token is shown once; only its SHA-256 is stored (256 random bits need no slow hash)."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update

from ..db import utcnow
from ..extensions import db
from ..models import ApiScope, ApiToken, User
from ..security import hash_token, new_token

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "tt_"  # noqa: S105 (a marker that makes a leaked token easy to search for)
# last_used_at is a hint for the profile page: writing it on every request would serialise
# every API read behind the database's write lock.
LAST_USED_PRECISION = timedelta(minutes=1)


def create_token(user: User, *, name: str, scope: ApiScope) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the token itself, to show once."""
    secret = TOKEN_PREFIX + new_token()
    row = ApiToken(user=user, name=name, scope=scope, token_hash=hash_token(secret))
    db.session.add(row)
    db.session.commit()
    logger.info("API token %s (%s) created for user %s", row.id, scope, user.id)
    return row, secret


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.revoked_at.is_not(None),
                                             ApiToken.created_at.desc())))


def revoke_token(user: User, token_id: int) -> ApiToken | None:
    """Revoke one of ``user``'s tokens (None if they have no such token)."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()
        logger.info("API token %s of user %s revoked", row.id, user.id)
    return row


def authenticate(secret: str) -> ApiToken | None:
    """The live token whose secret this is, of an active user; None for anything else."""
    if not secret or len(secret) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_PRECISION:
        db.session.execute(update(ApiToken).where(ApiToken.id == row.id)
                           .values(last_used_at=now))
        db.session.commit()
    return row

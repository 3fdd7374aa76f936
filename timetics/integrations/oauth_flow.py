"""Connecting a staff member's Zoom: the OAuth flow from Connect to the callback, and Disconnect.

The state and PKCE verifier wait in the browser's session between Connect and Zoom's callback;
the tokens the callback brings are stored by ``tokens``.
"""
from __future__ import annotations

import hmac
import logging
from datetime import timedelta

from flask import session
from sqlalchemy import select

from .. import zoom
from ..db import utcnow
from ..exceptions import StateInvalid, ZoomError, ZoomTokenRefused, ZoomUserTaken
from ..extensions import db
from ..models import User, ZoomConnection
from ..security import decrypt_secret, encrypt_secret
from ..settings.services import zoom_app
from .plan import Plan, read_plan, store_plan
from .tokens import DISCONNECTED, StoredTokens, forget_connection

logger = logging.getLogger(__name__)

STATE_LIFETIME = timedelta(minutes=10)
SESSION_KEY = "zoom_oauth"


def start_authorization(staff: User) -> str:
    """The Zoom authorize URL for connecting ``staff``; remembers state and verifier in the
    browser's session, so the callback must come back to the same browser within 10 minutes."""
    url, state, verifier = zoom.new_authorization(zoom_app())
    session[SESSION_KEY] = {
        "state": state,
        "verifier": verifier,
        "staff_id": staff.id,
        "expires": (utcnow() + STATE_LIFETIME).timestamp(),
    }
    return url


def take_authorization(state: str | None) -> tuple[int, str]:
    """Check the callback's ``state`` against the session, once: (staff id, code verifier)."""
    pending = session.pop(SESSION_KEY, None)
    if not pending or not state or not _same(pending.get("state", ""), state):
        raise StateInvalid()
    if pending["expires"] < utcnow().timestamp():
        raise StateInvalid()
    return pending["staff_id"], pending["verifier"]


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def exchange_code(code: str, verifier: str) -> tuple[zoom.TokenSet, dict, Plan]:
    """Trade the callback's code for tokens, and read who authorised them (GET /users/me)
    and their plan (a missing settings scope is recorded in the plan, never raised)."""
    app = zoom_app()
    tokens = zoom.exchange_code(app, code, verifier)
    api = zoom.ZoomAPI(app, _FixedToken(tokens.access_token))
    me = api.get_me()
    return tokens, me, read_plan(api, me, tokens.scopes)


class _FixedToken:
    """A TokenSource for the one call made right after the code exchange."""

    def __init__(self, token: str):
        self.token = token

    def access_token(self) -> str:
        return self.token

    def refreshed(self, stale: str) -> str:
        raise ZoomTokenRefused("Zoom refused a token it had just issued.")


def connect(staff: User, tokens: zoom.TokenSet, me: dict, plan: Plan) -> ZoomConnection:
    """Store a new connection for ``staff`` (replacing theirs).

    A Zoom user that another staff member has connected stays theirs: this authorization has
    just ended their tokens at Zoom, so the new ones go to their connection, and ZoomUserTaken
    says whose account it is.
    """
    zoom_user_id = str(me["id"])
    owner = db.session.scalar(select(ZoomConnection).where(
        ZoomConnection.zoom_user_id == zoom_user_id, ZoomConnection.user_id != staff.id))
    if owner is not None:
        taken = ZoomUserTaken(owner.user.name, owner.zoom_email)  # now: replace() may find it gone
        kept = StoredTokens(zoom_app(), owner.id).replace(tokens)
        logger.warning("User %s authorized the Zoom user of user %s; new tokens stored: %s",
                       staff.id, owner.user_id, kept)
        raise taken
    if staff.zoom_connection is not None:
        db.session.delete(staff.zoom_connection)
        db.session.flush()
    display = me.get("display_name") or " ".join(
        p for p in (me.get("first_name"), me.get("last_name")) if p)
    connection = ZoomConnection(
        user_id=staff.id, zoom_user_id=zoom_user_id,
        zoom_account_id=str(me.get("account_id") or ""), zoom_email=me.get("email") or "",
        zoom_display_name=display, scopes=" ".join(sorted(tokens.scopes)),
        access_token_encrypted=encrypt_secret(tokens.access_token),
        refresh_token_encrypted=encrypt_secret(tokens.refresh_token),
        expires_at=tokens.expires_at, tokens_issued_at=utcnow(),
    )
    store_plan(connection, plan)
    db.session.add(connection)
    db.session.commit()
    logger.info("Zoom connected for user %s (Zoom user %s)", staff.id, zoom_user_id)
    return connection


def disconnect(staff: User, *, by: User) -> bool:
    """Revoke the token at Zoom (best effort) and delete the connection whatever Zoom said;
    the staff member and the admins are told. Returns whether Zoom confirmed the revocation."""
    connection = staff.zoom_connection
    if connection is None:
        return True
    token = decrypt_secret(connection.access_token_encrypted)
    # Deleted before the revoke, whose deauthorization webhook would otherwise race this
    # delete and tell everyone the app was removed in Zoom.
    forget_connection(connection.id, why=DISCONNECTED,
                      by=None if by.id == staff.id else by.name)
    revoked = False
    try:
        zoom.revoke_token(zoom_app(), token)
        revoked = True
    except (ZoomError, ValueError) as e:
        logger.warning("Zoom revoke for user %s failed (%s); its tokens are deleted anyway",
                       staff.id, e.__class__.__name__)
    logger.info("Zoom disconnected for user %s", staff.id)
    return revoked


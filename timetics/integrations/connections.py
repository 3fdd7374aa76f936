"""Zoom connections: the OAuth flow's state, storing tokens encrypted, and refreshing them.

Zoom rotates the refresh token on every refresh and the old one dies at once, so two workers
refreshing together would kill the connection. A refresh therefore takes a lease on the row
first (a compare-and-swap on ``version``); whoever loses waits for the winner's new token
instead of spending the same refresh token again.
"""
from __future__ import annotations

import hmac
import logging
import time
from datetime import datetime, timedelta

from flask import current_app, session
from sqlalchemy import delete, or_, select, update

from .. import zoom
from ..auth.services import external_url
from ..db import utcnow, write_transaction
from ..exceptions import ZoomError, ZoomTokenRefused, ZoomUnavailable
from ..extensions import db
from ..mail import send_email
from ..models import Role, User, ZoomConnection
from ..security import decrypt_secret, encrypt_secret
from ..settings.services import get_zoom_settings, zoom_client_secret, zoom_redirect_url

logger = logging.getLogger(__name__)

STATE_LIFETIME = timedelta(minutes=10)
SESSION_KEY = "zoom_oauth"


class ZoomNotConfigured(ZoomError):
    """The admin has not entered the Zoom app's Client ID and Secret yet."""


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


# --- the OAuth flow -------------------------------------------------------------------------

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


class StateInvalid(Exception):
    """The callback's state is missing, reused, from another browser, or expired."""


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


def exchange_code(code: str, verifier: str) -> tuple[zoom.TokenSet, dict]:
    """Trade the callback's code for tokens, and read who authorised them (GET /users/me)."""
    app = zoom_app()
    tokens = zoom.exchange_code(app, code, verifier)
    return tokens, zoom.ZoomAPI(app, _FixedToken(tokens.access_token)).get_me()


class _FixedToken:
    """A TokenSource for the one call made right after the code exchange."""

    def __init__(self, token: str):
        self.token = token

    def access_token(self) -> str:
        return self.token

    def refreshed(self, stale: str) -> str:
        raise ZoomTokenRefused("Zoom refused a token it had just issued.")


class ZoomUserTaken(ZoomError):
    """That Zoom account is connected to another staff member, who keeps it."""

    def __init__(self, owner_name: str, zoom_email: str):
        super().__init__(f"This Zoom account is already connected to {owner_name}.")
        self.owner_name = owner_name
        self.zoom_email = zoom_email


def connect(staff: User, tokens: zoom.TokenSet, me: dict) -> ZoomConnection:
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
        expires_at=tokens.expires_at,
    )
    db.session.add(connection)
    db.session.commit()
    logger.info("Zoom connected for user %s (Zoom user %s)", staff.id, zoom_user_id)
    return connection


def disconnect(staff: User) -> bool:
    """Revoke the token at Zoom (best effort) and delete the connection whatever Zoom said.
    Returns whether Zoom confirmed the revocation."""
    connection = staff.zoom_connection
    if connection is None:
        return True
    revoked = False
    try:
        zoom.revoke_token(zoom_app(), decrypt_secret(connection.access_token_encrypted))
        revoked = True
    except (ZoomError, ValueError) as e:
        logger.warning("Zoom revoke for user %s failed (%s); deleting the tokens anyway",
                       staff.id, e.__class__.__name__)
    _forget(connection.id)
    logger.info("Zoom disconnected for user %s", staff.id)
    return revoked


def delete_connection_of_zoom_user(zoom_user_id: str) -> bool:
    """Zoom says the user removed the app: forget their tokens. True if there were any."""
    connection = db.session.scalar(
        select(ZoomConnection).where(ZoomConnection.zoom_user_id == zoom_user_id))
    if connection is None:
        return False
    user_id = connection.user_id
    _forget(connection.id)
    logger.info("Zoom deauthorized user %s: connection deleted", user_id)
    return True


def _forget(connection_id: int) -> None:
    """Delete the row and leave no copy of it in the file.

    A bulk DELETE, because revoking makes Zoom call our webhook, which may delete the same row
    at the same moment; secure_delete (set per connection) zeroes the freed page, and the
    checkpoint moves that into the main file so the write-ahead log keeps no old copy.
    """
    # The write lock up front: a read transaction that tried to become a write one would fail
    # at once if the webhook's delete committed in between.
    with write_transaction() as session:
        session.execute(delete(ZoomConnection).where(ZoomConnection.id == connection_id))
    db.session.expire_all()
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            # On the driver's connection: a checkpoint inside a transaction would do nothing.
            connection.connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- tokens for API calls -------------------------------------------------------------------

LEASE_WAIT = 0.05  # seconds between looks at a row whose refresh someone else holds


class StoredTokens:
    """A ``zoom.TokenSource`` over one connection row, safe across threads and processes."""

    def __init__(self, app: zoom.ZoomApp, connection_id: int):
        self.app = app
        self.connection_id = connection_id

    def _row(self) -> ZoomConnection:
        db.session.expire_all()
        row = db.session.get(ZoomConnection, self.connection_id)
        if row is None:
            raise ZoomTokenRefused("The Zoom connection was removed.")
        if row.reconnect_needed:
            raise ZoomTokenRefused("Zoom refused the connection: reconnect needed.")
        return row

    def access_token(self) -> str:
        row = self._row()
        if _needs_refresh(row.expires_at):
            return self._refresh(row.version)
        return decrypt_secret(row.access_token_encrypted)

    def refreshed(self, stale: str) -> str:
        row = self._row()
        current = decrypt_secret(row.access_token_encrypted)
        if current != stale:
            return current  # someone refreshed since our call started
        return self._refresh(row.version)

    def _refresh(self, version: int) -> str:
        """Refresh once for everyone: whoever takes the lease calls Zoom, the rest wait."""
        now = utcnow()
        lease = db.session.execute(
            update(ZoomConnection)
            .where(
                ZoomConnection.id == self.connection_id,
                ZoomConnection.version == version,
                or_(ZoomConnection.refresh_started_at.is_(None),
                    ZoomConnection.refresh_started_at < now - self._lease_timeout()),
            )
            .values(refresh_started_at=now)
        )
        db.session.commit()
        if lease.rowcount != 1:
            return self._wait_for_refresh(version)
        row = self._row()
        try:
            tokens = zoom.refresh_tokens(self.app, decrypt_secret(row.refresh_token_encrypted))
        except ZoomTokenRefused as e:
            mark_reconnect_needed(row, str(e))
            raise
        except ZoomError:
            row.refresh_started_at = None
            db.session.commit()
            raise
        # Store the rotated pair before using it: the old refresh token is already dead.
        row.access_token_encrypted = encrypt_secret(tokens.access_token)
        row.refresh_token_encrypted = encrypt_secret(tokens.refresh_token)
        row.expires_at = tokens.expires_at
        row.scopes = " ".join(sorted(tokens.scopes)) or row.scopes
        row.version = version + 1
        row.refresh_started_at = None
        row.last_error = None
        db.session.commit()
        logger.info("Zoom token refreshed for connection %s", self.connection_id)
        return tokens.access_token

    def replace(self, tokens: zoom.TokenSet) -> bool:
        """Store the pair of a new authorization of the same Zoom user, once no refresh is in
        flight (whatever that refresh stores, Zoom has already ended it). False if the row is
        gone, or a refresh still holds it after the lease timeout."""
        deadline = time.monotonic() + self._lease_timeout().total_seconds()
        while True:
            now = utcnow()
            stored = db.session.execute(
                update(ZoomConnection)
                .where(ZoomConnection.id == self.connection_id,
                       or_(ZoomConnection.refresh_started_at.is_(None),
                           ZoomConnection.refresh_started_at < now - self._lease_timeout()))
                .values(access_token_encrypted=encrypt_secret(tokens.access_token),
                        refresh_token_encrypted=encrypt_secret(tokens.refresh_token),
                        expires_at=tokens.expires_at, scopes=" ".join(sorted(tokens.scopes)),
                        version=ZoomConnection.version + 1, refresh_started_at=None,
                        reconnect_needed=False, reconnect_email_sent_at=None, last_error=None,
                        # a deauthorization sent before this authorization must not delete it
                        connected_at=now)
            )
            db.session.commit()
            if stored.rowcount == 1 or time.monotonic() > deadline:
                db.session.expire_all()
                return stored.rowcount == 1
            time.sleep(LEASE_WAIT)

    def _lease_timeout(self) -> timedelta:
        # A holder that died mid-refresh must not block the connection forever.
        return timedelta(seconds=2 * self.app.timeout + 5)

    def _wait_for_refresh(self, version: int) -> str:
        """The token another worker is fetching, once it is stored."""
        deadline = time.monotonic() + self._lease_timeout().total_seconds()
        while time.monotonic() < deadline:
            # Each look in a new transaction: within one, SQLite (WAL) keeps showing the
            # snapshot of its first read, so the winner's commit would never appear. (Nothing
            # is pending here: _refresh committed just before.)
            db.session.commit()
            row = self._row()
            if row.version != version:
                return decrypt_secret(row.access_token_encrypted)
            if row.refresh_started_at is None:
                raise ZoomUnavailable("Zoom did not answer another worker's token refresh.")
            time.sleep(LEASE_WAIT)
        raise ZoomUnavailable("Another worker's token refresh did not finish in time.")


def _needs_refresh(expires_at: datetime) -> bool:
    return expires_at - zoom.REFRESH_MARGIN <= utcnow()


def mark_reconnect_needed(row: ZoomConnection, reason: str) -> None:
    """Zoom refused the refresh token: nothing works until the staff member connects again.
    They (and the admins) are told once, by email, with the link to do it."""
    row.reconnect_needed = True
    row.refresh_started_at = None
    row.last_error = reason
    first_time = row.reconnect_email_sent_at is None
    if first_time:
        row.reconnect_email_sent_at = utcnow()
    db.session.commit()
    logger.warning("Zoom refused the refresh for connection %s: reconnect needed", row.id)
    if first_time:
        _send_reconnect_emails(row.user)


def _send_reconnect_emails(staff: User) -> None:
    link = external_url("staff.integrations", user_id=staff.id)
    admins = db.session.scalars(select(User).where(User.role == Role.ADMIN,
                                                   User.active.is_(True), User.id != staff.id))
    for person in [staff, *admins]:
        send_email(person.email, "Zoom needs to be connected again", "email/zoom_reconnect",
                   queue_on_failure=True, person=person, staff=staff, link=link)


def api_for(host: User) -> zoom.ZoomAPI | None:
    """A Zoom client acting as ``host``, or None if they have no usable connection."""
    connection = host.zoom_connection
    if connection is None or connection.reconnect_needed:
        return None
    return zoom.ZoomAPI(zoom_app(), StoredTokens(zoom_app(), connection.id))

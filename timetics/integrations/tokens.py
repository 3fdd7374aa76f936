"""Zoom connections' tokens: stored encrypted, refreshed once for everyone, and the client
that acts as a host.

Zoom rotates the refresh token on every refresh and the old one dies at once, so two workers
refreshing together would kill the connection. A refresh therefore takes a lease on the row
first (a compare-and-swap on ``version``); whoever loses waits for the winner's new token
instead of spending the same refresh token again.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from .. import zoom
from ..auth.services import external_url
from ..db import utcnow, write_transaction
from ..exceptions import ZoomError, ZoomTokenRefused, ZoomUnavailable
from ..extensions import db
from ..i18n import N_, in_language, language_of
from ..mail import enqueue_email
from ..models import Role, User, ZoomConnection
from ..security import decrypt_secret, encrypt_secret
from ..settings.services import zoom_app

logger = logging.getLogger(__name__)

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

    def refresh_now(self) -> str:
        """Refresh whatever the token's expiry (the keep-alive); raises ZoomTokenRefused, the
        connection marked "reconnect needed", if Zoom refuses."""
        return self._refresh(self._row().version)

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
        row.tokens_issued_at = utcnow()
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
                        tokens_issued_at=now,
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
    if row.reconnect_email_sent_at is None:
        row.reconnect_email_sent_at = utcnow()
        tell_host_and_admins(row.user, N_("Zoom needs to be connected again"),
                             "email/zoom_reconnect")
    db.session.commit()
    logger.warning("Zoom refused the refresh for connection %s: reconnect needed", row.id)


def tell_host_and_admins(staff: User, subject: str, template: str, **context) -> None:
    """An email to the staff member and every other active admin, as jobs of the current
    transaction, with the link to connect Zoom again; each in the reader's own language
    (``subject`` is an N_-marked message)."""
    link = external_url("settings.zoom")
    admins = db.session.scalars(select(User).where(User.role == Role.ADMIN,
                                                   User.active.is_(True), User.id != staff.id))
    for person in [staff, *admins]:
        language = language_of(person)
        enqueue_email(person.email, in_language(language, subject), template, person=person,
                      staff=staff, link=link if person.id == staff.id else
                      external_url("staff.integrations", user_id=staff.id), language=language,
                      **context)


def api_for(host: User) -> zoom.ZoomAPI | None:
    """A Zoom client acting as ``host``, or None if they have no usable connection."""
    connection = host.zoom_connection
    if connection is None or connection.reconnect_needed:
        return None
    return zoom.ZoomAPI(zoom_app(), StoredTokens(zoom_app(), connection.id))


def delete_connection_of_zoom_user(zoom_user_id: str) -> bool:
    """Zoom says the user removed the app: forget their tokens. True if there were any."""
    connection = db.session.scalar(
        select(ZoomConnection).where(ZoomConnection.zoom_user_id == zoom_user_id))
    if connection is None:
        return False
    user_id = connection.user_id
    forget_connection(connection.id, why=REMOVED_IN_ZOOM)
    logger.info("Zoom deauthorized user %s: connection deleted", user_id)
    return True


# Why a connection was forgotten, as the zoom_disconnected email words it.
REMOVED_IN_ZOOM, DISCONNECTED = "removed_in_zoom", "disconnected"


def forget_connection(connection_id: int, *, why: str, by: str | None = None) -> None:
    """Delete the row and leave no copy of it in the file. ``why`` is REMOVED_IN_ZOOM or
    DISCONNECTED (``by``: the name of whoever did it, when not the staff member).

    A bulk DELETE, because revoking makes Zoom call our webhook, which may delete the same row
    at the same moment; secure_delete (set per connection) zeroes the freed page, and the
    checkpoint moves that into the main file so the write-ahead log keeps no old copy.
    """
    # The write lock up front: a read transaction that tried to become a write one would fail
    # at once if the webhook's delete committed in between.
    with write_transaction() as session:
        gone = session.execute(delete(ZoomConnection).where(ZoomConnection.id == connection_id)
                               .returning(ZoomConnection.user_id)).scalar()
        if gone is not None:  # told once: whoever deleted it first
            tell_host_and_admins(session.get(User, gone), N_("Zoom was disconnected"),
                                 "email/zoom_disconnected", why=why, by=by)
    db.session.expire_all()
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            # On the driver's connection: a checkpoint inside a transaction would do nothing.
            connection.connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


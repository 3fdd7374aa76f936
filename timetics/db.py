"""Database plumbing: SQLite pragmas, UTC datetimes, and the write transaction.

SQLite takes its write lock lazily, at the first write. Two requests that both read ("is this
slot free?") and then write would each read a stale answer, and one would then fail with
"database is locked" rather than wait. ``write_transaction()`` starts with ``BEGIN IMMEDIATE``
instead, so the second request waits (``busy_timeout``) and then reads the first one's result.
This is SQLAlchemy's documented pysqlite recipe: turn off the driver's own BEGIN handling and
emit BEGIN ourselves.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from .extensions import db

logger = logging.getLogger(__name__)

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    # Deleted rows (a disconnected user's Zoom data) are overwritten, not left in free pages.
    "PRAGMA secure_delete=ON",
)

_begin_immediate: ContextVar[bool] = ContextVar("begin_immediate", default=False)
_READ_ONLY_SO_FAR = "timetics_read_only_so_far"  # key in the DBAPI connection's info


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as naive UTC; gives them back aware, in UTC.

    SQLite keeps no zone, so a naive value would be ambiguous: refuse it at the boundary.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a zone first")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)

    def result_processor(self, dialect, coltype):
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return lambda value: None if value is None else utc_from_text(value)


def utc_from_text(value: str) -> datetime:
    """A moment SQLite kept as the text SQLAlchemy wrote ('2026-12-07 14:00:00.000000', UTC).

    Read with its zone in one C call: 10 times cheaper than parsing it and then replace()-ing
    the zone in (the main cost per booking row of the slots query).
    """
    try:
        return datetime.fromisoformat(value + "+00:00")
    except ValueError:  # written by other hands, with a zone of its own
        parsed = datetime.fromisoformat(value)
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def init_db(app: Flask) -> None:
    """Hook the SQLite connection setup into every engine the app creates."""
    with app.app_context():
        engine = db.engine
    version = None
    if engine.dialect.name == "sqlite":
        _install_sqlite_listeners(engine)
        if engine.url.database and engine.url.database != ":memory:":
            _make_private(engine.url.database)
            version = _SqliteDataVersion(engine.url.database)
    elif engine.dialect.name == "postgresql":
        version = _postgresql_snapshot
    app.extensions["timetics_data_version"] = version


def _make_private(path: str) -> None:
    """The database holds guests' names and emails: only the app's own user may read it.

    SQLite gives the -wal and -shm files the database file's mode, so creating that one 0600
    before SQLite does covers all three; files from before are narrowed here.
    """
    # There already, or no folder (SQLite will say so at the first connection).
    with suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for name in (path, path + "-wal", path + "-shm"):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
        except FileNotFoundError:
            pass
        except PermissionError:
            logger.warning("%s is readable by other users and not ours to change", name)


def data_version() -> object | None:
    """A value that changes at every commit to the database, by any connection in any process,
    whatever table or column it wrote; None where unknown.

    Two reads that give equal values saw the same data in between. Read it before the queries
    whose results it is meant to stamp. One rule, kept by the database itself: no table,
    column or migration can slip past it.
    """
    version = current_app.extensions["timetics_data_version"]
    return None if version is None else version()


class _SqliteDataVersion:
    """SQLite's ``PRAGMA data_version``, read on a connection of its own that never writes:
    it changes whenever another connection has committed (so here: at every commit), and
    costs a few microseconds, without the session's pool or transaction."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def __call__(self) -> int | None:
        with self._lock:
            if self._connection is None:  # opened at first use, so never before a fork
                self._connection = sqlite3.connect(self._path, isolation_level=None,
                                                   check_same_thread=False)
                self._connection.execute("PRAGMA query_only=ON")
            try:
                return self._connection.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.OperationalError:  # no database file yet: nothing to go by
                return None


def _postgresql_snapshot() -> str:
    # Equal snapshots (xmin:xmax:in-progress ids) make the same committed transactions visible.
    return db.session.execute(text("SELECT pg_current_snapshot()::text")).scalar_one()


def _install_sqlite_listeners(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let us emit BEGIN ourselves (below) instead of pysqlite's deferred one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        immediate = _begin_immediate.get()
        connection.info[_READ_ONLY_SO_FAR] = False
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        # Until its first statement other than a SELECT, a deferred transaction has only read.
        connection.info[_READ_ONLY_SO_FAR] = not immediate

    # Still needed: a job marks itself done (and a form saves) in the transaction that first
    # read it, after an outside call; only decisions on what was read take the lock up front.
    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(connection, cursor, statement, parameters, context, executemany):
        if not connection.info.get(_READ_ONLY_SO_FAR):
            return
        verb = statement.lstrip()[:7].upper()
        if verb.startswith("SELECT"):
            return
        connection.info[_READ_ONLY_SO_FAR] = False
        if verb.startswith(("INSERT", "UPDATE", "DELETE", "REPLACE")):
            # In WAL mode a read transaction cannot become a write transaction once anyone
            # else has committed since its first read: SQLite answers "database is locked" at
            # once, busy_timeout or not (a request that read a booking, waited for Zoom, then
            # saved the meeting, failed whenever another guest booked meanwhile). It has only
            # read, so nothing is lost by starting it again as a write transaction that waits
            # its turn and writes onto the latest data. Code that must decide on what it read
            # uses write_transaction() or a compare-and-swap, as before.
            driver = connection.connection.driver_connection
            driver.execute("ROLLBACK")
            driver.execute("BEGIN IMMEDIATE")


@contextmanager
def write_transaction() -> Iterator[Session]:
    """A transaction that holds the database's write lock from its first statement.

    Ends whatever transaction the session had open (committing it), begins a new one with
    ``BEGIN IMMEDIATE`` on SQLite, and commits on success or rolls back on error. On other
    databases it is an ordinary transaction: lock the rows you read with ``with_for_update()``.
    """
    session = db.session
    session.commit()
    token = _begin_immediate.set(True)
    try:
        session.connection()
    finally:
        _begin_immediate.reset(token)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise

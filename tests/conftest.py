"""Fixtures: an app on a fresh database per test, a real SMTP server, users, and logging in.

The database is a SQLite file by default. With ``TIMETICS_SQLALCHEMY_DATABASE_URI`` set to a
PostgreSQL URL (``make test-postgres``), every test gets a database of its own on that server,
cloned from a template that the real migrations built; the named database itself is only used
to create and drop those, so its role needs CREATEDB.
"""
from __future__ import annotations

import itertools
import os
import re
import shutil
import smtplib
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from timetics import create_app
from timetics.extensions import db
from timetics.models import Role, User
from timetics.security import hash_password

from .radicale import (  # noqa: F401 (fixtures: a CalDAV server, a proxy to it, an iCal feed)
    feed,
    radicale,
    radicale_proxy,
)
from .smtp import SMTPServer, free_port

PASSWORD = "correct horse battery"
TEST_SECRET_KEY = "test-secret-key-" + "x" * 32


@pytest.fixture(scope="session")
def smtp_server():
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.mailbox.clear()
    return smtp_server.mailbox


@pytest.fixture(autouse=True)
def mail_only_to_loopback(monkeypatch):
    """Fail any test that would send mail anywhere but an SMTP server on this machine."""
    real_connect = smtplib.SMTP.connect

    def guarded_connect(self, host="localhost", port=0, source_address=None):
        if host not in ("127.0.0.1", "localhost", "::1"):
            pytest.fail(f"a test tried to send mail to {host}:{port}")
        return real_connect(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded_connect)


class PostgresServer:
    """Throwaway databases on the server of a PostgreSQL URL, named after this process.

    Making and dropping a database takes a tenth of a second or more, so a background thread
    drops each test's database and makes the next test's clone while the tests run.
    """

    def __init__(self, url: str):
        self.url = make_url(url)
        self.prefix = f"{self.url.database}_{os.getpid()}"
        self._numbers = itertools.count(1)
        self._admin = create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self._background = ThreadPoolExecutor(max_workers=1)
        self._next_clone: Future[str] | None = None
        self._drops: list[Future[None]] = []

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        """A new database (a clone of ``template``, which must have no connections)."""
        name = f"{self.prefix}_{next(self._numbers)}"
        clone = f" TEMPLATE {template}" if template else ""
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}{clone}")
        return name

    def clone(self, template: str) -> str:
        """A fresh clone of ``template`` (made in advance), and the next one started."""
        ready = self._next_clone.result() if self._next_clone else self.create(template)
        self._next_clone = self._background.submit(self.create, template)
        return ready

    def drop(self, name: str, *, wait: bool = True) -> None:
        if wait:
            self._drop(name)
        else:
            self._drops.append(self._background.submit(self._drop, name))

    def close(self) -> None:
        """Drop the clone made in advance; wait for the other drops, and raise their errors."""
        if self._next_clone:
            self._drop(self._next_clone.result())
        self._background.shutdown()
        for dropped in self._drops:
            dropped.result()

    def _drop(self, name: str) -> None:
        # FORCE ends the connections a served app or a subprocess may still hold. It refuses
        # while autovacuum works in the database (a role without pg_signal_backend may not end
        # that): try again once autovacuum has given way, as it does to a DROP.
        for attempt in itertools.count(1):
            try:
                with self._admin.connect() as connection:
                    connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                return
            except DBAPIError:
                if attempt == 20:
                    raise
                time.sleep(0.25)


def _postgres_url() -> str | None:
    url = os.environ.get("TIMETICS_SQLALCHEMY_DATABASE_URI")
    return url if url and make_url(url).get_backend_name() == "postgresql" else None


ON_POSTGRES = _postgres_url() is not None
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="checks SQLite itself (its file, pragmas)")


@pytest.fixture(scope="session")
def postgres() -> PostgresServer | None:
    """The PostgreSQL server the suite runs on, or None on SQLite."""
    return PostgresServer(_postgres_url()) if ON_POSTGRES else None


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory, postgres):
    """A database built by the real migrations once; each test gets a copy. On SQLite the
    path of a file, on PostgreSQL the name of a template database."""
    folder = tmp_path_factory.mktemp("template")
    name = postgres.create() if postgres else None
    target = postgres.url_of(name) if postgres else folder / "timetics.sqlite3"
    app = create_app(base_config(target), instance_path=str(folder))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    if postgres is None:
        yield target
        return
    yield name
    postgres.close()
    postgres.drop(name)


@pytest.fixture
def database_url(tmp_path, migrated_database, postgres):
    """A migrated database of the test's own: ``tmp_path/timetics.sqlite3``, a copy of the
    template file, or a clone of the template database on PostgreSQL (dropped afterwards)."""
    if postgres is None:
        shutil.copy(migrated_database, tmp_path / "timetics.sqlite3")
        yield f"sqlite:///{tmp_path / 'timetics.sqlite3'}"
        return
    name = postgres.clone(migrated_database)
    yield postgres.url_of(name)
    postgres.drop(name, wait=False)


@pytest.fixture
def empty_database(tmp_path, postgres):
    """The URL of an empty database (no tables), for `db upgrade` to create the schema in."""
    if postgres is None:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = postgres.create()
    yield postgres.url_of(name)
    postgres.drop(name)


def base_config(database: Path | str, **overrides) -> dict:
    """Test settings on ``database``: a SQLite file's path, or any SQLAlchemy URL."""
    config = {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET_KEY,
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "SQLALCHEMY_DATABASE_URI": database if isinstance(database, str)
        else f"sqlite:///{database}",
        "EXTERNAL_URL": "http://timetics.test",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 9,  # discard: replaced by the test SMTP server where a test needs mail
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_TIMEOUT": 2,
        "RATELIMIT_ENABLED": False,
    }
    config.update(overrides)
    return config


@pytest.fixture
def app_config(database_url, smtp_server):
    """The configuration of the ``app`` fixture; a test may change it before using ``app``."""
    return base_config(database_url, MAIL_PORT=smtp_server.port)


@pytest.fixture
def app(tmp_path, app_config):
    """The app on its own database. No app context stays pushed: requests made by
    different test clients must not share ``g`` (the CSRF token and the logged-in user live
    there). Tests that read the database open ``with app.app_context():``."""
    app = create_app(app_config, instance_path=str(tmp_path))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def make_app(tmp_path, database_url):
    """More apps on the test's database, as other worker processes with other settings would
    be; closed after the test (psycopg warns about connections left to the garbage collector)."""
    apps = []

    def make(**overrides):
        apps.append(create_app(base_config(database_url, **overrides),
                               instance_path=str(tmp_path)))
        return apps[-1]

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass(frozen=True)
class UserRef:
    """What a test needs to know of a user it made, usable outside any app context."""

    id: int
    email: str
    name: str
    role: Role


@pytest.fixture
def make_user(app):
    """Create a user who can log in with PASSWORD."""
    counter = iter(range(1, 10_000))

    def make(role: Role = Role.STAFF, *, email: str | None = None, name: str | None = None,
             timezone: str = "UTC", password: str | None = PASSWORD) -> UserRef:
        n = next(counter)
        with app.app_context():
            user = User(
                email=email or f"{role.value}{n}@example.com",
                name=name or f"{role.value.capitalize()} {n}",
                role=role,
                timezone=timezone,
                password_hash=hash_password(password) if password else None,
            )
            db.session.add(user)
            db.session.commit()
            return UserRef(user.id, user.email, user.name, user.role)

    return make


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, email="admin@example.com", name="Ada Admin")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'type="hidden" name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_form(client, url: str, data: dict, *, page: str | None = None, **kwargs):
    """POST ``data`` to ``url`` with the CSRF token from ``page`` (default: GET ``url`` first)."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token(html), **data}, **kwargs)


def login(client, email: str, password: str = PASSWORD):
    response = post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def as_admin(client, admin):
    login(client, admin.email)
    return client


def database_bytes(app) -> bytes:
    """Every byte SQLite keeps for the app: the database file and its write-ahead log."""
    with app.app_context():
        db.engine.dispose()
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal"))
                    if p.exists())


def database_text(app) -> str:
    """Every value in every table, as text: what any database gives back to SQL."""
    with app.app_context():
        values = [str(value) for table in db.metadata.sorted_tables
                  for row in db.session.execute(select(table)) for value in row]
    return "\n".join(values)


def assert_not_stored(app, *secrets: str) -> None:
    """None of ``secrets`` is in any column of any table, nor (on SQLite) in any byte of the
    database file and its write-ahead log, where deleted rows would linger."""
    text = database_text(app)
    raw = database_bytes(app) if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") \
        else b""
    for secret in secrets:
        assert secret not in text
        assert secret.encode() not in raw


@pytest.fixture
def smtp_down(app_config) -> int:
    """Point the app at a loopback port where nothing listens (request it before ``app``).
    Returns the port, so a test can bring a mail server up there later."""
    app_config["MAIL_PORT"] = free_port()
    return app_config["MAIL_PORT"]


@pytest.fixture
def zoom_site(app):
    """The app served on loopback and pointed at a fresh Zoom sandbox that knows it."""
    from timetics.settings.services import save_zoom_settings
    from zoom_sandbox import BackgroundServer, create_sandbox_app

    from .live import CLIENT_ID, CLIENT_SECRET, SECRET_TOKEN, LiveSite

    zoom = BackgroundServer(create_sandbox_app({
        "apps": [],
        "users": [
            {"id": "zoomuser-alex", "email": "alex.rivera@zoom.example", "first_name": "Alex",
             "last_name": "Rivera", "timezone": "America/New_York"},
            {"id": "zoomuser-sam", "email": "sam@zoom.example", "first_name": "Sam",
             "last_name": "Second"},
        ],
    })).start()
    app.config.update(ZOOM_OAUTH_URL=zoom.url, ZOOM_API_URL=zoom.url + "/v2", ZOOM_TIMEOUT=2)
    site = BackgroundServer(app).start()
    app.config["EXTERNAL_URL"] = site.url
    live = LiveSite(app=app, url=site.url, zoom_url=zoom.url)

    def register_app(**overrides):
        live.zoom("post", "/apps", json={
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "name": "Timetics",
            "redirect_uris": [site.url + "/integrations/zoom/callback"],
            "event_url": site.url + "/webhooks/zoom", "secret_token": SECRET_TOKEN,
            # the five required scopes and the recommended one that finds timed-out creates
            "scopes": ["meeting:write:meeting", "meeting:read:meeting", "meeting:update:meeting",
                       "meeting:delete:meeting", "user:read:user", "meeting:read:list_meetings"],
            **overrides,
        })

    live.register_app = register_app
    register_app()
    with app.app_context():
        save_zoom_settings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                           secret_token=SECRET_TOKEN)
    yield live
    site.stop()
    zoom.stop()


@pytest.fixture
def connected_host(zoom_site, make_user, admin):
    """The booking set-up (tests/booking_helpers.py) with Zoom, its host connected to Zoom."""
    from timetics.models import Location

    from .booking_helpers import create_booking_setup
    from .live import Browser

    setup = create_booking_setup(zoom_site.app, make_user, location=Location.ZOOM)
    browser = Browser(zoom_site)
    browser.login(admin.email, PASSWORD)
    assert "Zoom connected as" in browser.connect_zoom(setup.host_id).text
    browser.close()
    return setup


@pytest.fixture
def admin_browser(zoom_site, admin):
    """The admin, logged in to the live site in a browser-like session."""
    from .live import Browser

    browser = Browser(zoom_site)
    browser.login(admin.email, PASSWORD)
    yield browser
    browser.close()

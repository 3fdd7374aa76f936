"""Fixtures: an app on a fresh SQLite file per test, a real SMTP server, users, and logging in."""
from __future__ import annotations

import re
import shutil
import smtplib
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask_migrate import upgrade

from timetics import create_app
from timetics.extensions import db
from timetics.models import Role, User
from timetics.security import hash_password

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


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """A database file built by the real migrations once; each test gets a copy."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "timetics.sqlite3"
    app = create_app(base_config(path), instance_path=str(folder))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


def base_config(database_path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET_KEY,
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database_path}",
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
def app_config(tmp_path, smtp_server):
    """The configuration of the ``app`` fixture; a test may change it before using ``app``."""
    return base_config(tmp_path / "timetics.sqlite3", MAIL_PORT=smtp_server.port)


@pytest.fixture
def app(tmp_path, migrated_database, app_config):
    """The app on its own database file. No app context stays pushed: requests made by
    different test clients must not share ``g`` (the CSRF token and the logged-in user live
    there). Tests that read the database open ``with app.app_context():``."""
    shutil.copy(migrated_database, tmp_path / "timetics.sqlite3")
    app = create_app(app_config, instance_path=str(tmp_path))
    yield app
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


@pytest.fixture
def smtp_down(app_config) -> int:
    """Point the app at a loopback port where nothing listens (request it before ``app``).
    Returns the port, so a test can bring a mail server up there later."""
    app_config["MAIL_PORT"] = free_port()
    return app_config["MAIL_PORT"]


@pytest.fixture
def zoom_site(app):
    """The app served on loopback and pointed at a fresh Zoom sandbox that knows it."""
    from timetics.sandbox import BackgroundServer, create_sandbox_app
    from timetics.settings.services import save_zoom_settings

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
    app.config.update(ZOOM_OAUTH_URL=zoom.url, ZOOM_API_URL=zoom.url + "/v2", ZOOM_TIMEOUT=1)
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

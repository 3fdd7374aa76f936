"""The move from SQLite to PostgreSQL: `copy-data --to URL` after `db upgrade` on the new one.

The old database is a SQLite file here whatever the suite runs on; the new one is the
suite's own kind, so under `make test-postgres` this is the real move to PostgreSQL (and
under `make test` the same command from one SQLite file into another).
"""
import pytest
from flask_migrate import upgrade
from sqlalchemy import func, make_url, select

from timetics import create_app
from timetics.extensions import db
from timetics.integrations.tokens import api_for
from timetics.models import Booking, User, ZoomConnection
from timetics.security import decrypt_secret

from ..booking_helpers import at, book, manage_path, weekday_ahead
from ..conftest import PASSWORD, base_config, login


@pytest.fixture
def database_url(tmp_path):
    """The old database (for the ``app`` fixture): a SQLite file the migrations made."""
    path = tmp_path / "timetics.sqlite3"
    builder = create_app(base_config(path), instance_path=str(tmp_path))
    with builder.app_context():
        upgrade()
        db.engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture
def new_app(app, empty_database, tmp_path):
    """The app configured for the new database, with the old one's keys; `db upgrade` run."""
    folder = tmp_path / "new"
    config = {key: app.config[key] for key in (
        "SECRET_KEY", "ENCRYPTION_KEY", "ZOOM_OAUTH_URL", "ZOOM_API_URL", "MAIL_PORT")}
    moved = create_app(base_config(empty_database, **config), instance_path=str(folder))
    result = moved.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    yield moved
    with moved.app_context():
        db.engine.dispose()


def slots_json(client) -> dict:
    response = client.get("/book/intro-call/slots?tz=Europe/Paris")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_everything_written_on_sqlite_works_through_the_app_after_the_move(
        app, zoom_site, connected_host, admin, new_app, empty_database):
    """Log in, the guest's manage page with its Zoom link, the host's hours and bookings,
    and the Zoom tokens (decrypted with the same ENCRYPTION_KEY, accepted by Zoom)."""
    guest = app.test_client()
    response = book(guest, "intro-call", at(weekday_ahead(), 10), name="Gina Guest")
    assert response.status_code == 302, response.get_data(as_text=True)
    manage = manage_path(response)
    with app.app_context():
        join_url = db.session.scalar(select(Booking.zoom_join_url))
        access_token = decrypt_secret(db.session.scalar(
            select(ZoomConnection.access_token_encrypted)))
    assert join_url
    slots_before = slots_json(guest)

    result = app.test_cli_runner().invoke(args=["copy-data", "--to", empty_database])
    assert result.exit_code == 0, result.output
    for line in ("users: 2", "zoom_settings: 1", "availability_rules: 5", "meeting_types: 2",
                 "zoom_connections: 1", "bookings: 1", "attendees: 1"):
        assert line in result.output.splitlines()
    if make_url(empty_database).password:
        assert ":***@" in result.output  # the password is not echoed

    client = new_app.test_client()
    page = client.get(manage)
    assert page.status_code == 200
    assert "Gina Guest" in page.get_data(as_text=True) and join_url in page.get_data(as_text=True)
    assert slots_json(client) == slots_before
    login(client, admin.email, PASSWORD)
    assert "Gina Guest" in client.get("/dashboard").get_data(as_text=True)
    with new_app.app_context():
        row = db.session.scalar(select(ZoomConnection))
        assert decrypt_secret(row.access_token_encrypted) == access_token
        host = db.session.get(User, connected_host.host_id)
        assert api_for(host).get_me()["id"] == "zoomuser-alex"

    # New rows get new ids: the id sequences were moved past the copied rows.
    another = book(new_app.test_client(), "intro-call", at(weekday_ahead(), 11),
                   email="second@example.com")
    assert another.status_code == 302, another.get_data(as_text=True)
    with new_app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 2


def test_copy_data_refuses_a_database_that_is_not_empty(app, admin, new_app, empty_database):
    first = app.test_cli_runner().invoke(args=["copy-data", "--to", empty_database])
    assert first.exit_code == 0, first.output
    again = app.test_cli_runner().invoke(args=["copy-data", "--to", empty_database])
    assert again.exit_code != 0
    assert "not empty (table users has rows)" in again.output
    assert len(again.output.strip().splitlines()) == 1
    with new_app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_copy_data_refuses_a_database_without_the_schema(app, admin, empty_database):
    result = app.test_cli_runner().invoke(args=["copy-data", "--to", empty_database])
    assert result.exit_code != 0
    assert "has no schema: run `flask --app timetics db upgrade`" in result.output
    assert len(result.output.strip().splitlines()) == 1

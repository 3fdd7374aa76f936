"""Operator commands: db upgrade, create-user, seed-demo, and every way to call them wrongly."""
import sqlite3

import pytest

from timetics import create_app
from timetics.extensions import db
from timetics.models import AvailabilityRule, MeetingKind, MeetingType, Role, User

from ..conftest import base_config, login, sqlite_only


def test_db_upgrade_then_create_admin_then_log_in(tmp_path, smtp_server, empty_database):
    """The README's first steps, on an empty instance folder and an empty database."""
    app = create_app(base_config(empty_database), instance_path=str(tmp_path))
    runner = app.test_cli_runner()

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["create-user", "--email", "Boss@Example.com", "--name", "Boss",
                                 "--password", "a long passphrase", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert "Created admin boss@example.com (UTC)" in result.output

    client = app.test_client()
    login(client, "boss@example.com", "a long passphrase")
    assert "Dashboard" in client.get("/dashboard").get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()
    if empty_database.startswith("sqlite:///"):  # the file itself is in WAL mode
        with sqlite3.connect(empty_database.removeprefix("sqlite:///")) as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@sqlite_only
def test_every_connection_gets_the_pragmas(app):
    with app.app_context(), db.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 5000
        assert pragma("synchronous") == 1  # NORMAL


BASE = ["create-user", "--email", "new@example.com", "--name", "New",
        "--password", "pw-long-enough"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--role", "owner"], "Unknown role 'owner'"),
        (["--role", "staff", "--timezone", "Mars/Olympus"], "Unknown time zone 'Mars/Olympus'"),
    ],
)
def test_create_user_refuses_bad_arguments(app, runner, extra, message):
    result = runner.invoke(args=BASE + extra)
    assert result.exit_code != 0
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_create_user_refuses_a_bad_email(runner):
    result = runner.invoke(args=["create-user", "--email", "not-an-email", "--name", "X",
                                 "--password", "pw-long-enough", "--role", "staff"])
    assert result.exit_code != 0
    assert "Invalid email address" in result.output


def test_create_user_refuses_a_duplicate_email_whatever_its_case(runner, make_user):
    make_user(email="taken@example.com")
    result = runner.invoke(args=["create-user", "--email", "TAKEN@example.com", "--name", "X",
                                 "--password", "pw-long-enough", "--role", "staff"])
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_create_user_refuses_an_empty_password(runner):
    result = runner.invoke(args=["create-user", "--email", "a@example.com", "--name", "X",
                                 "--password", "", "--role", "staff"])
    assert result.exit_code != 0
    assert "password must not be empty" in result.output


def test_create_user_without_a_required_option_fails(runner):
    result = runner.invoke(args=["create-user", "--email", "a@example.com"])
    assert result.exit_code != 0


def test_create_user_takes_a_timezone(app, runner):
    result = runner.invoke(args=BASE + ["--role", "staff", "--timezone", "Asia/Kolkata"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(db.select(User.timezone)) == "Asia/Kolkata"


def test_seed_demo_makes_the_demo_data_and_is_idempotent(app, runner, client):
    first = runner.invoke(args=["seed-demo", "--timezone", "Europe/Berlin"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["seed-demo", "--timezone", "Europe/Berlin"])
    assert second.exit_code == 0, second.output
    assert "exists" in second.output
    with app.app_context():
        check_demo_data()
    login(client, "staff@example.com", "demo-password")


def check_demo_data():
    users = {u.email: u for u in db.session.scalars(db.select(User))}
    assert set(users) == {"admin@example.com", "staff@example.com"}
    admin, staff = users["admin@example.com"], users["staff@example.com"]
    assert (admin.name, admin.role, admin.timezone) == ("Demo Admin", Role.ADMIN, "Europe/Berlin")
    assert (staff.name, staff.role, staff.timezone) == ("Alex Rivera", Role.STAFF, "Europe/Berlin")
    rules = db.session.scalars(db.select(AvailabilityRule)).all()
    assert sorted((r.weekday, r.start_minute, r.end_minute) for r in rules) == [
        (day, 540, 1020) for day in range(5)
    ]
    types = {t.slug: t for t in db.session.scalars(db.select(MeetingType))}
    assert set(types) == {"intro-call", "group-session"}
    intro, group = types["intro-call"], types["group-session"]
    assert (intro.name, intro.duration_minutes, intro.kind, intro.capacity) == (
        "Intro call", 30, MeetingKind.ONE_TO_ONE, 1)
    assert (group.name, group.duration_minutes, group.kind, group.capacity) == (
        "Group session", 60, MeetingKind.ONE_TO_MANY, 5)
    for t in types.values():
        assert t.host_id == staff.id
        assert t.location.value == "zoom"
        assert (t.buffer_before_minutes, t.buffer_after_minutes) == (0, 0)
        assert (t.min_notice_minutes, t.window_days) == (60, 60)


def test_seed_demo_defaults_to_new_york_and_the_demo_password(app, runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        zones = {u.timezone for u in db.session.scalars(db.select(User))}
    assert zones == {"America/New_York"}
    login(client, "admin@example.com", "demo-password")


def test_seed_demo_refuses_an_unknown_zone(runner):
    result = runner.invoke(args=["seed-demo", "--timezone", "Nowhere/Land"])
    assert result.exit_code != 0
    assert "Unknown time zone" in result.output

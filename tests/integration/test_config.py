"""Configuration: defaults, then instance/config.py, then TIMETICS_* variables; generated keys."""
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from timetics import create_app
from timetics.config import ConfigError


@pytest.fixture
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("TIMETICS_"):
            monkeypatch.delenv(name)
    return monkeypatch


def make(instance, **config):
    return create_app(config or None, instance_path=str(instance))


def test_defaults_apply_without_any_configuration(tmp_path, clean_env):
    app = make(tmp_path)
    assert app.config["EXTERNAL_URL"] == "http://127.0.0.1:5000"
    assert app.config["ZOOM_OAUTH_URL"] == "https://zoom.us"
    assert app.config["ZOOM_API_URL"] == "https://api.zoom.us/v2"
    assert app.config["ZOOM_TIMEOUT"] == 10
    assert app.config["MAIL_TIMEOUT"] == 10
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'timetics.sqlite3'}"


def test_instance_file_overrides_defaults_and_environment_overrides_both(tmp_path, clean_env):
    (tmp_path / "config.py").write_text(
        'EXTERNAL_URL = "https://from-file.example"\nZOOM_TIMEOUT = 4\nMAIL_PORT = 1025\n'
    )
    clean_env.setenv("TIMETICS_ZOOM_TIMEOUT", "7")
    clean_env.setenv("TIMETICS_MAIL_PORT", "2525")
    app = make(tmp_path)
    assert app.config["EXTERNAL_URL"] == "https://from-file.example"  # file beats default
    assert app.config["ZOOM_TIMEOUT"] == 7  # environment beats file, parsed as JSON
    assert app.config["MAIL_PORT"] == 2525


def test_secret_keys_are_generated_once_with_mode_0600_and_kept(tmp_path, clean_env):
    first = make(tmp_path)
    for name in ("secret_key", "encryption_key"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, f"{name} has mode {oct(mode)}"
    second = make(tmp_path)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["ENCRYPTION_KEY"] == second.config["ENCRYPTION_KEY"]
    Fernet(first.config["ENCRYPTION_KEY"][0])  # a usable key


@pytest.fixture
def usual_umask():
    """The umask most accounts have (022), under which new files are readable by everyone."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_its_side_files_are_created_private(tmp_path, clean_env, usual_umask):
    """Guests' names and emails are in them: 0600 after `db upgrade` and a write, in a new
    instance folder of mode 0700."""
    instance = tmp_path / "instance"
    runner = make(instance).test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["create-user", "--email", "a@example.com", "--name", "A",
                                 "--password", "a long passphrase", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert mode_of(instance) == 0o700
    for name in ("timetics.sqlite3", "timetics.sqlite3-wal", "timetics.sqlite3-shm"):
        assert mode_of(instance / name) == 0o600, name  # the pool's connection keeps all three


def test_database_files_readable_by_others_are_made_private_at_start_up(tmp_path, clean_env):
    for name in ("timetics.sqlite3", "timetics.sqlite3-wal", "timetics.sqlite3-shm"):
        (tmp_path / name).touch(mode=0o644)
        (tmp_path / name).chmod(0o644)
    make(tmp_path)
    for name in ("timetics.sqlite3", "timetics.sqlite3-wal", "timetics.sqlite3-shm"):
        assert mode_of(tmp_path / name) == 0o600, name


def test_configured_keys_are_used_and_nothing_is_written(tmp_path, clean_env):
    key = Fernet.generate_key().decode()
    clean_env.setenv("TIMETICS_SECRET_KEY", "s" * 40)
    clean_env.setenv("TIMETICS_ENCRYPTION_KEY", f"{key},{Fernet.generate_key().decode()}")
    app = make(tmp_path)
    assert app.config["SECRET_KEY"] == "s" * 40
    assert app.config["ENCRYPTION_KEY"][0] == key and len(app.config["ENCRYPTION_KEY"]) == 2
    assert not (tmp_path / "secret_key").exists()
    assert not (tmp_path / "encryption_key").exists()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SECRET_KEY", "short", "SECRET_KEY is too short"),
        ("ENCRYPTION_KEY", "not-a-fernet-key", "ENCRYPTION_KEY must be"),
        ("APPROVAL_HOURS", "soon", "APPROVAL_HOURS must be a number of hours above 0"),
        ("APPROVAL_HOURS", "0", "APPROVAL_HOURS must be a number of hours above 0"),
        ("APPROVAL_HOURS", "inf", "APPROVAL_HOURS must be a number of hours above 0"),
    ],
)
def test_a_bad_explicit_key_is_refused_at_start(tmp_path, clean_env, name, value, message):
    clean_env.setenv(f"TIMETICS_{name}", value)
    with pytest.raises(ConfigError, match=message):
        make(tmp_path)


def test_https_external_url_makes_cookies_secure(tmp_path, clean_env):
    clean_env.setenv("TIMETICS_EXTERNAL_URL", "https://book.example.com/")
    app = make(tmp_path)
    assert app.config["EXTERNAL_URL"] == "https://book.example.com"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_the_wsgi_entry_point_freezes_what_start_up_built(tmp_path):
    """gunicorn loads ``wsgi:app`` in each worker: the app and its libraries are kept out of
    the collector's full passes, which would otherwise stop every thread to walk them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMETICS_")} | {
        "TIMETICS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'wsgi.sqlite3'}",
        "TIMETICS_SECRET_KEY": "wsgi-test-secret-key-0123456789abcdef",
        "TIMETICS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    count = "import gc, wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    shown = subprocess.run(
        [sys.executable, "-c", count],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
        check=True).stdout.split()
    frozen, tracked = int(shown[0]), int(shown[1])
    assert frozen > 50_000  # the app, SQLAlchemy's mappers, Jinja, Flask...
    assert tracked < frozen / 10  # what the collector still walks

"""First run: an install with no admin prints a one-time link whose page creates the first admin."""
import re
import time

import pytest

from timetics.auth.first_run import announce_setup_link
from timetics.extensions import db
from timetics.models import Role, User

from ..conftest import PASSWORD, csrf_token, login


def setup_link(runner) -> str:
    result = runner.invoke(args=["setup-link"])
    assert result.exit_code == 0, result.output
    link = result.output.strip()
    assert re.fullmatch(r"http://timetics\.test/setup\?token=[0-9a-f]{64}", link), link
    return link.removeprefix("http://timetics.test")


def submit(client, path: str, **fields):
    html = client.get(path).get_data(as_text=True)
    data = {"name": "Ada Admin", "email": "ada@example.com", "password": PASSWORD,
            "timezone": "Europe/Berlin", **fields}
    return client.post(path, data={"csrf_token": csrf_token(html), **data})


def test_the_setup_link_creates_the_first_admin_and_logs_them_in(app, client, runner):
    path = setup_link(runner)
    html = client.get(path).get_data(as_text=True)
    for field, label in (("name", "Name"), ("email", "Email"), ("password", "Password"),
                         ("timezone", "Time zone")):
        assert f'<label for="{field}">{label}</label>' in html
    assert re.search(r'<(button|input)[^>]*(>Create admin<|value="Create admin")', html)
    response = submit(client, path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    with app.app_context():
        admin = db.session.scalar(db.select(User))
        assert (admin.email, admin.name, admin.role, admin.timezone) == \
            ("ada@example.com", "Ada Admin", Role.ADMIN, "Europe/Berlin")


def test_the_link_is_gone_once_an_admin_exists(app, client, runner):
    path = setup_link(runner)
    assert submit(client, path).status_code == 302
    assert app.test_client().get(path).status_code == 404
    result = runner.invoke(args=["setup-link"])
    assert result.exit_code != 0 and "admin exists" in result.output


def test_an_admin_made_with_create_user_spends_the_link_too(app, client, runner):
    path = setup_link(runner)
    result = runner.invoke(args=["create-user", "--email", "cli@example.com", "--name", "Cli",
                                 "--password", PASSWORD, "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert client.get(path).status_code == 404
    login(client, "cli@example.com")


@pytest.mark.parametrize("token", ["", "0" * 64, "x" * 300])
def test_a_wrong_token_is_not_found(client, token):
    assert client.get(f"/setup?token={token}").status_code == 404
    assert client.post(f"/setup?token={token}").status_code in (400, 404)


@pytest.mark.parametrize(("fields", "message"), [
    ({"password": "short"}, "Use at least 12 characters."),
    ({"password": "password1234"}, "That password is too common."),
    ({"email": "not-an-email"}, "Enter a valid email address."),
    ({"name": ""}, "This field is required."),
    ({"timezone": "Mars/Olympus"}, "Choose a time zone from the list"),
])
def test_bad_input_is_refused_like_create_user(app, client, runner, fields, message):
    path = setup_link(runner)
    response = submit(client, path, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(User)) is None


def test_the_login_page_of_an_empty_install_says_how_to_start_without_the_secret(
        app, client, runner):
    path = setup_link(runner)
    token = path.split("token=")[1]
    html = client.get("/login").get_data(as_text=True)
    assert "No admin account exists yet" in html and "setup-link" in html
    assert token not in html
    submit(client, path)
    assert "No admin account exists yet" not in app.test_client().get("/login").get_data(
        as_text=True)


def test_the_server_prints_the_link_at_start_only_while_there_is_no_admin(app, runner, capsys,
                                                                          make_user):
    path = setup_link(runner)
    announce_setup_link(app)
    assert "http://timetics.test" + path in capsys.readouterr().out
    make_user(Role.ADMIN)
    announce_setup_link(app)
    assert "setup" not in capsys.readouterr().out


def test_the_announcement_is_quiet_before_db_upgrade(tmp_path, empty_database, capsys):
    from timetics import create_app

    from ..conftest import base_config

    app = create_app(base_config(empty_database), instance_path=str(tmp_path))
    announce_setup_link(app)
    assert capsys.readouterr().out == ""
    with app.app_context():
        db.engine.dispose()  # psycopg warns about a connection left to the garbage collector


def test_make_run_prints_the_link_and_it_works(app, runner, tmp_path):
    """The server that `make run` starts prints the link where the operator sees it."""
    import requests

    from ..booking_helpers import csrf_of
    from .test_access_log import make_run

    path = setup_link(runner)
    with make_run(app, tmp_path) as (url, log):
        deadline = time.monotonic() + 30
        while path not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "http://timetics.test" + path in log.read_text()
        session = requests.Session()
        page = session.get(url + path, timeout=10)
        assert page.status_code == 200
        created = session.post(url + path, timeout=10, data={
            "csrf_token": csrf_of(page.text), "name": "Ada Admin", "email": "ada@example.com",
            "password": PASSWORD, "timezone": "UTC"})
        assert created.status_code == 200 and created.url == url + "/dashboard"
        assert session.get(url + path, timeout=10).status_code == 404


def test_a_second_submission_of_the_link_makes_no_second_admin(app):
    """Two people with the link: the transaction re-checks, so only the first one counts."""
    from timetics.auth.first_run import create_first_admin, setup_token

    with app.app_context():
        token = setup_token()
        first = create_first_admin(token, name="One", email="one@example.com",
                                   password=PASSWORD, timezone="UTC")
        second = create_first_admin(token, name="Two", email="two@example.com",
                                    password=PASSWORD, timezone="UTC")
        assert first is not None and second is None
        assert db.session.scalars(db.select(User.email)).all() == ["one@example.com"]

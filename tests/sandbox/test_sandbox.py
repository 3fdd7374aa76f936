"""The sandbox as a whole: its server, control API, request log, templates and command line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from zoom_sandbox import BackgroundServer, create_sandbox_app
from zoom_sandbox.__main__ import parse_args, sandbox_config

from .driver import CLIENT_SECRET, VERIFIER


def hello_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def test_background_server_serves_on_a_free_loopback_port_and_stops():
    with BackgroundServer(hello_app) as server:
        assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0
        assert requests.get(server.url, timeout=5).text == "hello"
        url = server.url
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=1)


def test_the_sandbox_uses_its_own_templates():
    app = create_sandbox_app()
    folder = Path(app.root_path, app.template_folder)
    assert folder == Path(__file__).parents[2] / "zoom_sandbox" / "templates"


def test_by_default_there_is_the_demo_app_and_a_licensed_and_a_basic_user():
    app = create_sandbox_app()
    state = app.test_client().get("/_sandbox/state").get_json()
    assert [a["client_id"] for a in state["apps"]] == ["sandbox-client-id"]
    assert [(u["id"], u["email"], u["type"]) for u in state["users"]] == [
        ("zoomuser-alex", "alex.rivera@zoom.example", 2),
        ("zoomuser-bo", "bo.basic@zoom.example", 1)]


def test_reset_forgets_meetings_grants_and_faults(zoom, tokens):
    zoom.create_meeting(tokens["access_token"])
    zoom.add_fault(target="users_me", mode="error")
    zoom.control("post", "/reset")
    state = zoom.control("get", "/state")
    assert (state["meetings"], state["grants"], state["faults"]) == ([], [], [])
    assert zoom.api("get", "/users/me", tokens["access_token"]).status_code == 401


def test_apps_and_users_can_be_added(zoom):
    user = zoom.control("post", "/users", {"id": "zoomuser-casey", "email": "casey@zoom.example",
                                           "first_name": "Casey", "last_name": "Diaz"})
    assert user["user"]["display_name"] == "Casey Diaz"
    app = zoom.control("post", "/apps", {"client_id": "second", "client_secret": "s",
                                         "name": "Other app", "event_url": "http://127.0.0.1:9/x",
                                         "secret_token": "t"})
    assert app["app"]["has_secret_token"] and "client_secret" not in app["app"]
    page = zoom.request("get", "/oauth/authorize", params=zoom.authorize_params())
    assert "casey@zoom.example" in page.text


@pytest.mark.parametrize(("path", "body", "message"), [
    ("/apps", {"client_id": "x"}, "'client_secret' is required."),
    ("/users", {"id": "u", "email": ""}, "'email' must be a non-empty string."),
    ("/tokens/expire", {}, "'user_id' is required."),
    ("/latency", {"seconds": -1}, "'seconds' must be a number, 0 or more."),
    ("/clock", {"advance_seconds": -5}, "The clock only moves forward."),
])
def test_bad_control_requests_get_a_reason(zoom, path, body, message):
    response = zoom.request("post", "/_sandbox" + path, json=body)
    assert (response.status_code, response.json()) == (400, {"error": message})


def test_the_request_log_shows_what_was_sent_without_secrets(zoom):
    tokens = zoom.connect()
    zoom.create_meeting(tokens["access_token"], password="abc123")
    log = zoom.control("get", "/requests")["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("POST", "/oauth/authorize", 302),
        ("POST", "/oauth/token", 200),
        ("POST", "/v2/users/me/meetings", 201),
    ]
    token_call, create_call = log[1], log[2]
    assert token_call["auth"] == "Basic" and token_call["operation"] == "token"
    assert token_call["body"]["grant_type"] == "authorization_code"
    assert token_call["body"]["code_verifier"] == "[redacted]"
    assert create_call["body"]["start_time"] == "2030-05-01T15:00:00Z"
    assert create_call["body"]["password"] == "[redacted]"
    text = json.dumps(log)
    for secret in (tokens["access_token"], tokens["refresh_token"], VERIFIER, CLIENT_SECRET,
                   "abc123"):
        assert secret not in text


def test_the_control_api_is_not_logged(zoom):
    zoom.control("get", "/state")
    assert zoom.control("get", "/requests")["requests"] == []


NOT_LOOPBACK = ["0.0.0.0", "192.168.1.10", "example.com", "::"]  # noqa: S104 (refused)


@pytest.mark.parametrize("host", NOT_LOOPBACK)
def test_the_command_line_refuses_non_loopback_hosts(host, capsys):
    with pytest.raises(SystemExit):
        parse_args(["--host", host])
    assert "loopback" in capsys.readouterr().err


def test_the_command_line_builds_the_app_from_its_flags():
    args = parse_args(["--host", "::1", "--client-id", "cid", "--client-secret", "cs",
                       "--redirect-uri", "http://127.0.0.1:5000/cb", "--event-url",
                       "http://127.0.0.1:5000/webhooks/zoom", "--secret-token", "tok"])
    [app] = sandbox_config(args)["apps"]
    assert app["client_id"] == "cid" and app["redirect_uris"] == ["http://127.0.0.1:5000/cb"]
    assert app["secret_token"] == "tok" and len(app["scopes"]) == 5
    state = create_sandbox_app(sandbox_config(args)).test_client().get("/_sandbox/state")
    assert state.get_json()["apps"][0]["has_secret_token"] is True

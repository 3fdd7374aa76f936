"""Revoking a grant: tokens die and a signed ``app_deauthorized`` reaches the app's endpoint."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field

import pytest
from flask import Flask, request

from zoom_sandbox import BackgroundServer

from .driver import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI

SECRET_TOKEN = "test-secret-token"


@dataclass
class Receiver:
    """A tiny event endpoint that keeps what it is sent."""

    url: str = ""
    events: list[tuple[dict, bytes]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def wait(self) -> tuple[dict, bytes]:
        assert self.arrived.wait(5), "no event arrived"
        return self.events[0]


@pytest.fixture
def receiver(zoom):
    app = Flask("event-receiver")
    received = Receiver()

    @app.post("/webhooks/zoom")
    def webhook():
        received.events.append((dict(request.headers), request.get_data()))
        received.arrived.set()
        return {"status": "ok"}

    with BackgroundServer(app) as server:
        received.url = server.url + "/webhooks/zoom"
        zoom.control("post", "/apps", {
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "name": "Timetics",
            "redirect_uris": [REDIRECT_URI], "event_url": received.url,
            "secret_token": SECRET_TOKEN})
        yield received


def expected_signature(timestamp: str, body: bytes) -> str:
    message = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(SECRET_TOKEN.encode(), message, hashlib.sha256).hexdigest()


def test_revoke_answers_success_and_sends_a_signed_app_deauthorized(zoom, receiver):
    tokens = zoom.connect()
    response = zoom.revoke(tokens["access_token"])
    assert (response.status_code, response.json()) == (200, {"status": "success"})

    headers, body = receiver.wait()
    timestamp = headers["X-Zm-Request-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 10
    assert hmac.compare_digest(headers["X-Zm-Signature"], expected_signature(timestamp, body))
    event = json.loads(body)
    assert event["event"] == "app_deauthorized"
    assert isinstance(event["event_ts"], int)
    payload = event["payload"]
    assert {k: payload[k] for k in ("account_id", "user_id", "client_id",
                                    "user_data_retention")} == {
        "account_id": "acct-1", "user_id": "zoomuser-alex", "client_id": CLIENT_ID,
        "user_data_retention": "false"}
    assert payload["deauthorization_time"].endswith("Z") and payload["signature"]


def test_revoke_kills_the_access_and_refresh_tokens(zoom, receiver):
    tokens = zoom.connect()
    zoom.revoke(tokens["access_token"])
    assert zoom.api("get", "/users/me", tokens["access_token"]).json()["code"] == 124
    assert zoom.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_revoke_needs_client_auth_and_a_known_token(zoom):
    tokens = zoom.connect()
    unauthenticated = zoom.request("post", "/oauth/revoke", data={"token": "x"})
    assert unauthenticated.status_code == 401
    assert zoom.revoke("not-a-token").status_code == 400
    assert zoom.api("get", "/users/me", tokens["access_token"]).status_code == 200


def test_removing_the_app_in_zoom_kills_tokens_and_notifies(zoom, receiver):
    tokens = zoom.connect()
    blake = zoom.connect(user_id="zoomuser-blake")
    assert zoom.control("post", "/grants/revoke", {"user_id": "zoomuser-alex"}) == {"revoked": 1}

    _, body = receiver.wait()
    assert json.loads(body)["payload"]["user_id"] == "zoomuser-alex"
    assert zoom.refresh(tokens["refresh_token"]).status_code == 400
    assert zoom.api("get", "/users/me", blake["access_token"]).status_code == 200


def test_the_delivery_is_recorded(zoom, receiver):
    zoom.revoke(zoom.connect()["access_token"])
    receiver.wait()
    for _ in range(50):  # the outcome is written just after the receiver answers
        deliveries = zoom.control("get", "/state")["events"]
        if deliveries:
            break
        time.sleep(0.02)
    assert deliveries == [{"event": "app_deauthorized", "url": receiver.url,
                           "user_id": "zoomuser-alex", "status": 200, "error": None}]


def test_no_event_is_sent_when_the_app_has_no_endpoint(zoom):
    zoom.revoke(zoom.connect()["access_token"])
    time.sleep(0.1)
    assert zoom.control("get", "/state")["events"] == []

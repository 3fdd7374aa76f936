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


# --- a host deleting or moving a meeting in Zoom: meeting.deleted and meeting.updated --------

def wait_for_events(receiver: Receiver, count: int) -> list[dict]:
    """The first ``count`` events the receiver got, checked to be signed with the app's token."""
    deadline = time.monotonic() + 5
    while len(receiver.events) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(receiver.events) >= count, f"{len(receiver.events)} of {count} events arrived"
    for headers, body in receiver.events[:count]:
        assert hmac.compare_digest(headers["X-Zm-Signature"], expected_signature(
            headers["X-Zm-Request-Timestamp"], body))
    return [json.loads(body) for _, body in receiver.events[:count]]


@pytest.fixture
def meeting(zoom, tokens):
    return zoom.create_meeting(tokens["access_token"]).json()


def test_deleting_a_meeting_as_its_host_sends_a_signed_meeting_deleted(zoom, receiver, meeting):
    answer = zoom.control("post", f"/meetings/{meeting['id']}/delete")
    assert answer["events_sent"] == 1 and answer["meeting"]["deleted"] is True

    [event] = wait_for_events(receiver, 1)
    assert event["event"] == "meeting.deleted" and isinstance(event["event_ts"], int)
    assert event["payload"]["account_id"] == "acct-1"
    assert {k: event["payload"]["object"][k] for k in ("id", "uuid", "host_id", "start_time")} \
        == {"id": meeting["id"], "uuid": meeting["uuid"], "host_id": "zoomuser-alex",
            "start_time": "2030-05-01T15:00:00Z"}
    [stored] = zoom.control("get", "/meetings")["meetings"]
    assert stored["deleted"] is True
    assert zoom.request("get", f"/j/{meeting['id']}").status_code == 404


def test_moving_a_meeting_as_its_host_sends_what_changed_and_what_it_was(zoom, receiver,
                                                                          meeting):
    answer = zoom.control("post", f"/meetings/{meeting['id']}/update",
                          {"start_time": "2030-05-01T17:30:00Z", "topic": "Intro call: Sam"})
    assert answer["changed"] == ["start_time"]  # the topic was that already

    [event] = wait_for_events(receiver, 1)
    assert event["event"] == "meeting.updated"
    payload = event["payload"]
    assert payload["object"] == {"id": meeting["id"], "start_time": "2030-05-01T17:30:00Z"}
    assert payload["old_object"] == {"id": meeting["id"], "start_time": "2030-05-01T15:00:00Z"}
    assert payload["operator_id"] == "zoomuser-alex" and isinstance(payload["time_stamp"], int)
    [stored] = zoom.control("get", "/meetings")["meetings"]
    assert stored["start_time"] == "2030-05-01T17:30:00Z"


def test_an_event_about_a_meeting_as_it_stands_changes_nothing(zoom, receiver, meeting):
    zoom.control("post", f"/meetings/{meeting['id']}/events", {"event": "meeting.updated"})
    [event] = wait_for_events(receiver, 1)
    assert event["payload"]["object"] == {"id": meeting["id"],
                                          "start_time": "2030-05-01T15:00:00Z"}
    [stored] = zoom.control("get", "/meetings")["meetings"]
    assert stored["start_time"] == "2030-05-01T15:00:00Z" and stored["deleted"] is False


def test_the_root_page_buttons_move_and_delete_a_meeting(zoom, receiver, meeting):
    page = zoom.request("get", "/").text
    assert ">Move in Zoom</button>" in page and ">Delete in Zoom</button>" in page
    moved = zoom.request("post", f"/_sandbox/meetings/{meeting['id']}/update",
                         data={"start_time": "2030-05-02T09:00:00Z"})
    assert moved.status_code == 303 and moved.headers["Location"].endswith("/#meetings-heading")
    # A form with only a button posts an empty form-encoded body.
    deleted = zoom.request("post", f"/_sandbox/meetings/{meeting['id']}/delete", data="",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert deleted.status_code == 303

    events = wait_for_events(receiver, 2)
    assert sorted(e["event"] for e in events) == ["meeting.deleted", "meeting.updated"]
    assert ">Delete in Zoom</button>" not in zoom.request("get", "/").text


@pytest.mark.parametrize(("path", "body", "message"), [
    ("update", {"start_time": "tomorrow"}, "'start_time' must be a UTC time"),
    ("update", {"duration": 0}, "'duration' must be a number of minutes"),
    ("update", {}, "Name what changes"),
    ("events", {"event": "meeting.created"}, "'event' must be"),
])
def test_bad_portal_changes_are_refused_with_a_message(zoom, receiver, meeting, path, body,
                                                       message):
    response = zoom.request("post", f"/_sandbox/meetings/{meeting['id']}/{path}", json=body)
    assert response.status_code == 400 and message in response.json()["error"]
    time.sleep(0.1)
    assert receiver.events == []


def test_an_unknown_or_deleted_meeting_is_not_found(zoom, receiver, meeting):
    zoom.control("post", f"/meetings/{meeting['id']}/delete")
    for path in ("delete", "update", "events"):
        response = zoom.request("post", f"/_sandbox/meetings/{meeting['id']}/{path}",
                                json={"start_time": "2030-05-02T09:00:00Z",
                                      "event": "meeting.updated"})
        assert response.status_code == 404 and response.json()["code"] == 3001
    assert zoom.request("post", "/_sandbox/meetings/123/delete").status_code == 404


def test_no_meeting_event_goes_to_an_app_the_host_never_authorised(zoom, receiver):
    blake = zoom.connect(user_id="zoomuser-blake")
    mine = zoom.create_meeting(blake["access_token"]).json()
    zoom.revoke(blake["access_token"])
    wait_for_events(receiver, 1)  # the deauthorization
    assert zoom.control("post", f"/meetings/{mine['id']}/delete")["events_sent"] == 0

"""Injected faults: errors, rate limits, hangs, latency, and a create that times out but works."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

ZOOM_TIME = "%Y-%m-%dT%H:%M:%SZ"
SHORT = 0.5  # how long a fault stalls
CLIENT_TIMEOUT = 0.2  # below SHORT, so the client gives up first


@pytest.fixture
def access_token(tokens):
    return tokens["access_token"]


def test_error_fault_answers_500_and_does_nothing(zoom, access_token):
    zoom.add_fault(target="create_meeting", mode="error")
    response = zoom.create_meeting(access_token)
    assert response.status_code == 500
    assert response.json()["code"] == 500
    assert zoom.control("get", "/meetings")["meetings"] == []


def test_error_fault_can_play_a_zoom_error(zoom, access_token):
    meeting_id = zoom.create_meeting(access_token).json()["id"]
    zoom.add_fault(target="delete_meeting", mode="error", status=400, code=3002,
                   message="Sorry, you cannot delete this meeting since it is in progress.")
    response = zoom.api("delete", f"/meetings/{meeting_id}", access_token)
    assert response.status_code == 400
    assert response.json() == {
        "code": 3002, "message": "Sorry, you cannot delete this meeting since it is in progress."}


def test_error_fault_can_answer_xml(zoom, access_token):
    zoom.add_fault(target="users_me", mode="error", status=502, format="xml")
    response = zoom.api("get", "/users/me", access_token)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("application/xml")
    assert response.text.startswith("<?xml") and "<code>502</code>" in response.text


def test_a_counted_fault_hits_that_many_calls(zoom, access_token):
    zoom.add_fault(target="users_me", mode="error", status=503, count=2)
    statuses = [zoom.api("get", "/users/me", access_token).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert zoom.control("get", "/faults")["faults"] == []


def test_clearing_faults_restores_normal_answers(zoom, access_token):
    zoom.add_fault(target="users_me", mode="error")
    assert zoom.control("delete", "/faults") == {"cleared": 1}
    assert zoom.api("get", "/users/me", access_token).status_code == 200


def test_api_target_hits_every_rest_call_but_not_oauth(zoom, tokens):
    zoom.add_fault(target="api", mode="error")
    assert zoom.api("get", "/users/me", tokens["access_token"]).status_code == 500
    assert zoom.create_meeting(tokens["access_token"]).status_code == 500
    assert zoom.refresh(tokens["refresh_token"]).status_code == 200


def test_any_target_hits_the_token_endpoint_with_an_oauth_body(zoom, tokens):
    zoom.add_fault(target="any", mode="error", status=503)
    response = zoom.refresh(tokens["refresh_token"])
    assert response.status_code == 503
    assert set(response.json()) == {"reason", "error"}
    assert zoom.api("get", "/users/me", tokens["access_token"]).status_code == 503


def test_rate_limit_answers_429_with_an_absolute_retry_after(zoom, access_token):
    zoom.add_fault(target="create_meeting", mode="rate_limit", retry_after_seconds=120)
    before = datetime.now(UTC).replace(microsecond=0)
    response = zoom.create_meeting(access_token)
    assert response.status_code == 429
    assert response.headers["X-RateLimit-Type"] == "QPS"
    assert response.headers["X-RateLimit-Category"] == "Medium"
    retry_at = datetime.strptime(response.headers["Retry-After"], ZOOM_TIME).replace(tzinfo=UTC)
    assert before + timedelta(seconds=119) <= retry_at <= before + timedelta(seconds=122)
    assert zoom.control("get", "/meetings")["meetings"] == []


def test_rate_limit_can_name_its_retry_after(zoom, access_token):
    zoom.add_fault(target="update_meeting", mode="rate_limit", limit_type="Daily-limit",
                   retry_after="2020-05-31T00:00:00Z")
    response = zoom.api("patch", "/meetings/81234567890", access_token, json={"duration": 30})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2020-05-31T00:00:00Z"
    assert response.headers["X-RateLimit-Type"] == "Daily-limit"


def test_a_daily_limit_retries_at_the_next_utc_midnight(zoom, access_token):
    zoom.add_fault(target="users_me", mode="rate_limit", limit_type="Daily-limit")
    response = zoom.api("get", "/users/me", access_token)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    assert response.headers["Retry-After"] == f"{tomorrow.isoformat()}T00:00:00Z"


def test_the_per_host_daily_429_can_come_without_type_and_retry_after(zoom, access_token):
    zoom.add_fault(target="create_meeting", mode="rate_limit", limit_type=None)
    response = zoom.create_meeting(access_token)
    assert response.status_code == 429
    assert "Retry-After" not in response.headers and "X-RateLimit-Type" not in response.headers


def test_hang_makes_the_client_time_out_and_does_nothing(zoom, access_token):
    zoom.add_fault(target="create_meeting", mode="hang", seconds=SHORT)
    with pytest.raises(requests.ReadTimeout):
        zoom.create_meeting(access_token, timeout=CLIENT_TIMEOUT)
    assert zoom.control("get", "/meetings")["meetings"] == []


def test_hang_answers_504_to_a_patient_client(zoom, access_token):
    zoom.add_fault(target="users_me", mode="hang", seconds=0.1)
    assert zoom.api("get", "/users/me", access_token).status_code == 504


def test_latency_fault_delays_then_answers_normally(zoom, access_token):
    zoom.add_fault(target="create_meeting", mode="latency", seconds=0.2)
    started = time.monotonic()
    response = zoom.create_meeting(access_token)
    assert response.status_code == 201
    assert time.monotonic() - started >= 0.2


def test_drop_after_success_times_out_but_the_meeting_exists(zoom, access_token):
    """The create that "failed" at the client but happened at Zoom; listing finds it."""
    zoom.add_fault(target="create_meeting", mode="drop_after_success", seconds=SHORT, count=1)
    with pytest.raises(requests.ReadTimeout):
        zoom.create_meeting(access_token, agenda="Timetics booking LOST01.",
                            timeout=CLIENT_TIMEOUT)
    listing = zoom.api("get", "/users/me/meetings", access_token).json()
    assert [m["agenda"] for m in listing["meetings"]] == ["Timetics booking LOST01."]


def test_global_latency_slows_every_zoom_endpoint(zoom, tokens):
    zoom.control("post", "/latency", {"seconds": 0.2})
    for call in (lambda: zoom.api("get", "/users/me", tokens["access_token"]),
                 lambda: zoom.refresh(tokens["refresh_token"])):
        started = time.monotonic()
        assert call().status_code == 200
        assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    zoom.control("get", "/state")
    assert time.monotonic() - started < 0.2  # the control API is never slowed


@pytest.mark.parametrize(("fault", "message"), [
    ({"target": "webinars", "mode": "error"}, "'target' must be one of"),
    ({"target": "api", "mode": "explode"}, "'mode' must be one of"),
    ({"target": "api", "mode": "error", "count": 0}, "'count' must be between"),
    ({"target": "api", "mode": "hang", "seconds": "long"}, "'seconds' must be a number"),
    ({"target": "api", "mode": "rate_limit", "limit_type": "Hourly"}, "'limit_type' must be"),
])
def test_a_malformed_fault_is_refused_with_a_reason(zoom, fault, message):
    response = zoom.request("post", "/_sandbox/faults", json=fault)
    assert response.status_code == 400
    assert message in response.json()["error"]

"""Zoom plans in the sandbox: Basic and Licensed users, feature flags, telephone dial-in and the
meeting invitation, every answer checked against the schema copy (zoom_sandbox/schema.py)."""
from __future__ import annotations

import pytest

from zoom_sandbox import schema
from zoom_sandbox.models import DEFAULT_SCOPES, SAMPLE_DIAL_IN

from .driver import CLIENT_SECRET, REDIRECT_URI

ALL_SCOPES = [*DEFAULT_SCOPES, "user:read:settings", "meeting:read:invitation"]
BASIC = {"id": "zoomuser-basic", "email": "basic@zoom.example", "type": 1}
LICENSED = {"id": "zoomuser-pro", "email": "pro@zoom.example", "type": 2,
            "dial_in_numbers": True, "features": {"webinar": True, "webinar_capacity": 500}}


def token_for(zoom, user: dict, scopes=ALL_SCOPES) -> str:
    """``user`` exists and has authorised an app granting ``scopes``: its access token."""
    zoom.control("post", "/users", user)
    zoom.control("post", "/apps", {"client_id": "plans", "client_secret": CLIENT_SECRET,
                                   "redirect_uris": [REDIRECT_URI], "scopes": scopes})
    code = zoom.new_code(user["id"], client_id="plans")
    response = zoom.exchange(code, auth=("plans", CLIENT_SECRET))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def valid(operation, status, body) -> dict:
    assert schema.response_errors(operation, status, body) == []
    return body


@pytest.mark.parametrize(("user", "plan"), [(BASIC, 1), (LICENSED, 2)])
def test_users_me_says_the_plan(zoom, user, plan):
    me = zoom.api("get", "/users/me", token_for(zoom, user))
    assert valid(schema.GET_USER, 200, me.json())["type"] == plan


def test_the_settings_carry_the_feature_flags(zoom):
    token = token_for(zoom, LICENSED)
    for who in ("me", LICENSED["id"]):
        response = zoom.api("get", f"/users/{who}/settings", token)
        assert response.status_code == 200
        feature = valid(schema.GET_USER_SETTINGS, 200, response.json())["feature"]
        assert (feature["webinar"], feature["webinar_capacity"], feature["meeting_capacity"]) \
            == (True, 500, 300)
    basic = zoom.api("get", "/users/me/settings", token_for(zoom, BASIC)).json()["feature"]
    assert (basic["webinar"], basic["meeting_capacity"]) == (False, 100)


def test_another_users_settings_are_not_found(zoom):
    response = zoom.api("get", "/users/zoomuser-alex/settings", token_for(zoom, BASIC))
    assert (response.status_code, response.json()["code"]) == (404, 1001)


def test_the_settings_need_their_scope(zoom):
    response = zoom.api("get", "/users/me/settings", token_for(zoom, BASIC, DEFAULT_SCOPES))
    assert (response.status_code, response.json()["code"]) == (400, 4711)
    assert "user:read:settings" in response.json()["message"]


def test_a_meeting_of_an_account_with_dial_in_lists_its_numbers(zoom):
    token = token_for(zoom, LICENSED)
    created = zoom.create_meeting(token)
    assert created.status_code == 201
    numbers = valid(schema.CREATE_MEETING, 201, created.json())["settings"][
        "global_dial_in_numbers"]
    assert numbers == [dict(n) for n in SAMPLE_DIAL_IN]
    again = zoom.api("get", f"/meetings/{created.json()['id']}", token).json()
    assert valid(schema.GET_MEETING, 200, again)["settings"]["global_dial_in_numbers"] == numbers
    assert again["h323_password"].isdigit()


def test_a_meeting_of_an_account_without_dial_in_has_none(zoom):
    meeting = zoom.create_meeting(token_for(zoom, BASIC)).json()
    assert "global_dial_in_numbers" not in valid(schema.CREATE_MEETING, 201, meeting)["settings"]


def test_the_invitation_has_the_link_one_tap_and_numbers(zoom):
    token = token_for(zoom, LICENSED)
    meeting = zoom.create_meeting(token, default_password=True).json()
    response = zoom.api("get", f"/meetings/{meeting['id']}/invitation", token)
    assert response.status_code == 200
    text = valid(schema.GET_INVITATION, 200, response.json())["invitation"]
    assert meeting["join_url"] in text and f"Passcode: {meeting['password']}" in text
    assert f"+15550100100,,{meeting['id']}#,,,,*{meeting['h323_password']}#" in text
    assert "+49 30 5555 0100 DE" in text


def test_the_invitation_needs_its_scope_and_the_hosts_meeting(zoom):
    token = token_for(zoom, LICENSED, DEFAULT_SCOPES)
    meeting = zoom.create_meeting(token).json()
    response = zoom.api("get", f"/meetings/{meeting['id']}/invitation", token)
    assert (response.status_code, response.json()["code"]) == (400, 4711)
    other = zoom.api("get", f"/meetings/{meeting['id']}/invitation", token_for(zoom, BASIC))
    assert (other.status_code, other.json()["code"]) == (404, 3001)


@pytest.mark.parametrize(("user", "cut"), [(BASIC, True), (LICENSED, False)])
def test_the_join_page_says_a_basic_users_meeting_is_cut_at_40_minutes(zoom, user, cut):
    meeting = zoom.create_meeting(token_for(zoom, user), duration=60).json()
    page = zoom.request("get", f"/j/{meeting['id']}").text
    assert ("this meeting is cut at 40 minutes, before its 60 minutes are over" in page) is cut


@pytest.mark.parametrize(("field", "value"), [
    ("type", 3), ("type", True), ("dial_in_numbers", [{"country": "US"}]),
    ("dial_in_numbers", [{"number": "+1 555", "type": "premium"}]), ("features", ["webinar"]),
])
def test_a_bad_user_is_refused_by_the_control_api(zoom, field, value):
    response = zoom.request("post", "/_sandbox/users", json={**BASIC, field: value})
    assert response.status_code == 400 and field in response.json()["error"]

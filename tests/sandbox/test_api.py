"""The sandbox's REST API: tokens, scopes, meetings and their validation."""
from __future__ import annotations

import re

import pytest

from zoom_sandbox.models import DEFAULT_SCOPES

from .driver import CLIENT_SECRET, REDIRECT_URI


@pytest.fixture
def access_token(tokens):
    return tokens["access_token"]


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic abc"])
def test_a_missing_or_unknown_token_gets_401_code_124(zoom, header):
    headers = {"Authorization": header} if header else {}
    response = zoom.request("get", "/v2/users/me", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"code": 124, "message": "Invalid access token."}


def test_an_expired_token_gets_401_code_124_and_a_refresh_fixes_it(zoom, tokens):
    assert zoom.control("post", "/tokens/expire", {"user_id": "zoomuser-alex"}) == {"expired": 1}
    response = zoom.api("get", "/users/me", tokens["access_token"])
    assert response.status_code == 401 and response.json()["code"] == 124
    fresh = zoom.refresh(tokens["refresh_token"]).json()
    assert zoom.api("get", "/users/me", fresh["access_token"]).status_code == 200


def test_a_token_expires_after_its_lifetime(zoom, access_token):
    zoom.control("post", "/clock", {"advance_seconds": 3599})
    assert zoom.api("get", "/users/me", access_token).status_code == 200
    zoom.control("post", "/clock", {"advance_seconds": 1})
    assert zoom.api("get", "/users/me", access_token).json()["code"] == 124


def test_users_me_describes_the_signed_in_user(zoom, access_token):
    me = zoom.api("get", "/users/me", access_token).json()
    assert {k: me[k] for k in ("id", "email", "first_name", "last_name", "display_name",
                               "account_id", "timezone")} == {
        "id": "zoomuser-alex", "email": "alex.rivera@zoom.example", "first_name": "Alex",
        "last_name": "Rivera", "display_name": "Alex Rivera", "account_id": "acct-1",
        "timezone": "America/New_York"}


def test_create_get_patch_delete_a_meeting(zoom, access_token):
    created = zoom.create_meeting(access_token)
    assert created.status_code == 201
    meeting = created.json()
    meeting_id = meeting["id"]
    assert isinstance(meeting_id, int) and 10 <= len(str(meeting_id)) <= 11
    assert meeting["start_time"] == "2030-05-01T15:00:00Z"
    assert meeting["host_id"] == "zoomuser-alex"
    assert meeting["join_url"].startswith(f"{zoom.base_url}/j/{meeting_id}?pwd=")
    assert 1 <= len(meeting["password"]) <= 10 and meeting["start_url"] and meeting["uuid"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meeting["created_at"])

    fetched = zoom.api("get", f"/meetings/{meeting_id}", access_token)
    assert fetched.status_code == 200 and fetched.json()["join_url"] == meeting["join_url"]

    patched = zoom.api("patch", f"/meetings/{meeting_id}", access_token,
                       json={"start_time": "2030-05-02T16:30:00Z", "duration": 45})
    assert (patched.status_code, patched.content) == (204, b"")
    moved = zoom.api("get", f"/meetings/{meeting_id}", access_token).json()
    assert (moved["start_time"], moved["duration"]) == ("2030-05-02T16:30:00Z", 45)
    assert moved["join_url"] == meeting["join_url"]

    deleted = zoom.api("delete", f"/meetings/{meeting_id}", access_token,
                       params={"schedule_for_reminder": "false"})
    assert (deleted.status_code, deleted.content) == (204, b"")
    [record] = zoom.control("get", "/meetings")["meetings"]
    assert record["deleted"] and record["delete_query"] == {"schedule_for_reminder": "false"}


def test_a_deleted_meeting_is_not_found_anymore(zoom, access_token):
    meeting_id = zoom.create_meeting(access_token).json()["id"]
    zoom.api("delete", f"/meetings/{meeting_id}", access_token)
    gone = {"code": 3001, "message": f"Meeting does not exist: {meeting_id}."}
    for method, kwargs in (("get", {}), ("patch", {"json": {"duration": 10}}), ("delete", {})):
        response = zoom.api(method, f"/meetings/{meeting_id}", access_token, **kwargs)
        assert (response.status_code, response.json()) == (404, gone)


@pytest.mark.parametrize("meeting_id", ["81234567890", "not-a-number"])
def test_an_unknown_meeting_is_not_found(zoom, access_token, meeting_id):
    response = zoom.api("get", f"/meetings/{meeting_id}", access_token)
    assert response.status_code == 404 and response.json()["code"] == 3001


def test_another_users_meeting_is_not_found(zoom, access_token):
    meeting_id = zoom.create_meeting(access_token).json()["id"]
    blake = zoom.connect(user_id="zoomuser-blake")["access_token"]
    assert zoom.api("get", f"/meetings/{meeting_id}", blake).status_code == 404
    assert zoom.api("delete", f"/meetings/{meeting_id}", blake).status_code == 404


@pytest.mark.parametrize(("fields", "bad_field"), [
    ({"start_time": "2030-05-01T15:00:00"}, "start_time"),
    ({"start_time": "2030-05-01T15:00:00+02:00"}, "start_time"),
    ({"start_time": "2030-02-30T15:00:00Z"}, "start_time"),
    ({"topic": "x" * 201}, "topic"),
    ({"agenda": "x" * 2001}, "agenda"),
    ({"type": "2"}, "type"),
    ({"duration": "30"}, "duration"),
    ({"password": "12345678901"}, "password"),
    ({"password": "no spaces"}, "password"),
])
def test_create_rejects_what_zoom_rejects(zoom, access_token, fields, bad_field):
    response = zoom.create_meeting(access_token, **fields)
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["message"]) == (300, "Validation Failed.")
    assert [e["field"] for e in body["errors"]] == [bad_field]
    assert zoom.control("get", "/meetings")["meetings"] == []


def test_patch_is_validated_too(zoom, access_token):
    meeting_id = zoom.create_meeting(access_token).json()["id"]
    response = zoom.api("patch", f"/meetings/{meeting_id}", access_token,
                        json={"start_time": "2030-05-01 15:00"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "start_time"


def test_a_body_that_is_not_a_json_object_is_refused(zoom, access_token):
    response = zoom.api("post", "/users/me/meetings", access_token, data={"topic": "x"})
    assert response.status_code == 400 and response.json()["code"] == 300


def test_list_meetings_shows_live_meetings_with_their_agenda_cut_to_250(zoom, access_token):
    long_agenda = "A" * 240 + " Timetics booking LATE01."
    kept = zoom.create_meeting(access_token, agenda=long_agenda,
                               start_time="2030-05-03T09:00:00Z").json()
    early = zoom.create_meeting(access_token, start_time="2030-05-02T09:00:00Z").json()
    dropped = zoom.create_meeting(access_token).json()
    zoom.api("delete", f"/meetings/{dropped['id']}", access_token)

    listing = zoom.api("get", "/users/me/meetings", access_token,
                       params={"type": "scheduled"}).json()
    assert listing["total_records"] == 2 and listing["next_page_token"] == ""
    assert [m["id"] for m in listing["meetings"]] == [early["id"], kept["id"]]
    item = listing["meetings"][1]
    assert item["agenda"] == long_agenda[:250] and item["join_url"] == kept["join_url"]
    assert {"id", "topic", "start_time", "duration", "agenda", "join_url"} <= set(item)


def test_list_meetings_pages(zoom, access_token):
    for day in (1, 2, 3):
        zoom.create_meeting(access_token, start_time=f"2030-06-0{day}T09:00:00Z")
    first = zoom.api("get", "/users/me/meetings", access_token, params={"page_size": 2}).json()
    assert len(first["meetings"]) == 2 and first["next_page_token"]
    rest = zoom.api("get", "/users/me/meetings", access_token,
                    params={"page_size": 2, "next_page_token": first["next_page_token"]}).json()
    assert [m["start_time"] for m in rest["meetings"]] == ["2030-06-03T09:00:00Z"]
    assert rest["next_page_token"] == ""


def test_a_missing_scope_gets_code_4711(zoom):
    """With only the five scopes Timetics asks for, listing meetings is refused, as at Zoom."""
    zoom.control("post", "/apps", {"client_id": "five-scopes", "client_secret": CLIENT_SECRET,
                                   "redirect_uris": [REDIRECT_URI]})
    code = zoom.new_code(client_id="five-scopes")
    token = zoom.exchange(code, auth=("five-scopes", CLIENT_SECRET)).json()["access_token"]
    assert zoom.api("get", "/users/me", token).status_code == 200
    response = zoom.api("get", "/users/me/meetings", token)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 4711 and "meeting:read:list_meetings" in body["message"]


def test_classic_scopes_are_accepted(zoom):
    zoom.control("post", "/apps", {"client_id": "classic", "client_secret": CLIENT_SECRET,
                                   "redirect_uris": [REDIRECT_URI],
                                   "scopes": "user:read meeting:read meeting:write"})
    code = zoom.new_code(client_id="classic")
    token = zoom.exchange(code, auth=("classic", CLIENT_SECRET)).json()["access_token"]
    assert zoom.create_meeting(token).status_code == 201
    assert zoom.api("get", "/users/me/meetings", token).status_code == 200


def test_default_scopes_are_the_five_granular_ones():
    assert set(DEFAULT_SCOPES) == {"meeting:write:meeting", "meeting:read:meeting",
                                   "meeting:update:meeting", "meeting:delete:meeting",
                                   "user:read:user"}


def test_the_join_link_opens_a_page_naming_the_meeting(zoom, access_token):
    meeting = zoom.create_meeting(access_token, topic="Intro call: Sam & Co").json()
    page = zoom.request("get", meeting["join_url"].removeprefix(zoom.base_url))
    assert page.status_code == 200 and "Intro call: Sam &amp; Co" in page.text


def test_an_unknown_api_path_answers_json(zoom, access_token):
    response = zoom.api("get", "/webinars", access_token)
    assert response.status_code == 404 and response.json()["code"] == 404

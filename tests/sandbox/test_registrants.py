"""Webinars and registrants in the sandbox: each registrant's own join link, which stops
working once they are cancelled, denied or deleted; the Webinar add-on and a Licensed host as
Zoom requires them; every body checked against the schema copy (zoom_sandbox/schema.py)."""
from __future__ import annotations

import pytest

from zoom_sandbox import schema
from zoom_sandbox.models import DEFAULT_SCOPES

from .test_plans import token_for

REGISTRANT_SCOPES = ["meeting:write:registrant", "meeting:read:list_registrants",
                     "meeting:update:registrant_status", "meeting:delete:registrant"]
WEBINAR_SCOPES = ["webinar:write:webinar", "webinar:read:webinar", "webinar:update:webinar",
                  "webinar:delete:webinar", "webinar:write:registrant",
                  "webinar:read:list_registrants", "webinar:update:registrant_status",
                  "webinar:delete:registrant", "webinar:read:list_webinars"]
ALL_SCOPES = [*DEFAULT_SCOPES, *REGISTRANT_SCOPES, *WEBINAR_SCOPES]
WEBINAR_HOST = {"id": "zoomuser-web", "email": "web@zoom.example", "type": 2,
                "features": {"webinar": True, "webinar_capacity": 3}}
LICENSED = {"id": "zoomuser-pro", "email": "pro@zoom.example", "type": 2}
BASIC = {"id": "zoomuser-basic", "email": "basic@zoom.example", "type": 1}
GUESTS = [{"email": f"guest{n}@example.com", "first_name": f"Guest {n}"} for n in (1, 2, 3)]
NO_ZOOM_EMAILS = {"approval_type": 0, "registrants_email_notification": False}
WEBINAR_BODY = {"topic": "Workshop", "type": 5, "start_time": "2030-05-01T15:00:00Z",
                "duration": 60, "timezone": "UTC", "settings": NO_ZOOM_EMAILS}
MEETING_BODY = {**WEBINAR_BODY, "type": 2,
                "settings": {**NO_ZOOM_EMAILS, "registrants_confirmation_email": False}}
# Where each kind lives: create path, the collection its registrants hang under.
KINDS = {"meetings": "/users/me/meetings", "webinars": "/users/me/webinars"}


def created(zoom, token, kind, **changes) -> int:
    body = {**(MEETING_BODY if kind == "meetings" else WEBINAR_BODY), **changes}
    response = zoom.api("post", KINDS[kind], token, json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def register(zoom, token, kind, item_id, guest) -> dict:
    response = zoom.api("post", f"/{kind}/{item_id}/registrants", token, json=guest)
    assert response.status_code == 201, response.text
    operation = (schema.ADD_MEETING_REGISTRANT if kind == "meetings"
                 else schema.ADD_WEBINAR_REGISTRANT)
    assert schema.response_errors(operation, 201, response.json()) == []
    return response.json()


def opens(zoom, join_url) -> bool:
    """Whether the sandbox's join page lets this link in."""
    response = zoom.request("get", "/" + join_url.split("/", 3)[3])  # the path and query
    assert response.status_code in (200, 403), response.text
    return response.status_code == 200


@pytest.fixture
def host_token(zoom):
    return token_for(zoom, WEBINAR_HOST, ALL_SCOPES)


@pytest.mark.parametrize("kind", ["meetings", "webinars"])
def test_each_registrant_gets_a_link_of_their_own(zoom, host_token, kind):
    item_id = created(zoom, host_token, kind)
    links = [register(zoom, host_token, kind, item_id, g)["join_url"] for g in GUESTS]
    assert len(set(links)) == 3
    assert all(opens(zoom, link) for link in links)
    listed = zoom.api("get", f"/{kind}/{item_id}/registrants", host_token)
    assert sorted(r["email"] for r in listed.json()["registrants"]) == [
        g["email"] for g in GUESTS]


@pytest.mark.parametrize("kind", ["meetings", "webinars"])
def test_the_same_email_registered_twice_keeps_one_registration(zoom, host_token, kind):
    item_id = created(zoom, host_token, kind)
    first, again = (register(zoom, host_token, kind, item_id, GUESTS[0]) for _ in range(2))
    assert (again["registrant_id"], again["join_url"]) == (first["registrant_id"],
                                                           first["join_url"])


@pytest.mark.parametrize("kind", ["meetings", "webinars"])
@pytest.mark.parametrize("action", ["cancel", "deny"])
def test_a_cancelled_registrants_link_stops_working_and_the_others_keep_theirs(
        zoom, host_token, kind, action):
    item_id = created(zoom, host_token, kind)
    first, second = (register(zoom, host_token, kind, item_id, g) for g in GUESTS[:2])
    response = zoom.api("put", f"/{kind}/{item_id}/registrants/status", host_token,
                        json={"action": action, "registrants": [
                            {"id": first["registrant_id"], "email": GUESTS[0]["email"]}]})
    assert response.status_code == 204, response.text
    assert (opens(zoom, first["join_url"]), opens(zoom, second["join_url"])) == (False, True)
    approved = zoom.api("get", f"/{kind}/{item_id}/registrants", host_token).json()
    assert [r["email"] for r in approved["registrants"]] == [GUESTS[1]["email"]]


@pytest.mark.parametrize("kind", ["meetings", "webinars"])
def test_a_deleted_registrants_link_stops_working(zoom, host_token, kind):
    item_id = created(zoom, host_token, kind)
    first = register(zoom, host_token, kind, item_id, GUESTS[0])
    path = f"/{kind}/{item_id}/registrants/{first['registrant_id']}"
    assert zoom.api("delete", path, host_token).status_code == 204
    assert not opens(zoom, first["join_url"])
    again = zoom.api("delete", path, host_token)
    assert again.status_code == 404


@pytest.mark.parametrize("kind", ["meetings", "webinars"])
def test_the_shared_link_of_a_meeting_with_registration_lets_no_one_in(zoom, host_token, kind):
    item_id = created(zoom, host_token, kind)
    shared = zoom.api("get", f"/{kind[:-1]}s/{item_id}", host_token).json()["join_url"]
    assert not opens(zoom, shared)


def test_a_meeting_without_registration_takes_no_registrants(zoom, host_token):
    meeting_id = created(zoom, host_token, "meetings", settings={})
    response = zoom.api("post", f"/meetings/{meeting_id}/registrants", host_token,
                        json=GUESTS[0])
    assert response.status_code == 404
    assert "Registration has not been enabled" in response.json()["message"]


def test_registration_needs_a_licensed_host(zoom):
    token = token_for(zoom, BASIC, ALL_SCOPES)
    meeting_id = created(zoom, token, "meetings")
    response = zoom.api("post", f"/meetings/{meeting_id}/registrants", token, json=GUESTS[0])
    assert (response.status_code, response.json()["code"]) == (400, 200)


def test_a_host_without_the_webinar_add_on_cannot_create_a_webinar(zoom):
    response = zoom.api("post", "/users/me/webinars", token_for(zoom, LICENSED, ALL_SCOPES),
                        json=WEBINAR_BODY)
    assert (response.status_code, response.json()["code"]) == (400, 200)
    assert "Subscription plan for webinar is missing" in response.json()["message"]


def test_a_webinar_takes_no_more_registrants_than_its_capacity(zoom, host_token):
    webinar_id = created(zoom, host_token, "webinars")
    for guest in GUESTS:
        register(zoom, host_token, "webinars", webinar_id, guest)
    response = zoom.api("post", f"/webinars/{webinar_id}/registrants", host_token,
                        json={"email": "fourth@example.com", "first_name": "Fourth"})
    assert (response.status_code, response.json()["code"]) == (400, 3000)


def test_a_webinar_is_read_updated_and_deleted(zoom, host_token):
    webinar_id = created(zoom, host_token, "webinars")
    got = zoom.api("get", f"/webinars/{webinar_id}", host_token)
    assert schema.response_errors(schema.GET_WEBINAR, 200, got.json()) == []
    assert (got.json()["type"], "/w/" in got.json()["join_url"]) == (5, True)
    moved = zoom.api("patch", f"/webinars/{webinar_id}", host_token,
                     json={"start_time": "2030-05-02T15:00:00Z"})
    assert moved.status_code == 204
    got = zoom.api("get", f"/webinars/{webinar_id}", host_token).json()
    assert got["start_time"] == "2030-05-02T15:00:00Z"
    assert zoom.api("delete", f"/webinars/{webinar_id}", host_token).status_code == 204
    gone = zoom.api("get", f"/webinars/{webinar_id}", host_token)
    assert (gone.status_code, gone.json()["code"]) == (404, 3001)
    record = zoom.control("get", "/webinars")["webinars"][0]
    assert record["deleted"] is True


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/users/me/webinars", {**WEBINAR_BODY, "type": 3}, "type"),
    ("/users/me/webinars", {**WEBINAR_BODY, "settings": {"approval_type": 7}},
     "settings.approval_type"),
    ("/meetings/{id}/registrants", {"first_name": "No email"}, "body"),
    ("/meetings/{id}/registrants/status", {"action": "forget"}, "action"),
])
def test_bodies_are_checked_against_zoom_s_schema(zoom, host_token, path, body, field):
    meeting_id = created(zoom, host_token, "meetings")
    method = "put" if path.endswith("status") else "post"
    response = zoom.api(method, path.format(id=meeting_id), host_token, json=body)
    assert (response.status_code, response.json()["code"]) == (400, 300)
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize(("method", "path", "scope"), [
    ("post", "/users/me/webinars", "webinar:write:webinar"),
    ("post", "/meetings/1/registrants", "meeting:write:registrant"),
    ("put", "/meetings/1/registrants/status", "meeting:update:registrant_status"),
    ("delete", "/webinars/1/registrants/x", "webinar:delete:registrant"),
])
def test_each_operation_names_its_missing_scope(zoom, method, path, scope):
    token = token_for(zoom, WEBINAR_HOST, list(DEFAULT_SCOPES))
    response = zoom.api(method, path, token, json={})
    assert (response.status_code, response.json()["code"]) == (400, 4711)
    assert scope in response.json()["message"]


def test_list_webinars_answers_the_published_schema_with_agendas_cut_to_250(zoom, host_token):
    long_agenda = "A" * 240 + " Timetics booking LATE01."
    kept = created(zoom, host_token, "webinars", agenda=long_agenda)
    dropped = created(zoom, host_token, "webinars", start_time="2030-05-02T15:00:00Z")
    assert zoom.api("delete", f"/webinars/{dropped}", host_token).status_code == 204
    created(zoom, host_token, "meetings")  # meetings are listed apart
    response = zoom.api("get", "/users/me/webinars", host_token,
                        params={"type": "scheduled", "page_size": 300})
    assert response.status_code == 200
    assert schema.response_errors(schema.LIST_WEBINARS, 200, response.json()) == []
    [item] = response.json()["webinars"]
    assert item["id"] == kept and item["agenda"] == long_agenda[:250]


@pytest.mark.parametrize(("params", "field"), [({"type": "past"}, "type"),
                                               ({"page_size": 301}, "page_size"),
                                               ({"page_size": "many"}, "page_size")])
def test_list_webinars_refuses_a_query_outside_the_schema(zoom, host_token, params, field):
    response = zoom.api("get", "/users/me/webinars", host_token, params=params)
    assert response.status_code == 400 and response.json()["code"] == 300
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_list_webinars_needs_the_add_on_and_a_scope(zoom):
    response = zoom.api("get", "/users/me/webinars", token_for(zoom, LICENSED, ALL_SCOPES))
    assert response.status_code == 400 and response.json()["code"] == 200
    no_scope = token_for(zoom, WEBINAR_HOST, [*DEFAULT_SCOPES, "webinar:write:webinar"])
    response = zoom.api("get", "/users/me/webinars", no_scope)
    assert response.status_code == 400 and response.json()["code"] == 4711
    assert "webinar:read:list_webinars" in response.json()["message"]

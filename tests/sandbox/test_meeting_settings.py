"""Meeting settings in the sandbox: Zoom's security rule applied as Zoom applies it, and the
effective settings in the answers (developers.zoom.us, Meeting API Security Enhancements)."""
from __future__ import annotations

import pytest


@pytest.fixture
def access_token(tokens):
    return tokens["access_token"]


def meeting_of(zoom, access_token, meeting_id) -> dict:
    response = zoom.api("get", f"/meetings/{meeting_id}", access_token)
    assert response.status_code == 200
    return response.json()


def test_neither_passcode_nor_waiting_room_gets_a_waiting_room(zoom, access_token):
    created = zoom.create_meeting(access_token, default_password=False,
                                  settings={"waiting_room": False})
    assert created.status_code == 201
    meeting = created.json()
    assert meeting["password"] == "" and meeting["settings"]["waiting_room"] is True


def test_a_passcode_leaves_the_waiting_room_as_asked(zoom, access_token):
    meeting = zoom.create_meeting(access_token, default_password=True,
                                  settings={"waiting_room": False}).json()
    assert meeting["password"] and meeting["settings"]["waiting_room"] is False


def test_a_waiting_room_without_passcode_is_kept(zoom, access_token):
    meeting = zoom.create_meeting(access_token, default_password=False,
                                  settings={"waiting_room": True}).json()
    assert meeting["password"] == "" and meeting["settings"]["waiting_room"] is True


def test_a_body_that_names_no_passcode_gets_one_like_the_users_own_setting(zoom, access_token):
    meeting = zoom.create_meeting(access_token).json()
    assert meeting["password"] and meeting["settings"]["waiting_room"] is False


def test_a_given_passcode_is_used(zoom, access_token):
    meeting = zoom.create_meeting(access_token, password="ab-12*").json()
    assert meeting["password"] == "ab-12*"


def test_a_waiting_room_turns_join_before_host_off(zoom, access_token):
    meeting = zoom.create_meeting(access_token, settings={
        "waiting_room": True, "join_before_host": True, "jbh_time": 5}).json()
    assert meeting["settings"]["join_before_host"] is False


def test_the_answer_carries_every_option_as_applied(zoom, access_token):
    settings = {"waiting_room": False, "join_before_host": True, "jbh_time": 15,
                "mute_upon_entry": True, "auto_recording": "cloud",
                "alternative_hosts": "ann@example.com;bob@example.com"}
    created = zoom.create_meeting(access_token, default_password=True, settings=settings)
    assert created.status_code == 201
    assert settings.items() <= created.json()["settings"].items()
    fetched = meeting_of(zoom, access_token, created.json()["id"])
    assert settings.items() <= fetched["settings"].items()


def test_defaults_fill_the_settings_a_body_leaves_out(zoom, access_token):
    meeting = zoom.create_meeting(access_token).json()
    assert {"join_before_host": False, "mute_upon_entry": False,
            "auto_recording": "none"}.items() <= meeting["settings"].items()


def test_an_update_is_held_to_the_same_rule(zoom, access_token):
    meeting = zoom.create_meeting(access_token, default_password=False,
                                  settings={"waiting_room": True}).json()
    response = zoom.api("patch", f"/meetings/{meeting['id']}", access_token,
                        json={"settings": {"waiting_room": False}})
    assert response.status_code == 204
    assert meeting_of(zoom, access_token, meeting["id"])["settings"]["waiting_room"] is True


def test_an_update_changes_the_options(zoom, access_token):
    meeting = zoom.create_meeting(access_token, default_password=True).json()
    response = zoom.api("patch", f"/meetings/{meeting['id']}", access_token, json={
        "password": meeting["password"],
        "settings": {"waiting_room": True, "mute_upon_entry": True, "auto_recording": "local"}})
    assert response.status_code == 204
    settings = meeting_of(zoom, access_token, meeting["id"])["settings"]
    assert (settings["waiting_room"], settings["mute_upon_entry"],
            settings["auto_recording"]) == (True, True, "local")


@pytest.mark.parametrize(("settings", "field"), [
    ({"jbh_time": 7}, "settings.jbh_time"),
    ({"auto_recording": "always"}, "settings.auto_recording"),
    ({"waiting_room": "yes"}, "settings.waiting_room"),
    ({"alternative_hosts": ["ann@example.com"]}, "settings.alternative_hosts"),
])
def test_settings_outside_zooms_schema_are_refused(zoom, access_token, settings, field):
    response = zoom.create_meeting(access_token, settings=settings)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 300 and field in [e["field"] for e in body["errors"]]


@pytest.mark.parametrize("minutes", [0, 5, 10, 15])
def test_join_before_host_takes_zooms_minutes(zoom, access_token, minutes):
    response = zoom.create_meeting(access_token, settings={"join_before_host": True,
                                                           "jbh_time": minutes})
    assert response.status_code == 201 and response.json()["settings"]["jbh_time"] == minutes

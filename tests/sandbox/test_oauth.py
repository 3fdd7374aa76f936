"""The sandbox's OAuth: consent page, codes, PKCE, client auth, rotation and re-authorisation."""
from __future__ import annotations

import threading

import pytest
import requests

from .driver import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, VERIFIER, query_of

INVALID_TOKEN = {"reason": "Invalid Token!", "error": "invalid_grant"}
INVALID_CLIENT = {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}


def test_consent_page_names_the_app_the_account_and_every_scope(zoom):
    """The consent page shows the app, a Zoom account picker, each scope, Allow and Deny."""
    response = zoom.request("get", "/oauth/authorize", params=zoom.authorize_params())
    assert response.status_code == 200
    page = response.text
    assert "Timetics would like to access your Zoom account" in page
    assert '<label for="user_id">Zoom account</label>' in page
    assert '<select id="user_id" name="user_id">' in page
    assert "alex.rivera@zoom.example" in page and "blake.chen@zoom.example" in page
    for scope in ("meeting:write:meeting", "meeting:read:meeting", "meeting:update:meeting",
                  "meeting:delete:meeting", "user:read:user", "meeting:read:list_meetings"):
        assert f"<code>{scope}</code>" in page
    assert '<form method="post" action="/oauth/authorize">' in page
    assert ">Allow</button>" in page and ">Deny</button>" in page


def test_allow_redirects_with_a_code_and_the_state(zoom):
    response = zoom.decide("allow", state="xyz")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    assert query_of(location)["state"] == "xyz"
    assert len(query_of(location)["code"]) >= 20


def test_deny_redirects_with_access_denied_and_the_state(zoom):
    response = zoom.decide("deny", state="xyz")
    assert response.status_code == 302
    assert query_of(response.headers["Location"]) == {"error": "access_denied", "state": "xyz"}


def test_the_chosen_zoom_account_is_the_one_authorised(zoom):
    tokens = zoom.connect(user_id="zoomuser-blake")
    me = zoom.api("get", "/users/me", tokens["access_token"]).json()
    assert me["id"] == "zoomuser-blake" and me["email"] == "blake.chen@zoom.example"


@pytest.mark.parametrize(("params", "message"), [
    ({"redirect_uri": "http://evil.example/callback"}, "Invalid redirect"),
    ({"redirect_uri": REDIRECT_URI + "/"}, "Invalid redirect"),
    ({"client_id": "no-such-client"}, "Invalid client_id"),
])
def test_a_bad_client_or_redirect_uri_gets_an_error_page_not_a_redirect(zoom, params, message):
    for method in ("get", "post"):
        query = {**zoom.authorize_params(), **params, "decision": "allow"}
        kwargs = {"params": query} if method == "get" else {"data": query}
        response = zoom.request(method, "/oauth/authorize", **kwargs)
        assert response.status_code == 400
        assert "Location" not in response.headers
        assert message in response.text and "Error code: 47" in response.text


def test_the_token_response_has_zoom_fields(zoom):
    tokens = zoom.connect()
    assert set(tokens) == {"access_token", "token_type", "refresh_token", "expires_in",
                           "scope", "api_url"}
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert "meeting:write:meeting" in tokens["scope"].split(" ")
    assert tokens["api_url"] == zoom.base_url


def test_a_code_works_once(zoom):
    code = zoom.new_code()
    assert zoom.exchange(code).status_code == 200
    second = zoom.exchange(code)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_a_code_expires_after_five_minutes(zoom):
    code = zoom.new_code()
    zoom.control("post", "/clock", {"advance_seconds": 301})
    response = zoom.exchange(code)
    assert response.status_code == 400
    assert response.json() == {"reason": "Authorization code has expired.",
                               "error": "invalid_grant"}


@pytest.mark.parametrize("verifier", ["a-different-verifier-" + "x" * 40, ""])
def test_a_wrong_or_missing_code_verifier_is_refused(zoom, verifier):
    response = zoom.exchange(zoom.new_code(), verifier=verifier)
    assert response.status_code == 400
    assert response.json() == {"reason": "Invalid code verifier.", "error": "invalid_grant"}


def test_the_redirect_uri_must_equal_the_authorize_one(zoom):
    code = zoom.new_code()
    response = zoom.exchange(code, redirect_uri=REDIRECT_URI + "?x=1")
    assert response.status_code == 400
    assert response.json() == {"reason": "Redirect URI mismatch.", "error": "invalid_request"}


@pytest.mark.parametrize("auth", [(CLIENT_ID, "wrong-secret"), ("other-client", "x"), None])
def test_bad_client_credentials_are_refused(zoom, auth):
    response = zoom.exchange(zoom.new_code(), auth=auth)
    assert response.status_code == 401
    assert response.json() == INVALID_CLIENT


def test_an_unknown_grant_type_is_refused(zoom):
    response = zoom.token({"grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_refresh_rotates_and_the_old_refresh_token_dies_at_once(zoom, tokens):
    first = zoom.refresh(tokens["refresh_token"])
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["access_token"] != tokens["access_token"]

    reused = zoom.refresh(tokens["refresh_token"])
    assert reused.status_code == 400
    assert reused.json() == INVALID_TOKEN
    assert zoom.refresh(rotated["refresh_token"]).status_code == 200
    state = zoom.control("get", "/state")
    assert (state["refresh_count"], state["refresh_refused"]) == (2, 1)


def race_to_refresh(base_url: str, refresh_token: str, racers: int = 2) -> list[int]:
    """Send the same refresh token from ``racers`` threads at the same moment: the statuses."""
    barrier = threading.Barrier(racers)
    statuses: list[int] = []

    def refresh() -> None:
        barrier.wait()
        response = requests.post(
            base_url + "/oauth/token", auth=(CLIENT_ID, CLIENT_SECRET), timeout=5,
            data={"grant_type": "refresh_token", "refresh_token": refresh_token})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=refresh) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_racing_refreshes_with_one_token_get_exactly_one_success(zoom):
    """The refresh race that kills connections: one caller wins, the others get invalid_grant."""
    for racers in (2, 2, 2, 4):
        refresh_token = zoom.connect()["refresh_token"]
        assert race_to_refresh(zoom.base_url, refresh_token, racers) == [200] + [400] * (
            racers - 1)
    state = zoom.control("get", "/state")
    assert (state["refresh_count"], state["refresh_refused"]) == (4, 6)


def test_authorising_again_kills_the_older_tokens_of_that_user_only(zoom):
    old = zoom.connect()
    blake = zoom.connect(user_id="zoomuser-blake")
    new = zoom.connect()

    assert zoom.api("get", "/users/me", old["access_token"]).status_code == 401
    assert zoom.refresh(old["refresh_token"]).json() == INVALID_TOKEN
    assert zoom.api("get", "/users/me", new["access_token"]).status_code == 200
    assert zoom.api("get", "/users/me", blake["access_token"]).status_code == 200


def test_a_code_without_a_challenge_needs_no_verifier(zoom):
    params = {**zoom.authorize_params(), "decision": "allow"}
    del params["code_challenge"], params["code_challenge_method"]
    response = zoom.request("post", "/oauth/authorize", data=params)
    code = query_of(response.headers["Location"])["code"]
    assert zoom.exchange(code, verifier="").status_code == 200


def test_the_verifier_is_checked_against_the_challenge_sent_at_authorize(zoom):
    code = zoom.new_code(verifier="another-verifier-" + "y" * 40)
    assert zoom.exchange(code, verifier=VERIFIER).status_code == 400
    assert zoom.exchange(code, verifier="another-verifier-" + "y" * 40).status_code == 200

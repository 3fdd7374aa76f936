"""The Zoom client: OAuth, the transport's refresh-once and error mapping, and the payloads."""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
import responses
from oauthlib.oauth2 import InsecureTransportError
from responses import matchers

from timetics import zoom
from timetics.exceptions import (
    ZoomError,
    ZoomNotFound,
    ZoomOAuthError,
    ZoomRateLimited,
    ZoomTokenRefused,
    ZoomUnavailable,
)

OAUTH = "https://zoom.us"
API = "https://api.zoom.us/v2"
TOKEN_URL = f"{OAUTH}/oauth/token"
CLIENT_ID = "client-id-CID123"
CLIENT_SECRET = "client-secret-SEKRIT-456"
REDIRECT = "https://book.example.com/integrations/zoom/callback"
ACCESS = "access-token-AAA-111"
ACCESS_2 = "access-token-BBB-222"
REFRESH = "refresh-token-RRR-333"
REFRESH_2 = "refresh-token-SSS-444"
CODE = "auth-code-CCC-555"
VERIFIER = "v" * 43 + "-verifier-VVV"
T0 = datetime(2030, 5, 30, 12, 0, tzinfo=UTC)
SECRETS = (CLIENT_SECRET, ACCESS, ACCESS_2, REFRESH, REFRESH_2, CODE, VERIFIER)
GRANULAR = " ".join(zoom.GRANULAR_SCOPES)
# The sandbox's copy of Zoom's published OpenAPI subset (shared/zoom/ has the original).
SCHEMA = Path(__file__).parents[2] / "zoom_sandbox" / "openapi-subset.json"

APP = zoom.ZoomApp(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT)


class FakeTokens:
    """A TokenSource that hands out ACCESS, then ACCESS_2 after a refresh."""

    def __init__(self, current: str = ACCESS):
        self.current = current
        self.refreshed_calls: list[str] = []

    def access_token(self) -> str:
        return self.current

    def refreshed(self, stale: str) -> str:
        self.refreshed_calls.append(stale)
        self.current = ACCESS_2
        return self.current


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(zoom.transport, "_utcnow", clock)
    return clock


@pytest.fixture
def api():
    return zoom.ZoomAPI(APP, FakeTokens())


def token_body(access=ACCESS, refresh=REFRESH, **extra) -> dict:
    return {"access_token": access, "token_type": "bearer", "refresh_token": refresh,
            "expires_in": 3599, "scope": GRANULAR, "api_url": "https://api.zoom.us", **extra}


def form_of(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def basic_of(call) -> str:
    scheme, _, value = call.request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(value).decode()


# --- URLs, scopes, tokens -------------------------------------------------------------------

@pytest.mark.parametrize("url, expected", [
    ("https://zoom.us", "https://zoom.us"),
    ("https://api.zoom.us/v2/", "https://api.zoom.us/v2"),
    ("http://127.0.0.5", "http://127.0.0.5"),
    ("http://localhost:5001/", "http://localhost:5001"),
    ("http://[::1]:8000", "http://[::1]:8000"),
])
def test_check_zoom_url_accepts_https_and_loopback_http(url, expected):
    """https:// anywhere, http:// only to this machine; the trailing slash goes."""
    assert zoom.check_zoom_url(url) == expected


@pytest.mark.parametrize("url", [
    "http://example.com", "http://10.0.0.1", "http://localhost.example.com", "ftp://zoom.us",
    "zoom.us", "https://", "https://user:pw@zoom.us", "https://zoom.us/?x=1", "",
])
def test_check_zoom_url_refuses_the_rest(url):
    with pytest.raises(ValueError):
        zoom.check_zoom_url(url)


def test_zoom_app_checks_its_urls():
    with pytest.raises(ValueError):
        zoom.ZoomApp("id", "secret", REDIRECT, oauth_url="http://zoom.example.com")
    app = zoom.ZoomApp("id", "secret", REDIRECT, api_url="http://127.0.0.1:5001/v2/")
    assert app.api_url == "http://127.0.0.1:5001/v2"


def test_timeouts_are_a_connect_read_pair():
    assert APP.http_timeout == (zoom.app.CONNECT_TIMEOUT, 10.0)
    assert zoom.ZoomApp("id", "s", REDIRECT, timeout=2).http_timeout == (2.0, 2.0)
    with pytest.raises(ValueError):
        zoom.ZoomApp("id", "s", REDIRECT, timeout=0)


@pytest.mark.parametrize("granted, missing", [
    (zoom.GRANULAR_SCOPES, []),
    (["user:read", "meeting:read", "meeting:write"], []),
    (["meeting:write", "meeting:read", "user:read:user"], []),  # a mix covers every need
    (["meeting:write:meeting", "user:read:user"],
     ["meeting:read:meeting", "meeting:update:meeting", "meeting:delete:meeting"]),
    (["user:read", "meeting:write"], ["meeting:read:meeting"]),
    ([], list(zoom.GRANULAR_SCOPES)),
    (GRANULAR, []),  # a space-separated string, as Zoom sends it
])
def test_missing_scopes_accepts_granular_or_classic(granted, missing):
    assert zoom.missing_scopes(granted) == missing


def test_tokens_need_refresh_five_minutes_early():
    tokens = zoom.TokenSet(ACCESS, REFRESH, T0 + timedelta(hours=1), frozenset())
    assert not tokens.needs_refresh(T0 + timedelta(minutes=54, seconds=59))
    assert tokens.needs_refresh(T0 + timedelta(minutes=55))
    assert ACCESS not in repr(tokens) and REFRESH not in repr(tokens)
    assert CLIENT_SECRET not in repr(APP)


def test_each_thread_has_its_own_session():
    mine = zoom.transport._session()
    assert zoom.transport._session() is mine
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(zoom.transport._session()))
    thread.start()
    thread.join()
    assert theirs[0] is not mine


# --- OAuth ----------------------------------------------------------------------------------

def test_authorization_url_asks_for_code_with_pkce_s256():
    url, state, verifier = zoom.new_authorization(APP)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{OAUTH}/oauth/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert query == {
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT,
        "state": state, "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    assert 43 <= len(verifier) <= 128 and len(state) >= 32
    assert zoom.new_authorization(APP)[1] != state


def test_loopback_http_works_without_insecure_transport_variable(rsps, monkeypatch):
    """The sandbox's http:// URLs need nothing from the operator, and nothing is left set."""
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    app = zoom.ZoomApp(CLIENT_ID, CLIENT_SECRET, REDIRECT, oauth_url="http://127.0.0.1:5001")
    url, _, _ = zoom.new_authorization(app)
    assert url.startswith("http://127.0.0.1:5001/oauth/authorize?")
    rsps.post("http://127.0.0.1:5001/oauth/token", json=token_body())
    assert zoom.exchange_code(app, CODE, VERIFIER).access_token == ACCESS
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ


@pytest.mark.parametrize("url, shown", [
    ("http://127.0.0.1:5001", "https://127.0.0.1:5001"),
    ("http://localhost:5001", "https://localhost:5001"),
    ("http://[::1]:5001", "https://[::1]:5001"),
    ("https://zoom.us", "https://zoom.us"),
    ("http://zoom.example.com", "http://zoom.example.com"),
])
def test_only_loopback_http_passes_oauthlibs_https_check(url, shown):
    """oauthlib is shown https:// for this machine only; the request still goes to http://."""
    assert zoom.oauth._oauthlib_spelling(url) == shown


def test_a_remote_http_zoom_is_refused_even_past_check_zoom_url():
    app = zoom.ZoomApp(CLIENT_ID, CLIENT_SECRET, REDIRECT)
    object.__setattr__(app, "oauth_url", "http://zoom.example.com")  # as if never checked
    with pytest.raises(InsecureTransportError):
        zoom.new_authorization(app)
    with pytest.raises(InsecureTransportError):
        zoom.refresh_tokens(app, REFRESH)


def test_code_exchange_sends_basic_auth_and_form_and_counts_expiry_from_sending(rsps, clock):
    def slow_zoom(request):
        clock.now = T0 + timedelta(seconds=30)  # the answer takes 30 seconds
        return 200, {}, json.dumps(token_body())

    rsps.add_callback(responses.POST, TOKEN_URL, callback=slow_zoom)
    tokens = zoom.exchange_code(APP, CODE, VERIFIER)

    call = rsps.calls[0]
    assert basic_of(call) == f"{CLIENT_ID}:{CLIENT_SECRET}"
    assert form_of(call) == {"grant_type": "authorization_code", "code": CODE,
                             "redirect_uri": REDIRECT, "code_verifier": VERIFIER}
    assert call.request.req_kwargs["timeout"] == APP.http_timeout
    assert tokens.access_token == ACCESS and tokens.refresh_token == REFRESH
    assert tokens.expires_at == T0 + timedelta(seconds=3599)
    assert tokens.scopes == frozenset(zoom.GRANULAR_SCOPES)


def test_refresh_returns_the_rotated_pair(rsps, clock):
    rsps.post(TOKEN_URL, json=token_body(ACCESS_2, REFRESH_2, scope="user:read meeting:write"))
    tokens = zoom.refresh_tokens(APP, REFRESH)
    assert form_of(rsps.calls[0]) == {"grant_type": "refresh_token", "refresh_token": REFRESH}
    assert basic_of(rsps.calls[0]) == f"{CLIENT_ID}:{CLIENT_SECRET}"
    assert (tokens.access_token, tokens.refresh_token) == (ACCESS_2, REFRESH_2)
    assert tokens.scopes == {"user:read", "meeting:write"}
    assert tokens.expires_at == T0 + timedelta(seconds=3599)


@pytest.mark.parametrize("error", ["invalid_grant", "invalid_request"])
def test_a_refused_refresh_token_is_token_refused(rsps, error):
    rsps.post(TOKEN_URL, status=400, json={"reason": "Invalid Token!", "error": error})
    with pytest.raises(ZoomTokenRefused) as caught:
        zoom.refresh_tokens(APP, REFRESH)
    assert caught.value.status == 400 and caught.value.code == error
    assert "Invalid Token!" in caught.value.message


def test_refresh_with_a_wrong_client_secret_is_not_token_refused(rsps):
    """The connection is fine; the admin's settings are not."""
    rsps.post(TOKEN_URL, status=401, json={"reason": "Invalid client_id or client_secret",
                                           "error": "invalid_client"})
    with pytest.raises(ZoomOAuthError) as caught:
        zoom.refresh_tokens(APP, REFRESH)
    assert not isinstance(caught.value, ZoomTokenRefused)
    assert caught.value.code == "invalid_client"


@pytest.mark.parametrize("error, reason", [
    ("invalid_request", "Redirect URI mismatch."),
    ("invalid_grant", "Invalid authorization code " + CODE),  # Zoom echoing the code
    ("invalid_client", "Invalid client_id or client_secret"),
])
def test_a_refused_code_exchange_is_an_oauth_error_with_zooms_reason(rsps, error, reason):
    rsps.post(TOKEN_URL, status=400, json={"reason": reason, "error": error})
    with pytest.raises(ZoomOAuthError) as caught:
        zoom.exchange_code(APP, CODE, VERIFIER)
    assert not isinstance(caught.value, ZoomTokenRefused)
    assert caught.value.code == error and caught.value.status == 400
    assert reason.split(" ")[0] in caught.value.message
    assert CODE not in caught.value.message


@pytest.mark.parametrize("answer", [
    dict(status=503, body="<html><body>Service Unavailable</body></html>"),
    dict(status=200, body="<html>a captive portal</html>"),
    dict(body=requests.exceptions.ConnectTimeout()),
    dict(body=requests.exceptions.ReadTimeout()),
    dict(body=requests.exceptions.ConnectionError()),
])
def test_the_token_endpoint_out_of_reach_is_unavailable(rsps, answer):
    rsps.add(responses.POST, TOKEN_URL, **answer)
    with pytest.raises(ZoomUnavailable):
        zoom.refresh_tokens(APP, REFRESH)


def test_revoke_posts_the_token_with_basic_auth(rsps):
    rsps.post(f"{OAUTH}/oauth/revoke", json={"status": "success"})
    zoom.revoke_token(APP, ACCESS)
    assert form_of(rsps.calls[0]) == {"token": ACCESS}
    assert basic_of(rsps.calls[0]) == f"{CLIENT_ID}:{CLIENT_SECRET}"


def test_a_refused_revoke_is_an_oauth_error(rsps):
    rsps.post(f"{OAUTH}/oauth/revoke", status=400,
              json={"reason": "Invalid Token!", "error": "invalid_request"})
    with pytest.raises(ZoomOAuthError):
        zoom.revoke_token(APP, ACCESS)


# --- the transport --------------------------------------------------------------------------

def test_calls_carry_the_bearer_token_and_timeouts(rsps, api):
    rsps.get(f"{API}/users/me", json={"id": "u1", "email": "a@example.com"})
    assert api.get_me() == {"id": "u1", "email": "a@example.com"}
    request = rsps.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert request.req_kwargs["timeout"] == APP.http_timeout


def test_a_401_refreshes_once_and_retries(rsps):
    tokens = FakeTokens()
    rsps.get(f"{API}/users/me", status=401,
             json={"code": 124, "message": "Invalid access token."})
    rsps.get(f"{API}/users/me", json={"id": "u1"})
    assert zoom.ZoomAPI(APP, tokens).get_me() == {"id": "u1"}
    assert tokens.refreshed_calls == [ACCESS]
    assert [c.request.headers["Authorization"] for c in rsps.calls] == [
        f"Bearer {ACCESS}", f"Bearer {ACCESS_2}"]


def test_a_second_401_is_token_refused(rsps):
    tokens = FakeTokens()
    rsps.delete(f"{API}/meetings/123", status=401,
                json={"code": 124, "message": "Invalid access token."})
    with pytest.raises(ZoomTokenRefused) as caught:
        zoom.ZoomAPI(APP, tokens).delete_meeting("123")
    assert tokens.refreshed_calls == [ACCESS]
    assert len(rsps.calls) == 2 and caught.value.code == 124


def test_a_refusal_from_the_token_source_passes_through(rsps):
    class Refusing(FakeTokens):
        def refreshed(self, stale):
            raise ZoomTokenRefused("reconnect needed")

    rsps.get(f"{API}/users/me", status=401, json={"code": 124, "message": "Invalid token."})
    with pytest.raises(ZoomTokenRefused, match="reconnect needed"):
        zoom.ZoomAPI(APP, Refusing()).get_me()


def test_missing_scopes_do_not_spend_a_refresh(rsps):
    tokens = FakeTokens()
    rsps.post(f"{API}/users/me/meetings", status=401, json={
        "code": 4711, "message": "Invalid access token, does not contain scopes:[x]."})
    with pytest.raises(ZoomError) as caught:
        zoom.ZoomAPI(APP, tokens).create_meeting({"topic": "t"})
    assert not isinstance(caught.value, ZoomTokenRefused)
    assert caught.value.code == 4711 and tokens.refreshed_calls == []


def test_a_429_with_an_absolute_retry_after(rsps, api, clock):
    rsps.post(f"{API}/users/me/meetings", status=429, json={"code": 429, "message": "Limit"},
              headers={"Retry-After": "2030-05-31T00:00:00Z", "X-RateLimit-Type": "Daily-limit",
                       "X-RateLimit-Category": "Medium"})
    with pytest.raises(ZoomRateLimited) as caught:
        api.create_meeting({"topic": "t"})
    assert caught.value.retry_after == datetime(2030, 5, 31, tzinfo=UTC)
    assert caught.value.status == 429


def test_a_daily_429_without_headers_waits_until_midnight_utc(rsps, api, clock):
    clock.now = datetime(2030, 5, 30, 23, 59, 30, tzinfo=UTC)
    rsps.patch(f"{API}/meetings/123", status=429,
               json={"code": 429, "message": "You have reached the maximum per day"})
    with pytest.raises(ZoomRateLimited) as caught:
        api.update_meeting("123", {"topic": "t"})
    assert caught.value.retry_after == datetime(2030, 5, 31, tzinfo=UTC)


@pytest.mark.parametrize("headers, expected", [
    ({"Retry-After": "2030-05-30T12:10:00Z"}, T0 + timedelta(minutes=10)),
    ({"Retry-After": "30"}, T0 + timedelta(seconds=30)),
    ({"Retry-After": "Thu, 30 May 2030 12:05:00 GMT"}, T0 + timedelta(minutes=5)),
    ({"X-RateLimit-Type": "Daily-limit"}, datetime(2030, 5, 31, tzinfo=UTC)),
    ({}, datetime(2030, 5, 31, tzinfo=UTC)),
    ({"Retry-After": "soon"}, datetime(2030, 5, 31, tzinfo=UTC)),
    ({"Retry-After": "2020-05-31T00:00:00Z"}, T0 + timedelta(seconds=1)),  # past: a second
    ({"Retry-After": "2099-01-01T00:00:00Z"}, T0 + zoom.transport.RETRY_AFTER_MAX),  # bounded
])
def test_rate_limit_until(headers, expected):
    assert zoom.rate_limit_until(headers, T0) == expected


def test_a_qps_429_waits_about_a_second():
    wait = zoom.rate_limit_until({"X-RateLimit-Type": "QPS"}, T0) - T0
    assert timedelta(seconds=1) <= wait < timedelta(seconds=2)


@pytest.mark.parametrize("answer", [
    dict(status=500, json={"code": 500, "message": "Internal error"}),
    dict(status=502, body="<html><h1>502 Bad Gateway</h1></html>",
         content_type="text/html"),
    dict(body=requests.exceptions.ConnectTimeout()),
    dict(body=requests.exceptions.ReadTimeout()),
    dict(body=requests.exceptions.ConnectionError("refused")),
])
def test_server_errors_and_timeouts_are_unavailable(rsps, api, answer):
    rsps.add(responses.POST, f"{API}/users/me/meetings", **answer)
    with pytest.raises(ZoomUnavailable):
        api.create_meeting({"topic": "t"})


def test_an_xml_error_body_is_read(rsps, api):
    rsps.get(f"{API}/meetings/123", status=400, content_type="application/xml",
             body='<?xml version="1.0" encoding="UTF-8"?><error><code>300</code>'
                  "<message>Invalid meeting id.</message></error>")
    with pytest.raises(ZoomError) as caught:
        api.get_meeting("123")
    assert caught.value.code == 300 and "Invalid meeting id." in caught.value.message


def test_a_non_json_success_is_unavailable_not_a_decode_error(rsps, api):
    rsps.get(f"{API}/users/me", body="<html>hello</html>", content_type="text/html")
    with pytest.raises(ZoomUnavailable):
        api.get_me()


def test_redirects_are_not_followed(rsps, api):
    rsps.get(f"{API}/users/me", status=302, headers={"Location": "https://evil.example/"})
    with pytest.raises(ZoomError) as caught:
        api.get_me()
    assert caught.value.status == 302 and len(rsps.calls) == 1


# --- the facade -----------------------------------------------------------------------------

def test_create_meeting_posts_the_payload_and_expects_201(rsps, api):
    payload = zoom.meeting_payload(topic="Intro call: Gina", start=T0, duration_minutes=30,
                                   timezone="America/New_York", agenda="Timetics booking ABC")
    meeting = {"id": 85746065432, "join_url": "https://zoom.us/j/85746065432", "password": "x"}
    rsps.post(f"{API}/users/me/meetings", status=201, json=meeting,
              match=[matchers.json_params_matcher(payload)])
    assert api.create_meeting(payload) == meeting


def test_create_meeting_answered_200_is_an_error(rsps, api):
    rsps.post(f"{API}/users/me/meetings", status=200, json={"id": 1})
    with pytest.raises(ZoomError) as caught:
        api.create_meeting({"topic": "t"})
    assert caught.value.status == 200


def test_get_meeting_not_found(rsps, api):
    rsps.get(f"{API}/meetings/123", status=404,
             json={"code": 3001, "message": "Meeting does not exist: 123."})
    with pytest.raises(ZoomNotFound) as caught:
        api.get_meeting("123")
    assert caught.value.code == 3001


def test_update_meeting_patches_and_expects_204(rsps, api):
    rsps.patch(f"{API}/meetings/123", status=204,
               match=[matchers.json_params_matcher({"duration": 45})])
    assert api.update_meeting("123", {"duration": 45}) is None


def test_delete_meeting_asks_for_no_reminder(rsps, api):
    rsps.delete(f"{API}/meetings/123", status=204,
                match=[matchers.query_param_matcher({"schedule_for_reminder": "false"})])
    assert api.delete_meeting("123") is True


@pytest.mark.parametrize("status, code", [(404, 3001), (400, 3007)])
def test_deleting_a_gone_meeting_is_not_an_error(rsps, api, status, code):
    rsps.delete(f"{API}/meetings/123", status=status, json={"code": code, "message": "gone"})
    assert api.delete_meeting("123") is False


@pytest.mark.parametrize("answer", [
    dict(status=400, json={"code": 3002, "message": "Meeting in progress."}),
    dict(status=404, body="<html>Not Found</html>", content_type="text/html"),  # wrong API URL
])
def test_other_delete_refusals_raise(rsps, api, answer):
    rsps.delete(f"{API}/meetings/123", **answer)
    with pytest.raises(ZoomError) as caught:
        api.delete_meeting("123")
    assert not isinstance(caught.value, ZoomNotFound)


def test_find_meeting_by_agenda_follows_pages_and_returns_the_full_meeting(rsps, api):
    listing = f"{API}/users/me/meetings"
    rsps.get(listing, json={"next_page_token": "page2", "meetings": [
        {"id": 1, "agenda": "Timetics booking OTHER."}]},
        match=[matchers.query_param_matcher({"type": "scheduled", "page_size": "300"})])
    rsps.get(listing, json={"next_page_token": "", "meetings": [
        {"id": 2, "agenda": "Intro call. Timetics booking ABC."}]},
        match=[matchers.query_param_matcher(
            {"type": "scheduled", "page_size": "300", "next_page_token": "page2"})])
    rsps.get(f"{API}/meetings/2", json={"id": 2, "password": "pw", "join_url": "j"})
    assert api.find_meeting_by_agenda("Timetics booking ABC") == {
        "id": 2, "password": "pw", "join_url": "j"}


def test_find_meeting_by_agenda_without_a_match(rsps, api):
    rsps.get(f"{API}/users/me/meetings", json={"next_page_token": "", "meetings": []})
    assert api.find_meeting_by_agenda("Timetics booking ABC") is None


def test_find_meeting_by_agenda_without_the_list_scope(rsps, api):
    rsps.get(f"{API}/users/me/meetings", status=400, json={
        "code": 4711, "message": "Invalid access token, does not contain scopes:"
                                 "[meeting:read:list_meetings]."})
    assert api.find_meeting_by_agenda("Timetics booking ABC") is None


# --- the meeting payload --------------------------------------------------------------------

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize("local, utc", [
    (datetime(2026, 3, 6, 10, 0, tzinfo=NEW_YORK), "2026-03-06T15:00:00Z"),  # EST, UTC-5
    (datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK), "2026-03-09T14:00:00Z"),  # EDT, UTC-4
    (datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK), "2026-11-01T05:30:00Z"),  # first 1:30
    (datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK), "2026-11-01T06:30:00Z"),
])
def test_a_new_york_booking_is_sent_in_utc_across_dst(local, utc):
    """10:00 in New York is 15:00Z before the spring change and 14:00Z after it."""
    payload = zoom.meeting_payload(topic="Intro", start=local, duration_minutes=30,
                                   timezone="America/New_York", agenda="a")
    assert payload["start_time"] == utc
    assert payload["type"] == 2 and payload["duration"] == 30
    assert payload["timezone"] == "America/New_York"


def test_topic_and_agenda_are_cut_to_zooms_limits():
    payload = zoom.meeting_payload(topic="t" * 250, start=T0, duration_minutes=30,
                                   timezone="UTC", agenda="a" * 2500)
    assert len(payload["topic"]) == 200 and len(payload["agenda"]) == 2000


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError):
        zoom.meeting_payload(topic="t", start=datetime(2026, 3, 6, 10, 0), duration_minutes=30,
                             timezone="UTC", agenda="a")


def test_the_payload_matches_zooms_openapi_schema():
    jsonschema = pytest.importorskip("jsonschema")
    spec = json.loads(SCHEMA.read_text())
    operation = spec["paths"]["/users/{userId}/meetings"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    payload = zoom.meeting_payload(topic="x" * 300, start=T0, duration_minutes=60,
                                   timezone="America/New_York", agenda="y" * 3000)
    jsonschema.Draft4Validator(schema).validate(payload)


def _schema(path: str, method: str) -> dict:
    spec = json.loads(SCHEMA.read_text())
    return spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]


ALL_OPTIONS = zoom.MeetingOptions(waiting_room=False, passcode=True, join_before_minutes=15,
                                  mute_on_entry=True, auto_recording="cloud",
                                  alternative_hosts=("ann@example.com", "bob@example.com"))


def test_the_options_go_out_in_zooms_names_and_shapes():
    payload = zoom.meeting_payload(topic="t", start=T0, duration_minutes=30, timezone="UTC",
                                   agenda="a", options=ALL_OPTIONS)
    assert payload["settings"] == {
        "waiting_room": False, "join_before_host": True, "jbh_time": 15,
        "mute_upon_entry": True, "auto_recording": "cloud",
        "alternative_hosts": "ann@example.com;bob@example.com"}
    assert payload["default_password"] is True and "password" not in payload


def test_an_update_keeps_the_meetings_passcode_and_never_sends_default_password():
    payload = zoom.meeting_payload(topic="t", start=T0, duration_minutes=30, timezone="UTC",
                                   agenda="a", options=ALL_OPTIONS, update_passcode="Xy12ab")
    assert payload["password"] == "Xy12ab" and "default_password" not in payload
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft4Validator(_schema("/meetings/{meetingId}", "patch")).validate(payload)


def test_no_passcode_and_no_join_before_host():
    options = zoom.MeetingOptions(waiting_room=True, passcode=False)
    payload = zoom.meeting_payload(topic="t", start=T0, duration_minutes=30, timezone="UTC",
                                   agenda="a", options=options)
    assert payload["default_password"] is False and "password" not in payload
    assert payload["settings"]["join_before_host"] is False
    assert "jbh_time" not in payload["settings"]


@pytest.mark.parametrize("fields", [{"join_before_minutes": 7}, {"auto_recording": "always"}])
def test_options_zoom_has_no_value_for_are_refused(fields):
    with pytest.raises(ValueError):
        zoom.MeetingOptions(**fields)


def test_the_payload_with_every_option_matches_zooms_schema():
    jsonschema = pytest.importorskip("jsonschema")
    payload = zoom.meeting_payload(topic="t", start=T0, duration_minutes=30, timezone="UTC",
                                   agenda="a", options=ALL_OPTIONS)
    jsonschema.Draft4Validator(_schema("/users/{userId}/meetings", "post")).validate(payload)


@pytest.mark.parametrize(("meeting", "applied"), [
    ({"password": "abc", "settings": {"waiting_room": False, "join_before_host": True,
                                      "jbh_time": 10}},
     {"passcode": "abc", "waiting_room": False, "join_before_host": True, "jbh_time": 10}),
    ({"password": "", "settings": {"waiting_room": True, "join_before_host": False}},
     {"passcode": None, "waiting_room": True, "join_before_host": False, "jbh_time": None}),
    ({"id": 1}, {"passcode": None, "waiting_room": None, "join_before_host": None,
                 "jbh_time": None}),
])
def test_applied_settings_read_zooms_answer(meeting, applied):
    assert zoom.applied_settings(meeting) == {**applied, "dial_in": None}  # none in these


# --- secrets stay out of logs and messages --------------------------------------------------

def test_no_secret_reaches_a_log_line_or_an_error_message(rsps, clock, caplog):
    caplog.set_level(logging.DEBUG)
    errors: list[Exception] = []

    def attempt(call):
        try:
            call()
        except ZoomError as e:
            errors.append(e)

    # Successes.
    rsps.post(TOKEN_URL, json=token_body())
    attempt(lambda: zoom.exchange_code(APP, CODE, VERIFIER))
    rsps.replace(responses.POST, TOKEN_URL, json=token_body(ACCESS_2, REFRESH_2))
    attempt(lambda: zoom.refresh_tokens(APP, REFRESH))
    rsps.get(f"{API}/users/me", status=401, json={"code": 124, "message": f"Bad {ACCESS}"})
    rsps.get(f"{API}/users/me", json={"id": "u1"})
    attempt(zoom.ZoomAPI(APP, FakeTokens()).get_me)
    zoom.new_authorization(APP)
    # Failures, with Zoom repeating what it was sent.
    rsps.replace(responses.POST, TOKEN_URL, status=400,
                 json={"reason": f"Invalid Token! {REFRESH}", "error": "invalid_grant"})
    attempt(lambda: zoom.refresh_tokens(APP, REFRESH))
    rsps.replace(responses.POST, TOKEN_URL, status=400, json={
        "reason": f"bad {CODE} {VERIFIER} {CLIENT_SECRET}", "error": CODE})
    attempt(lambda: zoom.exchange_code(APP, CODE, VERIFIER))
    rsps.upsert(responses.POST, f"{API}/users/me/meetings", status=401,
                json={"code": 124, "message": f"Invalid access token {ACCESS_2}"})
    attempt(lambda: zoom.ZoomAPI(APP, FakeTokens()).create_meeting({"topic": "t"}))
    rsps.upsert(responses.DELETE, f"{API}/meetings/1", status=429,
                headers={"Retry-After": ACCESS})
    attempt(lambda: zoom.ZoomAPI(APP, FakeTokens()).delete_meeting("1"))
    rsps.upsert(responses.GET, f"{API}/meetings/1", body=requests.exceptions.ConnectTimeout())
    attempt(lambda: zoom.ZoomAPI(APP, FakeTokens()).get_meeting("1"))
    rsps.post(f"{OAUTH}/oauth/revoke", status=400, content_type="application/xml",
              body=f"<error><code>1</code><message>{ACCESS}</message></error>")
    attempt(lambda: zoom.revoke_token(APP, ACCESS))

    assert len(errors) == 6
    assert caplog.records
    shown = caplog.text + "\n".join(f"{e!s} {e.message} {e.code} {e!r}" for e in errors)
    for secret in SECRETS:
        assert secret not in shown

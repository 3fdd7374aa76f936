"""The REST API: personal tokens from the profile, every endpoint, and each way to fail with a
problem document (never HTML)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from timetics.api.tokens import create_token
from timetics.extensions import db
from timetics.models import (
    ApiScope,
    ApiToken,
    Booking,
    BookingStatus,
    IdempotentRequest,
    Role,
    User,
)
from zoom_sandbox import BackgroundServer

from ..booking_helpers import at, book, create_booking_setup, iso, weekday_ahead
from ..conftest import login, post_form
from .test_concurrency import RACERS, TIMEOUT, race, seats_at

PROBLEM = "application/problem+json"


def token_for(app, user_id: int, scope: ApiScope = ApiScope.READ_WRITE) -> str:
    with app.app_context():
        return create_token(db.session.get(User, user_id), name="test", scope=scope)[1]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def world(app, make_user, admin):
    """Staff A hosts the meeting types and one booking; staff B hosts nothing."""
    setup = create_booking_setup(app, make_user)
    staff_b = make_user(Role.STAFF, email="b@example.com")
    start = at(weekday_ahead(), 10)
    response = book(app.test_client(), "intro-call", start)
    assert response.status_code == 302
    with app.app_context():
        reference = db.session.scalar(select(Booking.reference))
    return {"host": setup.host_id, "staff_b": staff_b.id, "admin": admin.id,
            "reference": reference, "start": start}


def assert_problem(response, status: int, kind: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["type"] == f"urn:timetics:problem:{kind}" and body["status"] == status
    if field:
        assert body["invalid_params"][0]["name"] == field, body
        assert field in body["detail"]
    return body


# --- tokens on the profile --------------------------------------------------------------------

def test_a_token_made_on_the_profile_is_shown_once_and_stored_hashed(app, client, world):
    """API tokens > Token name, Scope, Create token: the page shows the token once; the
    database keeps only its hash; the list shows name, scope, created and last used."""
    with app.app_context():
        host = db.session.get(User, world["host"])
        email = host.email
    login(client, email)
    page = f"/staff/{world['host']}"
    html = client.get(page).get_data(as_text=True)
    for label in ("API tokens", "Token name", "Scope", "Create token"):
        assert label in html
    assert '<label for="token_name">Token name</label>' in html
    assert '<label for="scope">Scope</label>' in html
    assert '<button type="submit" class="button">Create token</button>' in html
    response = post_form(client, f"{page}/api-tokens",
                         {"token_name": "CRM sync", "scope": "read write"}, page=page)
    assert response.status_code == 200
    shown = re.search(r'id="new-api-token"[^>]*value="(tt_[^"]+)"',
                      response.get_data(as_text=True)).group(1)
    again = client.get(page).get_data(as_text=True)
    assert shown not in again and "CRM sync" in again and "read write" in again
    assert "never" in again  # not used yet
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.token_hash != shown and shown not in row.token_hash
    api = app.test_client()  # no cookie
    assert api.get("/api/v1/meeting-types", headers=bearer(shown)).status_code == 200
    assert "never" not in client.get(page).get_data(as_text=True)


def test_a_token_needs_a_name(app, client, world):
    with app.app_context():
        email = db.session.get(User, world["host"]).email
    login(client, email)
    page = f"/staff/{world['host']}"
    response = post_form(client, f"{page}/api-tokens", {"token_name": " ", "scope": "read"},
                         page=page)
    assert response.status_code == 422
    assert "Name the token" in response.get_data(as_text=True)


def test_an_admin_cannot_make_a_token_for_someone_else(app, client, world, admin):
    login(client, admin.email)
    response = post_form(client, f"/staff/{world['host']}/api-tokens",
                         {"token_name": "x", "scope": "read"}, page="/dashboard")
    assert response.status_code == 403


def test_a_revoked_token_is_refused(app, client, world):
    token = token_for(app, world["host"])
    with app.app_context():
        email = db.session.get(User, world["host"]).email
        token_id = db.session.scalar(select(ApiToken.id))
    login(client, email)
    page = f"/staff/{world['host']}"
    response = post_form(client, f"{page}/api-tokens/{token_id}/revoke", {}, page=page)
    assert response.status_code == 302
    assert "Revoked" in client.get(page).get_data(as_text=True)
    body = assert_problem(app.test_client().get("/api/v1/bookings", headers=bearer(token)),
                          401, "unauthorized")
    assert "revoked" in body["detail"]


# --- authentication failures --------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dXNlcjpwYXNz"},
                                     {"Authorization": "Bearer "}])
def test_no_token_is_a_401_problem(app, world, headers):
    response = app.test_client().get("/api/v1/bookings", headers=headers)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_token_is_a_401_problem(app, world):
    response = app.test_client().get("/api/v1/bookings", headers=bearer("tt_guessed"))
    assert_problem(response, 401, "unauthorized")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_logged_in_session_cookie_is_not_a_token(app, client, world, admin):
    """Cookies are not accepted by the API: a logged-in browser without a token gets 401, and
    no CSRF token is asked of a token request."""
    login(client, admin.email)
    answer = client.get("/api/v1/bookings")
    assert_problem(answer, 401, "unauthorized")
    assert "Set-Cookie" not in answer.headers
    assert_problem(client.post("/api/v1/bookings", json={}), 401, "unauthorized")


def test_a_read_only_token_cannot_write(app, world):
    token = token_for(app, world["host"], ApiScope.READ)
    api = app.test_client()
    for path in ("/api/v1/bookings", f"/api/v1/bookings/{world['reference']}/cancel",
                 f"/api/v1/bookings/{world['reference']}/reschedule"):
        response = api.post(path, json={}, headers=bearer(token))
        assert_problem(response, 403, "insufficient-scope")
    with app.app_context():
        assert db.session.get(Booking, 1).status == BookingStatus.CONFIRMED


def test_an_unknown_api_address_and_method_answer_problems(app, world):
    token = token_for(app, world["host"])
    api = app.test_client()
    assert_problem(api.get("/api/v1/nothing", headers=bearer(token)), 404, "not-found")
    assert_problem(api.delete("/api/v1/bookings", headers=bearer(token)), 405,
                   "method-not-allowed")


# --- reading ----------------------------------------------------------------------------------

def test_meeting_types_staff_see_their_own_and_admins_all(app, world):
    api = app.test_client()
    own = api.get("/api/v1/meeting-types", headers=bearer(token_for(app, world["host"])))
    assert [t["slug"] for t in own.get_json()["meeting_types"]] == ["group-session",
                                                                     "intro-call"]
    other = api.get("/api/v1/meeting-types", headers=bearer(token_for(app, world["staff_b"])))
    assert other.get_json() == {"meeting_types": []}
    admin = api.get("/api/v1/meeting-types", headers=bearer(token_for(app, world["admin"])))
    assert len(admin.get_json()["meeting_types"]) == 2


def test_slots_are_those_of_the_public_json(app, world):
    token = token_for(app, world["host"])
    day = weekday_ahead(3)
    query = f"from={day}&to={day}&tz=Asia/Tokyo"
    api = app.test_client()
    answer = api.get(f"/api/v1/meeting-types/intro-call/slots?{query}", headers=bearer(token))
    assert answer.status_code == 200
    assert answer.get_json() == api.get(f"/book/intro-call/slots?{query}").get_json()
    assert answer.get_json()["slots"]


@pytest.mark.parametrize("query, field", [("from=2030-13-01", "from"), ("tz=Mars/Base", "tz"),
                                          ("from=2030-01-10&to=2030-01-01", "to"),
                                          ("from=2030-01-01&to=2030-06-01", "to")])
def test_bad_slot_ranges_are_problems_naming_the_field(app, world, query, field):
    response = app.test_client().get(f"/api/v1/meeting-types/intro-call/slots?{query}",
                                     headers=bearer(token_for(app, world["host"])))
    assert_problem(response, 400, "bad-request", field)


def test_another_staff_members_meeting_type_and_booking_are_404(app, world):
    token = token_for(app, world["staff_b"])
    api = app.test_client()
    assert_problem(api.get("/api/v1/meeting-types/intro-call/slots", headers=bearer(token)),
                   404, "not-found")
    assert_problem(api.get(f"/api/v1/bookings/{world['reference']}", headers=bearer(token)),
                   404, "not-found")
    assert api.get("/api/v1/bookings", headers=bearer(token)).get_json()["bookings"] == []
    for action in ("cancel", "reschedule"):
        assert_problem(api.post(f"/api/v1/bookings/{world['reference']}/{action}",
                                json={"start": iso(world["start"])}, headers=bearer(token)),
                       404, "not-found")


def test_a_booking_has_guests_utc_times_and_zoom_state(app, world):
    for who in ("host", "admin"):
        response = app.test_client().get(f"/api/v1/bookings/{world['reference']}",
                                         headers=bearer(token_for(app, world[who])))
        booking = response.get_json()
        assert booking["reference"] == world["reference"]
        assert booking["start"] == iso(world["start"]) and booking["status"] == "confirmed"
        assert booking["guests"] == [{"name": "Gina Guest", "email": "gina@example.com",
                                      "timezone": "Asia/Tokyo", "notes": "Looking forward!",
                                      "status": "confirmed"}]
        assert booking["zoom"] == {"state": "none", "join_url": None, "meeting_id": None}
        assert booking["meeting_type"]["slug"] == "intro-call"


def test_bookings_list_filters_and_pages_with_a_cursor(app, world):
    token = token_for(app, world["host"])
    client = app.test_client()
    day = weekday_ahead()
    for hour in (11, 12, 13, 14):
        book(client, "intro-call", at(day, hour), email=f"g{hour}@example.com")
    api = app.test_client()
    seen, cursor = [], None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(f"/api/v1/bookings?{query}", headers=bearer(token)).get_json()
        seen += [b["start"] for b in page["bookings"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == 5
    other_day = api.get(f"/api/v1/bookings?from={weekday_ahead(4)}", headers=bearer(token))
    assert other_day.get_json()["bookings"] == []
    typed = api.get("/api/v1/bookings?meeting_type=group-session&status=confirmed",
                    headers=bearer(token))
    assert typed.get_json()["bookings"] == []
    hosted = api.get(f"/api/v1/bookings?host={world['host']}&status=confirmed",
                     headers=bearer(token))
    assert len(hosted.get_json()["bookings"]) == 5


@pytest.mark.parametrize("query, field", [("status=lost", "status"), ("limit=0", "limit"),
                                          ("limit=x", "limit"), ("from=tomorrow", "from"),
                                          ("cursor=!!", "cursor"), ("host=-1", "host")])
def test_bad_booking_filters_are_problems_naming_the_field(app, world, query, field):
    response = app.test_client().get(f"/api/v1/bookings?{query}",
                                     headers=bearer(token_for(app, world["host"])))
    assert_problem(response, 400, "bad-request", field)


def test_a_token_of_a_deactivated_user_is_refused(app, world):
    token = token_for(app, world["host"])
    with app.app_context():
        db.session.get(User, world["host"]).active = False
        db.session.commit()
        assert db.session.scalar(select(func.count(ApiToken.id))) == 1
    assert_problem(app.test_client().get("/api/v1/bookings", headers=bearer(token)), 401,
                   "unauthorized")


# --- writing ----------------------------------------------------------------------------------

def new_booking(start, **overrides) -> dict:
    return {"meeting_type": "intro-call", "start": iso(start), "timezone": "Europe/Berlin",
            "name": "Api Guest", "email": "api.guest@example.com", "notes": "From the CRM",
            **overrides}


def test_create_books_like_the_page_and_emails_the_guest(app, world, mailbox):
    token = token_for(app, world["host"])
    start = at(weekday_ahead(), 15)
    response = app.test_client().post("/api/v1/bookings", json=new_booking(start),
                                      headers=bearer(token))
    assert response.status_code == 201, response.get_data(as_text=True)
    booking = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/bookings/{booking['reference']}")
    assert booking["start"] == iso(start) and booking["status"] == "confirmed"
    assert booking["guests"][0]["email"] == "api.guest@example.com"
    mailbox.wait_for(2)  # the guest's confirmation and the host's, as from the page
    assert {m["To"] for m in mailbox.messages} == {"api.guest@example.com", "host@example.com"}
    again = app.test_client().post("/api/v1/bookings", json=new_booking(start),
                                   headers=bearer(token))
    assert_problem(again, 409, "slot-unavailable")


@pytest.mark.parametrize("change, field", [
    ({"email": "not-an-email"}, "email"), ({"start": "tomorrow"}, "start"),
    ({"timezone": "Mars/Base"}, "timezone"), ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"), ({"notes": 5}, "notes"),
    ({"meeting_type": "nothing-here"}, "meeting_type"), ({"meeting_type": None}, "meeting_type"),
])
def test_invalid_input_is_a_problem_naming_the_field(app, world, change, field):
    token = token_for(app, world["host"])
    body = {**new_booking(at(weekday_ahead(), 15)), **change}
    response = app.test_client().post("/api/v1/bookings", json=body, headers=bearer(token))
    assert_problem(response, 422, "invalid-input", field)
    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 1


def test_a_body_that_is_not_json_is_refused(app, world):
    token = token_for(app, world["host"])
    api = app.test_client()
    assert_problem(api.post("/api/v1/bookings", data="start=x", headers=bearer(token),
                            content_type="application/x-www-form-urlencoded"), 415,
                   "unsupported-media-type")
    assert_problem(api.post("/api/v1/bookings", data="{", headers=bearer(token),
                            content_type="application/json"), 400, "bad-request", "body")
    assert_problem(api.post("/api/v1/bookings", json=[1], headers=bearer(token)), 422,
                   "invalid-input", "body")


def test_a_time_outside_the_hosts_hours_is_409(app, world):
    response = app.test_client().post(
        "/api/v1/bookings", json=new_booking(at(weekday_ahead(), 3)),
        headers=bearer(token_for(app, world["host"])))
    assert_problem(response, 409, "slot-unavailable")


def test_cancel_ends_the_booking_and_tells_the_guest(app, world, mailbox):
    token = token_for(app, world["admin"])
    path = f"/api/v1/bookings/{world['reference']}/cancel"
    api = app.test_client()
    response = api.post(path, json={"message": "The host is ill."}, headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "cancelled"
    assert response.get_json()["cancelled"]
    mailbox.wait_for(2)
    guest = [m for m in mailbox.messages if m["To"] == "gina@example.com"]
    assert "The host is ill." in guest[0].get_body(("plain",)).get_content()
    assert_problem(api.post(path, headers=bearer(token)), 409, "already-cancelled")


def test_reschedule_moves_the_whole_booking(app, world):
    token = token_for(app, world["host"])
    new_start = at(weekday_ahead(), 16)
    path = f"/api/v1/bookings/{world['reference']}/reschedule"
    api = app.test_client()
    response = api.post(path, json={"start": iso(new_start)}, headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["start"] == iso(new_start)
    assert response.get_json()["reference"] == world["reference"]
    assert_problem(api.post(path, json={"start": iso(new_start)}, headers=bearer(token)), 409,
                   "slot-unavailable")
    assert_problem(api.post(path, json={}, headers=bearer(token)), 422, "invalid-input",
                   "start")


def test_an_idempotency_key_replays_the_same_booking(app, world):
    """A client that lost the answer sends the same request again: it gets the first answer,
    and there is still one booking."""
    token = token_for(app, world["host"])
    start = at(weekday_ahead(), 15)
    headers = {**bearer(token), "Idempotency-Key": "order-4711"}
    api = app.test_client()
    first = api.post("/api/v1/bookings", json=new_booking(start), headers=headers)
    second = api.post("/api/v1/bookings", json=new_booking(start), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["Location"] == first.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 2  # the world's and this
    other = api.post("/api/v1/bookings", json=new_booking(at(weekday_ahead(), 16)),
                     headers=headers)
    assert_problem(other, 422, "idempotency-key-reused", "Idempotency-Key")
    # Another user's identical key is theirs alone.
    admin_headers = {**bearer(token_for(app, world["admin"])), "Idempotency-Key": "order-4711"}
    assert_problem(api.post("/api/v1/bookings", json=new_booking(start),
                            headers=admin_headers), 409, "slot-unavailable")


def test_an_idempotency_key_is_forgotten_after_24_hours(app, world):
    token = token_for(app, world["host"])
    headers = {**bearer(token), "Idempotency-Key": "k1"}
    api = app.test_client()
    start = at(weekday_ahead(), 15)
    assert api.post("/api/v1/bookings", json=new_booking(start), headers=headers
                    ).status_code == 201
    with app.app_context():
        row = db.session.scalar(select(IdempotentRequest))
        row.created_at -= timedelta(hours=24, minutes=1)
        db.session.commit()
    again = api.post("/api/v1/bookings", json=new_booking(start), headers=headers)
    assert_problem(again, 409, "slot-unavailable")  # really tried again: the slot is taken
    assert "Idempotent-Replayed" not in again.headers


@pytest.fixture
def pool_for_every_thread(app_config):
    """RACERS requests at once hold as many database connections (request before ``app``)."""
    app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "pool_size": 25}


def test_twenty_api_clients_racing_for_one_slot_get_one_booking(pool_for_every_thread, app,
                                                                world):
    """The API goes through the booking page's own transaction: one 201, nineteen 409
    problems, one booking in the database."""
    tokens = [token_for(app, world["host"]) for _ in range(RACERS)]
    start = at(weekday_ahead(), 15)
    server = BackgroundServer(app).start()

    def open_session(i: int):
        session = requests.Session()
        session.headers.update(bearer(tokens[i]))
        return session

    def confirm(i: int, session):
        try:
            return session.post(f"{server.url}/api/v1/bookings", timeout=TIMEOUT,
                                json=new_booking(start, email=f"racer{i}@example.com"))
        finally:
            session.close()

    try:
        responses = race(RACERS, open_session, confirm)
    finally:
        server.stop()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (RACERS - 1), statuses
    for response in responses:
        if response.status_code == 409:
            assert response.headers["Content-Type"] == PROBLEM
            assert response.json()["type"] == "urn:timetics:problem:slot-unavailable"
    assert seats_at(app, start) == (1, 1)


@pytest.fixture
def limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True


def test_api_writes_are_rate_limited_like_the_booking_page(limited, app, world):
    """20 bookings a minute, as the public booking form; the 21st is a 429 problem."""
    token = token_for(app, world["host"])
    api = app.test_client()
    statuses = [api.post("/api/v1/bookings", json=new_booking(at(weekday_ahead(), 3),
                                                              email=f"g{n}@example.com"),
                         headers=bearer(token)).status_code for n in range(20)]
    assert statuses == [409] * 20
    assert_problem(api.post("/api/v1/bookings", json=new_booking(at(weekday_ahead(), 3)),
                            headers=bearer(token)), 429, "rate-limited")


def test_api_reads_are_rate_limited_like_the_slots_json(limited, app, world):
    token = token_for(app, world["host"])
    api = app.test_client()
    statuses = {api.get("/api/v1/meeting-types", headers=bearer(token)).status_code
                for _ in range(120)}
    assert statuses == {200}
    assert_problem(api.get("/api/v1/meeting-types", headers=bearer(token)), 429, "rate-limited")


def test_one_idempotency_key_sent_by_ten_clients_at_once_books_once(pool_for_every_thread, app,
                                                                    world):
    """A client retrying in a hurry: one request does the booking; each other one gets its
    answer replayed, or is told the first is still running; never a second booking."""
    token = token_for(app, world["host"])
    start = at(weekday_ahead(), 15)
    server = BackgroundServer(app).start()
    headers = {**bearer(token), "Idempotency-Key": "same-order"}

    def send(i: int, session: requests.Session):
        try:
            return session.post(f"{server.url}/api/v1/bookings", json=new_booking(start),
                                headers=headers, timeout=TIMEOUT)
        finally:
            session.close()

    try:
        responses = race(10, lambda i: requests.Session(), send)
    finally:
        server.stop()
    created = [r for r in responses if r.status_code == 201]
    assert created and len({r.json()["reference"] for r in created}) == 1
    for response in responses:
        if response.status_code != 201:
            assert response.status_code == 409, response.text
            assert response.json()["type"] == "urn:timetics:problem:idempotency-conflict"
    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 2  # the world's and one

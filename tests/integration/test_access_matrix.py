"""Who may do what: every route of the app × {anonymous, staff A, staff B, admin} × its methods.

The table is checked against the app's URL map, so a new route without an entry fails here
until someone decides who may use it.
"""
import re

import pytest

from timetics.extensions import db
from timetics.models import Booking, BookingQuestion, MeetingType, QuestionKind, Role

from ..booking_helpers import at, book, create_booking_setup, manage_path, weekday_ahead
from ..conftest import PASSWORD, login

ROLES = ("anonymous", "staff_a", "staff_b", "admin")
LOGIN = 302  # sent to the login page

# endpoint: {method: status for each role in ROLES order}; staff A owns what the URL names.
EXPECTED = {
    "static": {"GET": (200, 200, 200, 200)},
    "auth.login": {"GET": (200, 302, 302, 302), "POST": (401, 302, 302, 302)},
    "auth.logout": {"POST": (LOGIN, 302, 302, 302)},
    "auth.forgot_password": {"GET": (200,) * 4, "POST": (422,) * 4},
    "auth.set_password": {"GET": (410,) * 4, "POST": (410,) * 4},
    "auth.setup": {"GET": (404,) * 4, "POST": (404,) * 4},  # an admin exists: the link is spent
    "dashboard.home": {"GET": (302,) * 4},
    "dashboard.healthz": {"GET": (200,) * 4},
    "dashboard.index": {"GET": (LOGIN, 200, 200, 200)},
    "dashboard.bookings_csv": {"GET": (LOGIN, 200, 200, 200)},  # staff B's is empty
    "dashboard.booking_detail": {"GET": (LOGIN, 200, 404, 200)},
    "dashboard.confirm_cancel": {"GET": (LOGIN, 200, 404, 200)},
    # GET: the confirmation page (by reference); POST: cancel
    "dashboard.cancel_booking": {"GET": (LOGIN, 302, 404, 302), "POST": (LOGIN, 302, 404, 302)},
    "dashboard.retry_booking": {"POST": (LOGIN, 302, 404, 302)},
    # POST without a chosen time: "Pick a new time first."
    "dashboard.reschedule_booking": {"GET": (LOGIN, 200, 404, 200),
                                     "POST": (LOGIN, 422, 404, 422)},
    "dashboard.ask_for_new_time": {"POST": (LOGIN, 302, 404, 302)},
    # nothing to do for this booking (its meeting is in step with Zoom): back to it
    "dashboard.make_new_meeting": {"POST": (LOGIN, 302, 404, 302)},
    "dashboard.move_back": {"POST": (LOGIN, 302, 404, 302)},
    "dashboard.retry_job": {"POST": (LOGIN, 404, 404, 404)},  # the world has no job
    # the world's booking is no request: back to it, saying so (test_approval.py answers one)
    "dashboard.accept_request": {"POST": (LOGIN, 302, 404, 302)},
    "dashboard.decline_request": {"GET": (LOGIN, 302, 404, 302), "POST": (LOGIN, 302, 404, 302)},
    "settings.index": {"GET": (LOGIN, 302, 302, 302)},
    # everyone's own Zoom card; the app's keys are the admin's
    "settings.zoom": {"GET": (LOGIN, 200, 200, 200), "POST": (LOGIN, 403, 403, 422)},
    # an empty list is a valid one: nobody may frame the booking pages
    "settings.embedding_settings": {"GET": (LOGIN, 403, 403, 200),
                                    "POST": (LOGIN, 403, 403, 302)},
    # admin only; a POST without an address: "Enter the guest's email address."
    "settings.guest_data": {"GET": (LOGIN, 403, 403, 200), "POST": (LOGIN, 403, 403, 422)},
    "staff.index": {"GET": (LOGIN, 403, 403, 200)},
    "staff.new": {"GET": (LOGIN, 403, 403, 200), "POST": (LOGIN, 403, 403, 422)},
    # a POST without fields keeps the stored values (WTForms fills them from the object)
    "staff.profile": {"GET": (LOGIN, 200, 403, 200), "POST": (LOGIN, 302, 403, 302)},
    "staff.resend_invitation": {"POST": (LOGIN, 403, 403, 302)},
    "staff.availability": {"GET": (LOGIN, 200, 403, 200), "POST": (LOGIN, 302, 403, 302)},
    "staff.add_override": {"POST": (LOGIN, 422, 403, 422)},
    "staff.delete_override": {"POST": (LOGIN, 302, 403, 302)},
    "staff.integrations": {"GET": (LOGIN, 200, 403, 200)},
    "meeting_types.index": {"GET": (LOGIN, 403, 403, 200)},
    "meeting_types.new": {"GET": (LOGIN, 403, 403, 200), "POST": (LOGIN, 403, 403, 422)},
    "meeting_types.edit": {"GET": (LOGIN, 403, 403, 200), "POST": (LOGIN, 403, 403, 422)},
    "meeting_types.toggle_active": {"POST": (LOGIN, 403, 403, 302)},
    # an empty question: "Write the question."; a move without a direction: 400; an edit
    # without fields keeps the stored values
    "meeting_types.add_question": {"POST": (LOGIN, 403, 403, 422)},
    "meeting_types.edit_question": {"GET": (LOGIN, 403, 403, 200),
                                    "POST": (LOGIN, 403, 403, 302)},
    "meeting_types.move_question": {"POST": (LOGIN, 403, 403, 400)},
    "meeting_types.remove_question": {"POST": (LOGIN, 403, 403, 302)},
    "booking.book": {"GET": (200,) * 4, "POST": (422,) * 4},
    "booking.slots_json": {"GET": (200,) * 4},
    "booking.manage": {"GET": (200,) * 4},
    "booking.calendar_file": {"GET": (200,) * 4},
    "booking.cancel": {"GET": (200,) * 4, "POST": (302,) * 4},
    "booking.reschedule": {"GET": (200,) * 4, "POST": (422,) * 4},
    "integrations.connect": {"POST": (LOGIN, 302, 403, 302)},
    "integrations.disconnect": {"POST": (LOGIN, 302, 403, 302)},
    "integrations.check": {"POST": (LOGIN, 302, 403, 302)},  # nothing connected: back
    "integrations.callback": {"GET": (LOGIN, 400, 400, 400)},
    "webhooks.zoom_event": {"POST": (401,) * 4},
    # staff only their own calendars, admins anyone's; the world has no calendar account
    "calendars.index": {"GET": (LOGIN, 200, 403, 200)},
    "calendars.add_caldav": {"POST": (LOGIN, 422, 403, 422)},
    "calendars.add_feed": {"POST": (LOGIN, 422, 403, 422)},
    "calendars.save_choices": {"POST": (LOGIN, 302, 403, 302)},
    "calendars.sync_now": {"POST": (LOGIN, 404, 403, 404)},
    "calendars.remove": {"POST": (LOGIN, 404, 403, 404)},
    # Outgoing webhooks are the admin's (endpoint 999 does not exist)
    "settings.webhooks": {"GET": (LOGIN, 403, 403, 200), "POST": (LOGIN, 403, 403, 422)},
    "settings.test_webhook": {"POST": (LOGIN, 403, 403, 404)},
    "settings.toggle_webhook": {"POST": (LOGIN, 403, 403, 404)},
    "settings.delete_webhook": {"POST": (LOGIN, 403, 403, 404)},
    # API tokens are made and revoked by their owner only (token 999 does not exist)
    "staff.create_api_token": {"POST": (LOGIN, 422, 403, 403)},
    "staff.revoke_api_token": {"POST": (LOGIN, 404, 403, 403)},
    # The API takes a Bearer token, never the session cookie: 401 for every browser.
    "api.list_meeting_types": {"GET": (401,) * 4},
    "api.meeting_type_slots": {"GET": (401,) * 4},
    "api.list_bookings": {"GET": (401,) * 4},
    "api.get_booking": {"GET": (401,) * 4},
    "api.create_booking": {"POST": (401,) * 4},
    "api.cancel_booking": {"POST": (401,) * 4},
    "api.reschedule_booking": {"POST": (401,) * 4},
    "api.openapi_document": {"GET": (200,) * 4},
}
# Token-authenticated (or signed) requests carry no CSRF token.
CSRF_EXEMPT = {"webhooks.zoom_event", "api.create_booking", "api.cancel_booking",
               "api.reschedule_booking"}
# POST-only endpoints whose URL answers GET through another endpoint.
GET_ELSEWHERE = {"api.create_booking"}  # GET /api/v1/bookings is api.list_bookings


@pytest.fixture
def world(app, make_user, admin):
    """Staff A hosts a meeting type with one booking; staff B exists; a guest holds a link."""
    setup = create_booking_setup(app, make_user)  # the host is staff A
    make_user(Role.STAFF, email="b@example.com")  # staff B, who owns nothing here
    guest = app.test_client()
    path = manage_path(book(guest, "intro-call", at(weekday_ahead(), 10)))
    reference, token = path.split("/bookings/")[1].split("?token=")
    with app.app_context():
        booking_id = db.session.scalar(db.select(Booking.id))
        type_id = db.session.scalar(db.select(MeetingType.id))
        question = BookingQuestion(meeting_type_id=type_id, label="Company",
                                   kind=QuestionKind.SHORT_TEXT)
        db.session.add(question)
        db.session.commit()
        question_id = question.id
    values = {"user_id": setup.host_id, "type_id": type_id, "booking_id": booking_id,
              "question_id": question_id,
              "slug": "intro-call", "reference": reference, "token": "not-a-real-token",
              "day": "2030-01-01", "filename": "css/app.css", "job_id": 999, "token_id": 999,
              "account_id": 999, "endpoint_id": 999}
    return {"values": values, "token": token, "emails": {
        "staff_a": setup.host_email, "staff_b": "b@example.com", "admin": admin.email}}


def url_for_rule(rule, world) -> str:
    url = rule.rule
    for name in rule.arguments:
        url = url.replace(f"<{name}>", str(world["values"][name]))
        url = re.sub(rf"<[a-z]+:{name}>", str(world["values"][name]), url)
    if rule.endpoint in ("booking.manage", "booking.calendar_file", "booking.cancel",
                         "booking.reschedule"):
        url += f"?token={world['token']}"
    return url


# POSTs that end what later requests need (the session, the booking) go last.
# Asking for a new time replaces the guest's link, so it comes after the guest's own POSTs.
LAST = ("dashboard.cancel_booking", "booking.cancel", "dashboard.ask_for_new_time",
        "auth.logout")


def rules(app):
    return sorted(app.url_map.iter_rules(),
                  key=lambda r: (LAST.index(r.endpoint) if r.endpoint in LAST else -1,
                                 r.endpoint))


def test_every_route_has_an_entry_in_the_table(app):
    missing = {r.endpoint for r in rules(app)} - set(EXPECTED)
    assert not missing, f"decide who may use these routes: {sorted(missing)}"
    for rule in rules(app):
        methods = rule.methods - {"HEAD", "OPTIONS"}
        assert methods == set(EXPECTED[rule.endpoint]), rule.endpoint


def csrf_for(client) -> str:
    html = client.get("/password/forgot").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, client, world, role):
    if role != "anonymous":
        login(client, world["emails"][role], PASSWORD)
    index = ROLES.index(role)
    seen = {}
    for method in ("GET", "POST"):  # GETs first: some POSTs change what later pages show
        for rule in rules(app):
            if method not in rule.methods:
                if method == "GET":
                    seen[(rule.endpoint, "GET")] = client.get(url_for_rule(rule, world)
                                                              ).status_code
                continue
            url = url_for_rule(rule, world)
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": csrf_for(client)})
            seen[(rule.endpoint, method)] = response.status_code
            response.close()
    wrong = {}
    for endpoint, methods in EXPECTED.items():
        for method, statuses in methods.items():
            if seen.get((endpoint, method)) != statuses[index]:
                wrong[f"{method} {endpoint}"] = (seen.get((endpoint, method)), statuses[index])
        if "GET" not in methods and endpoint not in GET_ELSEWHERE \
                and seen.get((endpoint, "GET")) != 405:
            wrong[f"GET {endpoint} (POST only)"] = (seen.get((endpoint, "GET")), 405)
    assert not wrong, f"(got, expected) for {role}: {wrong}"


def test_every_state_changing_route_refuses_a_post_without_csrf_token(app, client, world):
    login(client, world["emails"]["admin"], PASSWORD)
    for rule in rules(app):
        if "POST" not in rule.methods or rule.endpoint in CSRF_EXEMPT:
            continue
        response = client.post(url_for_rule(rule, world), data={"anything": "x"})
        assert response.status_code == 400, rule.endpoint
        assert "This form has expired" in response.get_data(as_text=True), rule.endpoint

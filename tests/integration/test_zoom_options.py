"""A meeting type's Zoom options reach every meeting, and bookings show what Zoom applied."""
import pytest

from timetics.extensions import db
from timetics.models import Booking, MeetingType, Role
from zoom_sandbox import schema

from ..booking_helpers import at, book, manage_path, session_csrf, weekday_ahead
from ..conftest import login, post_form
from ..smtp import html_of, text_of
from .test_meeting_types import values

WAITING_ROOM_NOTE = "The host will let you in from the waiting room."


@pytest.fixture
def host(make_user):
    return make_user(Role.STAFF, name="Hana Host")


def zoom_values(host, **overrides):
    """The meeting type form as a browser posts it, with the Zoom fieldset."""
    data = values(host, zoom_options_sent="1", zoom_passcode="y",
                  zoom_join_before_minutes="off", zoom_auto_recording="none",
                  zoom_alternative_hosts="")
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def set_options(app, slug="intro-call", **columns):
    with app.app_context():
        meeting_type = db.session.scalar(db.select(MeetingType).filter_by(slug=slug))
        for name, value in columns.items():
            setattr(meeting_type, name, value)
        db.session.commit()


def the_booking(app) -> Booking:
    with app.app_context():
        booking = db.session.scalar(db.select(Booking).order_by(Booking.id))
        db.session.expunge(booking)
        return booking


def schema_valid(operation, body) -> bool:
    if "password" in body:  # the request log blanks passcodes out
        body = {**body, "password": "abc123"}
    return schema.body_errors(operation, body) == []


def book_and_reschedule(zoom_site, client) -> tuple[dict, dict]:
    """Book, then move the booking: the create and update bodies the sandbox received."""
    day = weekday_ahead()
    path = manage_path(book(client, "intro-call", at(day, 10)))
    reference, token = path.split("/bookings/")[1].split("?token=")
    response = client.post(f"/bookings/{reference}/reschedule?token={token}",
                           data={"csrf_token": session_csrf(client),
                                 "start": at(day, 15).strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert response.status_code == 302
    sent = zoom_site.zoom_requests()
    [create] = [r for r in sent if r["method"] == "POST" and r["path"].endswith("/meetings")]
    [update] = [r for r in sent if r["method"] == "PATCH"]
    assert (create["status"], update["status"]) == (201, 204)
    assert schema_valid(schema.CREATE_MEETING, create["body"])
    assert schema_valid(schema.UPDATE_MEETING, update["body"])
    return create["body"], update["body"]


# --- the form ------------------------------------------------------------------------------------

def test_the_form_explains_zooms_rule_and_that_edits_change_future_meetings(as_admin):
    html = as_admin.get("/meeting-types/new").get_data(as_text=True)
    for label in ("Waiting room", "Require a passcode", "Join before host",
                  "Mute guests on entry", "Automatic recording", "Alternative hosts"):
        assert f">{label}</label>" in html
    for choice in ("Off", "Any time", "5 minutes before", "10 minutes before",
                   "15 minutes before", "Local", "Cloud"):
        assert f">{choice}</option>" in html
    assert "Zoom requires a passcode or a waiting room" in html
    assert "Editing a meeting type's options changes future meetings" in html


def test_neither_passcode_nor_waiting_room_is_refused_with_the_reason(app, as_admin, host):
    response = post_form(as_admin, "/meeting-types/new", zoom_values(host, zoom_passcode=None))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Zoom requires a passcode or a waiting room for every meeting" in html
    assert "Zoom would turn the waiting room on by itself" in html
    with app.app_context():
        assert db.session.scalar(db.select(MeetingType)) is None


def test_a_waiting_room_with_join_before_host_is_refused(as_admin, host):
    response = post_form(as_admin, "/meeting-types/new",
                         zoom_values(host, zoom_waiting_room="y", zoom_join_before_minutes="5"))
    assert response.status_code == 422
    assert "Zoom does not let guests join before the host" in response.get_data(as_text=True)


def test_without_zoom_the_options_are_not_checked(as_admin, host):
    response = post_form(as_admin, "/meeting-types/new",
                         zoom_values(host, location="none", zoom_passcode=None))
    assert response.status_code == 302


def test_the_options_are_saved_and_shown_again(app, as_admin, host):
    response = post_form(as_admin, "/meeting-types/new", zoom_values(
        host, zoom_waiting_room="y", zoom_passcode=None, zoom_mute_on_entry="y",
        zoom_auto_recording="cloud",
        zoom_alternative_hosts="Ann@Example.com; bob@example.com"))
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalar(db.select(MeetingType))
        assert (saved.zoom_waiting_room, saved.zoom_passcode, saved.zoom_mute_on_entry,
                saved.zoom_auto_recording, saved.zoom_join_before_minutes) == \
            (True, False, True, "cloud", None)
        assert saved.zoom_alternative_hosts == "ann@example.com;bob@example.com"
        type_id = saved.id
    html = as_admin.get(f"/meeting-types/{type_id}").get_data(as_text=True)
    assert 'value="ann@example.com, bob@example.com"' in html
    assert '<option selected value="cloud">Cloud</option>' in html


def test_a_bad_alternative_host_is_refused(as_admin, host):
    response = post_form(as_admin, "/meeting-types/new",
                         zoom_values(host, zoom_alternative_hosts="ann@example.com, not-an-email"))
    assert response.status_code == 422
    assert "Check the alternative hosts" in response.get_data(as_text=True)


def test_a_post_without_the_zoom_fieldset_keeps_the_options(app, as_admin, host):
    """A client that predates the options (no fieldset marker) does not switch them off."""
    assert post_form(as_admin, "/meeting-types/new", zoom_values(
        host, zoom_waiting_room="y", zoom_passcode=None)).status_code == 302
    with app.app_context():
        type_id = db.session.scalar(db.select(MeetingType.id))
    assert post_form(as_admin, f"/meeting-types/{type_id}",
                     values(host, name="Renamed")).status_code == 302
    with app.app_context():
        saved = db.session.get(MeetingType, type_id)
        assert (saved.name, saved.zoom_waiting_room, saved.zoom_passcode) == \
            ("Renamed", True, False)


# --- what Zoom receives --------------------------------------------------------------------------

@pytest.mark.parametrize(("columns", "expected"), [
    ({"zoom_waiting_room": True}, {"waiting_room": True}),
    ({"zoom_waiting_room": False}, {"waiting_room": False}),
    ({"zoom_join_before_minutes": 0}, {"join_before_host": True, "jbh_time": 0}),
    ({"zoom_join_before_minutes": 15}, {"join_before_host": True, "jbh_time": 15}),
    ({"zoom_join_before_minutes": None}, {"join_before_host": False}),
    ({"zoom_mute_on_entry": True}, {"mute_upon_entry": True}),
    ({"zoom_auto_recording": "local"}, {"auto_recording": "local"}),
    ({"zoom_auto_recording": "cloud"}, {"auto_recording": "cloud"}),
    ({"zoom_auto_recording": "none"}, {"auto_recording": "none"}),
    ({"zoom_alternative_hosts": "ann@example.com;bob@example.com"},
     {"alternative_hosts": "ann@example.com;bob@example.com"}),
])
def test_each_option_goes_out_with_the_create_and_the_update(zoom_site, connected_host, client,
                                                             columns, expected):
    set_options(zoom_site.app, **columns)
    for body in book_and_reschedule(zoom_site, client):
        assert expected.items() <= body["settings"].items()
        if "jbh_time" not in expected:
            assert "jbh_time" not in body["settings"]


def test_require_a_passcode_asks_zoom_for_one_and_keeps_it_on_update(zoom_site, connected_host,
                                                                     client):
    create, update = book_and_reschedule(zoom_site, client)
    assert create["default_password"] is True and "password" not in create
    # PATCH has no default_password: the update sends the meeting's own passcode back.
    assert update["password"] == "[redacted]"
    booking = the_booking(zoom_site.app)
    [meeting] = zoom_site.zoom_meetings()
    assert booking.zoom_passcode == meeting["password"] and meeting["password"]


def test_no_passcode_asks_zoom_for_none(zoom_site, connected_host, client):
    set_options(zoom_site.app, zoom_passcode=False, zoom_waiting_room=True)
    create, update = book_and_reschedule(zoom_site, client)
    assert create["default_password"] is False and "password" not in create
    assert "password" not in update and "default_password" not in update
    booking = the_booking(zoom_site.app)
    assert booking.zoom_passcode is None and booking.zoom_waiting_room is True


# --- what Zoom applied ---------------------------------------------------------------------------

def test_a_waiting_room_zoom_turned_on_by_itself_is_shown_and_emailed(zoom_site, connected_host,
                                                                       client, mailbox):
    """Options stored before the form refused them: Zoom's rule wins, and guests are told."""
    set_options(zoom_site.app, zoom_passcode=False, zoom_waiting_room=False)
    path = manage_path(book(client, "intro-call", at(weekday_ahead(), 10)))
    [create] = [r for r in zoom_site.zoom_requests() if r["method"] == "POST"
                and r["path"].endswith("/meetings")]
    assert create["body"]["settings"]["waiting_room"] is False
    booking = the_booking(zoom_site.app)
    assert booking.zoom_waiting_room is True and booking.zoom_passcode is None
    assert WAITING_ROOM_NOTE in client.get(path).get_data(as_text=True)
    mailbox.wait_for(2)
    [message] = mailbox.to("gina@example.com")
    assert WAITING_ROOM_NOTE in text_of(message)
    assert WAITING_ROOM_NOTE in html_of(message)
    assert "Passcode" not in text_of(message)


def test_join_before_host_and_the_passcode_are_shown_and_emailed(zoom_site, connected_host,
                                                                  client, mailbox):
    set_options(zoom_site.app, zoom_join_before_minutes=10)
    path = manage_path(book(client, "intro-call", at(weekday_ahead(), 10)))
    booking = the_booking(zoom_site.app)
    assert (booking.zoom_join_before_host, booking.zoom_jbh_time,
            booking.zoom_waiting_room) == (True, 10, False)
    page = client.get(path).get_data(as_text=True)
    assert "You can join up to 10 minutes early." in page
    assert booking.zoom_passcode in page and WAITING_ROOM_NOTE not in page
    mailbox.wait_for(2)
    for address in ("gina@example.com", "host@example.com"):
        [message] = mailbox.to(address)
        for part in (text_of(message), html_of(message)):
            assert "You can join up to 10 minutes early." in part
            assert f"Passcode: {booking.zoom_passcode}" in part


def test_the_staff_detail_page_shows_what_zoom_applied(zoom_site, connected_host, client):
    set_options(zoom_site.app, zoom_passcode=False, zoom_waiting_room=False)
    book(client, "intro-call", at(weekday_ahead(), 10))
    booking = the_booking(zoom_site.app)
    staff = zoom_site.app.test_client()
    login(staff, "host@example.com")
    html = staff.get(f"/dashboard/bookings/{booking.reference}").get_data(as_text=True)
    assert "<dt>Waiting room</dt><dd>On</dd>" in html
    assert "<dt>Passcode</dt><dd>None</dd>" in html
    assert "<dt>Join before host</dt><dd>Off</dd>" in html


def test_a_reschedule_stores_what_zoom_applied_after_the_update(zoom_site, connected_host,
                                                                client):
    """The options changed since the booking: the PATCH carries them, and the booking shows
    what the meeting has now (read back with GET, as PATCH answers with no body)."""
    day = weekday_ahead()
    path = manage_path(book(client, "intro-call", at(day, 10)))
    assert the_booking(zoom_site.app).zoom_waiting_room is False
    set_options(zoom_site.app, zoom_waiting_room=True)
    reference, token = path.split("/bookings/")[1].split("?token=")
    client.post(f"/bookings/{reference}/reschedule?token={token}",
                data={"csrf_token": session_csrf(client),
                      "start": at(day, 15).strftime("%Y-%m-%dT%H:%M:%SZ")})
    [patch] = [r for r in zoom_site.zoom_requests() if r["method"] == "PATCH"]
    assert patch["body"]["settings"]["waiting_room"] is True
    assert the_booking(zoom_site.app).zoom_waiting_room is True
    assert WAITING_ROOM_NOTE in client.get(path).get_data(as_text=True)

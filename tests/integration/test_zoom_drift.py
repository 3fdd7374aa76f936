"""In step with Zoom: a host who deletes or moves a Timetics meeting inside Zoom is told on the
dashboard, fixes it with one button, and the guests' booked time never changes by itself."""
import hashlib
import hmac
import json
import re
import time
from datetime import timedelta

import pytest
import requests

from timetics.extensions import db
from timetics.models import Booking, Job, ZoomConnection, ZoomState
from timetics.webhooks.services import zoom_start_time

from ..booking_helpers import at, iso, weekday_ahead
from ..conftest import PASSWORD
from ..live import SECRET_TOKEN, Browser
from ..smtp import html_of, text_of
from .test_faults import guest_books, meetings_for, open_jobs, run_jobs, the_booking
from .test_needs_attention import needs_attention


def signed_post(site, event: dict, *, secret: str = SECRET_TOKEN, body: bytes | None = None):
    """POST a Zoom event to the live site, signed as Zoom signs it; the response."""
    body = body if body is not None else json.dumps(event).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body,
                      hashlib.sha256).hexdigest()
    return requests.post(site.url + "/webhooks/zoom", data=body, timeout=10, headers={
        "Content-Type": "application/json", "x-zm-request-timestamp": timestamp,
        "x-zm-signature": f"v0={digest}"})


def moved_event(meeting_id, start: str, *, event_ts: int | None = None,
                account_id: str = "sandbox-account") -> dict:
    return {"event": "meeting.updated", "event_ts": event_ts or int(time.time() * 1000),
            "payload": {"account_id": account_id, "operator_id": "zoomuser-alex",
                        "object": {"id": int(meeting_id), "start_time": start},
                        "old_object": {"id": int(meeting_id), "start_time": "x"},
                        "time_stamp": int(time.time() * 1000)}}


def deleted_event(meeting_id, *, host_id: str = "zoomuser-alex",
                  event_ts: int | None = None) -> dict:
    return {"event": "meeting.deleted", "event_ts": event_ts or int(time.time() * 1000),
            "payload": {"account_id": "sandbox-account", "object": {
                "id": int(meeting_id), "uuid": "u", "host_id": host_id, "topic": "t",
                "start_time": "2030-01-01T10:00:00Z"}}}


def wait_for(app, condition, timeout: float = 5) -> Booking:
    """The booking once ``condition(booking)`` holds (events arrive in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        booking = the_booking(app)
        if condition(booking) or time.monotonic() > deadline:
            assert condition(booking), booking
            return booking
        time.sleep(0.05)


def button_form(html: str, label: str) -> tuple[str, str]:
    """The action of the form whose real <button> says ``label``, and its CSRF token."""
    for form in re.findall(r"<form\b.*?</form>", html, re.S):
        if re.search(rf"<button\b[^>]*>{re.escape(label)}</button>", form):
            action = re.search(r'action="([^"]+)"', form).group(1)
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
            return action, token
    raise AssertionError(f"no <button> {label!r} in the page")


@pytest.fixture
def booked(zoom_site, connected_host, mailbox):
    """A guest booked a Zoom meeting type; its meeting exists at the sandbox."""
    guest_books(zoom_site, at(weekday_ahead(), 10))
    mailbox.wait_for(2)  # the confirmations, with the first link
    booking = the_booking(zoom_site.app)
    assert booking.zoom_state == ZoomState.CREATED
    return booking


def test_a_meeting_deleted_in_zoom_needs_attention_and_a_new_meeting_mails_its_link(
        zoom_site, booked, admin_browser, mailbox):
    old_url = booked.zoom_join_url
    sent = zoom_site.zoom("post", f"/meetings/{booked.zoom_meeting_id}/delete").json()
    assert sent["events_sent"] == 1
    booking = wait_for(zoom_site.app, lambda b: b.zoom_state == ZoomState.DELETED_IN_ZOOM)
    assert booking.zoom_join_url is None  # no page or email hands out the dead link

    dashboard = admin_browser.get("/dashboard").text
    panel = needs_attention(dashboard)
    assert "<strong>Zoom meeting deleted in Zoom</strong>" in panel
    assert f"({booking.reference}): the guests' Zoom link no longer works." in panel
    detail = admin_browser.get(f"/dashboard/bookings/{booking.reference}").text
    assert "Deleted in Zoom" in detail and ">Make a new meeting</button>" in detail
    assert old_url not in detail

    action, token = button_form(dashboard, "Make a new meeting")
    landed = admin_browser.post(action, {"csrf_token": token})
    assert landed.url.endswith(f"/dashboard/bookings/{booking.reference}")
    assert "the guests get its link by email" in landed.text

    booking = the_booking(zoom_site.app)
    [meeting] = meetings_for(zoom_site, booking)
    assert booking.zoom_state == ZoomState.CREATED
    assert booking.zoom_join_url == meeting["join_url"] != old_url
    mailbox.wait_for(4)
    [link_email] = [m for m in mailbox.to("gina@example.com")
                    if m["Subject"].startswith("New Zoom link:")]
    assert meeting["join_url"] in text_of(link_email)
    assert "the earlier link no longer works. The time is unchanged." in text_of(link_email)
    assert old_url not in text_of(link_email) and meeting["join_url"] in html_of(link_email)
    assert "Zoom meeting deleted in Zoom" not in admin_browser.get("/dashboard").text


def test_a_meeting_moved_in_zoom_shows_the_drift_and_move_it_back_patches_it(
        zoom_site, booked, admin_browser, mailbox):
    zoom_time = booked.start_at + timedelta(hours=2)
    zoom_site.zoom("post", f"/meetings/{booked.zoom_meeting_id}/update",
                   json={"start_time": iso(zoom_time)})
    booking = wait_for(zoom_site.app, lambda b: b.zoom_start_at is not None)
    assert booking.zoom_start_at == zoom_time
    assert booking.start_at == booked.start_at  # the guest's time never moves by itself

    dashboard = admin_browser.get("/dashboard").text
    panel = needs_attention(dashboard)
    assert "<strong>Zoom has another time</strong>" in panel
    assert "The guests keep their booked time." in panel
    detail = admin_browser.get(f"/dashboard/bookings/{booking.reference}").text
    assert "<dt>Zoom's time</dt>" in detail and "Moved in Zoom" in detail

    zoom_site.zoom("delete", "/requests")
    action, token = button_form(detail, "Move it back")
    landed = admin_browser.post(action, {"csrf_token": token})
    assert "goes back to the booked time" in landed.text
    assert "Moved in Zoom" not in landed.text  # the update ran before the page was shown
    [patch] = [r for r in zoom_site.zoom_requests() if r["method"] == "PATCH"]
    assert patch["path"] == f"/v2/meetings/{booking.zoom_meeting_id}"
    [meeting] = meetings_for(zoom_site, booking)
    assert meeting["start_time"] == iso(booked.start_at)
    booking = the_booking(zoom_site.app)
    assert booking.zoom_start_at is None and not booking.zoom_time_differs
    assert "Zoom has another time" not in admin_browser.get("/dashboard").text
    mailbox.wait_for(2)
    time.sleep(0.2)
    assert len(mailbox.messages) == 2  # the guests were never told of a time they did not book


def test_our_own_time_coming_back_from_zoom_is_no_drift(zoom_site, booked):
    """Zoom sends meeting.updated for our own PATCH too: Zoom having the booking's time is
    being in step."""
    zoom_site.zoom("post", f"/meetings/{booked.zoom_meeting_id}/events",
                   json={"event": "meeting.updated"})
    for _ in range(100):
        deliveries = zoom_site.zoom("get", "/state").json()["events"]
        if deliveries:
            break
        time.sleep(0.05)
    assert deliveries[0]["status"] == 200
    booking = the_booking(zoom_site.app)
    assert booking.zoom_start_at is None and booking.zoom_state == ZoomState.CREATED


def test_a_later_event_with_the_booked_time_ends_the_drift(zoom_site, booked):
    moved = signed_post(zoom_site, moved_event(booked.zoom_meeting_id,
                                               iso(booked.start_at + timedelta(hours=1))))
    assert moved.json() == {"status": "ok", "changed": True}
    back = signed_post(zoom_site, moved_event(booked.zoom_meeting_id, iso(booked.start_at)))
    assert back.json() == {"status": "ok", "changed": True}
    assert the_booking(zoom_site.app).zoom_start_at is None


def test_a_change_of_topic_or_settings_is_no_drift(zoom_site, booked):
    event = moved_event(booked.zoom_meeting_id, "unused")
    event["payload"]["object"] = {"id": int(booked.zoom_meeting_id), "topic": "Renamed",
                                  "settings": {"waiting_room": True}}
    assert signed_post(zoom_site, event).json() == {"status": "ok", "changed": False}
    booking = the_booking(zoom_site.app)
    assert booking.zoom_start_at is None and booking.zoom_synced_at == booked.zoom_synced_at


def test_an_event_older_than_what_we_know_changes_nothing(zoom_site, booked):
    now_ms = int(time.time() * 1000)
    later = iso(booked.start_at + timedelta(hours=1))
    assert signed_post(zoom_site, moved_event(booked.zoom_meeting_id, later,
                                              event_ts=now_ms)).json()["changed"] is True
    stale = moved_event(booked.zoom_meeting_id, iso(booked.start_at), event_ts=now_ms - 5000)
    assert signed_post(zoom_site, stale).json() == {"status": "ok", "changed": False}
    stale_delete = deleted_event(booked.zoom_meeting_id, event_ts=now_ms - 1)
    assert signed_post(zoom_site, stale_delete).json()["changed"] is False
    booking = the_booking(zoom_site.app)
    assert booking.zoom_start_at == booked.start_at + timedelta(hours=1)
    assert booking.zoom_state == ZoomState.CREATED


def test_a_replayed_event_changes_nothing_twice(zoom_site, booked, admin_browser):
    body = json.dumps(deleted_event(booked.zoom_meeting_id)).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "x-zm-request-timestamp": timestamp,
               "x-zm-signature": "v0=" + hmac.new(SECRET_TOKEN.encode(),
                                                  f"v0:{timestamp}:".encode() + body,
                                                  hashlib.sha256).hexdigest()}
    first = requests.post(zoom_site.url + "/webhooks/zoom", data=body, headers=headers,
                          timeout=10)
    assert first.json() == {"status": "ok", "changed": True}
    # The host makes a new meeting; the same delivery replayed must not mark that one gone.
    dashboard = admin_browser.get("/dashboard").text
    action, token = button_form(dashboard, "Make a new meeting")
    admin_browser.post(action, {"csrf_token": token})
    replay = requests.post(zoom_site.url + "/webhooks/zoom", data=body, headers=headers,
                           timeout=10)
    assert replay.json() == {"status": "duplicate"}
    assert the_booking(zoom_site.app).zoom_state == ZoomState.CREATED
    assert len(open_jobs(zoom_site.app, "zoom_create")) == 0


@pytest.mark.parametrize("event", [
    lambda b: deleted_event(99999999999),
    lambda b: moved_event(12345, "2030-01-01T10:00:00Z"),
    lambda b: deleted_event(b.zoom_meeting_id, host_id="zoomuser-sam"),
    lambda b: moved_event(b.zoom_meeting_id, "2030-01-01T10:00:00Z", account_id="other"),
    lambda b: {"event": "meeting.deleted", "payload": {"object": {"id": [1]}}},
    lambda b: {"event": "meeting.updated", "payload": {"object": "x"}},
    lambda b: moved_event(b.zoom_meeting_id, "not a time"),
], ids=["unknown meeting", "unknown meeting moved", "another host", "another account",
        "id not a number", "object not an object", "unreadable time"])
def test_events_for_meetings_we_did_not_make_are_ignored(zoom_site, booked, event):
    response = signed_post(zoom_site, event(booked))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "changed": False}
    booking = the_booking(zoom_site.app)
    assert booking.zoom_state == ZoomState.CREATED and booking.zoom_start_at is None


def test_a_badly_signed_meeting_event_is_a_401_and_changes_nothing(zoom_site, booked):
    response = signed_post(zoom_site, deleted_event(booked.zoom_meeting_id), secret="wrong")
    assert response.status_code == 401
    assert the_booking(zoom_site.app).zoom_state == ZoomState.CREATED


def test_events_about_a_cancelled_booking_change_nothing(zoom_site, booked, admin_browser):
    """Our own delete comes back from Zoom as meeting.deleted: it is no problem to show."""
    page = f"/dashboard/bookings/{booked.reference}/cancel"
    admin_browser.submit(f"/dashboard/bookings/{booked.id}/cancel", {"message": ""}, page=page)
    assert the_booking(zoom_site.app).zoom_state == ZoomState.DELETED
    response = signed_post(zoom_site, deleted_event(booked.zoom_meeting_id))
    assert response.json() == {"status": "ok", "changed": False}
    assert the_booking(zoom_site.app).zoom_state == ZoomState.DELETED


def test_cancelling_a_booking_whose_meeting_was_deleted_in_zoom_calls_zoom_no_more(
        zoom_site, booked, admin_browser):
    signed_post(zoom_site, deleted_event(booked.zoom_meeting_id))
    zoom_site.zoom("delete", "/requests")
    page = f"/dashboard/bookings/{booked.reference}/cancel"
    admin_browser.submit(f"/dashboard/bookings/{booked.id}/cancel", {"message": ""}, page=page)
    assert the_booking(zoom_site.app).zoom_state == ZoomState.DELETED
    assert zoom_site.zoom_requests() == []
    with zoom_site.app.app_context():
        assert db.session.scalar(db.select(db.func.count(Job.id)).where(
            Job.kind == "zoom_delete")) == 0


def test_the_settings_page_lists_the_events_to_subscribe_to_with_their_scopes(as_admin):
    html = as_admin.get("/settings/integrations/zoom").get_data(as_text=True)
    events = " ".join(re.search(r'<ul class="scopes" id="zoom-events">(.*?)</ul>', html,
                                re.S).group(1).split())
    assert "<code>app_deauthorized</code> — a user removed the app" in events
    assert ("<code>meeting.deleted</code> — a host deleted a Timetics meeting in Zoom: the "
            "dashboard offers Make a new meeting; needs the scope "
            "<code>meeting:read:meeting</code>") in events
    assert ("<code>meeting.updated</code> — a host moved a Timetics meeting in Zoom: the "
            "dashboard shows Zoom&#39;s time and offers Move it back; needs the scope "
            "<code>meeting:read:meeting</code>") in events


def test_move_it_back_that_zoom_refuses_keeps_the_drift_and_retries(zoom_site, booked,
                                                                    admin_browser):
    signed_post(zoom_site, moved_event(booked.zoom_meeting_id,
                                       iso(booked.start_at + timedelta(hours=1))))
    zoom_site.fault(target="update_meeting", mode="error", status=500, count=1)
    action, token = button_form(admin_browser.get("/dashboard").text, "Move it back")
    landed = admin_browser.post(action, {"csrf_token": token})
    assert "Moved in Zoom" in landed.text  # Zoom still has its own time
    panel = needs_attention(admin_browser.get("/dashboard").text)
    assert "<strong>Zoom has another time</strong>" in panel
    assert "Zoom had an internal error; we retry in a moment." in panel

    run_jobs(zoom_site.app)
    assert the_booking(zoom_site.app).zoom_start_at is None
    [meeting] = meetings_for(zoom_site, booked)
    assert meeting["start_time"] == iso(booked.start_at)


def test_a_new_meeting_that_zoom_refuses_waits_as_a_pending_link(zoom_site, booked,
                                                                 admin_browser, mailbox):
    signed_post(zoom_site, deleted_event(booked.zoom_meeting_id))
    zoom_site.fault(target="create_meeting", mode="error", status=503, count=1)
    action, token = button_form(admin_browser.get("/dashboard").text, "Make a new meeting")
    admin_browser.post(action, {"csrf_token": token})
    assert the_booking(zoom_site.app).zoom_state == ZoomState.PENDING
    assert "<strong>Zoom link pending</strong>" in needs_attention(
        admin_browser.get("/dashboard").text)

    run_jobs(zoom_site.app)
    booking = the_booking(zoom_site.app)
    [meeting] = meetings_for(zoom_site, booking)
    assert booking.zoom_state == ZoomState.CREATED and booking.zoom_join_url == meeting["join_url"]
    mailbox.wait_for(4)
    assert any(meeting["join_url"] in text_of(m) for m in mailbox.to("gina@example.com"))


def test_make_a_new_meeting_without_a_zoom_connection_says_to_connect_first(
        zoom_site, booked, admin_browser):
    signed_post(zoom_site, deleted_event(booked.zoom_meeting_id))
    dashboard = admin_browser.get("/dashboard").text
    with zoom_site.app.app_context():
        db.session.execute(db.delete(ZoomConnection))
        db.session.commit()
    action, token = button_form(dashboard, "Make a new meeting")
    landed = admin_browser.post(action, {"csrf_token": token})
    assert "needs no new Zoom meeting: connect Zoom first." not in landed.text
    assert f"Booking {booked.reference} cannot have a new Zoom meeting yet: connect Zoom " \
           "first." in landed.text
    assert the_booking(zoom_site.app).zoom_state == ZoomState.DELETED_IN_ZOOM


@pytest.mark.parametrize(("meeting", "expected"), [
    ({"start_time": "2030-05-01T15:00:00Z"}, "2030-05-01T15:00:00+00:00"),
    ({"start_time": "2030-05-01T11:00:00", "timezone": "America/New_York"},
     "2030-05-01T15:00:00+00:00"),
    ({"start_time": "2030-05-01T15:00:00", "timezone": "Not/AZone"},
     "2030-05-01T15:00:00+00:00"),
    ({"start_time": "2030-05-01T17:00:00+02:00"}, "2030-05-01T15:00:00+00:00"),
    ({"start_time": "next week"}, None),
    ({"start_time": 1893510000}, None),
    ({"topic": "no time"}, None),
], ids=["zoom's UTC format", "local, in the meeting's zone", "unknown zone: UTC",
        "with an offset", "not a time", "a number", "absent"])
def test_zooms_start_time_is_read_in_utc(meeting, expected):
    start = zoom_start_time(meeting)
    assert (start.isoformat() if start else None) == expected


def test_the_host_moves_their_own_meeting_back_and_other_staff_cannot(
        zoom_site, connected_host, booked, make_user):
    signed_post(zoom_site, moved_event(booked.zoom_meeting_id,
                                       iso(booked.start_at + timedelta(hours=1))))
    other = Browser(zoom_site)
    make_user(email="other@example.com")
    other.login("other@example.com", PASSWORD)
    host = Browser(zoom_site)
    host.login(connected_host.host_email, PASSWORD)
    dashboard = host.get("/dashboard").text
    assert "<strong>Zoom has another time</strong>" in needs_attention(dashboard)
    assert "Zoom has another time" not in other.get("/dashboard").text
    action, token = button_form(dashboard, "Move it back")

    refused = other.post(action, {"csrf_token": other.csrf("/dashboard")})
    assert refused.status_code == 404
    assert the_booking(zoom_site.app).zoom_time_differs
    assert host.post(action, {"csrf_token": token}).status_code == 200
    assert not the_booking(zoom_site.app).zoom_time_differs
    other.close()
    host.close()


def test_a_reschedule_never_patches_a_meeting_deleted_in_zoom(zoom_site, booked,
                                                              admin_browser):
    """ZOOM.md's failure story: a reschedule that PATCHed a meeting already deleted."""
    zoom_site.zoom("post", f"/meetings/{booked.zoom_meeting_id}/delete")
    wait_for(zoom_site.app, lambda b: b.zoom_state == ZoomState.DELETED_IN_ZOOM)
    zoom_site.zoom("delete", "/requests")
    new_start = at(weekday_ahead(), 14)
    page = f"/dashboard/bookings/{booked.reference}/reschedule?start={iso(new_start)}"
    moved = admin_browser.submit(f"/dashboard/bookings/{booked.reference}/reschedule",
                                 {"start": iso(new_start)}, page=page)
    assert moved.status_code == 200, moved.text
    assert [r for r in zoom_site.zoom_requests() if r["method"] == "PATCH"] == []
    booking = the_booking(zoom_site.app)
    assert booking.start_at == new_start and booking.zoom_state == ZoomState.DELETED_IN_ZOOM

    action, token = button_form(admin_browser.get("/dashboard").text, "Make a new meeting")
    admin_browser.post(action, {"csrf_token": token})
    [meeting] = meetings_for(zoom_site, the_booking(zoom_site.app))
    assert meeting["start_time"] == iso(new_start)

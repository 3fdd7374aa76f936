"""When a host's Zoom goes away, people are told, and nothing pretends otherwise: Disconnect and
a removal of the app in Zoom each email the host and the admins once and show on the
dashboard; a cancellation whose meeting cannot be deleted says so, and the delete runs once
Zoom is connected again."""
from __future__ import annotations

import time

from timetics.extensions import db
from timetics.models import Booking, Job, ZoomState

from ..booking_helpers import at, book, csrf_of, manage_path, weekday_ahead
from ..smtp import text_of
from .test_zoom_connect import connection_of

GONE = "Zoom was disconnected"


def disconnect(browser, host_id: int):
    return browser.submit(f"/staff/{host_id}/integrations/zoom/disconnect",
                          page=f"/staff/{host_id}/integrations")


def test_disconnect_emails_the_host_and_the_admins_once_and_shows_on_the_dashboard(
        zoom_site, connected_host, admin_browser, admin, mailbox):
    mailbox.clear()
    disconnect(admin_browser, connected_host.host_id)
    messages = [m for m in mailbox.wait_for(2) if m["Subject"] == GONE]
    assert sorted(m["To"] for m in messages) == sorted(["host@example.com", admin.email])
    host_copy = next(m for m in messages if m["To"] == "host@example.com")
    assert f"was disconnected in Timetics by {admin.name}" in text_of(host_copy)
    assert "/settings/integrations/zoom" in text_of(host_copy)
    time.sleep(0.5)  # Zoom's deauthorization webhook for the revoke may arrive: no second email
    assert len([m for m in mailbox.messages if m["Subject"] == GONE]) == 2
    dashboard = admin_browser.get("/dashboard").text
    assert "Zoom not connected</strong> for Hana Host" in dashboard
    assert "Connect Zoom for Hana Host" in dashboard  # the admin's checklist


def test_removing_the_app_in_zoom_emails_the_host_and_the_admins(zoom_site, connected_host,
                                                                admin, mailbox):
    mailbox.clear()
    zoom_site.zoom("post", "/grants/revoke", json={"user_id": "zoomuser-alex"})
    deadline = time.monotonic() + 5
    while connection_of(zoom_site.app, connected_host.host_id) is not None:
        assert time.monotonic() < deadline, "no deauthorization arrived"
        time.sleep(0.05)
    messages = [m for m in mailbox.wait_for(2) if m["Subject"] == GONE]
    assert sorted(m["To"] for m in messages) == sorted(["host@example.com", admin.email])
    assert "removed the Timetics app in Zoom" in text_of(messages[0])


def test_cancel_after_disconnect_tells_the_truth_and_deletes_after_reconnecting(
        zoom_site, connected_host, admin_browser, mailbox):
    guest = zoom_site.app.test_client()
    manage = manage_path(book(guest, "intro-call", at(weekday_ahead(), 10)))
    [meeting] = zoom_site.zoom_meetings()
    disconnect(admin_browser, connected_host.host_id)
    mailbox.clear()

    cancel = manage.replace("?token=", "/cancel?token=")
    guest.post(cancel, data={"csrf_token": csrf_of(guest.get(cancel).get_data(as_text=True))})
    messages = mailbox.wait_for(2)
    guest_copy = next(m for m in messages if m["To"] == "gina@example.com")
    host_copy = next(m for m in messages if m["To"] == "host@example.com")
    assert "cancelled too" not in text_of(guest_copy)
    assert "The Zoom meeting could not be removed yet" in text_of(guest_copy)
    assert "Timetics could not delete the Zoom meeting: your Zoom is not connected" in \
        text_of(host_copy)
    assert [m["id"] for m in zoom_site.zoom_meetings()] == [meeting["id"]]  # still there
    with zoom_site.app.app_context():
        booking = db.session.scalar(db.select(Booking))
        assert booking.zoom_state == ZoomState.DELETE_PENDING
        assert db.session.scalar(db.select(Job.kind).where(Job.done_at.is_(None))) == \
            "zoom_delete"
    dashboard = admin_browser.get("/dashboard").text
    assert f"Reconnect Zoom for booking {booking.reference}" in dashboard
    assert f"Retry now for booking {booking.reference}" not in dashboard

    # Connecting again runs the waiting delete at once: no runner, no backoff.
    assert "Zoom connected as" in admin_browser.connect_zoom(connected_host.host_id).text
    assert zoom_site.zoom_meetings() == []
    with zoom_site.app.app_context():
        assert db.session.scalar(db.select(Booking.zoom_state)) == ZoomState.DELETED


def test_the_meeting_types_list_says_when_the_host_cannot_make_zoom_meetings(
        zoom_site, connected_host, admin_browser):
    listed = admin_browser.get("/meeting-types").text
    assert "Not connected" not in listed and "Reconnect needed" not in listed
    disconnect(admin_browser, connected_host.host_id)
    listed = admin_browser.get("/meeting-types").text
    assert listed.count("Not connected") == 2  # intro-call and group-session, both Zoom

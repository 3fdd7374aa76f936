"""When a host's Zoom goes away, in the browser: the booking page promises no Zoom meeting,
a cancellation says the meeting is not gone yet and the delete runs once Zoom is connected
again, and a removal of the app in Zoom reaches the host, the admin and the dashboard."""
import re
import time

import pytest
from playwright.sync_api import expect

from timetics.models import Location

from ..booking_helpers import at, create_booking_setup, weekday_ahead
from ..smtp import text_of
from .conftest import book_as_guest, log_in, manage_link

pytestmark = pytest.mark.e2e

BERLIN = "Europe/Berlin"


def test_the_booking_page_of_a_host_without_zoom_promises_no_zoom_meeting(zoom_site, make_user,
                                                                          new_page):
    create_booking_setup(zoom_site.app, make_user, location=Location.ZOOM)
    guest = new_page(timezone_id=BERLIN)
    guest.goto("/book/intro-call")
    expect(guest.get_by_text("Hana Host will send joining details")).to_be_visible()
    expect(guest.get_by_text("Zoom meeting", exact=True)).to_have_count(0)


def test_cancel_after_disconnect_tells_the_truth_and_deletes_after_reconnecting(
        zoom_site, connected_host, admin, new_page, mailbox):
    guest = new_page(timezone_id=BERLIN)
    book_as_guest(guest, "intro-call", at(weekday_ahead(), 11), BERLIN,
                  name="Gina Guest", email="gina@example.com")
    [meeting] = zoom_site.zoom_meetings()
    link = manage_link(mailbox.wait_for(2) and mailbox.to("gina@example.com")[0])

    admin_page = new_page()
    log_in(admin_page, admin.email)
    admin_page.get_by_role("link", name="Settings").click()
    admin_page.get_by_role("button", name="Disconnect Hana Host's Zoom account").click()
    expect(admin_page.get_by_role("status")).to_contain_text("is disconnected")
    mailbox.clear()

    guest.goto(link)
    guest.get_by_role("link", name="Cancel booking").click()
    guest.get_by_role("button", name="Cancel booking").click()
    messages = mailbox.wait_for(2)
    guest_copy = next(m for m in messages if m["To"] == "gina@example.com")
    host_copy = next(m for m in messages if m["To"] == "host@example.com")
    assert "The Zoom meeting could not be removed yet" in text_of(guest_copy)
    assert "your Zoom is not connected" in text_of(host_copy)
    assert [m["id"] for m in zoom_site.zoom_meetings()] == [meeting["id"]]

    admin_page.get_by_role("link", name="Dashboard").click()
    problems = admin_page.get_by_role("region", name="Needs attention")
    expect(problems).to_contain_text("Zoom meeting not deleted yet")
    expect(problems.get_by_role("button", name=re.compile("Retry now for booking"))
           ).to_have_count(0)
    problems.get_by_role("link", name=re.compile("Reconnect Zoom for booking")).click()
    admin_page.get_by_role("region", name="Zoom", exact=True).get_by_role(
        "button", name="Connect").click()
    admin_page.get_by_label("Zoom account").select_option(
        label="Alex Rivera (alex.rivera@zoom.example)")
    admin_page.get_by_role("button", name="Allow").click()
    expect(admin_page.get_by_role("status")).to_contain_text("Zoom connected as")
    assert zoom_site.zoom_meetings() == []  # the waiting delete ran at once


def test_removing_the_app_in_zoom_reaches_the_host_the_admin_and_the_dashboard(
        zoom_site, connected_host, admin, new_page, mailbox):
    mailbox.clear()
    zoom_site.zoom("post", "/grants/revoke", json={"user_id": "zoomuser-alex"})
    deadline = time.monotonic() + 5
    while not [m for m in mailbox.messages if m["Subject"] == "Zoom was disconnected"]:
        assert time.monotonic() < deadline, "nobody was told"
        time.sleep(0.05)
    told = [m for m in mailbox.wait_for(2) if m["Subject"] == "Zoom was disconnected"]
    assert sorted(m["To"] for m in told) == sorted(["host@example.com", admin.email])
    admin_page = new_page()
    log_in(admin_page, admin.email)
    problems = admin_page.get_by_role("region", name="Needs attention")
    expect(problems).to_contain_text("Zoom not connected for Hana Host")
    expect(admin_page.get_by_role("link", name="Connect Zoom for Hana Host")).to_be_visible()

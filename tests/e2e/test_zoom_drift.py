"""In step with Zoom, in the browser: the host deletes or moves the meeting on the sandbox's page
(as in Zoom's web portal), and the dashboard's Needs attention puts it right with one button."""
import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from timetics.models import ZoomState

from ..booking_helpers import at, iso, weekday_ahead
from ..integration.test_faults import the_booking
from ..smtp import text_of
from .conftest import book_as_guest, log_in

pytestmark = pytest.mark.e2e

BERLIN = "Europe/Berlin"


def wait_for(app, condition):
    deadline = time.monotonic() + 5
    while not condition(the_booking(app)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return the_booking(app)


@pytest.fixture
def booked(zoom_site, connected_host, new_page, mailbox):
    guest = new_page(timezone_id=BERLIN)
    book_as_guest(guest, "intro-call", at(weekday_ahead(), 11), BERLIN,
                  name="Gina Guest", email="gina@example.com")
    mailbox.wait_for(2)
    return the_booking(zoom_site.app)


def test_deleted_in_zoom_then_make_a_new_meeting(zoom_site, booked, admin, new_page, mailbox):
    portal = new_page()
    portal.goto(zoom_site.zoom_url + "/")
    portal.get_by_role("button", name="Delete in Zoom").click()
    expect(portal.get_by_role("button", name="Delete in Zoom")).to_have_count(0)
    assert wait_for(zoom_site.app, lambda b: b.zoom_state == ZoomState.DELETED_IN_ZOOM
                    ).zoom_state == ZoomState.DELETED_IN_ZOOM

    admin_page = new_page()
    log_in(admin_page, admin.email)
    problems = admin_page.get_by_role("region", name="Needs attention")
    expect(problems).to_contain_text("Zoom meeting deleted in Zoom")
    problems.get_by_role("button", name="Make a new meeting").click()
    expect(admin_page.get_by_role("status")).to_contain_text("the guests get its link by email")

    [meeting] = zoom_site.zoom_meetings()
    mailbox.wait_for(4)
    [email] = [m for m in mailbox.to("gina@example.com")
               if m["Subject"].startswith("New Zoom link:")]
    assert meeting["join_url"] in text_of(email)


def test_moved_in_zoom_then_move_it_back(zoom_site, booked, admin, new_page):
    zoom_time = iso(booked.start_at + timedelta(hours=1))
    portal = new_page()
    portal.goto(zoom_site.zoom_url + "/")
    portal.get_by_label("New start (UTC)").fill(zoom_time)
    portal.get_by_role("button", name="Move in Zoom").click()
    assert wait_for(zoom_site.app, lambda b: b.zoom_time_differs).zoom_time_differs

    admin_page = new_page()
    log_in(admin_page, admin.email)
    problems = admin_page.get_by_role("region", name="Needs attention")
    expect(problems).to_contain_text("Zoom has another time")
    expect(problems).to_contain_text("The guests keep their booked time.")
    problems.get_by_role("button", name=re.compile("^Move it back")).click()
    expect(admin_page.get_by_role("status")).to_contain_text("goes back to the booked time")

    [meeting] = zoom_site.zoom_meetings()
    assert meeting["start_time"] == iso(booked.start_at)
    portal.reload()
    expect(portal.get_by_label("New start (UTC)")).to_have_value(iso(booked.start_at))

"""Requires approval in the browser: the guest's request waits on their page, the host accepts
it from the dashboard's Requests, and the guest's page then shows the confirmed booking with
its Zoom link."""
import re

import pytest
from playwright.sync_api import expect

from timetics.extensions import db
from timetics.models import MeetingType

from ..booking_helpers import at, weekday_ahead
from .conftest import fill_in_details, log_in, pick_slot

pytestmark = pytest.mark.e2e

TOKYO = "Asia/Tokyo"


def test_the_guest_requests_the_host_accepts_and_the_guest_is_booked(
        zoom_site, connected_host, new_page, mailbox):
    with zoom_site.app.app_context():
        db.session.scalar(db.select(MeetingType).filter_by(slug="intro-call")) \
            .requires_approval = True
        db.session.commit()
    start = at(weekday_ahead(), 10)
    guest = new_page(timezone_id=TOKYO)
    guest.goto("/book/intro-call")
    pick_slot(guest, start, TOKYO)
    fill_in_details(guest, "Gina Guest", "gina@example.com", "First visit.")
    expect(guest.get_by_role("heading", level=1)).to_have_text(
        "Your request is waiting for Hana Host’s approval")
    expect(guest.get_by_text("The Zoom link follows by email once Hana Host accepts.")) \
        .to_be_visible()
    assert zoom_site.zoom_meetings() == []

    host = new_page()
    log_in(host, "host@example.com")
    requests = host.get_by_role("region", name="Requests")
    row = requests.get_by_role("row").filter(has_text="Gina Guest")
    expect(row.get_by_role("button", name=re.compile("^Decline request"))).to_be_visible()
    row.get_by_role("button", name=re.compile("^Accept request")).click()
    expect(host.get_by_text(re.compile(r"is accepted; the guest gets the confirmation"))) \
        .to_be_visible()
    [meeting] = zoom_site.zoom_meetings()

    guest.reload()
    expect(guest.get_by_role("heading", level=1)).to_have_text("You are booked, Gina Guest")
    expect(guest.get_by_role("link", name="Join Zoom meeting")).to_have_attribute(
        "href", meeting["join_url"])
    mailbox.wait_for(4)  # the request's two emails, then the two confirmations
    assert "Confirmed: Intro call with Hana Host" in [m["Subject"] for m in mailbox.messages]

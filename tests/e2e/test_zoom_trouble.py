"""When Zoom is down or disconnected, bookings still stand and nobody is left guessing."""
import re

import pytest
from playwright.sync_api import expect

from ..booking_helpers import at, weekday_ahead
from ..smtp import text_of
from .conftest import book_as_guest, log_in, requests_to

pytestmark = pytest.mark.e2e

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"


def test_zoom_down_the_link_follows_by_email(zoom_site, connected_host, admin, new_page,
                                             mailbox):
    """Zoom fails at booking time; the job runner creates the meeting and mails the link."""
    zoom_site.fault(target="api", mode="error", status=503)
    guest = new_page(timezone_id=BERLIN)
    book_as_guest(guest, "intro-call", at(weekday_ahead(), 11), BERLIN,
                  name="Gina Guest", email="gina@example.com")
    reference = re.search(r"/bookings/(\w+)\?", guest.url).group(1)
    expect(guest.get_by_text("Your Zoom link will follow by email.")).to_be_visible()
    expect(guest.get_by_role("link", name="Join Zoom meeting")).to_have_count(0)
    assert zoom_site.zoom_meetings() == []
    assert {r["status"] for r in requests_to(zoom_site, "POST", "/v2/users/me/meetings")} == {503}
    mailbox.wait_for(2)
    for address in ("gina@example.com", "host@example.com"):
        [message] = mailbox.to(address)
        assert "your Zoom link will follow by email" in text_of(message)
    mailbox.clear()

    admin_page = new_page()
    log_in(admin_page, admin.email)
    problems = admin_page.get_by_role("region", name="Needs attention")
    expect(problems).to_contain_text("Zoom link pending")
    expect(problems).to_contain_text(reference)
    expect(problems.get_by_role("button", name=f"Retry now for booking {reference}")
           ).to_be_visible()

    zoom_site.clear_faults()  # Zoom is back; the job runner's next round (cron) does the rest
    result = zoom_site.app.test_cli_runner().invoke(args=["run-jobs", "--once"])
    assert result.exit_code == 0 and result.output.startswith("Ran "), result.output

    [meeting] = zoom_site.zoom_meetings()
    mailbox.wait_for(2)
    for address in ("gina@example.com", "host@example.com"):
        [follow_up] = mailbox.to(address)
        assert follow_up["Subject"].startswith("Zoom link: Intro call")
        assert meeting["join_url"] in text_of(follow_up)
    admin_page.reload()
    expect(admin_page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(admin_page.get_by_role("region", name="Needs attention")).to_have_count(0)
    expect(admin_page.get_by_role("link", name="Join link")).to_have_attribute(
        "href", meeting["join_url"])
    guest.reload()
    expect(guest.get_by_role("link", name="Join Zoom meeting")).to_have_attribute(
        "href", meeting["join_url"])


def test_after_disconnect_new_bookings_have_no_link_and_old_ones_keep_theirs(
        zoom_site, connected_host, new_page, mailbox):
    """The staff member disconnects Zoom: no link for the next booking, the old one stays."""
    day = weekday_ahead()
    first = new_page(timezone_id=NEW_YORK)
    book_as_guest(first, "intro-call", at(day, 10), NEW_YORK,
                  name="Olga Earlier", email="olga@example.com")
    old_link = first.get_by_role("link", name="Join Zoom meeting").get_attribute("href")

    host = new_page()
    log_in(host, connected_host.host_email)
    host.get_by_role("link", name="My profile").click()
    host.get_by_role("link", name="Integrations", exact=True).click()
    card = host.get_by_role("region", name="Zoom", exact=True)
    expect(card).to_contain_text("Connected as alex.rivera@zoom.example")
    card.get_by_role("button", name="Disconnect").click()
    expect(host.get_by_role("status")).to_contain_text(
        "is disconnected and its tokens are deleted")
    expect(card).to_contain_text("Not connected")
    assert [r["status"] for r in requests_to(zoom_site, "POST", "/oauth/revoke")] == [200]

    mailbox.clear()
    second = new_page(timezone_id=NEW_YORK)
    book_as_guest(second, "intro-call", at(day, 11), NEW_YORK,
                  name="Nina Later", email="nina@example.com")
    expect(second.get_by_text("Hana Host will send joining details.")).to_be_visible()
    expect(second.get_by_role("link", name="Join Zoom meeting")).to_have_count(0)
    mailbox.wait_for(2)
    for address in ("nina@example.com", "host@example.com"):
        [message] = mailbox.to(address)
        assert "Zoom" not in text_of(message)

    [meeting] = zoom_site.zoom_meetings()  # the old booking's meeting is still there
    assert meeting["join_url"] == old_link
    assert len(requests_to(zoom_site, "POST", "/v2/users/me/meetings")) == 1
    first.reload()
    expect(first.get_by_role("link", name="Join Zoom meeting")).to_have_attribute(
        "href", old_link)
    host.get_by_role("link", name="Dashboard").click()
    expect(host.get_by_role("link", name="Join link")).to_have_attribute("href", old_link)

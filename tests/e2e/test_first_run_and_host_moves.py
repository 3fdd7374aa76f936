"""In the browser: the first-run setup link makes the first admin; the host moves a booking
(one PATCH, the same Zoom link, emails to the guests) or asks the guest to pick a new time."""
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from ..booking_helpers import at, weekday_ahead
from ..conftest import PASSWORD
from ..smtp import text_of
from .conftest import (
    assert_moved_with_one_patch,
    book_as_guest,
    log_in,
    manage_link,
    pick_slot,
)

pytestmark = pytest.mark.e2e

TOKYO, NEW_YORK = "Asia/Tokyo", "America/New_York"


def shown(start, zone: str) -> str:
    return start.astimezone(ZoneInfo(zone)).strftime("%A %d %B %Y, %H:%M")


def booked_and_opened_by_the_host(zoom_site, new_page, mailbox, start):
    """Gina books ``start`` from Tokyo; the host opens the booking's detail page. Returns the
    Zoom meeting, Gina's confirmation email and the host's page (the mailbox emptied)."""
    book_as_guest(new_page(timezone_id=TOKYO), "intro-call", start, TOKYO, name="Gina Guest",
                  email="gina@example.com")
    [meeting] = zoom_site.zoom_meetings()
    mailbox.wait_for(2)
    [confirmation] = mailbox.to("gina@example.com")
    mailbox.clear()
    page = new_page()
    log_in(page, "host@example.com")
    page.get_by_role("row").filter(has_text="Gina Guest").get_by_role(
        "link", name=re.compile(r"^[A-Z0-9]{10}$")).click()
    return meeting, confirmation, page


def test_the_first_run_setup_link_creates_the_admin_once(zoom_site, new_page):
    """An empty install: the login page says how to start; the printed link's page makes the
    admin and logs them in; the same link is then gone."""
    page = new_page()
    page.goto("/login")
    expect(page.get_by_text("No admin account exists yet")).to_be_visible()
    result = zoom_site.app.test_cli_runner().invoke(args=["setup-link"])
    link = result.output.strip()
    assert link.startswith(zoom_site.url + "/setup?token="), result.output

    page.goto(link)
    page.get_by_label("Name").fill("Ada Admin")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Create admin").click()
    expect(page.get_by_text("Use at least 12 characters.")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create admin").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_text("Your admin account is ready")).to_be_visible()

    assert new_page().goto(link).status == 404
    other = new_page()
    other.goto("/login")
    expect(other.get_by_text("No admin account exists yet")).to_have_count(0)
    log_in(other, "ada@example.com")


def test_the_host_moves_a_booking_with_the_same_zoom_link(zoom_site, connected_host, new_page,
                                                          mailbox):
    day = weekday_ahead()
    old, new = at(day, 10), at(day, 15)
    before, confirmation, page = booked_and_opened_by_the_host(zoom_site, new_page, mailbox, old)
    page.get_by_role("button", name="Reschedule").click()
    expect(page.get_by_label("Time zone")).to_have_value(NEW_YORK)
    pick_slot(page, new, NEW_YORK)
    page.get_by_role("button", name="Confirm new time").click()

    expect(page.get_by_text(re.compile("has its new time"))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        new.astimezone(ZoneInfo(NEW_YORK)).strftime("%H:%M"))
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("Moved to a new time by Hana Host")
    assert_moved_with_one_patch(zoom_site, before, new)

    mailbox.wait_for(2)
    [to_guest] = mailbox.to("gina@example.com")
    assert to_guest["Subject"] == "New time: Intro call with Hana Host"
    text = text_of(to_guest)
    assert "Hana Host moved your booking to a new time." in text
    assert f"New time: {shown(new, TOKYO)}" in text and f"Was: {shown(old, TOKYO)}" in text
    assert before["join_url"] in text
    assert "The link in your confirmation email still works" in text
    guest = new_page(timezone_id=TOKYO)
    guest.goto(manage_link(confirmation))  # the guest's link still works, at the new time
    expect(guest.get_by_text(shown(new, TOKYO))).to_be_visible()


def test_the_host_asks_the_guest_to_pick_a_new_time(zoom_site, connected_host, new_page,
                                                    mailbox):
    day = weekday_ahead()
    old, new = at(day, 10), at(day, 14)
    before, confirmation, page = booked_and_opened_by_the_host(zoom_site, new_page, mailbox, old)
    page.get_by_role("button", name="Ask the guest to pick a new time").click()
    expect(page.get_by_text(re.compile("Asked 1 guest by email"))).to_be_visible()

    [ask] = mailbox.wait_for(1)
    assert ask["Subject"] == "Please pick a new time: Intro call with Hana Host"
    text = text_of(ask)
    assert "the link from earlier emails no longer works" in text
    reschedule = re.search(r"https?://\S+/bookings/\S+/reschedule\?token=\S+", text).group(0)
    guest = new_page(timezone_id=TOKYO)
    assert guest.goto(manage_link(confirmation)).status == 404  # the old link is spent
    mailbox.clear()
    guest.goto(reschedule)
    pick_slot(guest, new, TOKYO)
    guest.get_by_role("button", name="Confirm new time").click()
    expect(guest.get_by_text(shown(new, TOKYO))).to_be_visible()
    assert_moved_with_one_patch(zoom_site, before, new)
    mailbox.wait_for(2)
    page.reload()
    expect(page.get_by_role("region", name="History")).to_contain_text(
        "Please pick a new time email to gina@example.com")

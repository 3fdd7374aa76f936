"""Guests book, cancel and reschedule in the browser; every booking gets its own Zoom meeting."""
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from ..booking_helpers import at, iso, weekday_ahead
from ..smtp import html_of, text_of
from .conftest import (
    assert_moved_with_one_patch,
    book_as_guest,
    fill_in_details,
    invitation_of,
    manage_link,
    open_day,
    pick_slot,
    requests_to,
)

pytestmark = pytest.mark.e2e

TOKYO, NEW_YORK, BERLIN = "Asia/Tokyo", "America/New_York", "Europe/Berlin"


def shown(start, zone: str) -> str:
    """A time as pages and emails write it, in ``zone``."""
    return start.astimezone(ZoneInfo(zone)).strftime("%A %d %B %Y, %H:%M")


def test_a_guest_in_tokyo_books_and_gets_the_zoom_link(zoom_site, connected_host, new_page,
                                                       mailbox):
    """Slots in the guest's own zone; the Zoom link on the page and in both emails."""
    start = at(weekday_ahead(), 10)  # 10:00 in New York, the host's zone
    page = new_page(timezone_id=TOKYO)
    page.goto("/book/intro-call")
    expect(page.get_by_role("heading", name="Intro call")).to_be_visible()
    expect(page.get_by_text("Hana Host")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_value(TOKYO)  # detected from the browser
    expect(page.get_by_text("Times in Asia/Tokyo.")).to_be_visible()
    pick_slot(page, start, TOKYO)  # the button says the Tokyo time, e.g. 23:00
    expect(page.get_by_text(shown(start, TOKYO))).to_be_visible()
    fill_in_details(page, "Gina Guest", "gina@example.com", "Looking forward!")

    expect(page.get_by_role("heading", name="You are booked, Gina Guest")).to_be_visible()
    expect(page.get_by_text(shown(start, TOKYO))).to_be_visible()
    [meeting] = zoom_site.zoom_meetings()
    assert meeting["start_time"] == iso(start) and meeting["duration"] == 30
    assert "Gina Guest" in meeting["topic"]
    join = page.get_by_role("link", name="Join Zoom meeting")
    expect(join).to_have_attribute("href", meeting["join_url"])

    mailbox.wait_for(2)
    [to_guest] = mailbox.to("gina@example.com")
    [to_host] = mailbox.to("host@example.com")
    for message, zone in ((to_guest, TOKYO), (to_host, NEW_YORK)):
        assert meeting["join_url"] in text_of(message)
        assert meeting["join_url"] in html_of(message)
        assert shown(start, zone) in text_of(message)
        method, event = invitation_of(message)
        assert method == "REQUEST" and str(event["LOCATION"]) == meeting["join_url"]
    assert "Looking forward!" in text_of(to_host)

    join.click()  # the link goes to the meeting (the sandbox's stand-in for Zoom's join page)
    expect(page.get_by_role("heading", name=meeting["topic"])).to_be_visible()


def test_the_guest_cancels_from_the_link_in_their_email(zoom_site, connected_host, new_page,
                                                         mailbox):
    """Cancel from the email's link: the Zoom meeting is deleted, both sides are told."""
    start = at(weekday_ahead(), 10)
    book_as_guest(new_page(timezone_id=TOKYO), "intro-call", start, TOKYO,
                  name="Gina Guest", email="gina@example.com")
    [meeting] = zoom_site.zoom_meetings()
    mailbox.wait_for(2)
    [confirmation] = mailbox.to("gina@example.com")
    mailbox.clear()

    page = new_page(timezone_id=TOKYO)  # later, from their mail app
    page.goto(manage_link(confirmation))
    expect(page.get_by_role("link", name="Join Zoom meeting")).to_be_visible()
    page.get_by_role("link", name="Cancel booking").click()
    expect(page.get_by_role("heading", name="Cancel this booking?")).to_be_visible()
    page.get_by_role("button", name="Cancel booking").click()

    expect(page.get_by_role("heading", name="This booking is cancelled")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        "Your booking is cancelled. We emailed you a confirmation.")
    expect(page.get_by_role("link", name="Join Zoom meeting")).to_have_count(0)
    expect(page.get_by_text("Cancelled, so there is no Zoom meeting to join.")).to_be_visible()
    assert zoom_site.zoom_meetings() == []
    deletes = requests_to(zoom_site, "DELETE", f"/v2/meetings/{meeting['id']}")
    assert [r["status"] for r in deletes] == [204]

    mailbox.wait_for(2)
    [to_guest] = mailbox.to("gina@example.com")
    [to_host] = mailbox.to("host@example.com")
    assert to_guest["Subject"] == "Cancelled: Intro call with Hana Host"
    assert to_host["Subject"] == "Cancelled: Intro call with Gina Guest"
    for message in (to_guest, to_host):
        method, event = invitation_of(message)
        assert method == "CANCEL" and event.decoded("DTSTART") == start


def test_the_guest_reschedules_and_keeps_the_same_zoom_link(zoom_site, connected_host,
                                                            new_page, mailbox):
    """Reschedule from the email's link: new time, the same Zoom meeting and link."""
    day = weekday_ahead()
    old, new = at(day, 10), at(day, 15)
    book_as_guest(new_page(timezone_id=TOKYO), "intro-call", old, TOKYO,
                  name="Gina Guest", email="gina@example.com")
    [before] = zoom_site.zoom_meetings()
    mailbox.wait_for(2)
    [confirmation] = mailbox.to("gina@example.com")
    mailbox.clear()

    page = new_page(timezone_id=TOKYO)
    page.goto(manage_link(confirmation))
    page.get_by_role("link", name="Reschedule").click()
    pick_slot(page, new, TOKYO)
    expect(page.get_by_role("heading", name="Move your booking")).to_be_visible()
    page.get_by_role("button", name="Confirm new time").click()

    expect(page.get_by_role("status")).to_have_text(
        "Your booking has its new time. We emailed you the details.")
    expect(page.get_by_text(shown(new, TOKYO))).to_be_visible()
    expect(page.get_by_role("link", name="Join Zoom meeting")).to_have_attribute(
        "href", before["join_url"])
    assert_moved_with_one_patch(zoom_site, before, new)

    mailbox.wait_for(2)
    [to_guest] = mailbox.to("gina@example.com")
    [to_host] = mailbox.to("host@example.com")
    assert to_guest["Subject"] == "New time: Intro call with Hana Host"
    for message, zone in ((to_guest, TOKYO), (to_host, NEW_YORK)):
        assert f"New time: {shown(new, zone)}" in text_of(message)
        assert f"Was: {shown(old, zone)}" in text_of(message)
        assert before["join_url"] in text_of(message)
        method, event = invitation_of(message)
        assert event.decoded("DTSTART") == new and int(event["SEQUENCE"]) > 0


def test_three_guests_in_one_group_slot_share_one_meeting(zoom_site, connected_host, new_page,
                                                          mailbox):
    """A one-to-many slot: each guest gets a place, all get the same Zoom link."""
    start = at(weekday_ahead(), 13)
    guests = [("Ana Tokyo", "ana@example.com", TOKYO), ("Ben Berlin", "ben@example.com", BERLIN),
              ("Cy NewYork", "cy@example.com", NEW_YORK)]
    links = []
    for name, email, zone in guests:
        page = new_page(timezone_id=zone)
        book_as_guest(page, "group-session", start, zone, name=name, email=email)
        links.append(page.get_by_role("link", name="Join Zoom meeting").get_attribute("href"))

    [meeting] = zoom_site.zoom_meetings()
    assert links == [meeting["join_url"]] * 3
    assert len(requests_to(zoom_site, "POST", "/v2/users/me/meetings")) == 1
    mailbox.wait_for(6)
    for _name, email, zone in guests:
        [message] = mailbox.to(email)
        assert meeting["join_url"] in text_of(message) and shown(start, zone) in text_of(message)
    assert len(mailbox.to("host@example.com")) == 3

    later = new_page(timezone_id=NEW_YORK)  # the next visitor sees the places left
    later.goto("/book/group-session")
    expect(open_day(later, start, NEW_YORK)).to_contain_text("2 left")


def test_booking_works_with_javascript_turned_off(zoom_site, connected_host, new_page, mailbox):
    """Every step of the booking page is a link or a form: no script is needed."""
    start = at(weekday_ahead(), 10)
    page = new_page(timezone_id=TOKYO, java_script_enabled=False)
    page.goto("/book/intro-call")
    # No script guessed the zone: the page starts in the host's, and the guest picks theirs.
    expect(page.get_by_label("Time zone")).to_have_value(NEW_YORK)
    page.get_by_label("Time zone").select_option(BERLIN)
    page.get_by_role("button", name="Show times").click()
    expect(page.get_by_text("Times in Europe/Berlin.")).to_be_visible()
    pick_slot(page, start, BERLIN)
    fill_in_details(page, "Nora NoScript", "nora@example.com")

    expect(page.get_by_role("heading", name="You are booked, Nora NoScript")).to_be_visible()
    expect(page.get_by_text(shown(start, BERLIN))).to_be_visible()
    [meeting] = zoom_site.zoom_meetings()
    assert meeting["start_time"] == iso(start)
    expect(page.get_by_role("link", name="Join Zoom meeting")).to_have_attribute(
        "href", meeting["join_url"])
    mailbox.wait_for(2)
    [to_guest] = mailbox.to("nora@example.com")
    assert meeting["join_url"] in text_of(to_guest) and shown(start, BERLIN) in text_of(to_guest)


def test_a_guest_adds_the_booking_to_their_calendar(zoom_site, connected_host, new_page):
    guest = new_page(timezone_id="Europe/Berlin")
    start = at(weekday_ahead(), 10)
    book_as_guest(guest, "intro-call", start, "Europe/Berlin", name="Gina Guest",
                  email="gina@example.com")
    calendar = guest.get_by_role("region", name="Add to calendar")
    expect(calendar.get_by_role("link", name="Google Calendar")).to_have_attribute(
        "href", re.compile(r"^https://calendar\.google\.com/calendar/render\?.*"
                           + start.strftime("%Y%m%dT%H%M%SZ")))
    expect(calendar.get_by_role("link", name="Outlook")).to_be_visible()
    with guest.expect_download() as download:
        calendar.get_by_role("link", name="Download .ics").click()
    ics = Path(download.value.path()).read_bytes()
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    assert event["dtstart"].dt == start
    assert "/j/" in str(event["location"])  # the Zoom link

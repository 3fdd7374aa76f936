"""The host's day in the browser: a booking's details and history, finding bookings on the
dashboard (filters, search, pages, CSV), and cancelling with a message to the guests."""
import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from ..booking_helpers import add_booking, at, book, manage_path, weekday_ahead
from ..smtp import html_of, text_of
from .conftest import book_as_guest, log_in

pytestmark = pytest.mark.e2e

TOKYO = "Asia/Tokyo"


def test_the_host_opens_a_booking_with_its_notes_and_history(zoom_site, connected_host,
                                                             make_user, new_page, mailbox):
    """From the dashboard row to the details: the guest's notes and zone, the Zoom meeting,
    and what happened; another staff member gets a 404 for the same address."""
    start = at(weekday_ahead(), 10)
    book_as_guest(new_page(timezone_id=TOKYO), "intro-call", start, TOKYO, name="Gina Guest",
                  email="gina@example.com", notes="Please call me Gigi.")
    [meeting] = zoom_site.zoom_meetings()
    mailbox.wait_for(2)

    page = new_page()
    log_in(page, "host@example.com")
    row = page.get_by_role("row").filter(has_text="Gina Guest")
    row.get_by_role("link", name=re.compile(r"^[A-Z0-9]{10}$")).click()  # its reference
    expect(page.get_by_role("heading", level=1)).to_contain_text("Intro call")
    guests = page.get_by_role("region", name="Guests")
    expect(guests).to_contain_text("gina@example.com")
    expect(guests).to_contain_text("Asia/Tokyo")
    expect(guests).to_contain_text("Please call me Gigi.")
    zoom = page.get_by_role("region", name="Zoom")
    expect(zoom.get_by_role("link", name="Join Zoom meeting")).to_have_attribute(
        "href", meeting["join_url"])
    expect(zoom).to_contain_text(str(meeting["id"]))
    expect(zoom).to_contain_text(meeting["password"])
    history = page.get_by_role("region", name="History")
    expect(history.get_by_role("listitem")).to_contain_text([
        "Booked by Gina Guest", re.compile("Create the Zoom meeting.*Done"),
        re.compile("Confirmation email to gina@example.com.*Done"),
        re.compile("Confirmation email to host@example.com.*Done")], ignore_case=False)
    address = page.url

    other = make_user(email="other-staff@example.com")
    stranger = new_page()
    log_in(stranger, other.email)
    assert stranger.goto(address).status == 404
    expect(stranger.get_by_text("Gina")).to_have_count(0)


def test_the_admin_finds_bookings_by_filter_search_and_page_and_exports_them(
        zoom_site, connected_host, admin, new_page):
    app = zoom_site.app
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    upcoming = [add_booking(app, "intro-call", now + timedelta(days=3, hours=i),
                            name=f"Guest {i:02}", email=f"guest{i:02}@example.com")
                for i in range(26)]
    past = add_booking(app, "intro-call", now - timedelta(days=3), name="Pia Past",
                       email="pia@example.com")
    gone = add_booking(app, "group-session", now + timedelta(days=5), name="Carl Cancelled",
                       email="carl@example.com", status="cancelled")

    page = new_page(viewport={"width": 1280, "height": 900})
    log_in(page, admin.email)
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    expect(page.get_by_role("link", name=upcoming[0])).to_be_visible()
    expect(page.get_by_role("link", name=gone)).to_have_count(0)  # cancelled: not upcoming
    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    expect(page.get_by_role("region", name="Past bookings").get_by_role(
        "link", name=past)).to_be_visible()

    page.get_by_label("Status").select_option(label="Cancelled")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=cancelled"))
    expect(page.get_by_role("link", name=gone)).to_be_visible()
    expect(page.get_by_text("Carl Cancelled")).to_be_visible()
    expect(page.get_by_role("link", name="Join link")).to_have_count(0)

    page.get_by_role("link", name="Clear filters").click()
    page.get_by_label("Search").fill("guest07@")
    page.get_by_label("Meeting type").select_option(label="Intro call")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name=upcoming[7])).to_be_visible()
    expect(page.get_by_text("1 booking match")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename == "bookings.csv"
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    assert [(r["Reference"], r["Guests"], r["Host"]) for r in rows] == [
        (upcoming[7], "Guest 07", "Hana Host")]


def test_the_admin_cancels_a_group_with_a_message_that_reaches_the_guests(
        zoom_site, connected_host, admin, new_page, mailbox):
    guest = zoom_site.app.test_client()
    start = at(weekday_ahead(), 13)
    for name in ("Gina Guest", "Ivo Guest", "Jun Guest"):
        reference = manage_path(book(guest, "group-session", start, name=name,
                                     email=f"{name.split()[0].lower()}@example.com")
                                ).split("/bookings/")[1].split("?")[0]
    mailbox.wait_for(6)
    mailbox.clear()

    page = new_page()
    log_in(page, admin.email)
    page.get_by_role("button", name=f"Cancel booking {reference}").click()
    expect(page.get_by_role("heading", name="Cancel this booking?")).to_be_visible()
    expect(page.get_by_text(
        "cancels the booking for all 3 guests and deletes the Zoom meeting")).to_be_visible()
    page.get_by_label("Message to the guests").fill("I am ill, sorry. Please book next week.")
    page.get_by_role("button", name="Cancel booking").click()

    expect(page.get_by_role("status")).to_contain_text(f"Booking {reference} is cancelled")
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("Cancelled by Ada Admin")
    expect(history).to_contain_text("I am ill, sorry.")
    assert zoom_site.zoom_meetings() == []

    mailbox.wait_for(4)
    for address in ("gina@example.com", "ivo@example.com", "jun@example.com"):
        [message] = mailbox.to(address)
        for body in (text_of(message), html_of(message)):
            assert "Ada Admin cancelled your booking" in body
            assert "I am ill, sorry. Please book next week." in body
    assert "Ada Admin cancelled Group session" in text_of(mailbox.to("host@example.com")[0])


def test_the_dashboard_and_a_booking_fit_a_phone(zoom_site, connected_host, admin, new_page):
    """At 390 px the page does not scroll sideways: the table becomes one card per booking."""
    reference = manage_path(book(zoom_site.app.test_client(), "intro-call",
                                 at(weekday_ahead(), 10), name="Maximilian Longname-Guest",
                                 email="maximilian.longname-guest@example.com")
                            ).split("/bookings/")[1].split("?")[0]
    page = new_page(viewport={"width": 390, "height": 844})
    log_in(page, admin.email)
    expect(page.get_by_role("link", name=reference)).to_be_visible()
    width = "document.documentElement.scrollWidth"
    assert page.evaluate(width) <= 390
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("region", name="History")).to_be_visible()
    assert page.evaluate(width) <= 390

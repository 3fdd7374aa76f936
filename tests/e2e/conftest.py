"""Headless Chromium (Debian's, driven by Playwright) against the app served for real on loopback.

One browser for the whole session, a fresh context (cookies, zone, viewport) per person per
test. The helpers below are the steps a person takes, found by label and role as they would.
"""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from timetics.extensions import db
from timetics.models import ZoomSettings

from ..booking_helpers import iso
from ..conftest import PASSWORD
from ..smtp import text_of

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
TIMEOUT_MS = 10_000  # a step that takes longer than this on loopback is a bug, not slowness

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or CHROMIUM
    if not shutil.which(executable):
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, zoom_site):
    """Open a page for one person in their own browser context, pointed at the served app.
    Options are Playwright's context options: ``timezone_id``, ``java_script_enabled``..."""
    contexts = []

    def open_page(**options) -> Page:
        context = browser.new_context(base_url=zoom_site.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def unconfigured_site(zoom_site):
    """The served app and the sandbox, before the admin has entered the Zoom app's keys (the
    Zoom app itself is built already, as in the seed's steps 1-3)."""
    with zoom_site.app.app_context():
        db.session.execute(db.delete(ZoomSettings))
        db.session.commit()
    return zoom_site


# Steps a person takes ------------------------------------------------------------------------

def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


def slot_label(start: datetime, zone: str) -> str:
    """What a slot button says: the start in the guest's zone."""
    return start.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def open_day(page: Page, start: datetime, zone: str) -> Locator:
    """In the picker on screen: go to the month of ``start``, click its day; its slot button."""
    local = start.astimezone(ZoneInfo(zone))
    if page.get_by_role("heading", name=local.strftime("%B %Y"), exact=True).count() == 0:
        page.get_by_role("link", name="Next month").click()
    page.get_by_role("link", name=re.compile("^" + local.strftime("%A %d %B") + ",")).click()
    expect(page.get_by_role("heading", name=local.strftime("%A %d %B %Y"))).to_be_visible()
    slot = page.get_by_role("button", name=re.compile("^" + slot_label(start, zone)))
    expect(slot).to_have_attribute("data-start", iso(start))
    return slot


def pick_slot(page: Page, start: datetime, zone: str) -> None:
    """In the picker on screen: go to the month, click the day, click the time."""
    open_day(page, start, zone).click()


def fill_in_details(page: Page, name: str, email: str, notes: str = "") -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Notes").fill(notes)
    page.get_by_role("button", name="Confirm booking").click()


def book_as_guest(page: Page, slug: str, start: datetime, zone: str, *, name: str,
                  email: str, notes: str = "") -> None:
    """Open the booking page, pick the time, fill in the form, land on the booking page."""
    page.goto(f"/book/{slug}")
    expect(page.get_by_label("Time zone")).to_have_value(zone)
    pick_slot(page, start, zone)
    fill_in_details(page, name, email, notes)
    expect(page.get_by_role("heading", name=f"You are booked, {name}")).to_be_visible()


def manage_link(message: EmailMessage) -> str:
    """The guest's secret link (view, reschedule, cancel) in their confirmation email."""
    match = re.search(r"https?://\S+/bookings/\S+\?token=\S+", text_of(message))
    assert match, text_of(message)
    return match.group(0)


def invitation_of(message: EmailMessage) -> tuple[str, Event]:
    """The .ics attached to an email: its METHOD and its one event."""
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event


def requests_to(zoom_site, method: str, path_prefix: str) -> list[dict]:
    """What the sandbox received: calls with this method under this path, in order."""
    return [r for r in zoom_site.zoom_requests()
            if r["method"] == method and r["path"].startswith(path_prefix)]


def assert_moved_with_one_patch(zoom_site, before: dict, new: datetime) -> None:
    """The Zoom meeting ``before`` is still the booking's, now at ``new``, after one PATCH."""
    [after] = zoom_site.zoom_meetings()
    assert after["id"] == before["id"] and after["join_url"] == before["join_url"]
    assert after["start_time"] == iso(new)
    patches = requests_to(zoom_site, "PATCH", f"/v2/meetings/{before['id']}")
    assert [r["status"] for r in patches] == [204]

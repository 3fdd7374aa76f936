"""A staff member connects their own calendar in the browser, and a guest stops seeing the
time their calendar holds."""
import pytest
from playwright.sync_api import expect

from ..booking_helpers import at, weekday_ahead
from ..radicale import PASSWORD, USER, vcalendar, vevent
from .conftest import log_in, slot_label
from .test_accessibility import serious_violations

pytestmark = pytest.mark.e2e

NY = "America/New_York"


@pytest.fixture
def app_config(app_config):
    app_config["CALENDAR_ALLOWED_HOSTS"] = "127.0.0.1"
    return app_config


def test_a_staff_member_adds_a_caldav_calendar_and_its_event_blocks_the_slot(
        zoom_site, connected_host, new_page, radicale):
    day = weekday_ahead()
    busy, free = at(day, 10), at(day, 11)
    radicale.make_calendar("Work").add_event(vcalendar(vevent("dentist", busy, at(day, 10, 30))))
    radicale.make_calendar("Family")

    guest = new_page(timezone_id=NY)
    guest.goto(f"/book/intro-call?date={day}&tz={NY}")
    expect(guest.get_by_role("button", name=slot_label(busy, NY))).to_be_visible()

    page = new_page()
    log_in(page, connected_host.host_email)
    page.get_by_role("link", name="My profile").click()
    page.get_by_role("link", name="Calendars").click()
    page.get_by_label("Server URL").fill(radicale.url)
    page.get_by_label("Username").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Add CalDAV account").click()
    expect(page.get_by_text("CalDAV account added")).to_be_visible()
    page.locator('[data-calendar="Work"]').get_by_label("Check for conflicts").check()
    page.get_by_role("button", name="Sync now").click()  # saves the tick, then syncs
    work = page.locator('[data-calendar="Work"]')
    expect(work.get_by_label("Check for conflicts")).to_be_checked()
    expect(work).to_contain_text("Synced")
    expect(page.locator('[data-calendar="Family"]')).to_contain_text("Not checked")
    assert serious_violations(page) == []

    guest.reload()
    expect(guest.get_by_role("button", name=slot_label(free, NY))).to_be_visible()
    expect(guest.get_by_role("button", name=slot_label(busy, NY))).to_have_count(0)

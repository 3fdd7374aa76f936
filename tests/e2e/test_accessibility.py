"""axe-core finds nothing serious or critical on the pages people use most."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from ..booking_helpers import at, weekday_ahead
from .conftest import book_as_guest, log_in, open_day

pytestmark = pytest.mark.e2e

BLOCKING = ("serious", "critical")
TOKYO = "Asia/Tokyo"


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each."""
    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
            for v in found if v["impact"] in BLOCKING]


def test_the_main_pages_pass_an_accessibility_audit(zoom_site, connected_host, admin, new_page):
    """Login, dashboard (filtered, on a phone), booking detail, the host's cancel
    confirmation, Zoom settings, staff integrations, a Zoom sign-in failure, booking,
    confirmation, cancel."""
    day = weekday_ahead()
    report: dict[str, list[str]] = {}

    def audit(name: str, page: Page) -> None:
        report[name] = serious_violations(page)

    guest = new_page(timezone_id=TOKYO)
    guest.goto("/book/intro-call")
    expect(guest.get_by_label("Time zone")).to_have_value(TOKYO)
    slot = open_day(guest, at(day, 10), TOKYO)
    audit("booking page, date step", guest)
    slot.click()
    expect(guest.get_by_role("button", name="Confirm booking")).to_be_visible()
    audit("booking page, slot step", guest)
    guest.get_by_label("Name").fill("Gina Guest")
    guest.get_by_label("Email").fill("gina@example.com")
    guest.get_by_role("button", name="Confirm booking").click()
    expect(guest.get_by_role("link", name="Join Zoom meeting")).to_be_visible()
    audit("booking confirmation", guest)
    guest.get_by_role("link", name="Cancel booking").click()
    expect(guest.get_by_role("button", name="Cancel booking")).to_be_visible()
    audit("cancel page", guest)

    # A second booking whose Zoom meeting is still pending fills the dashboard's problem panel.
    zoom_site.fault(target="create_meeting", mode="error", status=503)
    book_as_guest(new_page(timezone_id=TOKYO), "intro-call", at(day, 11), TOKYO,
                  name="Pat Pending", email="pat@example.com")
    zoom_site.clear_faults()

    admin_page = new_page()
    admin_page.goto("/login")
    audit("login", admin_page)
    log_in(admin_page, admin.email)
    expect(admin_page.get_by_role("region", name="Needs attention")).to_be_visible()
    audit("dashboard", admin_page)
    admin_page.get_by_role("row").filter(has_text="Pat Pending").get_by_role(
        "link", name=re.compile(r"^[A-Z0-9]{10}$")).click()
    expect(admin_page.get_by_role("region", name="History")).to_be_visible()
    audit("booking detail", admin_page)
    admin_page.get_by_role("link", name="Cancel", exact=True).click()
    expect(admin_page.get_by_label("Message to the guests")).to_be_visible()
    audit("cancel confirmation", admin_page)
    admin_page.get_by_role("button", name="Cancel booking").click()
    admin_page.goto("/dashboard?status=cancelled&q=pat")
    expect(admin_page.get_by_text("Pat Pending")).to_be_visible()
    audit("dashboard, filtered", admin_page)
    admin_page.goto("/dashboard?from=2030-02-30")
    expect(admin_page.get_by_text("Not a valid date value.")).to_be_visible()
    audit("dashboard, bad filter", admin_page)
    admin_page.set_viewport_size({"width": 390, "height": 844})
    admin_page.goto("/dashboard")
    audit("dashboard, phone", admin_page)
    admin_page.set_viewport_size({"width": 1280, "height": 720})
    admin_page.get_by_role("link", name="Settings").click()
    expect(admin_page.get_by_label("Redirect URL")).to_be_visible()
    audit("Zoom settings", admin_page)
    admin_page.goto(f"/staff/{connected_host.host_id}/integrations")
    expect(admin_page.get_by_text(re.compile("Connected as"))).to_be_visible()
    audit("staff integrations", admin_page)
    admin_page.goto("/integrations/zoom/callback?code=stale&state=stale")
    expect(admin_page.get_by_role("heading", name="This Zoom sign-in has expired")).to_be_visible()
    expect(admin_page.get_by_role("link", name="Back to Settings > Integrations > Zoom")
           ).to_be_visible()
    audit("Zoom sign-in failure page", admin_page)

    host_page = new_page()  # Settings as a staff member sees it: their own card
    host_page.goto("/login")
    log_in(host_page, "host@example.com")
    host_page.get_by_role("link", name="Settings").click()
    expect(host_page.get_by_role("button", name="Disconnect")).to_be_visible()
    audit("Zoom settings, staff member", host_page)

    assert {page: found for page, found in report.items() if found} == {}


def test_the_first_run_pages_pass_an_accessibility_audit(zoom_site, new_page):
    """The login page of an empty install, and the setup page, empty and with errors."""
    report: dict[str, list[str]] = {}
    page = new_page()
    page.goto("/login")
    expect(page.get_by_text("No admin account exists yet")).to_be_visible()
    report["login, empty install"] = serious_violations(page)
    link = zoom_site.app.test_cli_runner().invoke(args=["setup-link"]).output.strip()
    page.goto(link)
    expect(page.get_by_role("button", name="Create admin")).to_be_visible()
    report["setup"] = serious_violations(page)
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create admin").click()
    expect(page.get_by_text("Use at least 12 characters.")).to_be_visible()
    report["setup, with errors"] = serious_violations(page)
    assert {name: found for name, found in report.items() if found} == {}


def test_the_host_reschedule_page_passes_an_accessibility_audit(zoom_site, connected_host,
                                                                new_page):
    day = weekday_ahead()
    book_as_guest(new_page(timezone_id=TOKYO), "intro-call", at(day, 10), TOKYO,
                  name="Gina Guest", email="gina@example.com")
    page = new_page()
    log_in(page, "host@example.com")
    page.get_by_role("row").filter(has_text="Gina Guest").get_by_role(
        "link", name=re.compile(r"^[A-Z0-9]{10}$")).click()
    page.get_by_role("button", name="Reschedule").click()
    slot = open_day(page, at(day, 15), "America/New_York")
    report = {"host reschedule": serious_violations(page)}
    slot.click()
    expect(page.get_by_role("button", name="Confirm new time")).to_be_visible()
    report["host reschedule, confirm"] = serious_violations(page)
    assert {name: found for name, found in report.items() if found} == {}

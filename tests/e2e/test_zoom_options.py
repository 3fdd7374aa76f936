"""The admin sets a meeting type's Zoom options; a guest books; the page shows what Zoom applied."""
import pytest
from playwright.sync_api import expect

from ..booking_helpers import at, weekday_ahead
from .conftest import book_as_guest, log_in, requests_to

pytestmark = pytest.mark.e2e

TOKYO = "Asia/Tokyo"


def test_admin_sets_the_zoom_options_and_the_guest_sees_what_zoom_applied(
        zoom_site, connected_host, admin, new_page):
    page = new_page()
    log_in(page, admin.email)
    page.goto("/meeting-types")
    page.get_by_role("link", name="Intro call").click()
    options = page.get_by_role("group", name="Zoom options")
    expect(options).to_be_visible()
    expect(options).to_contain_text("Editing a meeting type's options changes future meetings")

    # The options follow the location: no Zoom, no Zoom options.
    page.get_by_label("Location").select_option(label="None")
    expect(options).to_be_hidden()
    page.get_by_label("Location").select_option(label="Zoom meeting")
    expect(options).to_be_visible()

    # Neither passcode nor waiting room: refused, with Zoom's reason.
    expect(page.get_by_label("Require a passcode")).to_be_checked()
    page.get_by_label("Require a passcode").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Zoom would turn the waiting room on by itself")).to_be_visible()

    page.get_by_label("Waiting room").check()
    page.get_by_label("Mute guests on entry").check()
    page.get_by_label("Automatic recording").select_option(label="Cloud")
    page.get_by_label("Alternative hosts").fill("ann@example.com")
    expect(page.get_by_label("Join before host")).to_have_value("off")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Meeting type “Intro call” saved.")

    guest = new_page(timezone_id=TOKYO)
    book_as_guest(guest, "intro-call", at(weekday_ahead(), 10), TOKYO, name="Gina Guest",
                  email="gina@example.com")
    expect(guest.get_by_text("The host will let you in from the waiting room.")).to_be_visible()
    expect(guest.get_by_text("Passcode")).to_have_count(0)

    [create] = requests_to(zoom_site, "POST", "/v2/users/me/meetings")
    assert create["status"] == 201 and create["body"]["default_password"] is False
    assert {"waiting_room": True, "join_before_host": False, "mute_upon_entry": True,
            "auto_recording": "cloud", "alternative_hosts": "ann@example.com"}.items() \
        <= create["body"]["settings"].items()

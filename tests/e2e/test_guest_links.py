"""The admin picks "Zoom webinar" for a group; two guests book; each sees a link of their own."""
import pytest
from playwright.sync_api import expect

from ..booking_helpers import at, weekday_ahead
from ..integration.test_guest_links import group_host  # noqa: F401 (the fixture)
from .conftest import book_as_guest, log_in

pytestmark = pytest.mark.e2e

TOKYO = "Asia/Tokyo"


def test_admin_picks_zoom_webinar_and_each_guest_gets_their_own_link(
        zoom_site, group_host, admin, new_page):  # noqa: F811
    page = new_page()
    log_in(page, admin.email)
    page.goto("/meeting-types")
    page.get_by_role("link", name="Group session").click()
    expect(page.get_by_label("How guests join")).to_have_value("shared")
    page.get_by_label("How guests join").select_option(label="Zoom webinar")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Meeting type “Group session” saved.")

    start = at(weekday_ahead(), 13)
    links = []
    for n in range(2):
        guest = new_page(timezone_id=TOKYO)
        book_as_guest(guest, "group-session", start, TOKYO, name=f"Guest {n}",
                      email=f"guest{n}@example.com")
        join = guest.get_by_role("link", name="Join Zoom meeting")
        expect(join).to_be_visible()
        links.append(join.get_attribute("href"))
    assert links[0] != links[1]
    assert all(f"{zoom_site.zoom_url}/w/" in link for link in links)
    for link in links:  # each opens the webinar at "Zoom"
        guest = new_page()
        guest.goto(link)
        expect(guest.get_by_text("Webinar ID")).to_be_visible()

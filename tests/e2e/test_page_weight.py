"""The booking flow on a phone's first visit: every page in at most 4 requests and 40 KB on the
wire (compressed, headers included), nothing from another site."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from ..booking_helpers import at, create_booking_setup, weekday_ahead
from .conftest import fill_in_details, open_day

pytestmark = pytest.mark.e2e

MAX_REQUESTS = 4
MAX_BYTES = 40_000
GUEST_ZONE = "Asia/Tokyo"  # not the host's: the first visit also switches to the guest's zone
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 3, "timezone_id": GUEST_ZONE}


def weigh(page: Page, url: str, lands_on: str | None = None) -> list[tuple[str, int]]:
    """Open ``url`` with an empty cache; every request that went out on the network until the
    page is idle, with the bytes it cost (headers and encoded body)."""
    seen: list[tuple[str, int]] = []

    def finished(request):
        sizes = request.sizes()
        cost = sizes["responseHeadersSize"] + sizes["responseBodySize"]
        if cost > 0:  # 0: served by the browser's cache, not the network
            seen.append((request.url, cost))

    page.on("requestfinished", finished)
    page.goto(url, wait_until="networkidle")
    if lands_on:  # a page that moves on by itself (the zone detection)
        page.wait_for_url(lands_on)
        page.wait_for_load_state("networkidle")
    page.remove_listener("requestfinished", finished)
    return seen


def assert_light(requests: list[tuple[str, int]], site: str, step: str) -> None:
    assert 0 < len(requests) <= MAX_REQUESTS, (step, requests)
    assert sum(size for _, size in requests) <= MAX_BYTES, (step, requests)
    assert {urlsplit(url).netloc for url, _ in requests} == {urlsplit(site).netloc}, step


def test_each_step_of_the_booking_flow_is_light(zoom_site, make_user, new_page):
    create_booking_setup(zoom_site.app, make_user)
    start = at(weekday_ahead(), 10)
    guest = new_page(**PHONE)

    def weigh_step(step: str, url: str, lands_on: str | None = None) -> None:
        requests = weigh(new_page(**PHONE), url, lands_on)  # a new context: nothing cached
        assert_light(requests, zoom_site.url, step)
        if step == "month":
            assert len(requests) == 4  # page, stylesheet, script, page in the guest's zone
            assert requests[-1][0].endswith("tz=Asia%2FTokyo")

    guest.goto("/book/intro-call")
    expect(guest.get_by_label("Time zone")).to_have_value(GUEST_ZONE)
    # As a guest arrives: the page reloads itself in the guest's zone.
    weigh_step("month", "/book/intro-call", lands_on="**/book/intro-call?tz=Asia%2FTokyo")
    slot = open_day(guest, start, GUEST_ZONE)
    weigh_step("day and its times", guest.url)
    slot.click()
    expect(guest.get_by_role("heading", name="Your details")).to_be_visible()
    weigh_step("form", guest.url)
    fill_in_details(guest, "Pia Phone", "pia@example.com")
    expect(guest.get_by_role("heading", name="You are booked, Pia Phone")).to_be_visible()
    weigh_step("confirmation", guest.url)

"""The booking page inside another site's frame, in Chromium: the team's site (another loopback
origin, and another site: ``localhost`` is not ``127.0.0.1``) frames it and a guest books in it;
a site not on Allowed origins gets a blocked frame."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from timetics.extensions import db
from timetics.models import Attendee, Booking
from zoom_sandbox import BackgroundServer

from ..booking_helpers import at, book, create_booking_setup, weekday_ahead
from .conftest import fill_in_details, pick_slot

pytestmark = pytest.mark.e2e

GUEST_ZONE = "Europe/Berlin"


def team_site(timetics_url: str):
    """A page of the team's own website with the snippet from the meeting type page."""
    page = f"""<!doctype html><html lang="en"><head><title>Our team</title></head><body>
<h1>Book a call with us</h1>
<iframe src="{timetics_url}/book/intro-call?embed=1" title="Book Intro call"
        data-timetics-embed style="width:100%;height:300px;border:0"></iframe>
<script src="{timetics_url}/static/js/embed.js" async></script>
</body></html>""".encode()

    def wsgi(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                  ("Content-Length", str(len(page)))])
        return [page]

    return BackgroundServer(wsgi).start()


@pytest.fixture
def team_sites(zoom_site):
    """Two websites on other ports, reached as http://localhost:<port>: the first listed in
    Allowed origins (the configured default), the second not."""
    listed, unlisted = team_site(zoom_site.url), team_site(zoom_site.url)
    origins = [f"http://localhost:{site.port}" for site in (listed, unlisted)]
    zoom_site.app.config["EMBED_ALLOWED_ORIGINS"] = origins[0]
    yield origins
    listed.stop()
    unlisted.stop()


def test_a_guest_books_inside_the_teams_site(zoom_site, make_user, new_page, team_sites,
                                            mailbox):
    create_booking_setup(zoom_site.app, make_user)
    start = at(weekday_ahead(), 10)
    page = new_page(timezone_id=GUEST_ZONE)
    page.goto(team_sites[0])
    frame = page.frame_locator("iframe[data-timetics-embed]")
    expect(frame.get_by_role("heading", name="Intro call")).to_be_visible()
    expect(frame.get_by_label("Time zone")).to_have_value(GUEST_ZONE)  # booking.js ran inside
    expect(frame.get_by_role("link", name="Log in")).to_have_count(0)  # no site chrome
    # The frame told the page its height, and the page took it (static/js/embed.js).
    iframe = page.locator("iframe[data-timetics-embed]")
    expect(iframe).not_to_have_css("height", "300px")
    # A height from anyone but the frame (here the page itself) is ignored.
    sized = iframe.evaluate("frame => frame.style.height")
    page.evaluate("window.postMessage({timetics: 'height', height: 5}, '*')")
    page.wait_for_timeout(200)
    assert iframe.evaluate("frame => frame.style.height") == sized != "5px"

    pick_slot(frame, start, GUEST_ZONE)
    fill_in_details(frame, "Fay Framed", "fay@example.com", "Booked from the team's site")
    expect(frame.get_by_role("heading", name="You are booked, Fay Framed")).to_be_visible()
    assert page.url == team_sites[0] + "/"  # the confirmation opened inside the frame
    # Our session cookie was never stored for a third-party frame: no cookie made this work.
    assert [c for c in page.context.cookies() if c["domain"] == "127.0.0.1"] == []

    with zoom_site.app.app_context():
        booking = db.session.scalar(db.select(Booking).join(Attendee)
                                    .where(Attendee.email == "fay@example.com"))
        assert booking is not None and booking.start_at == start
        assert booking.attendees[0].notes == "Booked from the team's site"


def test_a_guest_who_loses_a_time_inside_the_frame_keeps_what_they_typed(
        zoom_site, make_user, new_page, team_sites, mailbox):
    create_booking_setup(zoom_site.app, make_user)
    start, later = at(weekday_ahead(), 10), at(weekday_ahead(), 11)
    page = new_page(timezone_id=GUEST_ZONE)
    page.goto(team_sites[0])
    frame = page.frame_locator("iframe[data-timetics-embed]")
    expect(frame.get_by_label("Time zone")).to_have_value(GUEST_ZONE)
    pick_slot(frame, start, GUEST_ZONE)
    expect(frame.get_by_role("heading", name="Your details")).to_be_visible()
    assert book(zoom_site.app.test_client(), "intro-call", start).status_code == 302  # quicker
    fill_in_details(frame, "Fay Framed", "fay@example.com", "Second try")
    expect(frame.get_by_text("Pick another time.")).to_be_visible()
    pick_slot(frame, later, GUEST_ZONE)
    expect(frame.get_by_label("Name")).to_have_value("Fay Framed")
    expect(frame.get_by_label("Email")).to_have_value("fay@example.com")
    expect(frame.get_by_label("Notes")).to_have_value("Second try")
    frame.get_by_role("button", name="Confirm booking").click()
    expect(frame.get_by_role("heading", name="You are booked, Fay Framed")).to_be_visible()


def test_a_site_not_on_the_list_gets_a_blocked_frame(zoom_site, make_user, new_page,
                                                     team_sites):
    create_booking_setup(zoom_site.app, make_user)
    page = new_page()
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refusal:
        page.goto(team_sites[1])
    assert (f'"frame-ancestors {team_sites[0]}". The request has been blocked.'
            in refusal.value.text), refusal.value.text
    expect(page.get_by_role("heading", name="Book a call with us")).to_be_visible()
    [frame] = [f for f in page.frames if f is not page.main_frame]
    assert frame.url.startswith("chrome-error://") or "Intro call" not in frame.content()

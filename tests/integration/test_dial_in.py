"""Telephone dial-in in the booking emails: the meeting's numbers from Zoom's answer
(``settings.global_dial_in_numbers``), the reader's country first, and the one-tap mobile line,
in both the text and the HTML part; nothing of it when the host's account has no dial-in."""
from html import unescape

import pytest

from timetics.extensions import db
from timetics.models import Booking

from ..booking_helpers import at, book, manage_path, session_csrf, weekday_ahead
from ..smtp import html_of, text_of

ALEX = {"id": "zoomuser-alex", "email": "alex.rivera@zoom.example", "first_name": "Alex",
        "last_name": "Rivera", "timezone": "America/New_York", "type": 2}
GERMANY, US = "+49 30 5555 0100 (Germany)", "+1 555 010 0100 (US, New York)"


@pytest.fixture
def with_dial_in(zoom_site):
    """The host's Zoom account has telephone dial-in (the sandbox's sample numbers)."""
    zoom_site.zoom("post", "/users", json={**ALEX, "dial_in_numbers": True})


def the_meeting(app) -> tuple[str, dict]:
    with app.app_context():
        booking = db.session.scalar(db.select(Booking))
        return booking.zoom_meeting_id, booking.zoom_dial_in


def parts(message) -> tuple[str, str]:
    return text_of(message), unescape(html_of(message))


def test_both_parts_carry_the_numbers_guests_country_first_and_one_tap(
        zoom_site, with_dial_in, connected_host, client, mailbox):
    assert book(client, "intro-call", at(weekday_ahead(), 10),
                timezone="Europe/Berlin").status_code == 302
    guest, host = sorted(mailbox.wait_for(2), key=lambda m: m["To"] != "gina@example.com")
    meeting_id, stored = the_meeting(zoom_site.app)
    phone = stored["phone_passcode"]
    assert phone.isdigit() and [n["country"] for n in stored["numbers"]] == \
        ["US", "DE", "GB", "US"]  # as Zoom listed them
    for part in parts(guest):
        assert f"+493055550100,,{meeting_id}#,,,,*{phone}#" in part  # Berlin: Germany first
        assert part.index(GERMANY) < part.index(US) < part.index("+44 20 7946 0100")
        assert "+1 800 555 0100 (US, toll-free)" in part
    for part in parts(host):  # the host reads in New York
        assert f"+15550100100,,{meeting_id}#,,,,*{phone}#" in part
        assert part.index(US) < part.index(GERMANY)
    assert "One tap mobile: +49" in text_of(guest)
    assert f'<a href="tel:+493055550100,,{meeting_id}%23,,,,*{phone}%23">' in html_of(guest)


def test_a_guest_whose_country_has_no_number_gets_zooms_order(
        zoom_site, with_dial_in, connected_host, client, mailbox):
    book(client, "intro-call", at(weekday_ahead(), 10), timezone="Asia/Tokyo")
    guest = next(m for m in mailbox.wait_for(2) if m["To"] == "gina@example.com")
    for part in parts(guest):
        assert "+15550100100,," in part and part.index(US) < part.index(GERMANY)


def test_no_dial_in_no_numbers(zoom_site, connected_host, client, mailbox):
    book(client, "intro-call", at(weekday_ahead(), 10), timezone="Europe/Berlin")
    for message in mailbox.wait_for(2):
        for part in parts(message):
            assert "Join Zoom meeting" in part
            assert "One tap mobile" not in part and "Dial by your location" not in part
    assert the_meeting(zoom_site.app)[1] is None


def test_a_new_time_keeps_the_numbers(zoom_site, with_dial_in, connected_host, client,
                                      mailbox):
    day = weekday_ahead()
    path = manage_path(book(client, "intro-call", at(day, 10), timezone="Europe/Berlin"))
    mailbox.wait_for(2)
    reference, token = path.split("/bookings/")[1].split("?token=")
    assert client.post(f"/bookings/{reference}/reschedule?token={token}", data={
        "csrf_token": session_csrf(client),
        "start": at(day, 15).strftime("%Y-%m-%dT%H:%M:%SZ")}).status_code == 302
    moved = next(m for m in mailbox.wait_for(4) if m["Subject"].startswith("New time")
                 and m["To"] == "gina@example.com")
    for part in parts(moved):
        assert "One tap mobile" in part and part.index(GERMANY) < part.index(US)

"""Every booking of a connected host gets its own Zoom meeting, moved and deleted with it."""
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import requests
from icalendar import Calendar

from timetics.extensions import db
from timetics.models import Booking, Job, Location, MeetingType, ZoomConnection, ZoomState
from timetics.security import decrypt_secret

from ..booking_helpers import (
    at,
    book,
    create_booking_setup,
    manage_path,
    session_csrf,
    weekday_ahead,
)
from ..conftest import PASSWORD
from ..live import Browser
from ..smtp import text_of


def booking_row(app, **where):
    with app.app_context():
        row = db.session.scalar(db.select(Booking).filter_by(**where).order_by(Booking.id))
        db.session.expunge(row)
        return row


def test_a_booking_creates_exactly_one_meeting_at_the_right_instant(zoom_site, connected_host,
                                                                   client, mailbox):
    day = weekday_ahead()
    start = at(day, 10)
    path = manage_path(book(client, "intro-call", start, timezone="Asia/Tokyo"))
    [meeting] = zoom_site.zoom_meetings()
    assert meeting["start_time"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert meeting["duration"] == 30
    assert meeting["timezone"] == "America/New_York"
    assert meeting["type"] == 2
    assert len(meeting["topic"]) <= 200 and "Gina Guest" in meeting["topic"]

    booking = booking_row(zoom_site.app)
    assert booking.reference in meeting["agenda"]
    assert booking.zoom_meeting_id == str(meeting["id"])
    assert booking.zoom_join_url == meeting["join_url"]
    assert booking.zoom_state == ZoomState.CREATED

    page = client.get(path).get_data(as_text=True)
    assert meeting["join_url"] in page.replace("&amp;", "&")
    mailbox.wait_for(2)
    for address in ("gina@example.com", "host@example.com"):
        [message] = mailbox.to(address)
        assert meeting["join_url"] in text_of(message)
        assert str(meeting["id"]) in text_of(message)
        [part] = [p for p in message.iter_attachments()
                  if p.get_content_type() == "text/calendar"]
        [event] = Calendar.from_ical(part.get_content()).walk("VEVENT")
        assert str(event["LOCATION"]) == meeting["join_url"]
        assert event.decoded("DTSTART") == start


def test_the_meeting_is_at_the_right_instant_across_daylight_saving(zoom_site, connected_host,
                                                                   client):
    """A New York 10:00 booking after the March change is 14:00Z, not 15:00Z."""
    with zoom_site.app.app_context():
        meeting_type = db.session.scalar(db.select(MeetingType).filter_by(slug="intro-call"))
        meeting_type.window_days = 200
        db.session.commit()
    today = date.today()
    march = date(today.year + (today.month > 2), 3, 8)
    transition = march + timedelta(days=(6 - march.weekday()) % 7)  # second Sunday of March
    day = transition + timedelta(days=1)  # the Monday after
    start = at(day, 10)
    assert start.utcoffset() == timedelta(0)
    assert start.astimezone(ZoneInfo("America/New_York")).utcoffset() == timedelta(hours=-4)
    response = book(client, "intro-call", start)
    assert response.status_code == 302
    [meeting] = zoom_site.zoom_meetings()
    assert meeting["start_time"] == f"{day.isoformat()}T14:00:00Z"


def test_group_guests_share_one_meeting(zoom_site, connected_host, app):
    start = at(weekday_ahead(), 13)
    pages = []
    for n in range(3):
        guest = app.test_client()
        pages.append((guest, manage_path(book(guest, "group-session", start,
                                               email=f"g{n}@example.com", name=f"Guest {n}"))))
    [meeting] = zoom_site.zoom_meetings()
    for guest, path in pages:
        assert meeting["join_url"] in guest.get(path).get_data(as_text=True).replace("&amp;", "&")


def test_reschedule_patches_the_same_meeting(zoom_site, connected_host, client, mailbox):
    day = weekday_ahead()
    path = manage_path(book(client, "intro-call", at(day, 10)))
    [before] = zoom_site.zoom_meetings()
    reference, token = path.split("/bookings/")[1].split("?token=")
    new = at(day, 15)
    response = client.post(f"/bookings/{reference}/reschedule?token={token}",
                           data={"csrf_token": session_csrf(client),
                                 "start": new.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert response.status_code == 302
    [after] = zoom_site.zoom_meetings()
    assert after["id"] == before["id"] and after["join_url"] == before["join_url"]
    assert after["start_time"] == new.strftime("%Y-%m-%dT%H:%M:%SZ")
    patches = [r for r in zoom_site.zoom_requests() if r["method"] == "PATCH"]
    assert [r["status"] for r in patches] == [204]


def test_cancel_deletes_the_meeting(zoom_site, connected_host, client):
    path = manage_path(book(client, "intro-call", at(weekday_ahead(), 10)))
    reference, token = path.split("/bookings/")[1].split("?token=")
    client.post(f"/bookings/{reference}/cancel?token={token}",
                data={"csrf_token": session_csrf(client)})
    assert zoom_site.zoom_meetings() == []
    assert booking_row(zoom_site.app).zoom_state == ZoomState.DELETED


def test_a_group_meeting_stays_until_the_last_guest_leaves(zoom_site, connected_host, app):
    start = at(weekday_ahead(), 13)
    guests = []
    for n in range(2):
        guest = app.test_client()
        guests.append((guest, manage_path(book(guest, "group-session", start,
                                                email=f"g{n}@example.com"))))
    for n, (guest, path) in enumerate(guests):
        reference, token = path.split("/bookings/")[1].split("?token=")
        guest.post(f"/bookings/{reference}/cancel?token={token}",
                   data={"csrf_token": session_csrf(guest)})
        assert len(zoom_site.zoom_meetings()) == (1 if n == 0 else 0)


def test_meeting_already_gone_at_zoom_counts_as_deleted(zoom_site, connected_host, client):
    path = manage_path(book(client, "intro-call", at(weekday_ahead(), 10)))
    booking = booking_row(zoom_site.app)
    with zoom_site.app.app_context():
        access = decrypt_secret(db.session.scalar(
            db.select(ZoomConnection.access_token_encrypted)))
    gone = requests.delete(f"{zoom_site.zoom_url}/v2/meetings/{booking.zoom_meeting_id}",
                           headers={"Authorization": f"Bearer {access}"}, timeout=5)
    assert gone.status_code == 204
    reference, token = path.split("/bookings/")[1].split("?token=")
    client.post(f"/bookings/{reference}/cancel?token={token}",
                data={"csrf_token": session_csrf(client)})
    booking = booking_row(zoom_site.app)
    assert booking.zoom_state == ZoomState.DELETED and booking.zoom_error is None
    with zoom_site.app.app_context():
        assert db.session.scalar(db.select(db.func.count(Job.id)).where(
            Job.done_at.is_(None))) == 0


def test_after_disconnect_old_links_stay_and_new_bookings_have_none(zoom_site, connected_host,
                                                                   app, admin):
    first = app.test_client()
    first_path = manage_path(book(first, "intro-call", at(weekday_ahead(), 10)))
    old_link = booking_row(zoom_site.app).zoom_join_url
    browser = Browser(zoom_site)
    browser.login(admin.email, PASSWORD)
    browser.submit(f"/staff/{connected_host.host_id}/integrations/zoom/disconnect",
                   page=f"/staff/{connected_host.host_id}/integrations")
    browser.close()
    second = app.test_client()
    second_path = manage_path(book(second, "intro-call", at(weekday_ahead(), 11),
                                   email="second@example.com"))
    assert old_link in first.get(first_path).get_data(as_text=True).replace("&amp;", "&")
    html = second.get(second_path).get_data(as_text=True)
    assert "Hana Host will send joining details." in html
    assert len(zoom_site.zoom_meetings()) == 1


def test_a_host_without_zoom_gets_bookings_without_a_link(zoom_site, make_user, client):
    create_booking_setup(zoom_site.app, make_user, location=Location.ZOOM)
    path = manage_path(book(client, "intro-call", at(weekday_ahead(), 10)))
    assert "Hana Host will send joining details." in client.get(path).get_data(as_text=True)
    assert zoom_site.zoom_meetings() == []


def test_the_booking_page_promises_zoom_only_while_the_host_can_make_one(zoom_site, make_user,
                                                                        admin):
    create_booking_setup(zoom_site.app, make_user, location=Location.ZOOM)
    guest = zoom_site.app.test_client()
    page = guest.get("/book/intro-call").get_data(as_text=True)
    assert "Hana Host will send joining details" in page and "Zoom meeting" not in page
    browser = Browser(zoom_site)
    browser.login(admin.email, PASSWORD)
    host_id = booking_setup_host_id(zoom_site.app)
    assert "Zoom connected as" in browser.connect_zoom(host_id).text
    page = guest.get("/book/intro-call").get_data(as_text=True)
    assert "Zoom meeting" in page and "will send joining details" not in page


def booking_setup_host_id(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(MeetingType.host_id))

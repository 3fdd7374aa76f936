"""Confirm booking asks a CalDAV calendar for its free-busy report on just the slot (RFC 4791
§7.10) before anything else, and lets the calendar query and our own rules decide only when the
report says "maybe busy", or when the server refuses the report. A loopback proxy in front of a
real Radicale notes which REPORTs were sent (and can refuse the free-busy ones)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from timetics.extensions import db
from timetics.models import MeetingType

from ..booking_helpers import at, book, create_booking_setup, iso, manage_path, weekday_ahead
from ..conftest import login, post_form
from ..radicale import vcalendar, vevent
from .test_calendars import add_caldav, tick

FREE_BUSY, QUERY = "free-busy-query", "calendar-query"


@pytest.fixture
def app_config(app_config):
    app_config["CALENDAR_ALLOWED_HOSTS"] = "127.0.0.1"
    return app_config


def connect(app, make_user, client, radicale, proxy, *, zone="America/New_York",
            bookings_to=None):
    """A host whose Radicale calendar "Work" (reached through the proxy) checks for conflicts,
    synced while still empty."""
    host = create_booking_setup(app, make_user, host_zone=zone)
    login(client, host.host_email)
    radicale.make_calendar("Work")
    assert add_caldav(client, host, proxy.url).status_code == 302
    tick(client, host, "Work", bookings_to=bookings_to)
    proxy.reports.clear()
    return host


def test_an_event_added_since_the_sync_is_found_through_the_free_busy_report(
        app, make_user, client, radicale, radicale_proxy):
    day = weekday_ahead()
    connect(app, make_user, client, radicale, radicale_proxy)
    radicale.calendar("Work").add_event(vcalendar(vevent("late", at(day, 10), at(day, 11))))
    guest = app.test_client()
    response = book(guest, "intro-call", at(day, 10))
    assert response.status_code == 409
    assert "That time is not available" in response.get_data(as_text=True)
    # Busy in the report: the calendar query and our own rules confirmed it.
    assert radicale_proxy.reports == [FREE_BUSY, QUERY], radicale_proxy.reports
    radicale_proxy.reports.clear()
    assert book(guest, "intro-call", at(day, 11)).status_code == 302
    assert radicale_proxy.reports == [FREE_BUSY]  # no busy period: free, nothing listed


@pytest.mark.parametrize("extra, asked", [
    ("TRANSP:TRANSPARENT\r\n", [FREE_BUSY]),  # the server leaves it out itself
    ("STATUS:CANCELLED\r\n", [FREE_BUSY]),  # Radicale reports it as FBTYPE=FREE
    # Busy to the server, which cannot know which attendee is the host: our rules decide.
    ("ATTENDEE;PARTSTAT=DECLINED:mailto:{host}\r\n", [FREE_BUSY, QUERY]),
])
def test_an_event_that_must_not_block_added_since_the_sync_does_not_refuse(
        app, make_user, client, radicale, radicale_proxy, extra, asked):
    day = weekday_ahead()
    host = connect(app, make_user, client, radicale, radicale_proxy)
    radicale.calendar("Work").add_event(vcalendar(vevent(
        "free", at(day, 10), at(day, 11), extra=extra.format(host=host.host_email))))
    assert book(app.test_client(), "intro-call", at(day, 10)).status_code == 302
    assert radicale_proxy.reports == asked


def test_our_own_event_does_not_refuse_a_reschedule_onto_it(app, make_user, client, radicale,
                                                            radicale_proxy):
    """The server reports the event we wrote for the booking as busy; it has no UID there, so
    the calendar query decides, and leaves our own event out."""
    day = weekday_ahead()
    connect(app, make_user, client, radicale, radicale_proxy, bookings_to="Work")
    with app.app_context():
        db.session.execute(db.update(MeetingType).values(buffer_before_minutes=15))
        db.session.commit()
    guest = app.test_client()
    path = manage_path(book(guest, "intro-call", at(day, 10)))
    [written] = radicale.calendar("Work").events()
    assert written.icalendar_component.start == at(day, 10)
    radicale_proxy.reports.clear()
    # 10:30 with its 15-minute buffer before overlaps our own event of 10:00 to 10:30.
    reference, token = path.split("/bookings/")[1].split("?token=")
    page = f"/bookings/{reference}/reschedule?token={token}"
    response = post_form(guest, page, {"start": iso(at(day, 10, 30))},
                         page=f"{page}&start={iso(at(day, 10, 30))}")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert radicale_proxy.reports[:2] == [FREE_BUSY, QUERY]
    [moved] = radicale.calendar("Work").events()
    assert moved.icalendar_component.start == at(day, 10, 30)


@pytest.mark.parametrize("status, body", [
    (501, "Not Implemented"),
    (405, "Method Not Allowed"),
    (403, "Forbidden"),
    (500, "Internal Server Error"),
    (200, "<html>Sign in</html>"),  # a proxy's page: not a VFREEBUSY
    (200, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"),  # no VFREEBUSY in it
])
def test_a_server_that_refuses_the_report_is_asked_with_a_calendar_query(
        app, make_user, client, radicale, radicale_proxy, status, body):
    day = weekday_ahead()
    connect(app, make_user, client, radicale, radicale_proxy)
    radicale_proxy.free_busy_answer = (status, body)
    radicale.calendar("Work").add_event(vcalendar(vevent("late", at(day, 10), at(day, 11))))
    guest = app.test_client()
    response = book(guest, "intro-call", at(day, 10))
    assert response.status_code == 409
    assert "That time is not available" in response.get_data(as_text=True)
    assert radicale_proxy.reports == [FREE_BUSY, QUERY], radicale_proxy.reports
    assert book(guest, "intro-call", at(day, 11)).status_code == 302


def test_an_all_day_event_the_server_places_in_utc_still_refuses(app, make_user, client,
                                                                 radicale, radicale_proxy):
    """Radicale reads an all-day event in UTC: for a Sydney host (UTC+10/+11) it starts at
    10:00 or 11:00 there, so the report for a 9:00 slot on that day alone would say free. The
    report is also read where the host's wall clock sits in UTC."""
    zone = "Australia/Sydney"
    day = weekday_ahead(zone=zone)
    connect(app, make_user, client, radicale, radicale_proxy, zone=zone)
    radicale.calendar("Work").add_event(vcalendar(vevent(
        "holiday", f";VALUE=DATE:{day:%Y%m%d}", f";VALUE=DATE:{day + timedelta(days=1):%Y%m%d}")))
    guest = app.test_client()
    response = book(guest, "intro-call", at(day, 9, zone=zone))
    assert response.status_code == 409
    assert radicale_proxy.reports == [FREE_BUSY, QUERY], radicale_proxy.reports
    # The day before is free.
    assert book(guest, "intro-call", at(day - timedelta(days=1), 16, zone=zone)
                ).status_code == 302

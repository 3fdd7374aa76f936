"""Bookings written into the host's own calendar (Add new bookings to), through the outbox:
the event has the Zoom link, moves with a reschedule, goes with a cancellation, and waits for a
calendar server that is down."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from ..booking_helpers import at, book, iso, manage_path, session_csrf, weekday_ahead
from ..conftest import login, post_form
from ..radicale import PASSWORD, USER


@pytest.fixture
def app_config(app_config):
    app_config["CALENDAR_ALLOWED_HOSTS"] = "127.0.0.1"
    return app_config


@pytest.fixture
def writing_host(app, connected_host, radicale):
    """The Zoom-connected host's Radicale account, with new bookings going to "Work"."""
    radicale.make_calendar("Work")
    host = app.test_client()
    login(host, connected_host.host_email)
    tab = f"/staff/{connected_host.host_id}/calendars"
    assert post_form(host, tab + "/caldav", {"server_url": radicale.url, "username": USER,
                                             "password": PASSWORD}).status_code == 302
    html = host.get(tab).get_data(as_text=True)
    work = html.split('<option value="')[2].split('"')[0]  # after "No calendar"
    post_form(host, tab + "/choices", {"check": [work], "bookings_to": work})
    return SimpleNamespace(client=host, tab=tab)


def html_account_id(host, tab: str) -> str:
    return re.search(r'/calendars/(\d+)/sync"', host.get(tab).get_data(as_text=True)).group(1)


def events(radicale):
    return [e.icalendar_component for e in radicale.calendar("Work").events()]


def test_a_booking_becomes_an_event_that_moves_and_goes(app, writing_host, radicale,
                                                        zoom_site, client):
    day = weekday_ahead()
    path = manage_path(book(client, "intro-call", at(day, 10), notes="About the roof"))
    [event] = events(radicale)
    [meeting] = zoom_site.zoom_meetings()
    assert event.start == at(day, 10)
    assert str(event["LOCATION"]) == meeting["join_url"]
    assert meeting["join_url"] in str(event["DESCRIPTION"])
    assert "Gina Guest" in str(event["DESCRIPTION"]) and "About the roof" in str(
        event["DESCRIPTION"])
    reference, token = path.split("/bookings/")[1].split("?token=")
    assert str(event["UID"]).startswith(reference)
    # The host syncs: the event is theirs, yet it is ours and never blocks anything itself.
    host, tab = writing_host.client, writing_host.tab
    post_form(host, f"{tab}/{html_account_id(host, tab)}/sync", {})
    response = client.post(f"/bookings/{reference}/reschedule?token={token}",
                           data={"csrf_token": session_csrf(client), "start": iso(at(day, 15))})
    assert response.status_code == 302
    [moved] = events(radicale)
    assert moved.start == at(day, 15) and moved["UID"] == event["UID"]
    starts = {s["start"] for s in client.get(
        f"/book/intro-call/slots?from={day}&to={day}").get_json()["slots"]}
    assert iso(at(day, 10)) in starts and iso(at(day, 15)) not in starts
    client.post(f"/bookings/{reference}/cancel?token={token}",
                data={"csrf_token": session_csrf(client)})
    assert events(radicale) == []


def test_a_server_down_at_booking_time_gets_the_event_later(app, writing_host,
                                                             radicale, client, runner):
    radicale.stop()
    response = book(client, "intro-call", at(weekday_ahead(), 10))
    assert response.status_code == 302  # the booking stands
    reference = manage_path(response).split("/bookings/")[1].split("?")[0]
    history = writing_host.client.get(f"/dashboard/bookings/{reference}").get_data(as_text=True)
    assert "Write the event in the host&#39;s calendar" in history
    assert "could not be reached" in history
    radicale.start()
    assert events(radicale) == []
    result = runner.invoke(args=["run-jobs", "--once", "--all"])
    assert result.exit_code == 0, result.output
    [event] = events(radicale)
    assert event.start == at(weekday_ahead(), 10)


def test_a_group_booking_s_event_lists_its_guests_as_they_come_and_go(app, writing_host,
                                                                       radicale):
    start = at(weekday_ahead(), 10)
    first, second = app.test_client(), app.test_client()
    book(first, "group-session", start, name="Ann First", email="ann@example.com")
    path = manage_path(book(second, "group-session", start, name="Bob Second",
                            email="bob@example.com"))
    [event] = events(radicale)
    assert "Ann First" in str(event["DESCRIPTION"]) and "Bob Second" in str(event["DESCRIPTION"])
    reference, token = path.split("/bookings/")[1].split("?token=")
    second.post(f"/bookings/{reference}/cancel?token={token}",
                data={"csrf_token": session_csrf(second)})
    [event] = events(radicale)
    assert "Ann First" in str(event["DESCRIPTION"])
    assert "Bob Second" not in str(event["DESCRIPTION"])


def test_a_write_back_that_fails_shows_on_the_dashboard_until_it_works(app, writing_host,
                                                                       radicale, client,
                                                                       runner):
    radicale.stop()
    reference = manage_path(book(client, "intro-call", at(weekday_ahead(), 10))) \
        .split("/bookings/")[1].split("?")[0]
    host = writing_host.client
    line = attention_line(host, reference)
    assert "Calendar not updated yet" in line and "“Work”" in line
    assert "could not be reached" in line and "we retry" in line
    app.config["JOB_MAX_AGE_HOURS"] = 0  # the next failure gives up
    assert runner.invoke(args=["run-jobs", "--once", "--all"]).exit_code == 0
    app.config["JOB_MAX_AGE_HOURS"] = 48
    line = attention_line(host, reference)
    assert "Calendar write-back failed" in line and "we stopped retrying" in line
    radicale.start()
    job_id = re.search(r'/dashboard/jobs/(\d+)/retry', line).group(1)
    page = post_form(host, f"/dashboard/jobs/{job_id}/retry", {}, page="/dashboard",
                     follow_redirects=True).get_data(as_text=True)
    assert "Done: the booking&#39;s calendar is up to date." in page
    assert "Calendar write-back failed" not in page and "Calendar not updated" not in page
    [event] = events(radicale)
    assert event.start == at(weekday_ahead(), 10)


def test_a_cancelled_booking_left_in_the_calendar_says_so(app, writing_host, radicale,
                                                          client):
    path = manage_path(book(client, "intro-call", at(weekday_ahead(), 10)))
    reference, token = path.split("/bookings/")[1].split("?token=")
    radicale.stop()
    client.post(f"/bookings/{reference}/cancel?token={token}",
                data={"csrf_token": session_csrf(client)})
    line = attention_line(writing_host.client, reference)
    assert "the cancelled booking" in line and "is still in the calendar “Work”" in line


def test_only_the_host_and_admins_see_a_write_back_failure(app, writing_host, radicale,
                                                            make_user, as_admin):
    radicale.stop()
    reference = manage_path(book(app.test_client(), "intro-call", at(weekday_ahead(), 10))) \
        .split("/bookings/")[1].split("?")[0]
    other = app.test_client()
    login(other, make_user(email="other@example.com").email)
    assert reference not in other.get("/dashboard").get_data(as_text=True)
    assert "Calendar not updated yet" in attention_line(as_admin, reference)


def attention_line(host, reference: str) -> str:
    """The Needs attention item that names the booking."""
    page = host.get("/dashboard").get_data(as_text=True)
    return re.search(rf"<li>(?:(?!</li>).)*\({reference}\)(?:(?!</li>).)*</li>", page,
                     re.S).group(0)


def test_a_request_is_written_to_the_calendar_only_once_accepted(app, writing_host, radicale,
                                                                 zoom_site, client):
    """A type that requires approval: the request has no event (nor Zoom meeting); Accept
    writes it, with the link, as any confirmed booking."""
    from timetics.extensions import db
    from timetics.models import Booking, MeetingType

    with app.app_context():
        db.session.scalar(db.select(MeetingType).filter_by(slug="intro-call")) \
            .requires_approval = True
        db.session.commit()
    manage_path(book(client, "intro-call", at(weekday_ahead(), 10)))
    assert events(radicale) == [] and zoom_site.zoom_meetings() == []
    with app.app_context():
        reference = db.session.scalar(db.select(Booking.reference))
    assert post_form(writing_host.client, f"/dashboard/bookings/{reference}/accept", {},
                     page="/dashboard").status_code == 302
    [event] = events(radicale)
    [meeting] = zoom_site.zoom_meetings()
    assert str(event["LOCATION"]) == meeting["join_url"]


def test_the_hosts_event_is_in_the_hosts_language_whatever_the_guest_reads(
        app, writing_host, radicale, client):
    # The guest's request runs the write-back job: the event is still the host's (English).
    client.get("/book/intro-call?lang=de")
    book(client, "intro-call", at(weekday_ahead(), 10))
    [event] = events(radicale)
    assert str(event["SUMMARY"]) == "Intro call with Hana Host"
    assert "Guests:" in str(event["DESCRIPTION"]) and "Gäste" not in str(event["DESCRIPTION"])

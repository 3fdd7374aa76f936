"""The host's side of bookings: the detail page with its history, the filtered dashboard, the
CSV export, and cancelling through a confirmation page with a message to the guests."""
import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from timetics.extensions import db
from timetics.models import Booking, BookingStatus, MeetingType, Role, ZoomState

from ..booking_helpers import (
    add_booking,
    at,
    book,
    create_booking_setup,
    manage_path,
    weekday_ahead,
)
from ..conftest import login, post_form
from ..smtp import html_of, text_of


@pytest.fixture
def setup(app, make_user):
    return create_booking_setup(app, make_user)


def reference_of(response) -> str:
    return manage_path(response).split("/bookings/")[1].split("?")[0]


# --- the detail page ---------------------------------------------------------------------------

def test_the_host_sees_guests_notes_and_history_in_their_own_zone(app, client, setup, mailbox):
    """Guests with email, zone and notes; times in the host's zone; each email with its
    outcome."""
    start = at(weekday_ahead(), 10)  # 10:00 in New York, the host's zone
    reference = reference_of(book(app.test_client(), "intro-call", start,
                                  notes="Please call me Gigi."))
    mailbox.wait_for(2)
    login(client, "host@example.com")
    html = client.get(f"/dashboard/bookings/{reference}").get_data(as_text=True)
    assert "Gina Guest" in html and "gina@example.com" in html
    assert "Asia/Tokyo" in html and "Please call me Gigi." in html
    assert start.astimezone(ZoneInfo("America/New_York")) \
        .strftime("%A %d %B %Y, 10:00") in html
    history = html.split('id="history-heading"')[1]
    assert "Booked by Gina Guest" in history
    assert re.search(r"Confirmation email to gina@example.com\s*<span class=\"badge badge-ok\">"
                     r"Done", history)
    assert "Confirmation email to host@example.com" in history


def test_another_staff_member_gets_404_and_the_admin_sees_any(app, client, setup, make_user,
                                                              admin):
    reference = reference_of(book(app.test_client(), "intro-call", at(weekday_ahead(), 10)))
    other = make_user(email="other@example.com")
    login(client, other.email)
    assert client.get(f"/dashboard/bookings/{reference}").status_code == 404
    assert client.get(f"/dashboard/bookings/{reference}/cancel").status_code == 404
    assert "Gina" not in client.get("/dashboard").get_data(as_text=True)
    assert "Gina" not in client.get("/dashboard/bookings.csv").get_data(as_text=True)
    admin_client = app.test_client()
    login(admin_client, admin.email)
    assert admin_client.get(f"/dashboard/bookings/{reference}").status_code == 200
    assert admin_client.get("/dashboard/bookings/NOSUCHREF").status_code == 404


def test_the_detail_page_shows_the_zoom_meeting_and_each_zoom_call(zoom_site, connected_host,
                                                                   admin, mailbox):
    client = zoom_site.app.test_client()
    reference = reference_of(book(client, "intro-call", at(weekday_ahead(), 10)))
    [meeting] = zoom_site.zoom_meetings()
    login(client, admin.email)
    html = client.get(f"/dashboard/bookings/{reference}").get_data(as_text=True)
    assert meeting["join_url"] in html.replace("&amp;", "&")
    assert str(meeting["id"]) in html
    assert meeting["password"] in html
    assert "Meeting ready" in html
    assert re.search(r"Create the Zoom meeting\s*<span class=\"badge badge-ok\">Done", html)


# --- cancelling from the dashboard ------------------------------------------------------------

def test_the_confirmation_page_says_what_cancelling_does(zoom_site, connected_host, admin,
                                                         mailbox):
    """Three guests of a group with a Zoom meeting: all three lose their place, the meeting
    goes, and each guest reads the admin's name and message."""
    guest = zoom_site.app.test_client()
    start = at(weekday_ahead(), 13)
    for name in ("Gina Guest", "Ivo Guest", "Jun Guest"):
        path = manage_path(book(guest, "group-session", start, name=name,
                                email=f"{name.split()[0].lower()}@example.com"))
    reference = path.split("/bookings/")[1].split("?")[0]
    mailbox.wait_for(6)
    mailbox.clear()
    client = zoom_site.app.test_client()
    login(client, admin.email)

    page = client.get(f"/dashboard/bookings/{reference}/cancel")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "cancels the booking for all 3 guests and deletes the Zoom meeting" in html
    assert re.search(r'<label for="message">Message to the guests</label>', html)
    assert '<button type="submit" class="button button-danger">Cancel booking</button>' in html
    with zoom_site.app.app_context():
        booking_id = db.session.scalar(db.select(Booking.id).filter_by(reference=reference))
    response = post_form(client, f"/dashboard/bookings/{booking_id}/cancel",
                         {"message": "I am ill, sorry.\nPlease book next week."},
                         page=f"/dashboard/bookings/{reference}/cancel")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/dashboard/bookings/{reference}"
    assert zoom_site.zoom_meetings() == []

    mailbox.wait_for(4)
    for address in ("gina@example.com", "ivo@example.com", "jun@example.com"):
        [message] = mailbox.to(address)
        assert "Ada Admin cancelled your booking" in text_of(message)
        assert "Message from Ada Admin:\nI am ill, sorry.\nPlease book next week." \
            in text_of(message)
        assert "I am ill, sorry." in html_of(message)
    [to_host] = mailbox.to("host@example.com")
    assert "Ada Admin cancelled Group session" in text_of(to_host)
    assert "I am ill, sorry." in text_of(to_host)

    detail = client.get(f"/dashboard/bookings/{reference}").get_data(as_text=True)
    history = detail.split('id="history-heading"')[1]
    assert "Cancelled by Ada Admin" in history and "I am ill, sorry." in history
    assert re.search(r"Delete the Zoom meeting\s*<span class=\"badge badge-ok\">Done", history)
    assert "Join Zoom meeting" not in detail


def test_the_host_cancelling_is_named_as_the_host(app, client, setup, mailbox):
    reference = reference_of(book(app.test_client(), "intro-call", at(weekday_ahead(), 10)))
    mailbox.wait_for(2)
    mailbox.clear()
    login(client, "host@example.com")
    page = client.get(f"/dashboard/bookings/{reference}/cancel").get_data(as_text=True)
    assert "cancels the booking for Gina Guest." in page  # no Zoom meeting to delete
    booking_id = re.search(r'action="/dashboard/bookings/(\d+)/cancel"', page).group(1)
    post_form(client, f"/dashboard/bookings/{booking_id}/cancel", {},
              page=f"/dashboard/bookings/{reference}/cancel")
    mailbox.wait_for(2)
    assert "Hana Host cancelled your booking" in text_of(mailbox.to("gina@example.com")[0])
    assert "Message from" not in text_of(mailbox.to("gina@example.com")[0])
    assert "You cancelled Intro call" in text_of(mailbox.to("host@example.com")[0])


def test_a_message_too_long_is_refused_and_nothing_is_cancelled(app, client, setup):
    reference = reference_of(book(app.test_client(), "intro-call", at(weekday_ahead(), 10)))
    login(client, "host@example.com")
    with app.app_context():
        booking_id = db.session.scalar(db.select(Booking.id))
    response = post_form(client, f"/dashboard/bookings/{booking_id}/cancel",
                         {"message": "x" * 2001}, page=f"/dashboard/bookings/{reference}/cancel")
    assert response.status_code == 422
    assert "Field cannot be longer than 2000 characters." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == BookingStatus.CONFIRMED


def test_a_guest_who_cancels_is_in_the_history(app, client, setup):
    guest = app.test_client()
    path = manage_path(book(guest, "intro-call", at(weekday_ahead(), 10)))
    reference, token = path.split("/bookings/")[1].split("?token=")
    post_form(guest, f"/bookings/{reference}/cancel?token={token}", {})
    login(client, "host@example.com")
    html = client.get(f"/dashboard/bookings/{reference}").get_data(as_text=True)
    assert "Cancelled by the guest" in html


# --- the dashboard list -----------------------------------------------------------------------

def upcoming_of(html: str) -> str:
    return html.split('id="upcoming-heading"')[1].split("</section>")[0]


def test_cancelled_bookings_leave_upcoming_and_the_cancelled_filter_shows_them(
        app, client, setup):
    day = weekday_ahead()
    kept = reference_of(book(app.test_client(), "intro-call", at(day, 10)))
    gone = reference_of(book(app.test_client(), "intro-call", at(day, 11), name="Ivo Gone",
                             email="ivo@example.com"))
    login(client, "host@example.com")
    with app.app_context():
        booking_id = db.session.scalar(db.select(Booking.id).filter_by(reference=gone))
    post_form(client, f"/dashboard/bookings/{booking_id}/cancel", {},
              page=f"/dashboard/bookings/{gone}/cancel")

    upcoming = upcoming_of(client.get("/dashboard").get_data(as_text=True))
    assert kept in upcoming and gone not in upcoming
    cancelled = client.get("/dashboard?status=cancelled").get_data(as_text=True)
    assert gone in cancelled and kept not in cancelled
    assert "Ivo Gone" in cancelled  # the guest's name stays
    assert "Join link" not in cancelled and "Cancel booking" not in cancelled


def test_search_by_name_email_and_reference(app, client, setup):
    day = weekday_ahead()
    gina = reference_of(book(app.test_client(), "intro-call", at(day, 10)))
    ivo = reference_of(book(app.test_client(), "intro-call", at(day, 11), name="Ivo Ito",
                            email="ivo@elsewhere.example"))
    login(client, "host@example.com")
    for query, found, hidden in (("gina", gina, ivo), ("ELSEWHERE", ivo, gina),
                                 (ivo.lower(), ivo, gina), ("100%", None, gina)):
        html = client.get("/dashboard", query_string={"q": query}).get_data(as_text=True)
        if found:
            assert found in html, query
        assert hidden not in html, query


def test_filters_by_type_host_status_and_dates(app, client, setup, make_user, admin):
    day = weekday_ahead()
    one = reference_of(book(app.test_client(), "intro-call", at(day, 10)))
    group = reference_of(book(app.test_client(), "group-session", at(day + timedelta(days=7),
                                                                     13)))
    with app.app_context():
        intro_id = db.session.scalar(db.select(MeetingType.id).filter_by(slug="intro-call"))
    other_host = make_user(Role.STAFF, email="other@example.com")
    login(client, admin.email)

    def shown(**args) -> set[str]:
        html = client.get("/dashboard", query_string=args).get_data(as_text=True)
        return {r for r in (one, group) if r in html}

    assert shown() == {one, group}
    assert shown(type=intro_id) == {one}
    assert shown(host=setup.host_id) == {one, group}
    assert shown(host=other_host.id) == set()
    assert shown(status="confirmed") == {one, group}
    assert shown(status="pending") == set()
    assert shown(**{"from": day.isoformat(), "to": day.isoformat()}) == {one}
    assert shown(**{"from": (day + timedelta(days=1)).isoformat()}) == {group}


@pytest.mark.parametrize("args", [{"from": "2026-02-30"}, {"status": "lost"}, {"page": "x"},
                                  {"from": "2030-01-02", "to": "2030-01-01"}])
def test_bad_filters_get_a_message_and_a_400(app, client, setup, args):
    login(client, "host@example.com")
    response = client.get("/dashboard", query_string=args)
    if "page" in args:  # a page that is not a number is the first page
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert client.get("/dashboard/bookings.csv", query_string=args).status_code == 400


def test_paging_goes_from_upcoming_to_past(app, client, setup):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    future = [add_booking(app, "intro-call", now + timedelta(days=2, hours=i), name=f"F{i:02}")
              for i in range(26)]
    past = [add_booking(app, "intro-call", now - timedelta(days=2, hours=i), name=f"P{i:02}")
            for i in range(3)]
    login(client, "host@example.com")
    first = client.get("/dashboard").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Next page" in first
    assert all(r in first for r in future[:25]) and future[25] not in first
    assert "Go to past bookings" in first and "Past bookings" not in first
    second = client.get("/dashboard?page=2").get_data(as_text=True)
    assert future[25] in upcoming_of(second)
    after = second.split('id="past-heading"')[1]
    assert [after.index(r) for r in past] == sorted(after.index(r) for r in past)  # latest first
    assert client.get("/dashboard?page=99").status_code == 200  # the last page


def test_the_csv_exports_the_filtered_list_without_secrets(zoom_site, connected_host, mailbox):
    client = zoom_site.app.test_client()
    day = weekday_ahead()
    path = manage_path(book(client, "intro-call", at(day, 10), name="=HYPERLINK(\"x\")",
                            email="eve@example.com", notes="@SUM(1+1)"))
    token = path.split("?token=")[1]
    book(client, "intro-call", at(day, 11), name="Ivo Ito", email="ivo@example.com")
    [first, _] = sorted(zoom_site.zoom_meetings(), key=lambda m: m["start_time"])
    login(client, "host@example.com")
    response = client.get("/dashboard/bookings.csv?q=eve")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["Reference", "Start", "End"]
    assert len(rows) == 2  # the filter applies: Ivo's booking is not there
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Guests"] == "'=HYPERLINK(\"x\")"  # text, not a formula
    assert row["Notes"] == "'@SUM(1+1)"
    assert row["Guest emails"] == "eve@example.com"
    assert row["Start"] == at(day, 10).astimezone(
        ZoneInfo("America/New_York")).strftime("%Y-%m-%d 10:00")
    for secret in (token, first["join_url"], first["password"]):
        assert secret not in body


def test_a_booking_whose_zoom_link_is_pending_is_under_pending(app, client, setup):
    reference = reference_of(book(app.test_client(), "intro-call", at(weekday_ahead(), 10)))
    with app.app_context():
        db.session.scalar(db.select(Booking)).zoom_state = ZoomState.PENDING
        db.session.commit()
    login(client, "host@example.com")
    assert reference in client.get("/dashboard?status=pending").get_data(as_text=True)

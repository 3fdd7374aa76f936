"""How guests join, through the sandbox: one shared link, or with registration or a webinar a
link per guest, added, cancelled, moved and deleted through the outbox."""
from __future__ import annotations

import pytest
import requests

from timetics.db import utcnow
from timetics.extensions import db
from timetics.models import Attendee, Booking, Job, Location, MeetingType, ZoomState
from timetics.zoom import GRANULAR_SCOPES, REGISTRATION_SCOPES, WEBINAR_SCOPES

from ..booking_helpers import (
    at,
    book,
    create_booking_setup,
    iso,
    manage_path,
    session_csrf,
    weekday_ahead,
)
from ..conftest import PASSWORD, login, post_form
from ..live import Browser
from ..smtp import text_of

ALEX_WITH_WEBINARS = {"id": "zoomuser-alex", "email": "alex.rivera@zoom.example",
                      "first_name": "Alex", "last_name": "Rivera", "timezone": "America/New_York",
                      "features": {"webinar": True, "webinar_capacity": 100}}


@pytest.fixture
def group_host(zoom_site, make_user, admin):
    """A host with the Webinar add-on, connected to an app with every optional scope."""
    zoom_site.register_app(scopes=[*GRANULAR_SCOPES, "meeting:read:list_meetings",
                                   *REGISTRATION_SCOPES, *WEBINAR_SCOPES,
                                   "webinar:read:webinar", "webinar:read:list_webinars",
                                   "user:read:settings"])
    zoom_site.zoom("post", "/users", json=ALEX_WITH_WEBINARS)
    setup = create_booking_setup(zoom_site.app, make_user, location=Location.ZOOM)
    browser = Browser(zoom_site)
    browser.login(admin.email, PASSWORD)
    assert "Zoom connected as" in browser.connect_zoom(setup.host_id).text
    browser.close()
    return setup


def set_mode(app, mode: str) -> None:
    with app.app_context():
        meeting_type = db.session.scalar(db.select(MeetingType).filter_by(slug="group-session"))
        meeting_type.zoom_guest_join = mode
        db.session.commit()


def book_three(app, start) -> list[tuple]:
    guests = []
    for n in range(3):
        client = app.test_client()
        guests.append((client, manage_path(book(client, "group-session", start,
                                                 email=f"g{n}@example.com",
                                                 name=f"Guest {n}"))))
    return guests


def links(app) -> list[str | None]:
    with app.app_context():
        return list(db.session.scalars(db.select(Attendee.zoom_join_url).order_by(Attendee.id)))


def zoom_items(zoom_site, kind: str, *, live_only: bool = True) -> list[dict]:
    items = zoom_site.zoom("get", f"/{kind}").json()[kind]
    return [i for i in items if not (live_only and i["deleted"])]


def opens(link: str) -> bool:
    return requests.get(link, timeout=5, allow_redirects=False).status_code == 200


def cancel(client, path: str) -> None:
    reference, token = path.split("/bookings/")[1].split("?token=")
    response = client.post(f"/bookings/{reference}/cancel?token={token}",
                           data={"csrf_token": session_csrf(client)})
    assert response.status_code == 302


def page_of(client, path) -> str:
    return client.get(path).get_data(as_text=True).replace("&amp;", "&")


def test_one_shared_link_by_default(zoom_site, group_host, app):
    guests = book_three(app, at(weekday_ahead(), 13))
    [meeting] = zoom_items(zoom_site, "meetings")
    assert meeting["settings"].get("approval_type", 2) == 2
    for client, path in guests:
        assert meeting["join_url"] in page_of(client, path)
    assert links(app) == [None, None, None]


@pytest.mark.parametrize(("mode", "kind"), [("registration", "meetings"),
                                            ("webinar", "webinars")])
def test_each_guest_gets_their_own_link_and_loses_it_on_cancelling(
        zoom_site, group_host, app, mailbox, mode, kind):
    set_mode(app, mode)
    guests = book_three(app, at(weekday_ahead(), 13))
    [item] = zoom_items(zoom_site, kind)
    assert zoom_items(zoom_site, "meetings" if kind == "webinars" else "webinars") == []
    assert item["settings"]["approval_type"] == 0
    assert item["settings"]["registrants_email_notification"] is False
    if kind == "meetings":
        assert item["settings"]["registrants_confirmation_email"] is False
    own = links(app)
    assert len(set(own)) == 3 and all(own) and all(opens(link) for link in own)
    assert [r["join_url"] for r in item["registrants"]] == own
    for n, (client, path) in enumerate(guests):
        page = page_of(client, path)
        assert own[n] in page
        assert not any(other in page for other in own if other != own[n])
        assert item["join_url"] not in page and item["start_url"] not in page
    mailbox.wait_for(6)
    for n in range(3):
        text = "\n".join(text_of(m) for m in mailbox.to(f"g{n}@example.com"))
        assert own[n] in text and item["start_url"] not in text
        assert not any(other in text for other in own if other != own[n])
    host_text = "\n".join(text_of(m) for m in mailbox.to("host@example.com"))
    assert "registrant" in host_text and "signed in to your Zoom account" in host_text
    assert item["start_url"] not in host_text and not any(link in host_text for link in own)

    host = app.test_client()
    login(host, "host@example.com")
    with app.app_context():
        reference = db.session.scalar(db.select(Booking.reference))
    detail = page_of(host, f"/dashboard/bookings/{reference}")
    assert "Each guest has a join link of their own: 3 registrants." in detail
    assert not any(link in detail for link in own) and item["start_url"] not in detail

    cancel(*guests[0])
    assert [opens(link) for link in own] == [False, True, True]
    assert "2 registrants." in page_of(host, f"/dashboard/bookings/{reference}")
    assert "Cancelled, so there is no Zoom meeting to join." in page_of(*guests[0])
    cancel(*guests[1])
    assert zoom_items(zoom_site, kind) != []
    cancel(*guests[2])
    assert zoom_items(zoom_site, kind) == []
    with app.app_context():
        assert db.session.scalar(db.select(Booking.zoom_state)) == ZoomState.DELETED


@pytest.mark.parametrize(("mode", "kind"), [("shared", "meetings"),
                                            ("registration", "meetings"),
                                            ("webinar", "webinars")])
def test_the_whole_booking_moving_updates_zoom_once(zoom_site, group_host, app, mode, kind):
    set_mode(app, mode)
    day = weekday_ahead()
    book_three(app, at(day, 13))
    own = links(app)
    with app.app_context():
        reference = db.session.scalar(db.select(Booking.reference))
    host = app.test_client()
    login(host, "host@example.com")
    page = f"/dashboard/bookings/{reference}/reschedule?start={iso(at(day, 15))}"
    response = post_form(host, f"/dashboard/bookings/{reference}/reschedule",
                         {"start": iso(at(day, 15))}, page=page)
    assert response.status_code == 302
    patches = [r for r in zoom_site.zoom_requests() if r["method"] == "PATCH"]
    assert [r["status"] for r in patches] == [204]
    [item] = zoom_items(zoom_site, kind)
    assert item["start_time"] == iso(at(day, 15)).replace("+00:00", "Z")
    assert links(app) == own  # everyone keeps their link
    if mode != "shared":
        assert all(opens(link) for link in own)


def test_zoom_failing_while_adding_a_registrant(zoom_site, group_host, app, mailbox):
    """The place stands and the guest is told the link follows; run-jobs registers them
    exactly once and mails the link."""
    set_mode(app, "webinar")
    start = at(weekday_ahead(), 13)
    zoom_site.fault(target="add_registrant", mode="error", status=500)
    client = app.test_client()
    path = manage_path(book(client, "group-session", start, email="g0@example.com",
                            name="Guest Zero"))
    assert "Your Zoom link will follow by email." in page_of(client, path)
    mailbox.wait_for(2)
    [confirmation] = mailbox.to("g0@example.com")
    assert "your Zoom link will follow by email" in text_of(confirmation)
    assert links(app) == [None]

    zoom_site.clear_faults()
    with app.app_context():  # the retry is due now, not at its backoff
        db.session.execute(db.update(Job).where(Job.done_at.is_(None))
                           .values(run_after=utcnow()))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["run-jobs", "--once"])
    assert result.exit_code == 0, result.output
    [link] = links(app)
    assert link and opens(link)
    [webinar] = zoom_items(zoom_site, "webinars")
    assert [r["email"] for r in webinar["registrants"]] == ["g0@example.com"]
    adds = [r for r in zoom_site.zoom_requests()
            if r["method"] == "POST" and r["path"].endswith("/registrants")]
    assert [r["status"] for r in adds] == [500, 201]
    mailbox.wait_for(3)
    [_, link_email] = mailbox.to("g0@example.com")
    assert link in text_of(link_email)
    assert link in page_of(client, path)


def test_the_connect_result_names_the_optional_scopes_a_link_per_guest_needs(
        zoom_site, make_user, admin):
    """The fixture's app has only the required scopes (and list_meetings)."""
    setup = create_booking_setup(zoom_site.app, make_user, location=Location.ZOOM)
    browser = Browser(zoom_site)
    browser.login(admin.email, PASSWORD)
    text = browser.connect_zoom(setup.host_id).text.replace("&#39;", "'")
    browser.close()
    assert "Zoom connected as" in text
    assert ("Optional: Zoom meeting with registration needs the Zoom app's scopes "
            "meeting:write:registrant, meeting:update:registrant_status") in text
    assert "Optional: Zoom webinar needs the Zoom app's scopes webinar:write:webinar" in text


def test_the_connect_result_says_nothing_more_when_every_scope_is_there(zoom_site, group_host,
                                                                         admin):
    browser = Browser(zoom_site)
    browser.login(admin.email, PASSWORD)
    text = browser.connect_zoom(group_host.host_id).text
    browser.close()
    assert "Zoom connected as" in text and "Optional:" not in text


def test_a_guest_moving_to_another_time_moves_their_registration(zoom_site, group_host, app):
    """Their link at the old time stops; at the new time they are a registrant with a new
    link; the guest who stays keeps theirs."""
    set_mode(app, "registration")
    day = weekday_ahead()
    guests = book_three(app, at(day, 13))[:2]
    before = links(app)
    client, path = guests[0]
    reference, token = path.split("/bookings/")[1].split("?token=")
    response = client.post(f"/bookings/{reference}/reschedule?token={token}",
                           data={"csrf_token": session_csrf(client), "start": iso(at(day, 15))})
    assert response.status_code == 302
    with app.app_context():
        moved = db.session.scalar(db.select(Attendee).where(
            Attendee.email == "g0@example.com", Attendee.status == "confirmed"))
        new_link = moved.zoom_join_url
    assert new_link and new_link not in before
    assert [opens(before[0]), opens(before[1]), opens(new_link)] == [False, True, True]
    assert len(zoom_items(zoom_site, "meetings")) == 2

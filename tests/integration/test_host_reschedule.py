"""The host moves a booking (every guest, same Zoom meeting), or asks the guests to pick a new
time themselves (a fresh manage link each; the old one stops working)."""
import re

import pytest

from timetics.extensions import db
from timetics.models import Attendee, Booking, Job

from ..booking_helpers import at, book, create_booking_setup, iso, manage_path, weekday_ahead
from ..conftest import PASSWORD, assert_not_stored, login, post_form
from ..smtp import html_of, text_of


@pytest.fixture
def setup(app, make_user):
    return create_booking_setup(app, make_user)


def parts(response) -> tuple[str, str]:
    reference, token = manage_path(response).split("/bookings/")[1].split("?token=")
    return reference, token


def move(client, reference: str, start) -> object:
    page = f"/dashboard/bookings/{reference}/reschedule?start={iso(start)}"
    return post_form(client, f"/dashboard/bookings/{reference}/reschedule",
                     {"start": iso(start)}, page=page)


def test_the_host_moves_a_group_booking_for_every_guest(app, client, setup, mailbox):
    day = weekday_ahead()
    guest = app.test_client()
    tokens = {}
    for name in ("Gina", "Ivo"):
        reference, tokens[name] = parts(book(guest, "group-session", at(day, 13), name=name,
                                             email=f"{name.lower()}@example.com"))
    mailbox.wait_for(4)
    mailbox.clear()
    login(client, "host@example.com")
    detail = client.get(f"/dashboard/bookings/{reference}").get_data(as_text=True)
    assert re.search(r"<button[^>]*>Reschedule</button>", detail)
    assert re.search(r"<button[^>]*>Ask the guest to pick a new time</button>", detail)

    page = client.get(f"/dashboard/bookings/{reference}/reschedule?start={iso(at(day, 15))}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "all 2 guests" in html
    assert re.search(r'<(button|input)[^>]*(>Confirm new time<|value="Confirm new time")', html)
    response = move(client, reference, at(day, 15))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/dashboard/bookings/{reference}"
    with app.app_context():
        booking = db.session.scalar(db.select(Booking).filter_by(reference=reference))
        assert booking.start_at == at(day, 15) and booking.sequence == 1
        assert {a.status.value for a in booking.attendees} == {"confirmed"}

    mailbox.wait_for(3)
    for name in ("gina", "ivo"):
        [message] = mailbox.to(f"{name}@example.com")
        text = text_of(message)
        assert "Hana Host moved your booking to a new time." in text
        assert "The link in your confirmation email still works" in text
        assert "token=" not in text and "token=" not in html_of(message)
    [to_host] = mailbox.to("host@example.com")
    assert "Hana Host moved Group session to a new time" in text_of(to_host)
    # The guests' links still work, and show the new time.
    manage = guest.get(f"/bookings/{reference}?token={tokens['Gina']}")
    assert manage.status_code == 200
    history = client.get(f"/dashboard/bookings/{reference}").get_data(as_text=True) \
        .split('id="history-heading"')[1]
    assert "Moved to a new time by Hana Host" in history


def test_a_time_that_is_taken_or_the_same_is_refused(app, client, setup):
    day = weekday_ahead()
    reference, _ = parts(book(app.test_client(), "intro-call", at(day, 10)))
    book(app.test_client(), "intro-call", at(day, 11), email="other@example.com")
    login(client, "host@example.com")
    page = client.get(f"/dashboard/bookings/{reference}/reschedule?start={iso(at(day, 11))}")
    assert page.status_code == 409
    assert "That time is not available." in page.get_data(as_text=True)
    response = post_form(client, f"/dashboard/bookings/{reference}/reschedule",
                         {"start": iso(at(day, 11))},
                         page=f"/dashboard/bookings/{reference}/reschedule")
    assert response.status_code == 409
    response = post_form(client, f"/dashboard/bookings/{reference}/reschedule",
                         {"start": iso(at(day, 10))},
                         page=f"/dashboard/bookings/{reference}/reschedule")
    assert response.status_code == 409
    assert "already has" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(Booking.start_at).filter_by(reference=reference)) \
            == at(day, 10)


def test_another_staff_member_cannot_move_or_ask(app, client, setup, make_user):
    reference, _ = parts(book(app.test_client(), "intro-call", at(weekday_ahead(), 10)))
    other = make_user(email="other@example.com")
    login(client, other.email, PASSWORD)
    assert client.get(f"/dashboard/bookings/{reference}/reschedule").status_code == 404
    assert move(client, reference, at(weekday_ahead(), 12)).status_code == 404
    assert post_form(client, f"/dashboard/bookings/{reference}/ask-new-time", {},
                     page="/dashboard").status_code == 404


def test_asking_for_a_new_time_sends_a_new_link_and_ends_the_old(app, client, setup, mailbox):
    day = weekday_ahead()
    guest = app.test_client()
    reference, old_token = parts(book(guest, "intro-call", at(day, 10)))
    mailbox.wait_for(2)
    mailbox.clear()
    login(client, "host@example.com")
    response = post_form(client, f"/dashboard/bookings/{reference}/ask-new-time", {},
                         page=f"/dashboard/bookings/{reference}")
    assert response.status_code == 302
    [message] = mailbox.wait_for(1)
    assert "gina@example.com" in message["To"]
    text = text_of(message)
    assert "Hana Host asks you to pick a new time" in text
    assert "the link from earlier emails no longer works" in text
    link = re.search(r"http://timetics\.test(/bookings/\S+/reschedule\?token=(\S+))", text)
    path, new_token = link.group(1), link.group(2)
    assert guest.get(f"/bookings/{reference}?token={old_token}").status_code == 404
    page = guest.get(path)
    assert page.status_code == 200 and "Confirm new time" not in page.get_data(as_text=True)
    # The guest picks a new time with the new link.
    new = at(day, 14)
    response = post_form(guest, f"/bookings/{reference}/reschedule?token={new_token}",
                         {"start": iso(new)},
                         page=f"/bookings/{reference}/reschedule?token={new_token}&start="
                              f"{iso(new)}")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(Booking.start_at)) == new
        # Sent: the outbox no longer holds the token, sealed or not.
        assert all("token" not in job.payload for job in db.session.scalars(db.select(Job)))
        assert db.session.scalar(db.select(Attendee.manage_token_hash)) != new_token
    assert_not_stored(app, new_token, old_token)
    history = client.get(f"/dashboard/bookings/{reference}").get_data(as_text=True)
    assert "Please pick a new time email to gina@example.com" in history


def test_the_sealed_token_waits_encrypted_in_the_outbox(smtp_down, app, client, setup):
    reference, _ = parts(book(app.test_client(), "intro-call", at(weekday_ahead(), 10)))
    login(client, "host@example.com")
    post_form(client, f"/dashboard/bookings/{reference}/ask-new-time", {},
              page=f"/dashboard/bookings/{reference}")
    with app.app_context():
        job = db.session.scalars(db.select(Job).order_by(Job.id.desc())).first()
        assert job.payload["email"] == "pick_new_time" and job.done_at is None
        assert job.payload["token"].startswith("gAAAA")  # a Fernet token, not the link


def test_the_zoom_meeting_moves_with_one_patch_and_keeps_its_link(zoom_site, connected_host,
                                                                  admin, mailbox):
    day = weekday_ahead()
    reference, _ = parts(book(zoom_site.app.test_client(), "intro-call", at(day, 10)))
    [before] = zoom_site.zoom_meetings()
    mailbox.wait_for(2)
    mailbox.clear()
    client = zoom_site.app.test_client()
    login(client, admin.email)
    assert move(client, reference, at(day, 15)).status_code == 302
    [after] = zoom_site.zoom_meetings()
    assert after["id"] == before["id"] and after["join_url"] == before["join_url"]
    assert after["start_time"] == iso(at(day, 15))
    patches = [r for r in zoom_site.zoom_requests() if r["method"] == "PATCH"]
    assert [r["status"] for r in patches] == [204]
    mailbox.wait_for(2)
    [message] = mailbox.to("gina@example.com")
    assert "Ada Admin moved your booking to a new time." in text_of(message)
    assert before["join_url"] in text_of(message)
    [to_host] = mailbox.to("host@example.com")
    assert "Ada Admin moved Intro call to a new time" in text_of(to_host)

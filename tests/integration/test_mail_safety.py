"""Emails go where the stored address says, and nothing a person typed can add a header.

Each test reads what the SMTP server really received: the envelope (where the message goes)
and the raw bytes (what a mail client parses).
"""
import re

import pytest
from sqlalchemy import update

from timetics.extensions import db
from timetics.models import Attendee, Booking, BookingStatus, MeetingType

from ..booking_helpers import (
    at,
    book,
    create_booking_setup,
    csrf_of,
    iso,
    manage_path,
    weekday_ahead,
)
from ..conftest import login, post_form
from ..smtp import SMTPServer, text_of

INJECTED = "Eve\x0bReply-To: attacker@evil.example"


@pytest.fixture
def setup(app, make_user):
    return create_booking_setup(app, make_user)


def recipients(mailbox) -> list[str]:
    return [rcpt for envelope in mailbox.envelopes for rcpt in envelope.rcpt_tos]


def test_a_password_reset_goes_to_the_exact_look_alike_domain(client, make_user, mailbox):
    """faß.de and fass.de are two domains: IDNA 2003 would send vera's reset link to the other."""
    make_user(email="vera@faß.de")
    response = post_form(client, "/password/forgot", {"email": "vera@faß.de"})
    assert response.status_code == 302
    [envelope] = mailbox.wait_for(1) and mailbox.envelopes
    assert envelope.rcpt_tos == ("vera@xn--fa-hia.de",)
    [message] = mailbox.messages
    assert message["To"] == "vera@xn--fa-hia.de"
    assert "fass.de" not in envelope.raw.decode()


def test_asking_for_the_look_alike_address_sends_nothing(client, make_user, mailbox):
    make_user(email="vera@faß.de")
    post_form(client, "/password/forgot", {"email": "vera@fass.de"})
    assert mailbox.messages == []


@pytest.mark.parametrize("address, wire", [
    ("gast@faß.de", "gast@xn--fa-hia.de"),
    ("gast@ουτοπία.δπθ.gr", "gast@xn--kxae4bafwg.xn--pxaix.gr"),
    ("gast@example.com", "gast@example.com"),
])
def test_a_guest_address_goes_out_as_its_idna_2008_form(client, setup, mailbox, address, wire):
    response = book(client, "intro-call", at(weekday_ahead(), 10), email=address)
    assert response.status_code == 302
    mailbox.wait_for(2)
    assert wire in recipients(mailbox)
    assert "fass.de" not in " ".join(recipients(mailbox))


@pytest.mark.parametrize("name", [
    INJECTED, "Eve\x0cBcc: x@evil.example", "Eve\x1cX: y", "Eve\nReply-To: a@evil.example",
    "Eve\u2028Reply-To: a@evil.example", "Eve\x85Reply-To: a@evil.example", "Eve\x00",
])
def test_a_name_with_control_characters_is_refused_with_a_message(client, setup, mailbox, name):
    response = book(client, "intro-call", at(weekday_ahead(), 10), name=name)
    assert response.status_code == 422
    assert "Remove the line breaks, tabs or other control characters." in \
        response.get_data(as_text=True)
    assert mailbox.messages == []


def test_notes_keep_their_line_breaks_but_no_other_control_characters(client, setup, mailbox):
    refused = book(client, "intro-call", at(weekday_ahead(), 10), notes="one\x0btwo")
    assert refused.status_code == 422
    assert "Remove the control characters" in refused.get_data(as_text=True)
    kept = book(client, "intro-call", at(weekday_ahead(), 10), notes="line one\r\nline two")
    assert kept.status_code == 302
    host_copy = next(m for m in mailbox.wait_for(2) if m["To"] == "host@example.com")
    assert "line one\nline two" in text_of(host_copy)


def _hostile_meeting_type_name(app) -> None:
    """A name stored before the input rule existed (or written by other hands)."""
    with app.app_context():
        db.session.execute(update(MeetingType).where(MeetingType.slug == "intro-call")
                           .values(name=f"Intro {INJECTED}"))
        db.session.commit()


def assert_no_injected_header(envelopes) -> None:
    assert envelopes
    for envelope in envelopes:
        headers = envelope.raw.split(b"\r\n\r\n", 1)[0]
        assert not re.search(rb"^Reply-To:", headers, re.MULTILINE | re.IGNORECASE)
        assert b"\x0b" not in headers


def test_a_stored_name_with_a_line_break_adds_no_header_when_sent_at_once(app, client, setup,
                                                                         mailbox):
    _hostile_meeting_type_name(app)
    assert book(client, "intro-call", at(weekday_ahead(), 10)).status_code == 302
    mailbox.wait_for(2)
    assert_no_injected_header(mailbox.envelopes)
    assert any("Intro Eve Reply-To: attacker@evil.example" in m["Subject"]
               for m in mailbox.messages)


def test_a_stored_name_with_a_line_break_adds_no_header_when_queued(smtp_down, app, client,
                                                                   make_user, runner):
    setup = create_booking_setup(app, make_user)
    _hostile_meeting_type_name(app)
    assert book(client, setup.one_to_one, at(weekday_ahead(), 10)).status_code == 302
    server = SMTPServer(port=smtp_down).start()
    try:
        result = runner.invoke(args=["run-jobs", "--once", "--all"])
        assert result.exit_code == 0, result.output
        server.mailbox.wait_for(2)
        assert len(server.mailbox.envelopes) == 2
        assert_no_injected_header(server.mailbox.envelopes)
    finally:
        server.stop()


def test_a_non_ascii_local_part_is_refused_when_the_server_lacks_smtputf8(client, setup,
                                                                         mailbox):
    response = book(client, "intro-call", at(weekday_ahead(), 10), email="müller@example.com")
    assert response.status_code == 422
    assert "cannot deliver to an address with non-ASCII characters before the @" in \
        response.get_data(as_text=True)
    assert mailbox.messages == []


def test_a_non_ascii_local_part_is_delivered_over_smtputf8(make_app, make_user):
    server = SMTPServer(smtputf8=True).start()
    try:
        app = make_app(MAIL_PORT=server.port)
        create_booking_setup(app, make_user)
        client = app.test_client()
        response = book(client, "intro-call", at(weekday_ahead(), 10), email="müller@example.com")
        assert response.status_code == 302
        server.mailbox.wait_for(2)
        [guest] = [e for e in server.mailbox.envelopes if "müller@example.com" in e.rcpt_tos]
        assert guest.smtputf8
        page = client.get(manage_path(response))
        assert page.status_code == 200
    finally:
        server.stop()


def test_a_long_note_is_delivered_to_a_server_that_enforces_998_octets(client, setup, mailbox):
    note = "word " * 240  # 1,200 characters on one line
    response = book(client, "intro-call", at(weekday_ahead(), 10), notes=note.strip())
    assert response.status_code == 302
    messages = mailbox.wait_for(2)
    assert {m["To"] for m in messages} == {"gina@example.com", "host@example.com"}
    for envelope in mailbox.envelopes:
        assert max(len(line) for line in envelope.raw.split(b"\r\n")) <= 998
    host_copy = next(m for m in messages if m["To"] == "host@example.com")
    assert note.strip() in text_of(host_copy)


def test_the_booking_with_an_idna_address_can_be_cancelled_by_the_host(app, as_admin, setup,
                                                                      mailbox):
    response = book(as_admin, "intro-call", at(weekday_ahead(), 10), email="gast@faß.de")
    assert response.status_code == 302
    with app.app_context():
        booking_id = db.session.scalar(db.select(Booking.id))
    page = as_admin.get("/dashboard")
    assert page.status_code == 200
    cancelled = post_form(as_admin, f"/dashboard/bookings/{booking_id}/cancel", {},
                          page="/dashboard")
    assert cancelled.status_code < 500


@pytest.mark.parametrize("guest, refused", [
    ({"email": "müller@example.com"}, "non-ASCII characters before the @"),
    ({"email": "gast@faß.de"}, None),
    ({"name": INJECTED}, "Remove the line breaks"),
    ({"name": "Eve\nReply-To: a@evil.example"}, "Remove the line breaks"),
    ({"notes": "word " * 240}, None),
])
def test_each_hostile_input_through_booking_reschedule_and_both_cancels_is_never_a_5xx(
        app, client, setup, mailbox, guest, refused):
    day = weekday_ahead()
    booked = book(client, "intro-call", at(day, 10), **guest)
    if refused:  # at input, with a message: nothing was saved
        assert booked.status_code == 422 and refused in booked.get_data(as_text=True)
        return
    manage = manage_path(booked)
    reference, token = manage.split("/bookings/")[1].split("?token=")
    new = iso(at(day, 14))
    page = client.get(f"/bookings/{reference}/reschedule?token={token}&start={new}")
    moved = client.post(f"/bookings/{reference}/reschedule?token={token}",
                        data={"csrf_token": csrf_of(page.get_data(as_text=True)), "start": new})
    assert moved.status_code == 302
    page = client.get(f"/bookings/{reference}/cancel?token={token}")
    assert page.status_code == 200
    cancelled = client.post(f"/bookings/{reference}/cancel?token={token}",
                            data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    assert cancelled.status_code == 302
    # and the host cancels a second booking of the same guest from the dashboard
    second = book(app.test_client(), "intro-call", at(day, 11), **guest)
    assert second.status_code == 302
    host = app.test_client()
    login(host, "host@example.com")
    with app.app_context():
        booking_id = db.session.scalar(db.select(Booking.id).where(
            Booking.status == BookingStatus.CONFIRMED))
    dashboard = host.get("/dashboard")
    assert dashboard.status_code == 200
    assert post_form(host, f"/dashboard/bookings/{booking_id}/cancel", {},
                     page="/dashboard").status_code == 302
    assert_no_injected_header(mailbox.envelopes)


def test_an_email_that_cannot_be_written_fails_visibly_not_in_the_request(app, client, setup,
                                                                         mailbox, admin):
    """A guest address stored before today's rules (or by other hands) that is no address:
    the host's cancel still works, and the guest's email waits on the dashboard with why."""
    assert book(client, "intro-call", at(weekday_ahead(), 10)).status_code == 302
    with app.app_context():
        db.session.execute(update(Attendee).values(email="not an address"))
        db.session.commit()
        booking_id = db.session.scalar(db.select(Booking.id))
    mailbox.wait_for(2)
    mailbox.clear()
    login(client, admin.email)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert post_form(client, f"/dashboard/bookings/{booking_id}/cancel", {},
                     page="/dashboard").status_code == 302
    assert [m["To"] for m in mailbox.wait_for(1)] == ["host@example.com"]
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Email not sent yet" in dashboard and "not an address" in dashboard

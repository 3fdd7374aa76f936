"""Guests' addresses are checked by their syntax alone: what mails on the guest's own network
is accepted, what cannot be an address is refused with one clear message."""
import pytest

from timetics.extensions import db
from timetics.models import Attendee, Booking

from ..booking_helpers import at, book, create_booking_setup, manage_path, weekday_ahead


@pytest.fixture
def setup(app, make_user):
    return create_booking_setup(app, make_user)


@pytest.mark.parametrize(
    ("typed", "stored", "envelope"),
    [
        ("a+b@example.com", "a+b@example.com", "a+b@example.com"),
        ("user@münchen.example", "user@münchen.example", "user@xn--mnchen-3ya.example"),
        ("guest@example.test", "guest@example.test", "guest@example.test"),
        ("ops@mail.corp.internal", "ops@mail.corp.internal", "ops@mail.corp.internal"),
        ("Printer@Office.LOCAL", "printer@office.local", "printer@office.local"),
    ],
)
def test_a_syntactically_valid_address_books_and_gets_the_confirmation(
        client, setup, app, mailbox, typed, stored, envelope):
    """Plus-addressing, an internationalised domain (sent as its A-label) and the special-use
    names .test, .internal and .local are all addresses someone reads."""
    response = book(client, "intro-call", at(weekday_ahead(), 10), email=typed)
    manage_path(response)
    with app.app_context():
        assert db.session.scalars(db.select(Attendee.email)).all() == [stored]
    mailbox.wait_for(2)
    assert [e for e in mailbox.envelopes if envelope in e.rcpt_tos]


@pytest.mark.parametrize(
    "typed",
    ["plainaddress", "@example.com", "gina@", "gina@@example.com", "gina example@example.com",
     "gina@exa mple.com", "gina@example..com", "gina.@example.com", "gina@-example.com",
     "a@b", "gina@example.com\r\nBcc: x@example.com", "gina@exam\u2028ple.com"],
)
def test_a_malformed_address_is_refused_with_the_message(client, setup, app, typed):
    response = book(client, "intro-call", at(weekday_ahead(), 10), email=typed,
                    name="Keep Me")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter a valid email address, like name@example.com." in html
    assert 'value="Keep Me"' in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 0

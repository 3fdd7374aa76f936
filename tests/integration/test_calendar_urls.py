"""Calendar addresses are typed by users: Timetics refuses to reach loopback, link-local (the
cloud's metadata service), private addresses, and redirects to them, unless the operator lists
them in CALENDAR_ALLOWED_HOSTS (timetics/safe_urls.py)."""
from __future__ import annotations

import pytest

from timetics.extensions import db
from timetics.models import CalendarAccount

from ..booking_helpers import create_booking_setup
from ..conftest import login, post_form
from ..radicale import PASSWORD, USER, vcalendar


@pytest.fixture
def tab(app, make_user, client):
    setup = create_booking_setup(app, make_user)
    login(client, setup.host_email)
    return f"/staff/{setup.host_id}/calendars"


def add_feed(client, tab, url):
    return post_form(client, tab + "/feed", {"feed_url": url}, page=tab)


def assert_refused(app, response, words: str):
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CalendarAccount.id))) == 0


def test_a_caldav_server_on_loopback_is_refused(app, client, tab, radicale):
    radicale.make_calendar("Work")
    response = post_form(client, tab + "/caldav", {"server_url": radicale.url, "username": USER,
                                                   "password": PASSWORD}, page=tab)
    assert_refused(app, response, "is a private or local address (127.0.0.1)")


@pytest.mark.parametrize("url, words", [
    ("http://169.254.169.254/latest/meta-data/", "private or local address (169.254.169.254)"),
    ("http://localhost:9/calendar.ics", "localhost is a private or local address"),
    ("http://10.1.2.3/calendar.ics", "private or local address (10.1.2.3)"),
    ("file:///etc/passwd", "Only http:// and https:// addresses can be used."),
])
def test_unsafe_feed_addresses_are_refused(app, client, tab, url, words):
    assert_refused(app, add_feed(client, tab, url), words)


def test_a_redirect_to_the_metadata_service_is_refused(app, client, tab, feed):
    """The first hop is allowed (by name), the redirect's target is not."""
    app.config["CALENDAR_ALLOWED_HOSTS"] = "localhost"
    feed.redirect_to = "http://169.254.169.254/latest/meta-data/"
    url = feed.url.replace("127.0.0.1", "localhost").replace("/secret/calendar.ics", "/moved")
    assert_refused(app, add_feed(client, tab, url), "169.254.169.254")


def test_an_allowed_host_is_reached(app, client, tab, feed):
    feed.body = vcalendar().encode()
    app.config["CALENDAR_ALLOWED_HOSTS"] = "127.0.0.0/8"
    assert add_feed(client, tab, feed.url).status_code == 302

"""Embedding: Allowed origins, who may frame which page, and the embedded booking form's token."""
import re
import time
from unittest import mock

import pytest

from timetics import create_app
from timetics.embedding import FORM_TOKEN_MAX_AGE_SECONDS
from timetics.exceptions import ConfigError
from timetics.extensions import db
from timetics.models import Attendee, Booking

from ..booking_helpers import at, book, create_booking_setup, csrf_of, iso, weekday_ahead
from ..conftest import base_config, login, post_form

SITE = "https://www.example.org"


@pytest.fixture
def app_config(app_config):
    app_config["EMBED_ALLOWED_ORIGINS"] = SITE
    return app_config


@pytest.fixture
def setup(app, make_user):
    return create_booking_setup(app, make_user)


def embed_token_of(html: str) -> str:
    match = re.search(r'name="embed_token" value="([^"]+)"', html)
    assert match, "no embed token on the form"
    return match.group(1)


def form_page(client, start, slug="intro-call"):
    return client.get(f"/book/{slug}?embed=1&tz=UTC&start={iso(start)}")


def post_embedded(client, start, token, slug="intro-call", headers=None, url=None, **overrides):
    data = {"embed_token": token, "start": iso(start), "timezone": "UTC",
            "name": "Fay Framed", "email": "fay@example.com", "notes": "From the frame"}
    data.update(overrides)
    return client.post(url or f"/book/{slug}?embed=1", data=data, headers=headers or {})


def bookings_of(app, email):
    with app.app_context():
        return db.session.scalars(db.select(Booking).join(Attendee)
                                  .where(Attendee.email == email)).all()


def test_an_embedded_booking_page_may_be_framed_by_the_allowed_origins_only(client, setup):
    embedded = client.get("/book/intro-call?embed=1")
    assert embedded.status_code == 200
    assert embedded.headers["Content-Security-Policy"].endswith(f"frame-ancestors {SITE}")
    assert "X-Frame-Options" not in embedded.headers
    for path in ("/book/intro-call", "/login", "/book/intro-call/slots?embed=1",
                 "/settings/embedding?embed=1", "/static/css/app.css?embed=1"):
        response = client.get(path)
        assert response.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'"), path
        assert response.headers["X-Frame-Options"] == "DENY", path
        response.close()


def test_the_embedded_page_has_no_site_chrome_and_keeps_embed_in_every_link(client, setup):
    html = client.get("/book/intro-call?embed=1&tz=UTC").get_data(as_text=True)
    assert 'class="topbar"' not in html and 'class="footer"' not in html
    assert f'data-embed-origins="{SITE}"' in html
    day_links = re.findall(r'href="(/book/intro-call\?[^"]+)"', html)
    assert day_links and all("embed=1" in link for link in day_links)
    assert '<input type="hidden" name="embed" value="1">' in html  # zone and time forms
    plain = client.get("/book/intro-call?tz=UTC").get_data(as_text=True)
    assert 'class="topbar"' in plain and "embed" not in plain


def test_a_guest_books_inside_the_frame_without_any_cookie(app, setup, mailbox):
    start = at(weekday_ahead(), 10)
    # A fresh client per request: a third-party frame sends back no cookie of ours.
    page = app.test_client().get(f"/book/intro-call?embed=1&tz=UTC&start={iso(start)}")
    html = page.get_data(as_text=True)
    assert "Set-Cookie" not in page.headers
    assert 'name="csrf_token"' not in html
    assert 'action="/book/intro-call?embed=1"' in html
    response = post_embedded(app.test_client(), start, embed_token_of(html))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/bookings/") and location.endswith("&embed=1")
    confirmation = app.test_client().get(location)
    assert "You are booked, Fay Framed" in confirmation.get_data(as_text=True)
    assert confirmation.headers["Content-Security-Policy"].endswith(f"frame-ancestors {SITE}")
    assert 'target="_blank">Reschedule' in confirmation.get_data(as_text=True)
    [booking] = bookings_of(app, "fay@example.com")
    assert booking.start_at == start


@pytest.mark.parametrize("change", ["no token", "other slot", "other meeting type", "forged"])
def test_the_embedded_form_refuses_a_token_not_made_for_it(app, client, setup, change):
    start, other = at(weekday_ahead(), 10), at(weekday_ahead(), 11)
    token = embed_token_of(form_page(client, start).get_data(as_text=True))
    token = {"no token": "", "other slot": embed_token_of(
                 form_page(client, other).get_data(as_text=True)),
             "other meeting type": embed_token_of(form_page(
                 client, start, slug="group-session").get_data(as_text=True)),
             "forged": token[:-4] + "AAAA"}[change]
    response = post_embedded(client, start, token)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form has expired or was not sent by this site." in html
    # What the guest typed is still there, with a fresh token to confirm again.
    assert 'value="Fay Framed"' in html and "From the frame" in html
    assert post_embedded(client, start, embed_token_of(html)).status_code == 302
    assert len(bookings_of(app, "fay@example.com")) == 1


def test_the_embedded_form_takes_posts_from_our_own_pages_only(app, client, setup):
    start = at(weekday_ahead(), 10)
    token = embed_token_of(form_page(client, start).get_data(as_text=True))
    response = client.post("/book/intro-call?embed=1", headers={"Origin": SITE}, data={
        "embed_token": token, "start": iso(start), "timezone": "UTC", "name": "Fay",
        "email": "fay@example.com"})
    assert response.status_code == 400
    assert bookings_of(app, "fay@example.com") == []
    ours = post_embedded(client, start, token, headers={"Origin": "http://timetics.test"})
    assert ours.status_code == 302


def test_an_embedded_form_token_expires(app, client, setup):
    start = at(weekday_ahead(), 10)
    token = embed_token_of(form_page(client, start).get_data(as_text=True))
    later = time.time() + FORM_TOKEN_MAX_AGE_SECONDS + 5
    with mock.patch("itsdangerous.timed.time.time", return_value=later):  # two hours on
        response = post_embedded(client, start, token)
    assert response.status_code == 400
    assert bookings_of(app, "fay@example.com") == []


def test_the_plain_booking_form_still_needs_the_session_token(client, setup):
    start = at(weekday_ahead(), 10)
    token = embed_token_of(form_page(client, start).get_data(as_text=True))
    response = client.post("/book/intro-call", data={
        "embed_token": token, "start": iso(start), "timezone": "UTC",
        "name": "Fay", "email": "fay@example.com"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_without_allowed_origins_nobody_may_frame_the_page(make_app, make_user):
    app = make_app()
    create_booking_setup(app, make_user)
    response = app.test_client().get("/book/intro-call?embed=1")
    assert response.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_admin_sets_allowed_origins_which_replace_the_configured_ones(app, client, admin,
                                                                         setup):
    login(client, admin.email)
    page = client.get("/settings/embedding").get_data(as_text=True)
    assert SITE in page and "EMBED_ALLOWED_ORIGINS" in page
    response = post_form(client, "/settings/embedding", {
        "allowed_origins": "https://Shop.Example.com:8443\nhttp://localhost:3000 "
                           "https://shop.example.com:8443"})
    assert response.status_code == 302
    assert "Allowed origins saved" in client.get("/settings/embedding").get_data(as_text=True)
    csp = app.test_client().get("/book/intro-call?embed=1").headers["Content-Security-Policy"]
    assert csp.endswith("frame-ancestors https://shop.example.com:8443 http://localhost:3000")
    # Emptied: nobody, whatever the configuration says.
    post_form(client, "/settings/embedding", {"allowed_origins": ""})
    csp = app.test_client().get("/book/intro-call?embed=1").headers["Content-Security-Policy"]
    assert csp.endswith("frame-ancestors 'none'")


@pytest.mark.parametrize("entry", [
    "example.com", "https://example.com/shop", "ftp://example.com", "https://*.example.com",
    "'self'", "https://user@example.com", "https://example.com:99999", "https://example.com?x",
    "https://exa mple.com;script-src", "*",
])
def test_allowed_origins_must_be_scheme_host_and_port(client, admin, entry):
    login(client, admin.email)
    response = post_form(client, "/settings/embedding",
                         {"allowed_origins": f"https://ok.example.com {entry}"})
    assert response.status_code == 422
    assert "is not an origin: write it as https://example.com" in response.get_data(as_text=True)
    assert "https://ok.example.com" in response.get_data(as_text=True)  # nothing typed is lost


def test_staff_cannot_change_allowed_origins(client, make_user):
    staff = make_user()
    login(client, staff.email)
    assert client.get("/settings/embedding").status_code == 403


def test_a_bad_configured_origin_stops_the_start(tmp_path):
    with pytest.raises(ConfigError, match="EMBED_ALLOWED_ORIGINS"):
        create_app(base_config(tmp_path / "db.sqlite3", EMBED_ALLOWED_ORIGINS="example.com"),
                   instance_path=str(tmp_path))


def test_the_meeting_type_page_offers_the_embed_snippet(app, client, admin, setup):
    login(client, admin.email)
    with app.app_context():
        from timetics.models import MeetingType
        type_id = db.session.scalar(db.select(MeetingType.id).filter_by(slug="intro-call"))
    html = client.get(f"/meeting-types/{type_id}").get_data(as_text=True)
    assert "Embed code" in html
    assert ("&lt;iframe src=&#34;http://timetics.test/book/intro-call?embed=1&#34;" in html
            or "&lt;iframe src=&quot;http://timetics.test/book/intro-call?embed=1&quot;" in html)
    assert "http://timetics.test/static/js/embed.js" in html


def test_a_lost_race_inside_the_frame_keeps_the_draft_sealed_in_the_links(app, client, setup):
    start, later = at(weekday_ahead(), 10), at(weekday_ahead(), 11)
    token = embed_token_of(form_page(client, start).get_data(as_text=True))
    assert book(app.test_client(), "intro-call", start).status_code == 302  # someone quicker
    lost = post_embedded(client, start, token)
    html = lost.get_data(as_text=True)
    assert lost.status_code == 409 and "Pick another time." in html
    sealed = re.search(r'name="draft" value="([^"]+)"', html).group(1)
    assert "fay" not in sealed.lower() and "draft=" in html
    assert "fay@example.com" not in html  # the form is gone; the draft is only in sealed form
    again = client.get(f"/book/intro-call?embed=1&tz=UTC&start={iso(later)}&draft={sealed}")
    page = again.get_data(as_text=True)
    assert 'value="Fay Framed"' in page and 'value="fay@example.com"' in page
    assert "From the frame" in page
    forged = client.get(f"/book/intro-call?embed=1&tz=UTC&start={iso(later)}"
                        f"&draft={sealed[:-6]}AAAAAA").get_data(as_text=True)
    assert 'value="Fay Framed"' not in forged and 'name="name"' in forged


def test_a_guest_who_lost_the_time_before_posting_keeps_the_draft_outside_a_frame(
        app, client, setup):
    start, later = at(weekday_ahead(), 10), at(weekday_ahead(), 11)
    form = client.get(f"/book/intro-call?tz=UTC&start={iso(start)}").get_data(as_text=True)
    assert book(app.test_client(), "intro-call", start).status_code == 302
    lost = client.post("/book/intro-call", data={
        "csrf_token": csrf_of(form), "start": iso(start), "timezone": "UTC",
        "name": "Pat Plain", "email": "pat@example.com"})
    assert lost.status_code == 409
    page = client.get(f"/book/intro-call?tz=UTC&start={iso(later)}").get_data(as_text=True)
    assert 'value="Pat Plain"' in page

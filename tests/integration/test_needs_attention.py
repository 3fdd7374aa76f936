"""The dashboard's Needs attention panel speaks in words, in the viewer's zone, with Zoom's own
text behind a Technical detail disclosure."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from timetics.dashboard.attention import plain_words
from timetics.extensions import db
from timetics.models import Job, Role, ZoomConnection
from timetics.security import decrypt_secret

from ..booking_helpers import at, weekday_ahead
from ..conftest import PASSWORD
from ..live import CLIENT_ID, CLIENT_SECRET, Browser
from .test_faults import dashboard_of, guest_books, run_jobs

TOKYO = "Asia/Tokyo"


@pytest.mark.parametrize(("detail", "words"), [
    ("Zoom refused the meeting creation: HTTP 500, 500 (Sandbox fault: internal error.)",
     "Zoom had an internal error"),
    ("Zoom refused the meeting creation: HTTP 503", "Zoom had an internal error"),
    ("Zoom refused the token refresh: HTTP 400, invalid_grant (Invalid Token!)",
     "Zoom no longer accepts the host's connection"),
    ("Zoom refused the meeting creation: HTTP 401, 124 (Invalid access token.)",
     "Zoom no longer accepts the host's connection"),
    ("Zoom refused the meeting creation: HTTP 429, 429 (Too many requests.)",
     "Zoom's rate limit was reached"),
    ("Zoom refused the meeting creation: HTTP 400, 4711 (Invalid access token, does not "
     "contain scopes:[meeting:write:meeting].)",
     "The Zoom app lacks a permission (scope); add it in the Zoom App Marketplace"),
    ("Zoom refused the meeting update: HTTP 404, 3001 (Meeting does not exist.)",
     "Zoom no longer has this meeting"),
    ("Zoom refused the meeting creation: HTTP 400, 300 (Invalid start time.)",
     "Zoom refused the request"),
    ("Zoom did not answer the meeting creation within 10 seconds.",
     "Zoom did not answer in time"),
    ("Zoom could not be reached for the meeting creation.",
     "Zoom could not be reached from this server"),
    ("Zoom's answer to the token refresh could not be read.",
     "Zoom sent an answer Timetics could not read"),
    ("Waiting for the host to reconnect Zoom.", "Waiting for the host to reconnect Zoom"),
    ("The mail server refused the connection (is it running, is MAIL_PORT right?).",
     "The mail server refused the connection (is it running, is MAIL_PORT right?)"),
    (None, "Waiting for Zoom"),
])
def test_each_known_error_is_put_in_plain_words(detail, words):
    assert plain_words(detail) == words


def needs_attention(html: str) -> str:
    """The Needs attention panel as text, whitespace collapsed, tags kept."""
    panel = re.search(r'<section class="card problems".*?</section>', html, re.S).group(0)
    return " ".join(panel.split())


@pytest.fixture
def tokyo_admin(make_user):
    return make_user(Role.ADMIN, email="tokyo-admin@example.com", timezone=TOKYO)


def the_job(app) -> Job:
    with app.app_context():
        job = db.session.scalar(db.select(Job).where(Job.kind == "zoom_create"))
        db.session.expunge(job)
        return job


def test_a_zoom_500_says_internal_error_and_when_we_retry_in_the_viewers_zone(
        zoom_site, connected_host, tokyo_admin, mailbox):
    zoom_site.fault(target="create_meeting", mode="error", status=500)
    guest_books(zoom_site, at(weekday_ahead(), 10))
    run_jobs(zoom_site.app, "--all")  # the second failure backs off
    retry = the_job(zoom_site.app).run_after.astimezone(ZoneInfo(TOKYO))
    panel = needs_attention(dashboard_of(zoom_site, tokyo_admin.email))
    assert f"Zoom had an internal error; we retry at {retry:%H:%M}." in panel or (
        f"Zoom had an internal error; we retry on {retry:%a %d %b} at {retry:%H:%M}." in panel)
    assert ("<details class=\"technical\"><summary>Technical detail</summary><code>Zoom refused "
            "the meeting creation: HTTP 500, 500 (Sandbox fault: internal error.)</code>"
            "</details>") in panel
    # Outside the disclosure, no HTTP status and no Zoom error text.
    assert "HTTP 500" not in re.sub(r"<details.*?</details>", "", panel)


def test_a_zoom_timeout_says_so_and_that_we_retry_in_a_moment(zoom_site, connected_host,
                                                               admin, mailbox):
    zoom_site.fault(target="create_meeting", mode="hang", seconds=3)
    guest_books(zoom_site, at(weekday_ahead(), 10))
    panel = needs_attention(dashboard_of(zoom_site, admin.email))
    assert "Zoom did not answer in time; we retry in a moment." in panel
    assert "<code>Zoom did not answer the meeting creation within 2 seconds.</code>" in panel


def test_a_job_that_gave_up_says_we_stopped_retrying(zoom_site, connected_host, admin):
    zoom_site.fault(target="create_meeting", mode="error", status=503)
    guest_books(zoom_site, at(weekday_ahead(), 10))
    with zoom_site.app.app_context():
        job = db.session.scalar(db.select(Job).where(Job.kind == "zoom_create"))
        job.created_at -= timedelta(days=4)
        db.session.commit()
    run_jobs(zoom_site.app, "--all")
    panel = needs_attention(dashboard_of(zoom_site, admin.email))
    assert "Zoom had an internal error; we stopped retrying: use Retry now." in panel


def test_a_refused_refresh_is_named_as_a_connection_to_renew(zoom_site, connected_host, admin,
                                                             mailbox):
    """Zoom's "HTTP 400, invalid_grant (Invalid Token!)" becomes a reconnect request."""
    with zoom_site.app.app_context():
        stored = decrypt_secret(db.session.scalar(
            db.select(ZoomConnection.refresh_token_encrypted)))
    # The stored refresh token gets spent elsewhere (as when a response was lost in transit).
    assert requests.post(f"{zoom_site.zoom_url}/oauth/token", timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": stored},
        auth=(CLIENT_ID, CLIENT_SECRET)).status_code == 200
    zoom_site.zoom("post", "/tokens/expire", json={"user_id": "zoomuser-alex"})
    guest_books(zoom_site, at(weekday_ahead(), 10))
    panel = needs_attention(dashboard_of(zoom_site, admin.email))
    assert ("Zoom no longer accepts the host&#39;s connection; it runs as soon as the host "
            "connects Zoom again.") in panel
    assert "HTTP 400, invalid_grant (Invalid Token!)</code></details>" in panel
    assert "invalid_grant" not in re.sub(r"<details.*?</details>", "", panel)


def test_a_retry_that_still_fails_flashes_words(zoom_site, connected_host, admin, mailbox):
    zoom_site.fault(target="create_meeting", mode="error", status=500)
    guest_books(zoom_site, at(weekday_ahead(), 10))
    browser = Browser(zoom_site)
    browser.login(admin.email, PASSWORD)
    with zoom_site.app.app_context():
        booking_id, reference = db.session.execute(
            db.text("SELECT id, reference FROM bookings")).one()
    still = browser.submit(f"/dashboard/bookings/{booking_id}/retry", page="/dashboard")
    browser.close()
    assert (f"Zoom still fails for booking {reference}: Zoom had an internal error."
            in still.text)


def test_an_unsent_email_says_why_and_when_we_retry(smtp_down, zoom_site, connected_host,
                                                   tokyo_admin):
    guest_books(zoom_site, at(weekday_ahead(), 10))
    run_jobs(zoom_site.app, "--all")  # the second failure backs off
    with zoom_site.app.app_context():
        retry = db.session.scalar(db.select(Job.run_after).where(
            Job.kind == "booking_email").order_by(Job.run_after)).astimezone(ZoneInfo(TOKYO))
    panel = needs_attention(dashboard_of(zoom_site, tokyo_admin.email))
    assert ("The mail server refused the connection (is it running, is MAIL_PORT right?); "
            "we retry ") in panel
    assert f"at {retry:%H:%M}." in panel

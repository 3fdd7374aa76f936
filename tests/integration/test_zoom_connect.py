"""Connect, callback and Disconnect against the Zoom sandbox, over real HTTP."""
import threading
import time
from datetime import timedelta

import pytest
import requests

from timetics.db import utcnow
from timetics.extensions import db
from timetics.integrations import oauth_flow
from timetics.models import Booking, Role, ZoomConnection
from timetics.security import decrypt_secret

from ..booking_helpers import at, book, csrf_of, weekday_ahead
from ..conftest import PASSWORD, assert_not_stored
from ..live import CLIENT_SECRET, SECRET_TOKEN, Browser


@pytest.fixture
def staff(make_user):
    return make_user(Role.STAFF, name="Alex Rivera", email="alex@example.com")


def connection_of(app, user_id):
    with app.app_context():
        row = db.session.scalar(db.select(ZoomConnection).where(ZoomConnection.user_id == user_id))
        if row is not None:
            db.session.expunge(row)
        return row


def test_admin_connects_a_staff_members_zoom(zoom_site, admin_browser, staff):
    page = admin_browser.get(f"/staff/{staff.id}/integrations")
    assert "Not connected" in page.text and 'value="Connect"' not in page.text
    assert ">Connect</button>" in page.text
    start = admin_browser.submit(f"/staff/{staff.id}/integrations/zoom/connect",
                                 page=f"/staff/{staff.id}/integrations", allow_redirects=False)
    location = start.headers["Location"]
    assert location.startswith(zoom_site.zoom_url + "/oauth/authorize?")
    assert "code_challenge_method=S256" in location and "state=" in location
    consent = admin_browser.get(location)
    for scope in ("meeting:write:meeting", "meeting:read:meeting", "user:read:user"):
        assert scope in consent.text
    landed = admin_browser.decide(consent, "allow")
    assert landed.url == f"{zoom_site.url}/staff/{staff.id}/integrations"
    assert "Zoom connected as alex.rivera@zoom.example" in landed.text
    assert "Connected as alex.rivera@zoom.example" in landed.text
    assert ">Disconnect</button>" in landed.text

    row = connection_of(zoom_site.app, staff.id)
    assert row.zoom_user_id == "zoomuser-alex"
    token_calls = [r for r in zoom_site.zoom_requests() if r["path"] == "/oauth/token"]
    assert [r["status"] for r in token_calls] == [200]  # the sandbox checked PKCE and redirect


def test_secrets_and_tokens_are_never_in_the_database_file_in_plain_text(zoom_site,
                                                                        admin_browser, staff):
    admin_browser.connect_zoom(staff.id)
    with zoom_site.app.app_context():
        row = db.session.scalar(db.select(ZoomConnection))
        access = decrypt_secret(row.access_token_encrypted)
        refresh = decrypt_secret(row.refresh_token_encrypted)
    for secret in (access, refresh, CLIENT_SECRET, SECRET_TOKEN):
        assert len(secret) >= 16
    assert_not_stored(zoom_site.app, access, refresh, CLIENT_SECRET, SECRET_TOKEN)


def test_deny_on_zooms_page_says_what_to_do(zoom_site, admin_browser, staff):
    landed = admin_browser.connect_zoom(staff.id, decision="deny")
    assert landed.status_code == 400
    assert "You chose Deny" in landed.text and "choose Allow" in landed.text
    assert connection_of(zoom_site.app, staff.id) is None


def test_a_reused_callback_is_refused(zoom_site, admin_browser, staff):
    landed = admin_browser.connect_zoom(staff.id)
    callback = [r for r in landed.history if "/integrations/zoom/callback" in r.url][0].url
    again = admin_browser.get(callback)
    assert again.status_code == 400
    assert "Start again from Connect, in the same browser." in again.text


def test_a_callback_in_another_browser_is_refused(zoom_site, admin_browser, admin, staff):
    start = admin_browser.submit(f"/staff/{staff.id}/integrations/zoom/connect",
                                 page=f"/staff/{staff.id}/integrations", allow_redirects=False)
    consent = admin_browser.get(start.headers["Location"])
    to_callback = admin_browser.decide(consent, "allow", allow_redirects=False)
    other = Browser(zoom_site)
    other.login(admin.email, PASSWORD)
    response = other.get(to_callback.headers["Location"])
    other.close()
    assert response.status_code == 400
    assert "opened in another browser" in response.text
    assert connection_of(zoom_site.app, staff.id) is None


def test_an_expired_state_is_refused(zoom_site, admin_browser, staff, monkeypatch):
    monkeypatch.setattr(oauth_flow, "STATE_LIFETIME", timedelta(seconds=-1))
    landed = admin_browser.connect_zoom(staff.id)
    assert landed.status_code == 400
    assert "older than 10 minutes" in landed.text


def test_a_redirect_url_mismatch_names_the_url_to_use(zoom_site, admin_browser, staff):
    start = admin_browser.submit(f"/staff/{staff.id}/integrations/zoom/connect",
                                 page=f"/staff/{staff.id}/integrations", allow_redirects=False)
    consent = admin_browser.get(start.headers["Location"])
    # The site's public URL changes between the authorize request and the code exchange.
    zoom_site.app.config["EXTERNAL_URL"] = "http://renamed.example"
    landed = admin_browser.decide(consent, "allow")
    assert landed.status_code == 400
    assert "Redirect URL in your Zoom app must match exactly" in landed.text
    assert 'value="http://renamed.example/integrations/zoom/callback"' in landed.text


def test_missing_scopes_are_named(zoom_site, admin_browser, staff):
    zoom_site.register_app(scopes=["user:read:user", "meeting:read:meeting"])
    landed = admin_browser.connect_zoom(staff.id)
    assert landed.status_code == 400
    assert "meeting:write:meeting" in landed.text and "meeting:delete:meeting" in landed.text
    # Nothing is connected, so there is nothing to disconnect: add the scopes, Connect again.
    assert "then click Connect again" in landed.text and "disconnect" not in landed.text.lower()
    assert connection_of(zoom_site.app, staff.id) is None


@pytest.mark.parametrize(("fault", "status", "title", "remedy"), [
    ({"target": "token", "mode": "error", "status": 503}, 502, "Zoom had an internal error",
     "Zoom answered with its own error (HTTP 503)"),
    ({"target": "users_me", "mode": "error", "status": 500}, 502, "Zoom had an internal error",
     "This is on Zoom&#39;s side"),
    ({"target": "token", "mode": "hang", "seconds": 3}, 504, "Zoom did not answer in time",
     "Zoom took too long to answer"),
    ({"target": "token", "mode": "rate_limit"}, 503, "Zoom asked us to slow down",
     "because of its rate limits"),
])
def test_a_failing_zoom_during_connect_is_named_for_what_it_did(zoom_site, admin_browser, staff,
                                                                fault, status, title, remedy):
    """A 5xx is Zoom's own error, not a timeout; a timeout is not an outage; each says so."""
    zoom_site.fault(count=1, **fault)
    landed = admin_browser.connect_zoom(staff.id)
    assert landed.status_code == status
    assert f"<h1>{title}</h1>" in landed.text and remedy in landed.text
    assert "Click Connect again" in landed.text or "click Connect again" in landed.text
    if title != "Zoom did not answer in time":
        assert "did not answer in time" not in landed.text
    assert connection_of(zoom_site.app, staff.id) is None


def test_zoom_unreachable_during_connect_points_at_this_servers_network(zoom_site,
                                                                      admin_browser, staff):
    start = admin_browser.submit(f"/staff/{staff.id}/integrations/zoom/connect",
                                 page=f"/staff/{staff.id}/integrations", allow_redirects=False)
    consent = admin_browser.get(start.headers["Location"])
    zoom_site.app.config["ZOOM_OAUTH_URL"] = "http://127.0.0.1:9"  # nothing listens there
    landed = admin_browser.decide(consent, "allow")
    assert landed.status_code == 502
    assert "<h1>Zoom could not be reached</h1>" in landed.text
    assert "could not open a connection to Zoom" in landed.text
    assert "did not answer in time" not in landed.text


def test_every_failure_page_leads_back_to_where_connect_was(zoom_site, admin_browser, staff):
    """From the member's Integrations tab back there; from Settings back to Settings."""
    landed = admin_browser.connect_zoom(staff.id, decision="deny")
    assert (f'href="/staff/{staff.id}/integrations">Back to Alex Rivera&#39;s integrations</a>'
            in landed.text)

    start = admin_browser.submit(f"/staff/{staff.id}/integrations/zoom/connect?back=settings",
                                 page="/settings/integrations/zoom", allow_redirects=False)
    consent = admin_browser.get(start.headers["Location"])
    landed = admin_browser.decide(consent, "deny")
    assert landed.status_code == 400
    assert ('href="/settings/integrations/zoom">Back to Settings &gt; Integrations &gt; Zoom</a>'
            in landed.text)


def test_an_expired_sign_in_leads_back_to_settings(zoom_site, admin_browser, staff):
    """The page no longer knows whose sign-in it was: Settings > Integrations > Zoom has every
    Connect button the user may press."""
    landed = admin_browser.get("/integrations/zoom/callback?code=x&state=y")
    assert landed.status_code == 400 and "This Zoom sign-in has expired" in landed.text
    assert ('href="/settings/integrations/zoom">Back to Settings &gt; Integrations &gt; Zoom</a>'
            in landed.text)
    assert admin_browser.get("/settings/integrations/zoom").status_code == 200


def test_a_staff_member_is_led_back_to_their_own_integrations(zoom_site, staff):
    browser = Browser(zoom_site)
    browser.login(staff.email, PASSWORD)
    landed = browser.connect_zoom(staff.id, decision="deny")
    browser.close()
    assert f'href="/staff/{staff.id}/integrations">Back to your integrations</a>' in landed.text


def second_staff_connects(zoom_site, make_user, zoom_user_id: str):
    """Sam, another staff member, connects the Zoom account ``zoom_user_id``; where he lands."""
    sam = make_user(Role.STAFF, name="Sam Second", email="sam@example.com")
    browser = Browser(zoom_site)
    browser.login(sam.email, PASSWORD)
    landed = browser.connect_zoom(sam.id, zoom_user_id=zoom_user_id)
    browser.close()
    return sam, landed


def test_connecting_anothers_zoom_account_leaves_it_theirs_and_working(zoom_site, connected_host,
                                                                       make_user, client):
    """Zoom ends the owner's tokens when their account is authorized again: the owner gets the
    new ones, and the second staff member is told whose account it is."""
    before = connection_of(zoom_site.app, connected_host.host_id)
    sam, landed = second_staff_connects(zoom_site, make_user, before.zoom_user_id)
    assert landed.url == f"{zoom_site.url}/staff/{sam.id}/integrations"
    assert (f"the Zoom account {before.zoom_email} belongs to Hana Host, and stays connected "
            "there") in landed.text
    assert "Not connected" in landed.text
    assert connection_of(zoom_site.app, sam.id) is None

    after = connection_of(zoom_site.app, connected_host.host_id)
    assert (after.version, after.reconnect_needed) == (before.version + 1, False)
    book(client, "intro-call", at(weekday_ahead(), 10))
    [meeting] = zoom_site.zoom_meetings()
    with zoom_site.app.app_context():
        assert db.session.scalar(db.select(Booking.zoom_meeting_id)) == str(meeting["id"])


def test_a_refresh_in_flight_does_not_outlive_the_new_tokens(zoom_site, connected_host,
                                                             make_user, client):
    """The owner's refresh, still at Zoom when the account is authorized again, is refused
    there; the new tokens are stored after it gives up, so the owner keeps working."""
    app = zoom_site.app
    app.config["ZOOM_TIMEOUT"] = 5
    with app.app_context():
        row = db.session.scalar(db.select(ZoomConnection))
        row.expires_at = utcnow() - timedelta(minutes=1)  # the next booking refreshes first
        db.session.commit()
        zoom_user_id = row.zoom_user_id
    zoom_site.fault(target="token", mode="latency", seconds=1.5, count=1)
    day = weekday_ahead()
    first = threading.Thread(target=book, args=(app.test_client(), "intro-call", at(day, 10)))
    first.start()
    while zoom_site.zoom("get", "/faults").json()["faults"]:
        time.sleep(0.02)  # until the refresh is at Zoom, holding the lease
    second_staff_connects(zoom_site, make_user, zoom_user_id)
    first.join()

    assert connection_of(app, connected_host.host_id).reconnect_needed is False
    book(client, "intro-call", at(day, 11))
    with app.app_context():
        assert db.session.scalar(db.select(Booking.zoom_meeting_id).filter_by(
            start_at=at(day, 11)))


def test_staff_member_connects_their_own_zoom_but_not_anothers(zoom_site, staff, make_user):
    other = make_user(Role.STAFF, email="other@example.com")
    browser = Browser(zoom_site)
    browser.login(staff.email, PASSWORD)
    assert "Zoom connected as" in browser.connect_zoom(staff.id).text
    response = browser.post(f"/staff/{other.id}/integrations/zoom/connect",
                            {"csrf_token": browser.csrf(f"/staff/{staff.id}/integrations")},
                            allow_redirects=False)
    assert response.status_code == 403
    browser.close()


def test_disconnect_revokes_and_deletes_every_token(zoom_site, admin_browser, staff):
    admin_browser.connect_zoom(staff.id)
    with zoom_site.app.app_context():
        row = db.session.scalar(db.select(ZoomConnection))
        access = decrypt_secret(row.access_token_encrypted)
        refresh = decrypt_secret(row.refresh_token_encrypted)
    page = f"/staff/{staff.id}/integrations"
    landed = admin_browser.submit(f"/staff/{staff.id}/integrations/zoom/disconnect", page=page)
    assert "is disconnected and its tokens are deleted" in landed.text
    assert "Not connected" in landed.text
    assert [r["status"] for r in zoom_site.zoom_requests()
            if r["path"] == "/oauth/revoke"] == [200]
    assert connection_of(zoom_site.app, staff.id) is None
    assert_not_stored(zoom_site.app, access, refresh, "zoomuser-alex", "alex.rivera@zoom.example")


def test_disconnect_deletes_the_row_even_when_zoom_is_down(zoom_site, admin_browser, staff):
    admin_browser.connect_zoom(staff.id)
    zoom_site.fault(target="revoke", mode="error", status=503)
    admin_browser.submit(f"/staff/{staff.id}/integrations/zoom/disconnect",
                         page=f"/staff/{staff.id}/integrations")
    assert connection_of(zoom_site.app, staff.id) is None


def test_removing_the_app_in_zoom_deletes_the_connection(zoom_site, admin_browser, staff):
    admin_browser.connect_zoom(staff.id)
    zoom_site.zoom("post", "/grants/revoke", json={"user_id": "zoomuser-alex"})
    deadline = __import__("time").monotonic() + 5
    while connection_of(zoom_site.app, staff.id) is not None:
        assert __import__("time").monotonic() < deadline, "no deauthorization arrived"
        __import__("time").sleep(0.05)


def test_connect_without_zoom_app_settings_says_so(app, as_admin, staff):
    html = as_admin.get(f"/staff/{staff.id}/integrations").get_data(as_text=True)
    assert "The Zoom app is not configured yet." in html
    assert ">Connect</button>" not in html


def test_missing_user_read_scope_is_named_not_called_an_outage(zoom_site, admin_browser, staff):
    zoom_site.register_app(scopes=["meeting:write:meeting", "meeting:read:meeting",
                                   "meeting:update:meeting", "meeting:delete:meeting"])
    landed = admin_browser.connect_zoom(staff.id)
    assert landed.status_code == 400
    assert "The Zoom app lacks permissions" in landed.text and "user:read:user" in landed.text
    assert connection_of(zoom_site.app, staff.id) is None


@pytest.mark.parametrize("where", ["/staff/{id}/integrations", "/settings/integrations/zoom"])
def test_next_to_connect_zooms_invalid_redirect_page_is_explained(zoom_site, admin_browser,
                                                                  staff, where):
    """Real Zoom stops on its own "Invalid redirect (4700)" page and never comes back to us, so
    the line that explains it, with the exact URL to paste, stands beside Connect."""
    zoom_site.app.config["EXTERNAL_URL"] = "https://book.example.org"
    text = " ".join(admin_browser.get(where.format(id=staff.id)).text.split())
    assert ("If Zoom shows “Invalid redirect (4700)” instead of its Allow page, the Zoom app’s "
            "Redirect URL does not match this site: paste "
            "<code>https://book.example.org/integrations/zoom/callback</code> into both its "
            "OAuth Redirect URL and OAuth Allow List") in text


def test_a_staff_member_is_told_to_ask_the_admin_about_invalid_redirect(zoom_site, staff):
    browser = Browser(zoom_site)
    browser.login(staff.email, PASSWORD)
    page = browser.get("/settings/integrations/zoom")
    browser.close()
    assert "Invalid redirect (4700)" in page.text and "ask your admin to paste" in page.text
    assert f"<code>{zoom_site.url}/integrations/zoom/callback</code>" in page.text


def test_check_connection_asks_zoom_and_shows_what_timetics_holds(zoom_site, admin_browser,
                                                                 staff):
    admin_browser.connect_zoom(staff.id)
    page = f"/staff/{staff.id}/integrations"
    checked = admin_browser.submit(f"/staff/{staff.id}/integrations/zoom/check", page=page)
    assert checked.status_code == 200
    assert "The Zoom connection works" in checked.text
    assert "alex.rivera@zoom.example" in checked.text
    assert "<code>meeting:write:meeting</code>" in checked.text
    assert "<dt>Plan</dt><dd>Licensed</dd>" in checked.text  # unless a sandbox user says
    assert [r["status"] for r in zoom_site.zoom_requests()
            if r["path"] == "/v2/users/me"][-1] == 200


def test_check_connection_says_when_zoom_refuses_it(zoom_site, admin_browser, staff):
    admin_browser.connect_zoom(staff.id)
    with zoom_site.app.app_context():
        stored = decrypt_secret(db.session.scalar(
            db.select(ZoomConnection.refresh_token_encrypted)))
    # The refresh token is spent elsewhere, and the access token expires: Zoom refuses us.
    spent = requests.post(f"{zoom_site.zoom_url}/oauth/token", timeout=5,
                          data={"grant_type": "refresh_token", "refresh_token": stored},
                          auth=("live-client-id", CLIENT_SECRET))
    assert spent.status_code == 200
    zoom_site.zoom("post", "/tokens/expire", json={"user_id": "zoomuser-alex"})
    checked = admin_browser.submit(f"/staff/{staff.id}/integrations/zoom/check",
                                   page=f"/staff/{staff.id}/integrations")
    assert checked.status_code == 200
    assert "The Zoom connection does not work" in checked.text
    assert "Reconnect needed" in admin_browser.get(f"/staff/{staff.id}/integrations").text


def test_check_connection_after_zoom_removed_it_says_so(zoom_site, admin_browser, staff):
    admin_browser.connect_zoom(staff.id)
    page = admin_browser.get(f"/staff/{staff.id}/integrations").text  # the button is shown
    zoom_site.zoom("post", "/grants/revoke", json={"user_id": "zoomuser-alex"})
    deadline = time.monotonic() + 5
    while connection_of(zoom_site.app, staff.id) is not None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    checked = admin_browser.post(f"/staff/{staff.id}/integrations/zoom/check",
                                 {"csrf_token": csrf_of(page)})
    assert checked.status_code == 200  # back on the tab, with the news
    assert "Zoom is not connected" in checked.text or "removed this connection" in checked.text

"""The admin sets Zoom up as the seed says: keys in Settings, then Connect for a staff member."""
import re

import pytest
from playwright.sync_api import expect

from timetics.extensions import db
from timetics.models import Location, ZoomConnection
from timetics.settings.services import get_zoom_settings, zoom_client_secret, zoom_secret_token

from ..booking_helpers import create_booking_setup
from ..live import CLIENT_ID, CLIENT_SECRET, SECRET_TOKEN
from .conftest import log_in, requests_to

pytestmark = pytest.mark.e2e

SCOPES = ("meeting:write:meeting", "meeting:read:meeting", "meeting:update:meeting",
          "meeting:delete:meeting", "user:read:user")


@pytest.fixture
def host(zoom_site, make_user):
    """Hana Host, a staff member with hours and meeting types, not connected to Zoom yet."""
    return create_booking_setup(zoom_site.app, make_user, location=Location.ZOOM)


def connection_of(app, user_id):
    with app.app_context():
        return db.session.scalar(db.select(ZoomConnection).filter_by(user_id=user_id))


def test_admin_enters_the_zoom_keys_and_copies_the_redirect_url(unconfigured_site, admin,
                                                                 new_page):
    """Settings > Integrations > Zoom: keys in, Redirect URL copied exactly, saved."""
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    log_in(page, admin.email)
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Zoom", level=1)).to_be_visible()
    for label in ("Client ID", "Client Secret", "Secret Token"):
        expect(page.get_by_label(label, exact=True)).to_be_empty()
    redirect_url = unconfigured_site.url + "/integrations/zoom/callback"
    expect(page.get_by_label("Redirect URL")).to_have_value(redirect_url)
    expect(page.get_by_label("Event notification endpoint URL")).to_have_value(
        unconfigured_site.url + "/webhooks/zoom")
    for scope in SCOPES:  # the events' list below names some of them again
        expect(page.locator("#zoom-scopes").get_by_text(scope, exact=True)).to_be_visible()

    page.get_by_label("Client ID", exact=True).fill(CLIENT_ID)
    page.get_by_label("Client Secret", exact=True).fill(CLIENT_SECRET)
    page.get_by_label("Secret Token", exact=True).fill(SECRET_TOKEN)
    page.get_by_role("button", name="Copy").first.click()  # the one beside the Redirect URL
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == redirect_url
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_have_text("Zoom settings saved.")
    expect(page.get_by_label("Client ID", exact=True)).to_have_value(CLIENT_ID)
    # The secrets are kept, and never sent back to the browser.
    for label in ("Client Secret", "Secret Token"):
        expect(page.get_by_label(label, exact=True)).to_be_empty()
        expect(page.get_by_label(label, exact=True)).to_have_attribute(
            "placeholder", "Saved. Leave empty to keep it.")
    assert CLIENT_SECRET not in page.content() and SECRET_TOKEN not in page.content()
    with unconfigured_site.app.app_context():
        stored = get_zoom_settings()
        assert stored.client_id == CLIENT_ID
        assert zoom_client_secret(stored) == CLIENT_SECRET
        assert zoom_secret_token(stored) == SECRET_TOKEN
    # The URL on the clipboard is the one the Zoom app was given.
    state = unconfigured_site.zoom("get", "/state").json()
    assert redirect_url in str(state)
    assert unconfigured_site.zoom_requests() == []  # saving the keys does not call Zoom


def test_admin_connects_a_staff_members_zoom(zoom_site, admin, host, new_page):
    """Staff Members > the staff member > Integrations > Connect, Allow on Zoom's page."""
    page = new_page()
    log_in(page, admin.email)
    page.get_by_role("link", name="Staff Members").click()
    page.get_by_role("link", name="Hana Host", exact=True).click()
    page.get_by_role("link", name="Integrations").click()
    card = page.get_by_role("region", name="Zoom")
    expect(card).to_contain_text("Not connected")
    card.get_by_role("button", name="Connect").click()

    # Zoom's page (the sandbox): the account, what the app may do, Allow or Deny.
    expect(page).to_have_url(re.compile(re.escape(zoom_site.zoom_url + "/oauth/authorize?")))
    expect(page.get_by_role("heading", name="Timetics would like to access your Zoom account")
           ).to_be_visible()
    for scope in SCOPES:
        expect(page.get_by_text(scope, exact=True)).to_be_visible()
    page.get_by_label("Zoom account").select_option(label="Alex Rivera (alex.rivera@zoom.example)")
    page.get_by_role("button", name="Allow").click()

    expect(page).to_have_url(f"{zoom_site.url}/staff/{host.host_id}/integrations")
    expect(page.get_by_role("status")).to_have_text("Zoom connected as alex.rivera@zoom.example.")
    card = page.get_by_role("region", name="Zoom")
    expect(card).to_contain_text("Connected as alex.rivera@zoom.example")
    expect(card.get_by_role("button", name="Disconnect")).to_be_visible()
    assert [r["status"] for r in requests_to(zoom_site, "POST", "/oauth/token")] == [200]
    assert [r["status"] for r in requests_to(zoom_site, "GET", "/v2/users/me")] == [200]
    assert connection_of(zoom_site.app, host.host_id).zoom_user_id == "zoomuser-alex"


def test_deny_and_a_redirect_url_mismatch_say_what_to_do(zoom_site, admin, host, new_page):
    """The seed's Troubleshooting: each failure lands on a page with the next step."""
    page = new_page()
    log_in(page, admin.email)
    page.goto(f"/staff/{host.host_id}/integrations")
    page.get_by_role("button", name="Connect").click()
    page.get_by_role("button", name="Deny").click()

    expect(page.get_by_role("heading", name="Zoom was not connected")).to_be_visible()
    expect(page.get_by_text("click Connect again and choose Allow")).to_be_visible()
    assert connection_of(zoom_site.app, host.host_id) is None

    page.get_by_role("link", name="Back to Hana Host's integrations").click()
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("button", name="Allow")).to_be_visible()
    # While the admin is on Zoom's page, Timetics moves to a new public address: the Redirect
    # URL it now sends no longer matches the one the code was issued for.
    zoom_site.app.config["EXTERNAL_URL"] = "http://renamed.example"
    page.get_by_role("button", name="Allow").click()

    expect(page.get_by_role("heading", name="Zoom refused the connection")).to_be_visible()
    expect(page.get_by_text("The Redirect URL in your Zoom app must match exactly")
           ).to_be_visible()
    expect(page.get_by_label("Redirect URL")).to_have_value(
        "http://renamed.example/integrations/zoom/callback")
    [exchange] = requests_to(zoom_site, "POST", "/oauth/token")
    assert exchange["status"] == 400
    assert connection_of(zoom_site.app, host.host_id) is None


def test_a_staff_member_connects_and_disconnects_in_settings(zoom_site, host, new_page):
    """The seed's path for a staff member: Settings > Integrations > Zoom, Connect, and later
    Disconnect next to the connected account."""
    page = new_page()
    log_in(page, "host@example.com")
    page.get_by_role("link", name="Settings").click()
    card = page.get_by_role("region", name="Zoom", exact=True)
    expect(card).to_contain_text("Not connected")
    card.get_by_role("button", name="Connect").click()
    page.get_by_label("Zoom account").select_option(label="Alex Rivera (alex.rivera@zoom.example)")
    page.get_by_role("button", name="Allow").click()

    expect(page).to_have_url(f"{zoom_site.url}/settings/integrations/zoom")
    expect(page.get_by_role("status")).to_have_text("Zoom connected as alex.rivera@zoom.example.")
    card = page.get_by_role("region", name="Zoom", exact=True)
    expect(card).to_contain_text("Connected as alex.rivera@zoom.example")
    card.get_by_role("button", name="Disconnect").click()
    expect(page).to_have_url(f"{zoom_site.url}/settings/integrations/zoom")
    expect(page.get_by_role("region", name="Zoom", exact=True)).to_contain_text("Not connected")
    assert connection_of(zoom_site.app, host.host_id) is None
    assert [r["status"] for r in requests_to(zoom_site, "POST", "/oauth/revoke")] == [200]


def test_the_admin_disconnects_a_staff_member_from_connected_accounts(zoom_site, admin, host,
                                                                      new_page):
    page = new_page()
    log_in(page, admin.email)
    page.goto(f"/staff/{host.host_id}/integrations")
    page.get_by_role("region", name="Zoom").get_by_role("button", name="Connect").click()
    page.get_by_label("Zoom account").select_option(label="Alex Rivera (alex.rivera@zoom.example)")
    page.get_by_role("button", name="Allow").click()
    page.get_by_role("link", name="Settings").click()
    table = page.get_by_role("region", name="Connected accounts")
    row = table.get_by_role("row").filter(has_text="Hana Host")
    expect(row).to_contain_text("alex.rivera@zoom.example")
    expect(row).to_contain_text("Connected")
    row.get_by_role("button", name="Disconnect Hana Host's Zoom account").click()
    expect(page).to_have_url(f"{zoom_site.url}/settings/integrations/zoom")
    expect(page.get_by_role("region", name="Connected accounts").get_by_role("row")
           .filter(has_text="Hana Host")).to_contain_text("Not connected")
    assert connection_of(zoom_site.app, host.host_id) is None

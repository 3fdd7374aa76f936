"""Settings > Integrations > Zoom: credentials saved encrypted, never shown again; everyone's
own Zoom card, and the admin's table of every account."""
import re
from html import unescape

from timetics.extensions import db
from timetics.models import ZoomConnection, ZoomSettings
from timetics.security import decrypt_secret

from ..conftest import PASSWORD, assert_not_stored, login, post_form
from ..live import Browser

SECRET = "zoom-client-secret-value-123"
TOKEN = "zoom-secret-token-value-456"


def test_page_shows_fields_redirect_url_event_url_scopes_and_guide(as_admin):
    html = as_admin.get("/settings/integrations/zoom").get_data(as_text=True)
    for label, field in (("Client ID", "client_id"), ("Client Secret", "client_secret"),
                         ("Secret Token", "secret_token"), ("Redirect URL", "redirect_url"),
                         ("Event notification endpoint URL", "event_url")):
        assert f'<label for="{field}">{label}</label>' in html
    assert 'value="http://timetics.test/integrations/zoom/callback"' in html
    assert 'value="http://timetics.test/webhooks/zoom"' in html
    for scope in ("meeting:write:meeting", "meeting:read:meeting", "meeting:update:meeting",
                  "meeting:delete:meeting", "user:read:user"):
        assert f"<code>{scope}</code>" in html
    assert "OAuth Allow List" in html and 'value="Save"' in html


def test_an_unknown_host_header_is_refused(as_admin):
    response = as_admin.get("/settings/integrations/zoom", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True)


def test_redirect_url_comes_from_external_url_not_the_host_header(as_admin):
    """The test client talks to "localhost"; the page names EXTERNAL_URL's host only."""
    html = as_admin.get("/settings/integrations/zoom").get_data(as_text=True)
    assert 'value="http://timetics.test/integrations/zoom/callback"' in html
    assert "localhost" not in html


def test_secrets_are_encrypted_at_rest_and_never_sent_back(app, as_admin):
    response = post_form(as_admin, "/settings/integrations/zoom",
                         {"client_id": "abcCLIENT", "client_secret": SECRET,
                          "secret_token": TOKEN})
    assert response.status_code == 302
    html = as_admin.get("/settings/integrations/zoom").get_data(as_text=True)
    assert SECRET not in html and TOKEN not in html
    assert 'value="abcCLIENT"' in html
    assert_not_stored(app, SECRET, TOKEN)
    with app.app_context():
        stored = db.session.get(ZoomSettings, 1)
        assert decrypt_secret(stored.client_secret_encrypted) == SECRET
        assert decrypt_secret(stored.secret_token_encrypted) == TOKEN


def test_a_blank_secret_keeps_the_stored_one(app, as_admin):
    post_form(as_admin, "/settings/integrations/zoom",
              {"client_id": "one", "client_secret": SECRET, "secret_token": TOKEN})
    post_form(as_admin, "/settings/integrations/zoom",
              {"client_id": "two", "client_secret": "", "secret_token": ""})
    with app.app_context():
        stored = db.session.get(ZoomSettings, 1)
        assert stored.client_id == "two"
        assert decrypt_secret(stored.client_secret_encrypted) == SECRET
        assert decrypt_secret(stored.secret_token_encrypted) == TOKEN


def test_the_first_save_needs_a_client_secret(as_admin):
    response = post_form(as_admin, "/settings/integrations/zoom",
                         {"client_id": "abc", "client_secret": "", "secret_token": ""})
    assert response.status_code == 422
    assert "Paste the Client Secret" in response.get_data(as_text=True)


def test_client_id_is_required_and_has_no_spaces(as_admin):
    for client_id, message in (("", "This field is required."),
                               ("abc def", "The Client ID has no spaces")):
        response = post_form(as_admin, "/settings/integrations/zoom",
                             {"client_id": client_id, "client_secret": SECRET})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)


def test_a_staff_member_has_settings_with_their_own_zoom_card_and_no_app_keys(app, client,
                                                                             make_user):
    staff = make_user(email="sam@example.com")
    login(client, staff.email)
    assert ">Settings</a>" in client.get("/dashboard").get_data(as_text=True)
    html = client.get("/settings/integrations/zoom").get_data(as_text=True)
    assert "A Zoom meeting for every booking with you" in html
    assert "Ask your admin to set it up" in html
    assert 'for="client_secret"' not in html and "Connected accounts" not in html
    assert post_form(client, "/settings/integrations/zoom", {"client_id": "x"}).status_code == 403


def test_a_staff_member_connects_and_disconnects_from_settings(zoom_site, make_user):
    staff = make_user(name="Alex Rivera", email="alex@example.com")
    browser = Browser(zoom_site)
    browser.login(staff.email, PASSWORD)
    page = "/settings/integrations/zoom"
    start = browser.submit(f"/staff/{staff.id}/integrations/zoom/connect?back=settings",
                           page=page, allow_redirects=False)
    consent = browser.get(start.headers["Location"])
    landed = browser.decide(consent, "allow")
    assert landed.url.endswith(page)
    assert "Zoom connected as alex.rivera@zoom.example" in landed.text
    assert "Connected as alex.rivera@zoom.example" in landed.text
    gone = browser.submit(f"/staff/{staff.id}/integrations/zoom/disconnect?back=settings",
                          page=page)
    assert gone.url.endswith(page) and "is disconnected" in gone.text
    assert "Not connected" in gone.text
    with zoom_site.app.app_context():
        assert db.session.scalar(db.select(ZoomConnection)) is None


def test_the_admin_sees_every_account_and_disconnects_one_from_the_table(zoom_site, make_user,
                                                                       admin):
    staff = make_user(name="Alex Rivera", email="alex@example.com")
    other = make_user(name="Noor Notyet", email="noor@example.com")
    browser = Browser(zoom_site)
    browser.login(admin.email, PASSWORD)
    assert "Zoom connected as" in browser.connect_zoom(staff.id).text
    html = browser.get("/settings/integrations/zoom").text
    assert "Connected accounts" in html
    rows = dict(re.findall(r"<tr>\s*<td><a [^>]*>([^<]+)</a></td>(.*?)</tr>", html, re.S))
    assert "alex.rivera@zoom.example" in rows["Alex Rivera"]
    assert "Connected" in rows["Alex Rivera"] and "Disconnect" in rows["Alex Rivera"]
    assert "Not connected" in rows[other.name] and "Disconnect" not in rows[other.name]
    gone = browser.submit(f"/staff/{staff.id}/integrations/zoom/disconnect?back=settings",
                          page="/settings/integrations/zoom")
    assert gone.url.endswith("/settings/integrations/zoom")
    with zoom_site.app.app_context():
        assert db.session.scalar(db.select(ZoomConnection)) is None


def test_the_guide_says_who_can_connect_which_credentials_and_each_optional_scope(as_admin):
    html = unescape(as_admin.get("/settings/integrations/zoom").get_data(as_text=True))
    assert ("A private (unpublished) Zoom app lets only users of the Zoom account that built it "
            "connect") in html
    assert "share the app with them as a beta" in html and "publish it" in html
    assert "Paste the <strong>production</strong> Client ID and Client Secret" in html
    assert "the development pair works only while the app is private" in html
    assert ("<code>user:read:settings</code> — View a user's settings (optional): reads the "
            "host's plan features (webinars, meeting capacity)") in html
    assert ("<code>meeting:read:list_meetings</code> — View a user's meetings (recommended): "
            "finds a meeting whose creation timed out") in html

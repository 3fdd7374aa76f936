"""Settings, Calendars and Zoom pages, and the Zoom connection emails, in the language of each
staff member's profile (User.language, timetics/i18n.py); English stays English."""
from __future__ import annotations

import html

import pytest

from timetics.extensions import db
from timetics.models import Calendar, CalendarAccount, Role, User

from ..conftest import PASSWORD, login, post_form
from ..live import Browser
from ..radicale import vcalendar
from ..smtp import html_of, text_of
from .test_zoom_keepalive import (  # noqa: F401 (clock: a fixture)
    DAY,
    clock,
    run_jobs_at,
    spend_refresh_token,
)

GONE = {"de": "Zoom wurde getrennt", "en": "Zoom was disconnected"}


def speak(app, user_id: int, language: str) -> None:
    with app.app_context():
        db.session.get(User, user_id).language = language
        db.session.commit()


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def admin_in(app, client, make_user):
    """An admin logged in to ``client`` whose profile language is the one given."""
    def make(language: str):
        admin = make_user(Role.ADMIN, email=f"admin-{language}@example.com")
        speak(app, admin.id, language)
        login(client, admin.email)
        return admin
    return make


# What each settings page says, per language: (path, sentences).
SETTINGS_PAGES = {
    "de": [
        ("/settings/integrations/zoom", ["<h2 id=\"app-heading\">Zugangsdaten der Zoom-App</h2>",
                                         "Zoom-App einrichten", "Verbundene Konten",
                                         "Jede Buchung eines verbundenen Gastgebers erhält ein "
                                         "eigenes Zoom-Meeting."]),
        ("/settings/embedding", ["Websites, die die Buchungsseiten einbetten dürfen",
                                 '<label for="allowed_origins">Erlaubte Origins</label>']),
        ("/settings/webhooks", ["<h2 id=\"add-endpoint\">Endpunkt hinzufügen</h2>",
                                "<legend>Ereignisse</legend>"]),
        ("/settings/guest-data", ["Daten eines Gastes löschen", "Gästedaten löschen"]),
    ],
    "fr": [
        ("/settings/integrations/zoom", ["Identifiants de l’application Zoom",
                                         "Configurer l’application Zoom",
                                         "Comptes connectés"]),
        ("/settings/embedding", ["Sites web autorisés à intégrer les pages de réservation",
                                 '<label for="allowed_origins">Origines autorisées</label>']),
        ("/settings/webhooks", ["Ajouter un point de terminaison", "<legend>Événements</legend>"]),
        ("/settings/guest-data", ["Effacer les données d’un invité"]),
    ],
    "en": [
        ("/settings/integrations/zoom", ["Zoom app credentials", "Set up the Zoom app"]),
        ("/settings/embedding", ["Websites that may embed the booking pages"]),
        ("/settings/webhooks", ["Add an endpoint", "<legend>Events</legend>"]),
        ("/settings/guest-data", ["Erase a guest's data"]),
    ],
}


@pytest.mark.parametrize("language", ["de", "fr", "en"])
def test_the_settings_pages_speak_the_admins_language(client, admin_in, language):
    admin_in(language)
    for path, sentences in SETTINGS_PAGES[language]:
        text = page(client, path)
        assert f'<html lang="{language}">' in text
        for sentence in sentences:
            assert sentence in text, (path, sentence)
    if language != "en":  # nothing of the English left on the tabs
        assert ">Guest data</a>" not in page(client, "/settings/webhooks")


def test_form_messages_and_notices_follow_the_admins_language(client, admin_in):
    admin_in("de")
    refused = post_form(client, "/settings/webhooks", {"url": ""})
    assert refused.status_code == 422
    text = html.unescape(refused.get_data(as_text=True))
    assert "Geben Sie die Adresse ein, die die Ereignisse empfängt." in text
    assert "Wählen Sie mindestens ein Ereignis." in text
    refused = post_form(client, "/settings/guest-data", {"email": ""})
    assert "Geben Sie die E-Mail-Adresse des Gastes ein." in html.unescape(
        refused.get_data(as_text=True))
    saved = post_form(client, "/settings/embedding", {"allowed_origins": ""},
                      follow_redirects=True)
    assert "Erlaubte Origins gespeichert: keine." in saved.get_data(as_text=True)
    erased = post_form(client, "/settings/guest-data", {"email": "nobody@example.com"},
                       follow_redirects=True)
    assert ("Gästedaten von 0 Buchungen von nobody@example.com gelöscht; zuvor 0 künftige "
            "Buchungen storniert.") in erased.get_data(as_text=True)


def test_refused_addresses_and_origins_are_explained_in_the_admins_language(client, admin_in):
    admin_in("fr")
    refused = post_form(client, "/settings/webhooks", {"url": "http://127.0.0.1:9/hook",
                                                       "events": ["booking.created"]})
    assert refused.status_code == 422
    assert ("127.0.0.1 est une adresse privée ou locale (127.0.0.1) ; Timetics ne se connecte "
            "qu’à des serveurs publics") in html.unescape(refused.get_data(as_text=True))
    refused = post_form(client, "/settings/embedding", {"allowed_origins": "example.com/path"})
    assert ("« example.com/path » n’est pas une origine : écrivez-la sous la forme "
            "https://example.com") in html.unescape(refused.get_data(as_text=True))


@pytest.mark.parametrize(("language", "sentences"), [
    ("de", ["CalDAV-Konto hinzufügen", "Noch keine Kalender.", "Kalender-Feed hinzufügen",
            '<label for="server_url">Server-URL</label>', "Kalenderauswahl gespeichert."]),
    ("fr", ["Ajouter un compte CalDAV", "Aucun calendrier pour l’instant.",
            '<label for="feed_url">URL du flux</label>', "Choix des calendriers enregistrés."]),
    ("en", ["Add a CalDAV account", "No calendars yet.", "Calendar choices saved."]),
])
def test_the_calendars_tab_speaks_the_staff_members_language(app, client, make_user, language,
                                                            sentences):
    member = make_user(email="sam@example.com")
    speak(app, member.id, language)
    login(client, member.email)
    calendars = f"/staff/{member.id}/calendars"
    saved = post_form(client, f"{calendars}/choices", {}, page=calendars, follow_redirects=True)
    text = html.unescape(saved.get_data(as_text=True))
    for sentence in sentences:
        assert sentence in text, sentence
    refused = post_form(client, f"{calendars}/caldav", {"server_url": "", "username": "",
                                                        "password": ""}, page=calendars)
    assert refused.status_code == 422
    assert ("Server-URL" if language == "de" else "Server URL" if language == "en"
            else "URL du serveur") in refused.get_data(as_text=True)


@pytest.fixture
def calendar_owner(app, client, make_user):
    """A staff member reading German, logged in, whose calendars may be on loopback."""
    app.config["CALENDAR_ALLOWED_HOSTS"] = "127.0.0.1"
    member = make_user(email="sam@example.com")
    speak(app, member.id, "de")
    login(client, member.email)
    return member


def test_why_a_calendar_cannot_be_read_is_said_in_the_owners_language(app, client,
                                                                     calendar_owner, feed):
    calendars = f"/staff/{calendar_owner.id}/calendars"
    gone = post_form(client, f"{calendars}/feed", {"feed_url": feed.server.url + "/old.ics"},
                     page=calendars)
    assert gone.status_code == 422
    assert ("Der Kalender-Feed antwortete 404: Die Adresse wurde womöglich zurückgesetzt."
            in html.unescape(gone.get_data(as_text=True)))
    feed.body = vcalendar().encode()
    assert post_form(client, f"{calendars}/feed", {"feed_url": feed.url},
                     page=calendars).status_code == 302
    feed.body = b"<html>Sign in</html>"  # the next sync reads a web page
    with app.app_context():
        account_id = db.session.scalar(db.select(CalendarAccount.id))
    text = html.unescape(post_form(client, f"{calendars}/{account_id}/sync", {}, page=calendars,
                                   follow_redirects=True).get_data(as_text=True))
    assert "Synchronisierung fehlgeschlagen" in text
    assert "Diese Adresse liefert keinen iCal-Kalender (.ics)." in text
    assert "Es gelten die belegten Zeiten der letzten erfolgreichen Synchronisierung" in text
    with app.app_context():  # stored in English: the job runner has no reader to write for
        assert db.session.scalar(db.select(Calendar.last_error)) == (
            "This address does not give an iCal calendar (.ics).")
    speak(app, calendar_owner.id, "en")
    assert "This address does not give an iCal calendar (.ics)." in client.get(
        calendars).get_data(as_text=True)


def browser_for(zoom_site, email: str) -> Browser:
    browser = Browser(zoom_site)
    browser.login(email, PASSWORD)
    return browser


def test_the_zoom_card_and_check_connection_speak_the_hosts_language(zoom_site, connected_host):
    speak(zoom_site.app, connected_host.host_id, "de")
    host = browser_for(zoom_site, connected_host.host_email)
    card = html.unescape(host.get("/settings/integrations/zoom").text)
    assert "Verbunden als alex.rivera@zoom.example" in card
    assert "Ein Zoom-Meeting für jede Buchung bei Ihnen." in card
    assert ">Verbindung prüfen</button>" in card and ">Trennen</button>" in card
    assert "Zoom-Tarif: " in card
    check = host.submit(f"/staff/{connected_host.host_id}/integrations/zoom/check",
                        page="/settings/integrations/zoom")
    text = html.unescape(check.text)
    assert "Die Zoom-Verbindung funktioniert" in text and "Gewährte Scopes" in text
    assert "Der Zoom-App fehlt der optionale Scope user:read:settings" in text
    host.close()


def test_connect_results_speak_the_language_of_who_clicked(zoom_site, make_user, admin):
    speak(zoom_site.app, admin.id, "fr")
    member = make_user(email="sam@example.com", name="Sam Staff")
    browser = browser_for(zoom_site, admin.email)
    denied = browser.connect_zoom(member.id, decision="deny")
    assert denied.status_code == 400
    text = html.unescape(denied.text)
    assert "Zoom n’a pas été connecté" in text and "Retour aux intégrations de Sam Staff" in text
    landed = browser.connect_zoom(member.id)
    assert "Zoom connecté en tant que alex.rivera@zoom.example." in landed.text
    browser.close()


def test_disconnect_emails_each_reader_in_their_own_language(zoom_site, connected_host, admin,
                                                            mailbox):
    speak(zoom_site.app, connected_host.host_id, "de")
    mailbox.clear()
    browser = browser_for(zoom_site, admin.email)  # an English-speaking admin disconnects
    browser.submit(f"/staff/{connected_host.host_id}/integrations/zoom/disconnect",
                   page=f"/staff/{connected_host.host_id}/integrations")
    browser.close()
    messages = {m["To"]: m for m in mailbox.wait_for(2)}
    to_host, to_admin = messages[connected_host.host_email], messages[admin.email]
    assert to_host["Subject"] == GONE["de"] and to_admin["Subject"] == GONE["en"]
    assert "Tokens nicht mehr.\n\nBis Zoom wieder verbunden ist" in text_of(to_host)
    for part in (text_of(to_host), html.unescape(html_of(to_host))):
        assert "Hallo Hana Host," in part
        assert f"Ihr Zoom-Konto wurde in Timetics von {admin.name} getrennt" in part
        assert "Bestehende Buchungen behalten ihre Links." in part
        assert "erneut verbinden" in part and "Until" not in part
    assert text_of(to_admin).startswith(
        f"Hello {admin.name},\n\nHana Host's Zoom account was disconnected in Timetics by "
        f"{admin.name}, so Timetics no longer holds their Zoom tokens.\n\nUntil Zoom is "
        "connected again, new bookings with Hana Host get no Zoom link")
    for part in (text_of(to_admin), html.unescape(html_of(to_admin))):
        assert f"Hana Host's Zoom account was disconnected in Timetics by {admin.name}" in part


def test_the_reconnect_email_is_in_the_hosts_language(
        zoom_site, connected_host, clock, mailbox):  # noqa: F811 (clock: the fixture)
    speak(zoom_site.app, connected_host.host_id, "de")
    spend_refresh_token(zoom_site)
    mailbox.clear()
    assert run_jobs_at(zoom_site, clock, clock[0] + 31 * DAY) >= 1
    [to_host] = [m for m in mailbox.wait_for(2) if m["To"] == connected_host.host_email]
    assert to_host["Subject"] == "Zoom muss erneut verbunden werden"
    assert "Buchungen warten.\n\nZoom hier erneut verbinden:" in text_of(to_host)
    for part in (text_of(to_host), html.unescape(html_of(to_host))):
        assert "Zoom akzeptiert Ihre Verbindung zu Timetics nicht mehr" in part
        assert "erneut verbinden" in part and "no longer" not in part

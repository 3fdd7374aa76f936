"""Which language a request speaks (timetics/i18n.py): ?lang, the visit, Accept-Language, the
embedding frame, the staff profile; and the guest's stored language for later emails."""
import re

import pytest

from timetics.extensions import db
from timetics.models import Attendee, User

from ..booking_helpers import at, book, create_booking_setup, iso, manage_path, weekday_ahead
from ..conftest import login, post_form
from ..smtp import html_of, text_of
from .test_embedding import SITE, embed_token_of, post_embedded


@pytest.fixture
def app_config(app_config):
    app_config["EMBED_ALLOWED_ORIGINS"] = SITE
    return app_config


@pytest.fixture
def setup(app, make_user):
    return create_booking_setup(app, make_user)


def page_of(client, path, **headers):
    response = client.get(path, headers=headers)
    return response, response.get_data(as_text=True)


def test_accept_language_chooses_and_english_is_the_fallback(client, setup):
    for header, lang, words in (("de-DE,de;q=0.9,en;q=0.5", "de", "Zeitzone"),
                                ("ja, es;q=0.8", "es", "Zona horaria"),
                                ("ja", "en", "Time zone"), ("", "en", "Time zone")):
        response, html = page_of(client, "/book/intro-call?tz=UTC", **{"Accept-Language": header})
        assert f'<html lang="{lang}">' in html and f'<label for="tz">{words}</label>' in html
        assert "Accept-Language" in response.headers["Vary"]


def test_the_cached_booking_page_is_kept_per_language(client, setup):
    _, german = page_of(client, "/book/intro-call?tz=UTC", **{"Accept-Language": "de"})
    _, french = page_of(client, "/book/intro-call?tz=UTC", **{"Accept-Language": "fr"})
    _, again = page_of(client, "/book/intro-call?tz=UTC", **{"Accept-Language": "de"})
    assert "Zeitzone" in german and "Fuseau horaire" in french and again == german


def test_lang_is_kept_for_the_visit_and_beats_the_browser(app, setup):
    client = app.test_client()
    _, html = page_of(client, "/book/intro-call?tz=UTC&lang=es", **{"Accept-Language": "de"})
    assert '<html lang="es">' in html
    _, html = page_of(client, "/book/intro-call?tz=UTC", **{"Accept-Language": "de"})
    assert '<html lang="es">' in html and "Zona horaria" in html
    _, html = page_of(client, "/book/intro-call?tz=UTC&lang=xx", **{"Accept-Language": "de"})
    assert '<html lang="es">' in html  # an unknown language changes nothing
    assert '<html lang="de">' in page_of(app.test_client(), "/book/intro-call",
                                         **{"Accept-Language": "de"})[1]


def test_the_switcher_links_this_page_in_each_language(client, setup):
    _, html = page_of(client, "/book/intro-call?tz=UTC&lang=fr")
    nav = re.search(r'<nav class="languages" aria-label="Langue">(.*?)</nav>', html, re.S).group(1)
    links = dict(re.findall(r'<a href="([^"]+)" lang="(\w+)"', nav))
    assert sorted(links.values()) == ["de", "en", "es", "fr"]
    assert "/book/intro-call?tz=UTC&amp;lang=de" in links
    assert 'lang="fr" hreflang="fr" aria-current="true">Français' in nav


def test_inside_a_frame_the_language_rides_in_the_links_not_a_cookie(app, setup, mailbox):
    start = at(weekday_ahead(), 10)
    page = app.test_client().get(f"/book/intro-call?embed=1&lang=de&tz=UTC&start={iso(start)}")
    html = page.get_data(as_text=True)
    assert "Set-Cookie" not in page.headers and '<html lang="de">' in html
    day_links = re.findall(r'href="(/book/intro-call\?[^"]+)"', html)
    assert day_links and all("lang=" in link for link in day_links)
    assert 'action="/book/intro-call?embed=1&amp;lang=de"' in html
    assert '<input type="hidden" name="lang" value="de">' in html  # zone and time forms
    response = post_embedded(app.test_client(), start, embed_token_of(html),
                             url="/book/intro-call?embed=1&lang=de")
    location = response.headers["Location"]
    assert "embed=1" in location and "lang=de" in location
    confirmation = app.test_client().get(location).get_data(as_text=True)
    assert "Ihr Termin ist gebucht, Fay Framed" in confirmation
    [message] = mailbox.to("fay@example.com")
    assert message["Subject"] == "Bestätigt: Intro call mit Hana Host"


def test_later_emails_use_the_language_the_guest_booked_in(app, setup, mailbox):
    start = at(weekday_ahead(), 10)
    german = app.test_client()
    german.get("/book/intro-call?lang=de")
    manage = manage_path(book(german, "intro-call", start, email="greta@example.com"))
    with app.app_context():
        assert db.session.scalar(db.select(Attendee.language)) == "de"
    mailbox.clear()
    # Cancelled from a browser that reads English: the email follows the stored language.
    english = app.test_client()
    reference, token = re.match(r"/bookings/(\w+)\?token=(\S+)", manage).groups()
    cancel = f"/bookings/{reference}/cancel?token={token}"
    response = post_form(english, cancel, {}, headers={"Accept-Language": "en"})
    assert response.status_code == 302
    [to_guest] = mailbox.to("greta@example.com")
    assert to_guest["Subject"] == "Abgesagt: Intro call mit Hana Host"
    assert "Ihre Buchung ist abgesagt:" in text_of(to_guest)
    assert "Ihre Buchung ist abgesagt:" in html_of(to_guest)
    [to_host] = mailbox.to("host@example.com")
    assert to_host["Subject"].startswith("Cancelled: Intro call with")


def test_an_error_page_a_guest_meets_is_in_their_language(client, setup):
    response, html = page_of(client, "/book/nothing-here", **{"Accept-Language": "fr"})
    assert response.status_code == 404
    assert "Introuvable" in html and "Erreur 404" in html
    assert "n’existe pas ou n’accepte pas de réservations" in html


def test_a_staff_member_chooses_their_language_on_their_profile(app, client, make_user):
    member = make_user(name="Sam Staff", email="sam@example.com")
    login(client, "sam@example.com")
    profile = f"/staff/{member.id}"
    html = client.get(profile).get_data(as_text=True)
    assert '<label for="language">Language</label>' in html
    data = {"name": "Sam Staff", "email": "sam@example.com", "timezone": "UTC"}
    refused = post_form(client, profile, {**data, "language": "xx"})
    assert refused.status_code == 422
    assert "Choose a language from the list." in refused.get_data(as_text=True)
    assert post_form(client, profile, {**data, "language": "de"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, member.id).language == "de"
    html = client.get(profile).get_data(as_text=True)
    assert '<html lang="de">' in html and '<label for="language">Sprache</label>' in html
    assert '<option selected value="de">Deutsch</option>' in html
    assert ">Mein Profil</a>" in html and ">Abmelden</button>" in html
    saved = post_form(client, profile, {**data, "language": "de"}, follow_redirects=True)
    assert "Profil gespeichert." in saved.get_data(as_text=True)
    # The guest's booking page keeps the guest's language, not the staff member's.
    assert '<html lang="en">' in client.get("/book/nothing", headers={"Accept-Language": "en"})\
        .get_data(as_text=True)
    # Saving without the field (an older form) keeps the choice.
    assert post_form(client, profile, data).status_code == 302
    with app.app_context():
        assert db.session.get(User, member.id).language == "de"


def test_a_staff_members_own_emails_are_in_their_language(app, client, make_user, mailbox):
    member = make_user(name="Sam Staff", email="sam@example.com")
    with app.app_context():
        db.session.get(User, member.id).language = "fr"
        db.session.commit()
    # Asked for from an English browser: the email follows the profile, not the request.
    response = post_form(client, "/password/forgot", {"email": "sam@example.com"},
                         headers={"Accept-Language": "en"})
    assert response.status_code == 302
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == "Réinitialisez votre mot de passe Timetics"
    for part in (text_of(message), html_of(message)):
        assert "Bonjour Sam Staff," in part
        assert "votre mot de passe reste inchangé" in part and "Someone" not in part


def test_the_login_page_speaks_the_browsers_language(client, make_user):
    make_user(email="sam@example.com")
    html = client.get("/login", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "<h1>Iniciar sesión en Timetics</h1>" in html
    assert '<label for="password">Contraseña</label>' in html
    refused = post_form(client, "/login", {"email": "sam@example.com", "password": "nope"},
                        headers={"Accept-Language": "es"})
    assert "Correo o contraseña incorrectos." in refused.get_data(as_text=True)

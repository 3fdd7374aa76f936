"""Staff pages and staff emails in each staff member's own language (the profile's Language):
the dashboard, a booking and its answers, meeting types, staff members and working hours, the
request emails; each email in its reader's language, whoever's request wrote it."""
import re
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from timetics.extensions import db
from timetics.models import Location, MeetingType, Role, User

from ..booking_helpers import at, book, create_booking_setup, weekday_ahead
from ..conftest import login, post_form
from ..smtp import html_of, text_of
from .test_approval import clock, require_approval, run_jobs_at, the_booking  # noqa: F401
from .test_first_run import setup_link, submit


def speaks(app, user_id: int, language: str) -> None:
    with app.app_context():
        db.session.get(User, user_id).language = language
        db.session.commit()


def signed_in(app, email: str):
    client = app.test_client()
    login(client, email)
    return client


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def browser(app, language: str):
    """A guest's browser that asks for ``language`` (Accept-Language) on every request."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def both_parts(message) -> list[str]:
    return [text_of(message), html_of(message)]


@pytest.fixture
def setup(app, make_user):
    return create_booking_setup(app, make_user)


@pytest.fixture
def german_host(app, setup):
    """Hana Host reads German; her Intro call needs her approval."""
    speaks(app, setup.host_id, "de")
    require_approval(app)
    return setup


def test_a_request_emails_the_german_host_in_german_and_the_guest_in_theirs(
        app, german_host, mailbox):
    book(browser(app, "en"), "intro-call", at(weekday_ahead(), 10))
    to_host = mailbox.to("host@example.com")[0]
    for part in both_parts(to_host):
        assert "Hallo Hana Host," in part
        assert "Gina Guest (gina@example.com) fragt Intro call an. Die Anfrage wartet auf " \
               "Ihre Freigabe." in part
        assert "Anfragen“ in Ihrer Übersicht an oder lehnen Sie sie ab" in part
        assert "Anmerkungen von Gina Guest:" in part
        assert "asks for" not in part
    to_guest = mailbox.to("gina@example.com")[0]
    for part in both_parts(to_guest):
        assert "We received your request." in part and "Hallo" not in part


def test_the_german_host_answers_a_request_in_german_and_the_guest_hears_in_english(
        app, german_host, mailbox, admin):
    book(browser(app, "en"), "intro-call", at(weekday_ahead(), 10))
    reference = the_booking(app).reference
    mailbox.clear()
    host = signed_in(app, german_host.host_email)
    dashboard = page(host, "/dashboard")
    assert '<html lang="de">' in dashboard
    assert '<h2 id="requests-heading" class="table-title">Anfragen</h2>' in dashboard
    assert f'aria-label="Anfrage {reference} annehmen">Annehmen</button>' in dashboard
    assert "<h2 id=\"filter-heading\">Buchungen finden</h2>" in dashboard
    assert "Bevorstehende Buchungen" in dashboard and "1 Buchung" in dashboard
    assert "Upcoming bookings" not in dashboard and "Find bookings" not in dashboard
    detail = page(host, f"/dashboard/bookings/{reference}")
    assert f"<title>Buchung {reference}" in detail
    assert "Wartet auf Freigabe" in detail and "Angefragt von Gina Guest" in detail
    assert "E-Mail „Anfrage erhalten“ an gina@example.com" in detail
    assert "<h2 id=\"history-heading\">Verlauf</h2>" in detail
    form = page(host, f"/dashboard/bookings/{reference}/decline")
    assert "<h1>Diese Anfrage ablehnen?</h1>" in form
    assert '<label for="message">Nachricht an die Gäste</label>' in form
    declined = post_form(host, f"/dashboard/bookings/{reference}/decline",
                         {"message": "Leider bin ich verreist."}, follow_redirects=True)
    assert f"Anfrage {reference} ist abgelehnt und ihre Zeit wieder frei; der Gast wurde per " \
           "E-Mail informiert." in declined.get_data(as_text=True)
    [to_guest] = mailbox.messages
    for part in both_parts(to_guest):
        assert "Hana Host declined your request:" in part
        assert "Leider bin ich verreist." in part and "abgelehnt" not in part
    # The same booking, read by an admin who keeps English.
    english = page(signed_in(app, admin.email), f"/dashboard/bookings/{reference}")
    assert '<html lang="en">' in english and "Request declined by Hana Host" in english
    # Answered already: the note says so in the host's language.
    again = post_form(host, f"/dashboard/bookings/{reference}/accept", {}, page="/dashboard",
                      follow_redirects=True)
    assert f"Buchung {reference} wartet nicht mehr auf Freigabe: Sie wurde abgelehnt." \
        in again.get_data(as_text=True)


def test_an_unanswered_request_tells_each_side_in_their_own_language(
        app, german_host, clock, mailbox):  # noqa: F811
    app.config["APPROVAL_HOURS"] = 48
    booked_at = clock[0]
    book(browser(app, "fr"), "intro-call", at(weekday_ahead(min_days=5), 10))
    mailbox.clear()
    run_jobs_at(app, clock, booked_at + timedelta(hours=48, minutes=1))
    run_jobs_at(app, clock, booked_at + timedelta(hours=48, minutes=2))  # the emails it wrote
    [to_host] = mailbox.to("host@example.com")
    for part in both_parts(to_host):
        assert "Niemand hat die Anfrage von Gina Guest für Intro call rechtzeitig beantwortet, " \
               "daher wurde sie von selbst abgelehnt" in part
        assert "Nobody answered" not in part
    [to_guest] = mailbox.to("gina@example.com")
    for part in both_parts(to_guest):
        assert "Votre demande n’a pas reçu de réponse à temps, elle est donc refusée :" in part
        assert "Le créneau est à nouveau libre" in part


@pytest.fixture
def german_admin(app, make_user):
    admin = make_user(Role.ADMIN, email="anke@example.com", name="Anke Admin")
    speaks(app, admin.id, "de")
    return signed_in(app, admin.email)


def test_meeting_types_speak_german_down_to_the_form_errors(app, setup, german_admin):
    listing = page(german_admin, "/meeting-types")
    assert "<h1>Terminarten</h1>" in listing and ">Neue Terminart</a>" in listing
    assert "<td>30 Min.</td>" in listing and "Gruppe von bis zu" not in listing
    with app.app_context():
        type_id = db.session.scalar(select(MeetingType.id).filter_by(slug="intro-call"))
    edit = f"/meeting-types/{type_id}"
    form = page(german_admin, edit)
    assert '<label for="duration_minutes">Dauer (Minuten)</label>' in form
    assert "<legend>Zoom-Optionen</legend>" in form and "Buchungsfragen" in form
    assert '<label for="embed_snippet">Einbettungscode</label>' in form
    refused = post_form(german_admin, edit, {"name": "Intro call", "slug": "Intro Call",
                                             "host_id": setup.host_id, "duration_minutes": 3,
                                             "kind": "one_to_one", "capacity": 1})
    html = refused.get_data(as_text=True)
    assert refused.status_code in (400, 422)
    assert "Zwischen 5 und 480 Minuten." in html
    assert "Verwenden Sie Kleinbuchstaben, Ziffern und einzelne Bindestriche" in html
    assert 'value="Intro Call"' in html  # what was typed stays
    question = post_form(german_admin, f"{edit}/questions",
                         {"question-label": "Firma?", "question-kind": "short_text"},
                         page=edit, follow_redirects=True)
    assert "Frage „Firma?“ hinzugefügt." in question.get_data(as_text=True)
    assert "<td>Kurzer Text</td>" in question.get_data(as_text=True)


def test_staff_pages_and_working_hours_speak_german(app, setup, german_admin, mailbox):
    members = page(german_admin, "/staff")
    assert "<h1>Teammitglieder</h1>" in members and ">Teammitglied hinzufügen</a>" in members
    assert "<td>Administrator</td>" in members
    added = post_form(german_admin, "/staff/new", {"name": "Nina New", "email": "nina@example.com",
                                                   "timezone": "UTC"}, follow_redirects=True)
    assert "Nina New wurde hinzugefügt und eine Einladung an nina@example.com gesendet." \
        in added.get_data(as_text=True)
    hours = f"/staff/{setup.host_id}/availability"
    html = page(german_admin, hours)
    assert '<h2 id="weekly-heading">Wöchentliche Zeiten</h2>' in html
    assert '<label for="day_0">Montag</label>' in html
    refused = post_form(german_admin, hours, {"day_0": "9-17"})
    assert "„9-17“ ist kein Zeitraum wie 09:00-17:00." in refused.get_data(as_text=True)
    saved = post_form(german_admin, hours, {"day_0": "09:00-17:00"}, follow_redirects=True)
    assert "Wöchentliche Zeiten gespeichert." in saved.get_data(as_text=True)
    day = date(2030, 12, 24)
    override = post_form(german_admin, f"{hours}/overrides", {"day": day.isoformat(),
                                                              "hours": ""},
                         page=hours, follow_redirects=True).get_data(as_text=True)
    # Babel's own German for the date: "Dienstag, 24. Dezember 2030".
    assert f"Abweichung für {format_date(day, 'EEEE, d. MMMM y', locale='de')} gespeichert." \
        in override
    assert "<strong>Di., 24. Dez. 2030</strong>" in override and "frei" in override


def test_the_invitation_is_in_the_new_members_language(app, german_admin, mailbox):
    form = page(german_admin, "/staff/new")
    assert '<option selected value="de">Deutsch</option>' in form  # the admin's, to start with
    assert "Seine Seiten, die Einladung und seine anderen E-Mails sind in dieser Sprache." in form
    post_form(german_admin, "/staff/new", {"name": "Nina New", "email": "nina@example.com",
                                           "timezone": "UTC", "language": "es"})
    [invitation] = mailbox.wait_for(1)
    assert invitation["Subject"] == "Le invitamos a Timetics"
    for part in both_parts(invitation):
        assert "Le han añadido a Timetics" in part and "Timetics eingeladen" not in part
    with app.app_context():
        assert db.session.scalar(select(User.language).filter_by(email="nina@example.com")) \
            == "es"


def test_the_invited_member_chooses_a_password_in_their_browsers_language(
        app, german_admin, mailbox):
    post_form(german_admin, "/staff/new", {"name": "Nina New", "email": "nina@example.com",
                                           "timezone": "UTC"})
    [invitation] = mailbox.wait_for(1)
    assert invitation["Subject"] == "Sie sind zu Timetics eingeladen"  # no choice sent
    path = re.search(r"http://timetics\.test(/password/set/[\w-]+)", text_of(invitation)).group(1)
    guest = app.test_client()
    form = guest.get(path, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "<h1>Bienvenue, Nina New</h1>" in form
    assert '<label for="confirm">Répétez le mot de passe</label>' in form
    refused = post_form(guest, path, {"password": "a long enough secret", "confirm": "other"},
                        headers={"Accept-Language": "fr"})
    assert "Les deux mots de passe diffèrent." in refused.get_data(as_text=True)


def test_needs_attention_speaks_the_readers_language(app, make_user, german_admin):
    create_booking_setup(app, make_user, location=Location.ZOOM)
    html = page(german_admin, "/dashboard")
    assert "<strong>Zoom nicht verbunden</strong> für Hana Host: Zoom-Terminarten werden ohne " \
           "Zoom-Link gebucht." in html
    assert "Bereit für Ihre erste Buchung" in html and "Die Zoom-App einrichten" in html
    assert "&lt;strong" not in html  # the sentence's own markup is not escaped


def test_a_french_member_reads_french_and_an_english_one_english(app, setup, make_user):
    french = make_user(name="Félix Staff", email="felix@example.com")
    speaks(app, french.id, "fr")
    client = signed_in(app, french.email)
    dashboard = page(client, "/dashboard")
    assert '<html lang="fr">' in dashboard
    assert "Trouver des réservations" in dashboard and "Définir vos horaires de travail" \
        in dashboard
    assert "Aucune réservation à venir. Partagez une page de réservation" in dashboard
    hours = page(client, f"/staff/{french.id}/availability")
    assert "Horaires hebdomadaires" in hours and '<label for="day_0">Lundi</label>' in hours
    english = signed_in(app, setup.host_email)
    dashboard = page(english, "/dashboard")
    assert '<html lang="en">' in dashboard and "Find bookings" in dashboard
    assert "Your booking pages" in dashboard and "Trouver" not in dashboard
    hours = page(english, f"/staff/{setup.host_id}/availability")
    assert "Weekly hours" in hours and '<label for="day_0">Monday</label>' in hours


def test_the_first_admin_keeps_the_language_of_the_setup_page(app, runner):
    path = setup_link(runner)
    spanish = browser(app, "es")
    html = page(spanish, path)
    assert "<h1>Bienvenido a Timetics</h1>" in html and "Cree la primera cuenta" in html
    refused = submit(spanish, path, password="short")
    assert refused.status_code == 422
    assert "Use al menos 12 caracteres." in refused.get_data(as_text=True)
    assert submit(spanish, path).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.language)) == "es"
    # Their pages follow the profile from now on, whatever the browser asks for.
    spanish.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    dashboard = page(spanish, "/dashboard")
    assert '<html lang="es">' in dashboard
    assert "Su cuenta de administrador está lista. Bienvenido a Timetics." in dashboard

"""A guest books in their own language: German from the browser's Accept-Language, French
chosen with ?lang=fr; their pages, emails (both parts) and .ics in it, the host's in the
host's (timetics/i18n.py)."""
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from timetics.extensions import db
from timetics.i18n import format_local
from timetics.models import Attendee, User

from ..booking_helpers import at, weekday_ahead
from ..smtp import html_of, text_of
from .conftest import invitation_of, slot_label

pytestmark = pytest.mark.e2e

BERLIN = "Europe/Berlin"
NEXT_MONTH = {"de": "Nächster Monat", "fr": "Mois suivant"}


def pick_slot_in(page, start, zone: str, language: str) -> None:
    """The picker's steps, read in ``language``: month, day, time."""
    local = start.astimezone(ZoneInfo(zone))
    month = format_local(local, "%B %Y", language)
    if page.get_by_role("heading", name=month, exact=True).count() == 0:
        page.get_by_role("link", name=NEXT_MONTH[language]).click()
    day = format_local(local, "%A %d %B", language)
    page.get_by_role("link", name=re.compile("^" + re.escape(day) + ",")).click()
    expect(page.get_by_role("heading", name=format_local(local, "%A %d %B %Y", language)))\
        .to_be_visible()
    page.get_by_role("button", name=re.compile("^" + slot_label(start, zone))).click()


def test_a_german_browser_books_in_german_and_the_host_reads_english(zoom_site, connected_host,
                                                                    new_page, mailbox):
    start = at(weekday_ahead(), 10)
    page = new_page(timezone_id=BERLIN, locale="de-DE")
    page.goto("/book/intro-call")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_label("Zeitzone")).to_have_value(BERLIN)
    expect(page.get_by_text("Zeiten in Europe/Berlin.")).to_be_visible()
    expect(page.get_by_text("30 Minuten")).to_be_visible()
    pick_slot_in(page, start, BERLIN, "de")
    expect(page.get_by_role("heading", name="Ihre Angaben")).to_be_visible()
    page.get_by_label("Name").fill("Greta Gast")
    page.get_by_label("E-Mail").fill("greta@example.com")
    page.get_by_role("button", name="Buchung bestätigen").click()

    expect(page.get_by_role("heading", name="Ihr Termin ist gebucht, Greta Gast")).to_be_visible()
    when = format_local(start.astimezone(ZoneInfo(BERLIN)), "%A %d %B %Y, %H:%M", "de")
    expect(page.get_by_text(when)).to_be_visible()  # e.g. "Mittwoch, 9. Dezember 2026, 16:00"
    expect(page.get_by_role("link", name="Verschieben")).to_be_visible()
    with zoom_site.app.app_context():
        [attendee] = db.session.scalars(db.select(Attendee)).all()
        assert attendee.language == "de"

    mailbox.wait_for(2)
    [to_guest] = mailbox.to("greta@example.com")
    [to_host] = mailbox.to("host@example.com")
    assert to_guest["Subject"] == "Bestätigt: Intro call mit Hana Host"
    for part in (text_of(to_guest), html_of(to_guest)):
        assert "Hallo Greta Gast," in part and "Ihre Buchung ist bestätigt." in part
        assert when in part and "Buchungsnummer:" in part
        assert "Your booking" not in part and "Hello" not in part
    _method, event = invitation_of(to_guest)
    assert str(event["SUMMARY"]) == "Intro call mit Hana Host"
    assert "Buchungsnummer:" in str(event["DESCRIPTION"])

    assert to_host["Subject"] == "New booking: Intro call with Greta Gast"
    for part in (text_of(to_host), html_of(to_host)):
        assert "Hello Hana Host," in part and "Hallo" not in part
    _method, event = invitation_of(to_host)
    assert str(event["SUMMARY"]) == "Intro call with Hana Host"


def test_a_host_who_chose_spanish_gets_spanish(zoom_site, connected_host, new_page, mailbox):
    """The profile's Language decides the host's emails, whatever the guest reads."""
    with zoom_site.app.app_context():
        host = db.session.scalar(db.select(User).where(User.email == "host@example.com"))
        host.language = "es"
        db.session.commit()
    start = at(weekday_ahead(), 10)
    page = new_page(timezone_id=BERLIN, locale="de-DE")
    page.goto("/book/intro-call")
    pick_slot_in(page, start, BERLIN, "de")
    page.get_by_label("Name").fill("Greta Gast")
    page.get_by_label("E-Mail").fill("greta@example.com")
    page.get_by_role("button", name="Buchung bestätigen").click()
    expect(page.get_by_role("heading", name="Ihr Termin ist gebucht, Greta Gast")).to_be_visible()
    mailbox.wait_for(2)
    [to_host] = mailbox.to("host@example.com")
    assert to_host["Subject"] == "Nueva reserva: Intro call con Greta Gast"
    for part in (text_of(to_host), html_of(to_host)):
        assert "Hola, Hana Host:" in part and "Referencia:" in part
    _method, event = invitation_of(to_host)
    assert str(event["SUMMARY"]) == "Intro call con Hana Host"
    [to_guest] = mailbox.to("greta@example.com")
    assert to_guest["Subject"].startswith("Bestätigt:")


def test_lang_fr_switches_and_sticks_across_the_flow(zoom_site, connected_host, new_page,
                                                     mailbox):
    start = at(weekday_ahead(), 10)
    page = new_page(timezone_id=BERLIN)  # an English browser
    page.goto("/book/intro-call")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Times in Europe/Berlin.")).to_be_visible()
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_label("Fuseau horaire")).to_have_value(BERLIN)
    # The picker's own links carry no lang: the visit keeps it.
    pick_slot_in(page, start, BERLIN, "fr")
    assert "lang=" not in page.url
    expect(page.get_by_role("heading", name="Vos coordonnées")).to_be_visible()
    page.get_by_label("Nom").fill("Frida Invitée")
    page.get_by_label("E-mail").fill("frida@example.com")
    page.get_by_role("button", name="Confirmer la réservation").click()
    expect(page.get_by_role("heading", name="Votre rendez-vous est réservé, Frida Invitée"))\
        .to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    mailbox.wait_for(2)
    [to_guest] = mailbox.to("frida@example.com")
    assert to_guest["Subject"] == "Confirmé : Intro call avec Hana Host"
    assert "Votre réservation est confirmée." in text_of(to_guest)
    assert "Votre réservation est confirmée." in html_of(to_guest)
    # Back to English with the switcher.
    page.get_by_role("navigation", name="Langue").get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="You are booked, Frida Invitée")).to_be_visible()

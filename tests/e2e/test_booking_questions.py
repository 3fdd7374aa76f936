"""Booking questions in the browser, JavaScript on: the admin asks them, a guest answers."""
import pytest
from playwright.sync_api import expect

from timetics.extensions import db
from timetics.models import Answer, MeetingType

from ..booking_helpers import at, weekday_ahead
from ..integration.test_booking_questions import COMPANY, CONSENT, GOALS, LEVEL, ask_questions
from ..smtp import text_of
from .conftest import log_in, pick_slot

pytestmark = pytest.mark.e2e

NEW_YORK = "America/New_York"


def test_the_admin_adds_a_question_in_the_browser(zoom_site, connected_host, new_page, admin):
    with zoom_site.app.app_context():
        type_id = db.session.scalar(db.select(MeetingType.id).filter_by(slug="intro-call"))
    page = new_page(timezone_id=NEW_YORK)
    log_in(page, admin.email)
    page.goto(f"/meeting-types/{type_id}")
    page.get_by_label("Question", exact=True).fill("Your company")
    page.get_by_label("Answer type").select_option(label="Single choice")
    page.get_by_label("Options").fill("Acme\nGlobex")
    page.get_by_label("Required").check()
    page.get_by_role("button", name="Add question").click()
    expect(page.get_by_text("Question “Your company” added.")).to_be_visible()
    expect(page.get_by_role("link", name="Your company")).to_be_visible()


def test_a_guest_answers_the_questions_with_javascript_on(zoom_site, connected_host, new_page,
                                                          mailbox):
    """A required question left empty is pointed out at its field; the answers then reach the
    host's email and the Zoom agenda."""
    ask_questions(zoom_site.app)
    start = at(weekday_ahead(), 10)
    page = new_page(timezone_id=NEW_YORK)
    page.goto("/book/intro-call")
    pick_slot(page, start, NEW_YORK)
    page.get_by_label("Name", exact=True).fill("Gina Guest")
    page.get_by_label("Email", exact=True).fill("gina@example.com")
    page.get_by_label(COMPANY).fill("Acme GmbH")
    page.get_by_label(GOALS).fill("Speak freely.")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_text("Please choose one.")).to_be_visible()
    expect(page.get_by_label(LEVEL)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label(COMPANY)).to_have_value("Acme GmbH")  # nothing typed is lost
    page.get_by_label(LEVEL).select_option("Advanced")
    page.get_by_label(CONSENT).check()
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="You are booked, Gina Guest")).to_be_visible()

    with zoom_site.app.app_context():
        assert sorted(db.session.scalars(db.select(Answer.value))) == [
            "Acme GmbH", "Advanced", "Speak freely.", "Yes"]
    mailbox.wait_for(2)
    [to_host] = mailbox.to("host@example.com")
    assert "What is your level?: Advanced" in text_of(to_host)
    [meeting] = zoom_site.zoom_meetings()
    assert "Company name: Acme GmbH" in meeting["agenda"]

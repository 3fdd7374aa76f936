"""Booking questions: the admin asks them per meeting type; guests answer them on the booking
form (plain HTML, no JavaScript); the answers reach the host everywhere the booking does."""
import re

import pytest
from icalendar import Calendar

from timetics.extensions import db
from timetics.models import Answer, Attendee, Booking, BookingQuestion, MeetingType, QuestionKind

from ..booking_helpers import (
    at,
    book,
    create_booking_setup,
    iso,
    manage_path,
    session_csrf,
    weekday_ahead,
)
from ..conftest import login, post_form
from ..smtp import html_of, text_of

LEVEL = "What is your level?"
COMPANY = "Company name"
GOALS = "What would you like to reach?"
CONSENT = "I agree to be recorded"


@pytest.fixture
def setup(app, make_user):
    return create_booking_setup(app, make_user)


def type_id(app, slug="intro-call") -> int:
    with app.app_context():
        return db.session.scalar(db.select(MeetingType.id).filter_by(slug=slug))


def add_question(client, type_id_: int, label: str, kind: str, *, options: str = "",
                 required: bool = False):
    data = {"question-label": label, "question-kind": kind, "question-options": options}
    if required:
        data["question-required"] = "y"
    return post_form(client, f"/meeting-types/{type_id_}/questions", data,
                     page=f"/meeting-types/{type_id_}")


def ask_questions(app, slug="intro-call", *, required=True) -> dict[str, int]:
    """The four kinds, asked of ``slug``'s guests; their ids by label."""
    questions = [(COMPANY, QuestionKind.SHORT_TEXT, ""),
                 (GOALS, QuestionKind.LONG_TEXT, ""),
                 (LEVEL, QuestionKind.CHOICE, "Beginner\nIntermediate\nAdvanced"),
                 (CONSENT, QuestionKind.CHECKBOX, "")]
    with app.app_context():
        meeting_type = db.session.scalar(db.select(MeetingType).filter_by(slug=slug))
        for position, (label, kind, options) in enumerate(questions):
            meeting_type.questions.append(BookingQuestion(
                label=label, kind=kind, options=options, required=required,
                position=position))
        db.session.commit()
        return {q.label: q.id for q in meeting_type.questions}


def answers(ids: dict[str, int], **overrides) -> dict[str, str]:
    given = {f"q_{ids[COMPANY]}": "Acme GmbH", f"q_{ids[GOALS]}": "Speak freely.\nRead novels.",
             f"q_{ids[LEVEL]}": "Intermediate", f"q_{ids[CONSENT]}": "y"}
    given.update(overrides)
    return {k: v for k, v in given.items() if v is not None}


# --- the admin's side ------------------------------------------------------------------------

def test_the_admin_adds_orders_edits_and_removes_questions(app, as_admin, setup):
    tid = type_id(app)
    assert add_question(as_admin, tid, COMPANY, "short_text").status_code == 302
    assert add_question(as_admin, tid, LEVEL, "choice", options="Beginner\n\nAdvanced\nBeginner",
                        required=True).status_code == 302
    page = as_admin.get(f"/meeting-types/{tid}").get_data(as_text=True)
    assert '<label for="question-label">Question</label>' in page
    assert '<label for="question-kind">Answer type</label>' in page
    assert '<button type="submit" class="button">Add question</button>' in page
    listed = page.split('id="questions"')[1]
    assert listed.index(COMPANY) < listed.index(LEVEL)
    with app.app_context():
        level = db.session.scalar(db.select(BookingQuestion).filter_by(label=LEVEL))
        assert (level.kind, level.required, level.options) == (
            QuestionKind.CHOICE, True, "Beginner\nAdvanced")  # blank and repeated lines go
        level_id = level.id
    moved = post_form(as_admin, f"/meeting-types/{tid}/questions/{level_id}/move",
                      {"direction": "up"}, page=f"/meeting-types/{tid}")
    assert moved.status_code == 302
    listed = as_admin.get(f"/meeting-types/{tid}").get_data(as_text=True).split('id="questions"')[1]
    assert listed.index(LEVEL) < listed.index(COMPANY)
    edited = post_form(as_admin, f"/meeting-types/{tid}/questions/{level_id}", {
        "question-label": "Your level", "question-kind": "choice",
        "question-options": "Beginner\nAdvanced\nNative"})
    assert edited.status_code == 302
    removed = post_form(as_admin, f"/meeting-types/{tid}/questions/{level_id}/remove", {},
                        page=f"/meeting-types/{tid}")
    assert removed.status_code == 302
    with app.app_context():
        assert db.session.scalars(db.select(BookingQuestion.label)).all() == [COMPANY]


@pytest.mark.parametrize(("label", "kind", "options", "message"), [
    ("", "short_text", "", "Write the question."),
    ("Level?", "choice", "Only one", "A single choice needs at least two options"),
    ("Level?", "essay", "", "Not a valid choice."),
    ("L" * 201, "short_text", "", "At most 200 characters."),
])
def test_a_bad_question_is_explained_on_the_meeting_type_page(app, as_admin, setup, label,
                                                              kind, options, message):
    response = add_question(as_admin, type_id(app), label, kind, options=options)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="Intro call"' in html  # the meeting type's own form is still there
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(BookingQuestion.id))) == 0


def test_moving_without_a_direction_is_a_400(app, as_admin, setup):
    ids = ask_questions(app)
    response = post_form(as_admin, f"/meeting-types/{type_id(app)}/questions/{ids[LEVEL]}/move",
                         {"direction": "sideways"}, page=f"/meeting-types/{type_id(app)}")
    assert response.status_code == 400


def test_a_question_of_another_meeting_type_is_404(app, as_admin, setup):
    ids = ask_questions(app, "group-session")
    response = as_admin.get(f"/meeting-types/{type_id(app)}/questions/{ids[LEVEL]}")
    assert response.status_code == 404


# --- the guest's side ------------------------------------------------------------------------

def test_the_form_asks_each_question_under_its_label_after_name_and_email(client, setup, app):
    ids = ask_questions(app)
    start = at(weekday_ahead(), 10)
    html = client.get(f"/book/intro-call?start={iso(start)}").get_data(
        as_text=True)
    for label, qid in ids.items():
        assert f'<label for="q_{qid}">{label}</label>' in html
    assert f'name="q_{ids[COMPANY]}" required type="text"' in html
    assert f'<textarea id="q_{ids[GOALS]}" maxlength="2000" name="q_{ids[GOALS]}"' in html
    assert f'<select id="q_{ids[LEVEL]}" name="q_{ids[LEVEL]}" required><option value="">' \
        'Choose…</option><option value="Beginner">' in html
    assert f'<input id="q_{ids[CONSENT]}" name="q_{ids[CONSENT]}" required type="checkbox"' in html
    positions = [html.index('for="email"'), *(html.index(f'for="q_{ids[label]}"')
                 for label in (COMPANY, GOALS, LEVEL, CONSENT)), html.index('for="notes"')]
    assert positions == sorted(positions)


@pytest.mark.parametrize(("question", "value", "message"), [
    (COMPANY, "", "Please answer this question."),
    (COMPANY, "   ", "Please answer this question."),
    (COMPANY, "x" * 501, "At most 500 characters."),
    (COMPANY, "Acme\nGmbH", "Remove the line breaks"),
    (GOALS, "", "Please answer this question."),
    (GOALS, "g" * 2001, "At most 2,000 characters."),
    (LEVEL, "", "Please choose one."),
    (LEVEL, "Expert", "Not a valid choice."),
    (CONSENT, None, "Please tick this box to go on."),
])
def test_a_missing_or_bad_answer_is_the_fields_error_and_keeps_what_was_typed(
        client, setup, app, question, value, message):
    ids = ask_questions(app)
    given = answers(ids, **{f"q_{ids[question]}": value})
    response = book(client, "intro-call", at(weekday_ahead(), 10), name="Keep Me", **given)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="q_{ids[question]}-error">([^<]*)</p>', html)
    assert error and message in error.group(1)
    assert 'value="Keep Me"' in html
    if question != COMPANY:
        assert 'value="Acme GmbH"' in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 0


def test_optional_questions_may_stay_empty(client, setup, app):
    ids = ask_questions(app, required=False)
    manage_path(book(client, "intro-call", at(weekday_ahead(), 10),
                     **answers(ids, **{f"q_{i}": None for i in ids.values()})))
    with app.app_context():
        # an empty text is no answer; an unticked box is a "No"
        assert db.session.execute(db.select(Answer.label, Answer.value)).all() == [
            (CONSENT, "No")]


def test_answers_reach_the_detail_page_the_hosts_email_and_the_ics(client, setup, app,
                                                                   mailbox, make_user):
    ids = ask_questions(app)
    manage_path(book(client, "intro-call", at(weekday_ahead(), 10), **answers(ids)))
    mailbox.wait_for(2)
    [host_email] = mailbox.to("host@example.com")
    text = text_of(host_email)
    for line in ("Company name: Acme GmbH", "What is your level?: Intermediate",
                 "I agree to be recorded: Yes", "What would you like to reach?: Speak freely."):
        assert line in text
    assert "<dt>Company name</dt><dd" in html_of(host_email)
    [part] = [p for p in host_email.iter_attachments() if p.get_content_type() == "text/calendar"]
    [event] = Calendar.from_ical(part.get_content()).walk("VEVENT")
    description = str(event["DESCRIPTION"])
    assert "Company name: Acme GmbH" in description
    assert "What would you like to reach?: Speak freely.\nRead novels." in description
    with app.app_context():
        reference = db.session.scalar(db.select(Booking.reference))
        host_id = db.session.scalar(db.select(MeetingType.host_id).limit(1))
    host_client = app.test_client()
    with app.app_context():
        from timetics.models import User
        host_email_address = db.session.get(User, host_id).email
    login(host_client, host_email_address)
    page = host_client.get(f"/dashboard/bookings/{reference}").get_data(as_text=True)
    assert "<dt>What is your level?</dt><dd class=\"notes\">Intermediate</dd>" in page
    assert "<dt>I agree to be recorded</dt><dd class=\"notes\">Yes</dd>" in page


def test_removing_a_question_keeps_the_answers_given(client, setup, app, as_admin):
    ids = ask_questions(app)
    manage_path(book(client, "intro-call", at(weekday_ahead(), 10), **answers(ids)))
    tid = type_id(app)
    post_form(as_admin, f"/meeting-types/{tid}/questions/{ids[LEVEL]}/remove", {},
              page=f"/meeting-types/{tid}")
    with app.app_context():
        reference = db.session.scalar(db.select(Booking.reference))
        assert db.session.get(BookingQuestion, ids[LEVEL]) is None
        kept = db.session.scalar(db.select(Answer).filter_by(label=LEVEL))
        assert (kept.value, kept.question_id) == ("Intermediate", None)
    page = as_admin.get(f"/dashboard/bookings/{reference}").get_data(as_text=True)
    assert "<dt>What is your level?</dt><dd class=\"notes\">Intermediate</dd>" in page
    form = client.get(f"/book/intro-call?start={iso(at(weekday_ahead(), 11))}")
    assert LEVEL not in form.get_data(as_text=True)


def test_a_guest_who_moves_to_another_group_booking_keeps_the_answers(client, setup, app):
    ids = ask_questions(app, "group-session")
    day = weekday_ahead()
    path = manage_path(book(client, "group-session", at(day, 10), **answers(ids)))
    manage_path(book(app.test_client(), "group-session", at(day, 10), email="ann@example.com",
                     **answers(ids)))
    reference, token = path.split("/bookings/")[1].split("?token=")
    moved = client.post(f"/bookings/{reference}/reschedule?token={token}", data={
        "csrf_token": session_csrf(client), "start": iso(at(day, 14))})
    assert moved.status_code == 302
    with app.app_context():
        gina = db.session.scalars(db.select(Attendee).filter_by(email="gina@example.com")
                                  .order_by(Attendee.id)).all()
        assert len(gina) == 2
        assert [(a.label, a.value) for a in gina[1].answers] == [
            (a.label, a.value) for a in gina[0].answers]
        assert len(gina[1].answers) == 4


# --- Zoom ------------------------------------------------------------------------------------

def test_the_zoom_agenda_carries_the_answers_after_the_marker_within_zooms_limit(
        zoom_site, connected_host, client):
    """A long answer still makes a meeting (the sandbox enforces agenda maxLength 2000), whose
    agenda starts with the reference marker."""
    ids = ask_questions(zoom_site.app)
    manage_path(book(client, "intro-call", at(weekday_ahead(), 10),
                     **answers(ids, **{f"q_{ids[GOALS]}": "long " * 399})))
    [meeting] = zoom_site.zoom_meetings()
    with zoom_site.app.app_context():
        reference = db.session.scalar(db.select(Booking.reference))
    detail = zoom_site.zoom("get", f"/meetings/{meeting['id']}").json() \
        if "agenda" not in meeting else meeting
    agenda = detail["agenda"]
    assert agenda.startswith(f"Timetics booking {reference}: Intro call with Hana Host")
    assert "Company name: Acme GmbH" in agenda
    assert "What would you like to reach?: long long" in agenda
    assert len(agenda) == 2000  # cut inside the long answer: what follows it is left out


def test_a_group_meetings_agenda_has_no_answers(zoom_site, connected_host, client):
    """Everyone invited to the shared meeting could read it."""
    ids = ask_questions(zoom_site.app, "group-session")
    manage_path(book(client, "group-session", at(weekday_ahead(), 10), **answers(ids)))
    [meeting] = zoom_site.zoom_meetings()
    assert "Acme" not in meeting["agenda"]

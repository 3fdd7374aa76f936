from collections.abc import Sequence

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..models import Answer, BookingQuestion, QuestionKind
from ..validation import no_control_characters, plain_text, valid_email, valid_timezone

QUESTION_PREFIX = "q_"  # answers are posted as q_<question id> (SPEC §7)
SHORT_ANSWER_MAX = 500
LONG_ANSWER_MAX = 2000
YES, NO = "Yes", "No"  # how a checkbox's answer is kept and shown


class BookingForm(FlaskForm):
    start = HiddenField(validators=[DataRequired(message="Pick a time first.")])
    timezone = HiddenField(validators=[DataRequired(), valid_timezone])
    name = StringField("Name", validators=[
        DataRequired(message="Tell us your name."),
        Length(max=200, message="At most 200 characters."),
        no_control_characters,
    ])
    email = EmailField("Email", validators=[
        DataRequired(message="We need your email to send the confirmation."),
        Length(max=254, message="At most 254 characters."),
        valid_email,
    ])
    notes = TextAreaField(
        "Notes", validators=[Length(max=2000, message="At most 2,000 characters."),
                             plain_text],
        description="Anything the host should know beforehand (optional).",
    )
    submit = SubmitField("Confirm booking")


    @property
    def question_fields(self) -> list[Field]:
        """The meeting type's questions, in the host's order (see ``booking_form``)."""
        return [field for field in self if field.name.startswith(QUESTION_PREFIX)]


def _question_field(question: BookingQuestion) -> Field:
    """The input for one question: its label, and "required" as the other fields say it."""
    needed = [DataRequired(message="Please answer this question.")] if question.required \
        else [Optional()]
    if question.kind == QuestionKind.SHORT_TEXT:
        return StringField(question.label, validators=[
            *needed, Length(max=SHORT_ANSWER_MAX, message="At most 500 characters."),
            no_control_characters])
    if question.kind == QuestionKind.LONG_TEXT:
        return TextAreaField(question.label, validators=[
            *needed, Length(max=LONG_ANSWER_MAX, message="At most 2,000 characters."),
            plain_text])
    if question.kind == QuestionKind.CHOICE:
        return SelectField(question.label, choices=[SelectChoice("", "Choose…")] + [
            SelectChoice(option, option) for option in question.option_list], validators=[
            DataRequired(message="Please choose one.") if question.required else Optional()])
    return BooleanField(question.label, validators=[
        DataRequired(message="Please tick this box to go on.")] if question.required else [])


def booking_form(questions: Sequence[BookingQuestion]) -> type[BookingForm]:
    """The booking form of a meeting type: the fields above and one per question, named
    ``q_<question id>``."""
    if not questions:
        return BookingForm
    fields = {f"{QUESTION_PREFIX}{q.id}": _question_field(q) for q in questions}
    return type("BookingFormWithQuestions", (BookingForm,), fields)


def answers_of(form: BookingForm, questions: Sequence[BookingQuestion]) -> list[Answer]:
    """What the guest answered, with each question's label as it was asked; an optional
    text left empty is no answer, a checkbox always is one (yes or no)."""
    answers = []
    for position, question in enumerate(questions):
        data = form[f"{QUESTION_PREFIX}{question.id}"].data
        if question.kind == QuestionKind.CHECKBOX:
            value = YES if data else NO
        else:
            value = (data or "").strip()
        if value:
            answers.append(Answer(question_id=question.id, label=question.label, value=value,
                                  position=position))
    return answers


class RescheduleForm(FlaskForm):
    start = HiddenField(validators=[DataRequired(message="Pick a time first.")])
    submit = SubmitField("Confirm new time")


class CancelForm(FlaskForm):
    submit = SubmitField("Cancel booking")

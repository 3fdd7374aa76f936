import re
from collections.abc import Sequence
from contextlib import suppress

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..models import Answer, BookingQuestion, QuestionKind
from ..validation import (
    INVALID_EMAIL,
    no_control_characters,
    normalize_email,
    plain_text,
    valid_email,
    valid_timezone,
)

QUESTION_PREFIX = "q_"  # answers are posted as q_<question id> (SPEC §7)
SHORT_ANSWER_MAX = 500
LONG_ANSWER_MAX = 2000
YES, NO = "Yes", "No"  # how a checkbox's answer is kept and shown


class BookingForm(FlaskForm):
    start = HiddenField(validators=[DataRequired(message=_l("Pick a time first."))])
    timezone = HiddenField(validators=[DataRequired(), valid_timezone])
    name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("Tell us your name.")),
        Length(max=200, message=_l("At most %(num)s characters.", num=200)),
        no_control_characters,
    ])
    email = EmailField(_l("Email"), validators=[
        DataRequired(message=_l("We need your email to send the confirmation.")),
        Length(max=254, message=_l("At most %(num)s characters.", num=254)),
        valid_email,
    ])
    notes = TextAreaField(
        _l("Notes"), validators=[Length(max=2000, message=_l("At most 2,000 characters.")),
                             plain_text],
        description=_l("Anything the host should know beforehand (optional)."),
    )
    submit = SubmitField(_l("Confirm booking"))


    @property
    def question_fields(self) -> list[Field]:
        """The meeting type's questions, in the host's order (see ``booking_form``)."""
        return [field for field in self if field.name.startswith(QUESTION_PREFIX)]


def _question_field(question: BookingQuestion) -> Field:
    """The input for one question: its label, and "required" as the other fields say it."""
    needed = [DataRequired(message=_l("Please answer this question."))] if question.required \
        else [Optional()]
    if question.kind == QuestionKind.SHORT_TEXT:
        return StringField(question.label, validators=[
            *needed, Length(max=SHORT_ANSWER_MAX,
                            message=_l("At most %(num)s characters.", num=SHORT_ANSWER_MAX)),
            no_control_characters])
    if question.kind == QuestionKind.LONG_TEXT:
        return TextAreaField(question.label, validators=[
            *needed, Length(max=LONG_ANSWER_MAX, message=_l("At most 2,000 characters.")),
            plain_text])
    if question.kind == QuestionKind.CHOICE:
        return SelectField(question.label, choices=[SelectChoice("", _("Choose…"))] + [
            SelectChoice(option, option) for option in question.option_list], validators=[
            DataRequired(message=_l("Please choose one.")) if question.required else Optional()])
    return BooleanField(question.label, validators=[
        DataRequired(message=_l("Please tick this box to go on."))] if question.required else [])


def split_addresses(text: str | None) -> list[str]:
    """Addresses separated by commas or line breaks (or semicolons, or spaces), as typed."""
    return [a for a in re.split(r"[,;\s]+", text or "") if a]


def _extra_guests_field(allowed: int) -> Field:
    def valid_guests(form, field) -> None:
        for address in split_addresses(field.data):
            try:
                normalize_email(address)
            except ValueError:
                raise ValidationError(_("“%(address)s” is not an email address: %(why)s",
                                        address=address[:80], why=_(INVALID_EMAIL))) from None
        if len(extra_guests_of(form)) > allowed:
            raise ValidationError(_("At most %(num)s extra guests.", num=allowed))

    return TextAreaField(
        _("Extra guests"), validators=[Length(max=5000), plain_text, valid_guests],
        description=_("Up to %(num)s more email addresses, separated by commas or on lines "
                      "of their own. They get the confirmation and every change; only you can "
                      "change or cancel the booking.", num=allowed))


def booking_form(questions: Sequence[BookingQuestion],
                 extra_guests_allowed: int = 0) -> type[BookingForm]:
    """The booking form of a meeting type: the fields above, one per question, named
    ``q_<question id>``, and ``guests`` when the type lets a guest bring others."""
    if not questions and not extra_guests_allowed:
        return BookingForm
    fields = {f"{QUESTION_PREFIX}{q.id}": _question_field(q) for q in questions}
    if extra_guests_allowed:
        fields["guests"] = _extra_guests_field(extra_guests_allowed)
    return type("BookingFormWithQuestions", (BookingForm,), fields)


def extra_guests_of(form: BookingForm) -> list[str]:
    """The extra guests' addresses (valid ones: see ``valid_guests``), normalised, each once,
    without the booker's own."""
    if "guests" not in form:
        return []
    addresses = dict.fromkeys(normalize_email(a) for a in split_addresses(form.guests.data))
    with suppress(ValueError):  # a bad booker's address: the email field says so
        addresses.pop(normalize_email(form.email.data or ""), None)
    return list(addresses)


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
    start = HiddenField(validators=[DataRequired(message=_l("Pick a time first."))])
    submit = SubmitField(_l("Confirm new time"))


class CancelForm(FlaskForm):
    submit = SubmitField(_l("Cancel booking"))

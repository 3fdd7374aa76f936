from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from ..i18n import DEFAULT_LANGUAGE, LANGUAGES
from ..validation import all_timezones, no_control_characters, valid_timezone
from .availability import WEEKDAY_NAMES, parse_intervals


def timezone_field(label: str = _l("Time zone")) -> SelectField:
    return SelectField(label, choices=all_timezones, validators=[DataRequired(), valid_timezone],
                       validate_choice=False,
                       description=_l("Working hours and emails use this zone."))


def _language_field(description) -> SelectField:
    return SelectField(
        _l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        default=DEFAULT_LANGUAGE, validate_choice=False,
        validators=[Optional(), AnyOf(list(LANGUAGES),
                                      message=_l("Choose a language from the list."))],
        description=description)


class StaffForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[
            DataRequired(), Length(max=200, message=_l("At most %(num)s characters.", num=200)),
            no_control_characters]
    )
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email(message=_l("Enter a valid email address.")),
                    Length(max=254)],
    )
    timezone = timezone_field()
    # Each name in its own language, so that anyone can find theirs (timetics/i18n.py). Not
    # sent (an older form, a script): the stored choice stays.
    language = _language_field(_l("Your pages and the emails you get are in this language."))
    submit = SubmitField(_l("Save"))


class NewStaffForm(StaffForm):
    language = _language_field(_l("Their pages, the invitation and their other emails are in "
                                  "this language."))
    submit = SubmitField(_l("Add and send invitation"))


def _intervals_validator(form, field) -> None:
    try:
        parse_intervals(field.data or "")
    except ValueError as e:
        raise ValidationError(str(e)) from None


class WeeklyHoursForm(FlaskForm):
    """One text field a weekday: '09:00-12:00, 13:00-17:00'; empty for a day off."""

    submit = SubmitField("Save weekly hours")


for _index, _day in enumerate(WEEKDAY_NAMES):
    setattr(WeeklyHoursForm, f"day_{_index}", StringField(
        _l(_day), validators=[Length(max=200), _intervals_validator],
        description=_l("Example: 09:00-12:00, 13:00-17:00. Leave empty if not available."),
    ))


class DateOverrideForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Pick a date."))])
    hours = StringField(
        _l("Hours that day"),
        validators=[Length(max=200), _intervals_validator],
        description=_l("Example: 10:00-14:00. Leave empty to take the whole day off."),
    )
    submit = SubmitField(_l("Add date override"))


class ApiTokenForm(FlaskForm):
    token_name = StringField(
        _l("Token name"),
        validators=[DataRequired(message=_l("Name the token after where it is used.")),
                    Length(max=100, message=_l("At most 100 characters.")),
                    no_control_characters],
        description=_l("Where it is used, for example “CRM sync”."))
    scope = SelectField(_l("Scope"), default="read",
                        choices=[SelectChoice("read", "read"),
                                 SelectChoice("read write", "read write")],
                        description=_l("read: look only. read write: also book, cancel and move."))
    submit = SubmitField(_l("Create token"))

"""The dashboard's forms: the bookings filter (a GET form) and the host's cancel."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    SearchField,
    SelectChoice,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, Optional, ValidationError

STATUSES = [SelectChoice("", _l("Not cancelled")), SelectChoice("confirmed", _l("Confirmed")),
            SelectChoice("pending", _l("Pending: approval or Zoom link")),
            SelectChoice("cancelled", _l("Cancelled"))]
PAGE_SIZE = 25


class BookingFilterForm(FlaskForm):
    """Filters read from the query string, so a filtered list is a link one can share."""

    class Meta:
        csrf = False  # a GET form changes nothing

    host = SelectField(_l("Host"), choices=[SelectChoice("", _l("Any host"))],
                       validators=[Optional()])
    type = SelectField(_l("Meeting type"), choices=[SelectChoice("", _l("Any type"))],
                       validators=[Optional()])
    status = SelectField(_l("Status"), choices=STATUSES, validators=[Optional()])
    q = SearchField(_l("Search"), validators=[Optional(), Length(max=200)],
                    description=_l("Guest name, email or booking reference"))
    submit = SubmitField(_l("Filter"))

    def validate_to(self, field) -> None:
        start = self["from"].data
        if start and field.data and field.data < start:
            raise ValidationError(_("The end date is before the start date."))


# "from" is a Python keyword, so the field is added by name; WTForms allows that at runtime.
setattr(BookingFilterForm, "from", DateField(_l("From"), validators=[Optional()]))  # noqa: B010
BookingFilterForm.to = DateField(_l("To"), validators=[Optional()])


class DeclineForm(FlaskForm):
    message = TextAreaField(
        _l("Message to the guests"), validators=[Optional(), Length(max=2000)],
        description=_l("Optional. It goes into the email that tells the guest."))
    submit = SubmitField(_l("Decline"))


class HostCancelForm(FlaskForm):
    message = TextAreaField(
        _l("Message to the guests"), validators=[Optional(), Length(max=2000)],
        description=_l("Optional. It goes into the cancellation email each guest gets."))
    submit = SubmitField(_l("Cancel booking"))

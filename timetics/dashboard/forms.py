"""The dashboard's forms: the bookings filter (a GET form) and the host's cancel."""
from __future__ import annotations

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

STATUSES = [SelectChoice("", "Not cancelled"), SelectChoice("confirmed", "Confirmed"),
            SelectChoice("pending", "Pending: approval or Zoom link"),
            SelectChoice("cancelled", "Cancelled")]
PAGE_SIZE = 25


class BookingFilterForm(FlaskForm):
    """Filters read from the query string, so a filtered list is a link one can share."""

    class Meta:
        csrf = False  # a GET form changes nothing

    host = SelectField("Host", choices=[SelectChoice("", "Any host")], validators=[Optional()])
    type = SelectField("Meeting type", choices=[SelectChoice("", "Any type")],
                       validators=[Optional()])
    status = SelectField("Status", choices=STATUSES, validators=[Optional()])
    q = SearchField("Search", validators=[Optional(), Length(max=200)],
                    description="Guest name, email or booking reference")
    submit = SubmitField("Filter")

    def validate_to(self, field) -> None:
        start = self["from"].data
        if start and field.data and field.data < start:
            raise ValidationError("The end date is before the start date.")


# "from" is a Python keyword, so the field is added by name; WTForms allows that at runtime.
setattr(BookingFilterForm, "from", DateField("From", validators=[Optional()]))  # noqa: B010
BookingFilterForm.to = DateField("To", validators=[Optional()])


class DeclineForm(FlaskForm):
    message = TextAreaField(
        "Message to the guests", validators=[Optional(), Length(max=2000)],
        description="Optional. It goes into the email that tells the guest.")
    submit = SubmitField("Decline")


class HostCancelForm(FlaskForm):
    message = TextAreaField(
        "Message to the guests", validators=[Optional(), Length(max=2000)],
        description="Optional. It goes into the cancellation email each guest gets.")
    submit = SubmitField("Cancel booking")

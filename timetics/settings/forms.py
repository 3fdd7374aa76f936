from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    PasswordField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Length, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..embedding import parse_origins
from ..exceptions import OriginError, UnsafeURL
from ..safe_urls import check_url
from ..webhooks.outgoing import EVENTS


class ZoomSettingsForm(FlaskForm):
    client_id = StringField(
        _l("Client ID"),
        validators=[DataRequired(), Length(max=200),
                    Regexp(r"^\S+$", message=_l("The Client ID has no spaces: copy it again."))],
    )
    # Secrets are never rendered back; an empty field keeps the stored value.
    client_secret = PasswordField(_l("Client Secret"), validators=[Length(max=500)])
    secret_token = PasswordField(
        _l("Secret Token"), validators=[Length(max=500)],
        description=_l("From the app's Features page, for event notifications "
                       "(used to verify that Zoom sent the deauthorization event)."),
    )
    submit = SubmitField(_l("Save"))


class EmbedSettingsForm(FlaskForm):
    allowed_origins = TextAreaField(
        _l("Allowed origins"),
        validators=[Length(max=4000, message=_l("At most 4,000 characters."))],
        description=_l("The websites that may show your booking pages in a frame, one origin "
                       "per line or separated by spaces, such as https://www.example.com. "
                       "Empty: no site may."),
    )
    submit = SubmitField(_l("Save"))

    def validate_allowed_origins(self, field):
        try:
            parse_origins(field.data)
        except OriginError as e:
            raise ValidationError(str(e)) from None


class EraseGuestForm(FlaskForm):
    """An admin erases one guest's data (booking/guest_data.py erase_guest)."""

    email = StringField(_l("Email"), validators=[
        DataRequired(message=_l("Enter the guest's email address.")), Length(max=254)])


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes, each with its own <label for>."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _safe_url(form, field) -> None:
    try:
        check_url(field.data or "")
    except UnsafeURL as e:
        raise ValidationError(str(e)) from None


class WebhookEndpointForm(FlaskForm):
    url = URLField(_l("Endpoint URL"), validators=[
        DataRequired(message=_l("Enter the address that receives the events.")),
        Length(max=2000, message=_l("At most 2,000 characters.")), _safe_url],
        description=_l("Timetics POSTs each event here as signed JSON."))
    events = MultiCheckboxField(
        _l("Events"), choices=[SelectChoice(e, e) for e in EVENTS],
        validators=[DataRequired(message=_l("Choose at least one event."))])
    submit = SubmitField(_l("Add endpoint"))

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp


class ZoomSettingsForm(FlaskForm):
    client_id = StringField(
        "Client ID",
        validators=[DataRequired(), Length(max=200),
                    Regexp(r"^\S+$", message="The Client ID has no spaces: copy it again.")],
    )
    # Secrets are never rendered back; an empty field keeps the stored value.
    client_secret = PasswordField("Client Secret", validators=[Length(max=500)])
    secret_token = PasswordField(
        "Secret Token", validators=[Length(max=500)],
        description="From the app's Features page, for event notifications "
                    "(used to verify that Zoom sent the deauthorization event).",
    )
    submit = SubmitField("Save")


class EraseGuestForm(FlaskForm):
    """An admin erases one guest's data (booking/guest_data.py erase_guest)."""

    email = StringField("Email", validators=[
        DataRequired(message="Enter the guest's email address."), Length(max=254)])

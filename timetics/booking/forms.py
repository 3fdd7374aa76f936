from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..validation import no_control_characters, plain_text, valid_email, valid_timezone


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


class RescheduleForm(FlaskForm):
    start = HiddenField(validators=[DataRequired(message="Pick a time first.")])
    submit = SubmitField("Confirm new time")


class CancelForm(FlaskForm):
    submit = SubmitField("Cancel booking")

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..booking.reminders import format_offsets, parse_offsets
from ..models import DEFAULT_REMINDERS, Location, MeetingKind
from ..validation import no_control_characters, plain_text


class MeetingTypeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120), no_control_characters])
    slug = StringField(
        "URL slug",
        validators=[
            DataRequired(), Length(max=80),
            Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                   message="Use lower-case letters, digits and single hyphens, e.g. intro-call."),
        ],
        description="The booking page is /book/<slug>.",
    )
    host_id = SelectField("Host", coerce=int, validators=[InputRequired()])
    duration_minutes = IntegerField(
        "Duration (minutes)", default=30,
        validators=[InputRequired(), NumberRange(5, 480, "Between 5 and 480 minutes.")],
    )
    kind = SelectField("Kind", choices=[SelectChoice(MeetingKind.ONE_TO_ONE.value, "One-to-one"),
                                        SelectChoice(MeetingKind.ONE_TO_MANY.value,
                                                     "One-to-many (group)")])
    capacity = IntegerField(
        "Capacity", default=1,
        validators=[InputRequired(), NumberRange(1, 500, "Between 1 and 500.")],
        description="1 for one-to-one; 2 to 500 guests for one-to-many.",
    )
    location = SelectField("Location", choices=[SelectChoice(Location.ZOOM.value, "Zoom meeting"),
                                                SelectChoice(Location.NONE.value, "None")])
    buffer_before_minutes = IntegerField(
        "Buffer before (minutes)", default=0,
        validators=[InputRequired(), NumberRange(0, 240, "Between 0 and 240 minutes.")],
    )
    buffer_after_minutes = IntegerField(
        "Buffer after (minutes)", default=0,
        validators=[InputRequired(), NumberRange(0, 240, "Between 0 and 240 minutes.")],
    )
    min_notice_minutes = IntegerField(
        "Minimum notice (minutes)", default=60,
        validators=[InputRequired(), NumberRange(0, 60 * 24 * 60, "Between 0 and 86400 minutes.")],
    )
    window_days = IntegerField(
        "Booking window (days ahead)", default=60,
        validators=[InputRequired(), NumberRange(1, 730, "Between 1 and 730 days.")],
    )
    step_minutes = IntegerField(
        "Slot step (minutes)",
        validators=[Optional(), NumberRange(5, 480, "Between 5 and 480 minutes.")],
        description="How far apart slot starts are. Empty: the duration.",
    )
    description = TextAreaField("Description", validators=[Length(max=2000), plain_text])
    active = BooleanField("Active (bookable)", default=True)
    reminder_offsets = StringField(
        "Reminders", default=DEFAULT_REMINDERS, validators=[Length(max=200)],
        description="How long before the start each guest gets a reminder email, e.g. 24h, 1h "
                    "(m, h or d). Empty: no reminders.",
    )
    remind_host = BooleanField("Remind the host too")
    submit = SubmitField("Save")

    def validate_capacity(self, field) -> None:
        if self.kind.data == MeetingKind.ONE_TO_ONE.value and field.data != 1:
            raise ValidationError("A one-to-one meeting has capacity 1.")
        elif self.kind.data == MeetingKind.ONE_TO_MANY.value and not 2 <= (field.data or 0) <= 500:
            raise ValidationError("A one-to-many meeting takes 2 to 500 guests.")

    def validate_reminder_offsets(self, field) -> None:
        try:
            field.data = format_offsets(parse_offsets(field.data))  # saved as "24h, 1h"
        except ValueError as e:
            raise ValidationError(str(e)) from None

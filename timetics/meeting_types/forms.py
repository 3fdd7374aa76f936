from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.utils import unset_value
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..booking.reminders import format_offsets, parse_offsets
from ..extensions import db
from ..i18n import N_
from ..integrations.plan import GUEST_JOIN_LABELS, guest_join_problems
from ..models import (
    DEFAULT_REMINDERS,
    GuestJoin,
    Location,
    MeetingKind,
    QuestionKind,
    ZoomConnection,
)
from ..validation import no_control_characters, normalize_email, plain_text

ALTERNATIVE_HOSTS_MAX = 10


def _minutes_or_off(value) -> int | None:
    return None if value in (None, "", "off") else int(value)


class EmailListField(StringField):
    """Emails separated by commas, semicolons or spaces; ``data`` in Zoom's shape, one string
    joined by ``;`` (settings.alternative_hosts)."""

    def process_formdata(self, valuelist) -> None:
        raw = valuelist[0] if valuelist else ""
        self.data = ";".join(a for a in raw.replace(",", " ").replace(";", " ").split())

    def _value(self) -> str:
        return ", ".join(a for a in (self.data or "").split(";") if a)


class MeetingTypeForm(FlaskForm):
    name = StringField(_l("Name"),
                       validators=[DataRequired(), Length(max=120), no_control_characters])
    slug = StringField(
        _l("URL slug"),
        validators=[
            DataRequired(), Length(max=80),
            Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                   message=_l("Use lower-case letters, digits and single hyphens, e.g. "
                              "intro-call.")),
        ],
        description=_l("The booking page is /book/<slug>."),
    )
    host_id = SelectField(_l("Host"), coerce=int, validators=[InputRequired()])
    duration_minutes = IntegerField(
        _l("Duration (minutes)"), default=30,
        validators=[InputRequired(), NumberRange(5, 480, _l("Between 5 and 480 minutes."))],
    )
    kind = SelectField(_l("Kind"), choices=[SelectChoice(MeetingKind.ONE_TO_ONE.value,
                                                         _l("One-to-one")),
                                        SelectChoice(MeetingKind.ONE_TO_MANY.value,
                                                     _l("One-to-many (group)"))])
    capacity = IntegerField(
        _l("Capacity"), default=1,
        validators=[InputRequired(), NumberRange(1, 500, _l("Between 1 and 500."))],
        description=_l("1 for one-to-one; 2 to 500 guests for one-to-many."),
    )
    location = SelectField(_l("Location"), choices=[SelectChoice(Location.ZOOM.value,
                                                                 _l("Zoom meeting")),
                                                SelectChoice(Location.NONE.value, _l("None"))])
    buffer_before_minutes = IntegerField(
        _l("Buffer before (minutes)"), default=0,
        validators=[InputRequired(), NumberRange(0, 240, _l("Between 0 and 240 minutes."))],
    )
    buffer_after_minutes = IntegerField(
        _l("Buffer after (minutes)"), default=0,
        validators=[InputRequired(), NumberRange(0, 240, _l("Between 0 and 240 minutes."))],
    )
    min_notice_minutes = IntegerField(
        _l("Minimum notice (minutes)"), default=60,
        validators=[InputRequired(),
                    NumberRange(0, 60 * 24 * 60, _l("Between 0 and 86400 minutes."))],
    )
    window_days = IntegerField(
        _l("Booking window (days ahead)"), default=60,
        validators=[InputRequired(), NumberRange(1, 730, _l("Between 1 and 730 days."))],
    )
    step_minutes = IntegerField(
        _l("Slot step (minutes)"),
        validators=[Optional(), NumberRange(5, 480, _l("Between 5 and 480 minutes."))],
        description=_l("How far apart slot starts are. Empty: the duration."),
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=2000), plain_text])
    active = BooleanField(_l("Active (bookable)"), default=True)
    # Zoom options (location Zoom): sent with each meeting, in Zoom's names (zoom/api.py).
    zoom_options_sent = HiddenField(default="1")
    zoom_waiting_room = BooleanField(
        _l("Waiting room"), description=_l("Guests wait until the host lets them in."))
    zoom_passcode = BooleanField(
        _l("Require a passcode"), default=True,
        description=_l("Zoom makes a passcode for each meeting; the guests' emails carry it."))
    zoom_join_before_minutes = SelectField(
        _l("Join before host"), coerce=_minutes_or_off, default="off",
        choices=[SelectChoice("off", _l("Off")), SelectChoice("0", _l("Any time")),
                 SelectChoice("5", _l("5 minutes before")),
                 SelectChoice("10", _l("10 minutes before")),
                 SelectChoice("15", _l("15 minutes before"))],
        description=_l("Off: guests wait until the host starts the meeting."))
    zoom_mute_on_entry = BooleanField(_l("Mute guests on entry"))
    zoom_auto_recording = SelectField(
        _l("Automatic recording"), default="none",
        choices=[SelectChoice("none", _l("Off")), SelectChoice("local", _l("Local")),
                 SelectChoice("cloud", _l("Cloud"))],
        description=_l("Local: on the host's computer. Cloud: in the host's Zoom cloud "
                       "recordings."))
    zoom_alternative_hosts = EmailListField(
        _l("Alternative hosts"),
        description=_l("Emails of Zoom users who may start the meeting for the host, separated "
                    "by commas."))
    zoom_guest_join = SelectField(
        _l("How guests join"), default=GuestJoin.SHARED.value,
        choices=[SelectChoice(mode.value, label) for mode, label in GUEST_JOIN_LABELS.items()],
        description=_l("One-to-many only. With registration or a webinar each guest gets a join "
                    "link of their own, which stops working when they cancel. Registration "
                    "needs a Licensed Zoom host; a webinar, the host's Zoom Webinar add-on."))
    reminder_offsets = StringField(
        _l("Reminders"), default=DEFAULT_REMINDERS, validators=[Length(max=200)],
        description=_l("How long before the start each guest gets a reminder email, e.g. 24h, 1h "
                    "(m, h or d). Empty: no reminders."),
    )
    remind_host = BooleanField(_l("Remind the host too"))
    requires_approval = BooleanField(
        _l("Requires approval"),
        description=_l("Each booking is a request that holds its time until you accept it in the "
                    "dashboard's Requests; no meeting link is sent before. Unanswered requests "
                    "are declined by themselves."))
    bookings_per_day = IntegerField(
        _l("Bookings per day"),
        validators=[Optional(), NumberRange(1, 1000, _l("Between 1 and 1000."))],
        description=_l("At most this many bookings a day, in the host's time zone. Empty: no "
                    "limit."))
    bookings_per_week = IntegerField(
        _l("Bookings per week"),
        validators=[Optional(), NumberRange(1, 5000, _l("Between 1 and 5000."))],
        description=_l("At most this many bookings a week (Monday to Sunday). Empty: no limit."))
    extra_guests_allowed = IntegerField(
        _l("Extra guests allowed"), default=0, filters=[lambda value: value or 0],  # empty: none
        validators=[Optional(), NumberRange(0, 20, _l("Between 0 and 20."))],
        description=_l("How many more email addresses a guest may add to their booking; each "
                    "takes a place in a group."))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, obj=None, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        if self.is_submitted() and not self.zoom_options_sent.raw_data:
            # A post without the Zoom fieldset (a client older than it) keeps the type's options.
            for field in self:
                if field.name.startswith("zoom_"):
                    field.process(None, getattr(obj, field.name, unset_value))

    def validate_capacity(self, field) -> None:
        if self.kind.data == MeetingKind.ONE_TO_ONE.value and field.data != 1:
            raise ValidationError(_("A one-to-one meeting has capacity 1."))
        elif self.kind.data == MeetingKind.ONE_TO_MANY.value and not 2 <= (field.data or 0) <= 500:
            raise ValidationError(_("A one-to-many meeting takes 2 to 500 guests."))

    def validate_requires_approval(self, field) -> None:
        if field.data and self.kind.data == MeetingKind.ONE_TO_MANY.value:
            raise ValidationError(_("Approval is for one-to-one meeting types: the guests of a "
                                  "group share one booking and one meeting link."))

    # Zoom's rules (Meeting API Security Enhancements, developers.zoom.us): a meeting needs a
    # passcode or a waiting room, else Zoom turns the waiting room on by itself; and a waiting
    # room disables join before host (create schema, settings.waiting_room). Refuse what Zoom
    # would override, so the type says what guests will get.
    def validate_zoom_passcode(self, field) -> None:
        if (self.location.data == Location.ZOOM.value and not field.data
                and not self.zoom_waiting_room.data):
            raise ValidationError(
                _("Zoom requires a passcode or a waiting room for every meeting: with both off, "
                "Zoom would turn the waiting room on by itself. Turn on at least one."))

    def validate_zoom_join_before_minutes(self, field) -> None:
        if (self.location.data == Location.ZOOM.value and field.data is not None
                and self.zoom_waiting_room.data):
            raise ValidationError(
                _("With the waiting room on, Zoom does not let guests join before the host: "
                "turn one of the two off."))

    def validate_zoom_alternative_hosts(self, field) -> None:
        addresses = [a for a in (field.data or "").split(";") if a]
        if len(addresses) > ALTERNATIVE_HOSTS_MAX:
            raise ValidationError(_("At most %(num)s alternative hosts.",
                                    num=ALTERNATIVE_HOSTS_MAX))
        try:
            field.data = ";".join(normalize_email(a) for a in addresses)
        except ValueError as e:
            raise ValidationError(_("Check the alternative hosts: %(problem)s",
                                    problem=e)) from None

    def validate_zoom_guest_join(self, field) -> None:
        if field.data == GuestJoin.SHARED.value:
            return
        if (self.kind.data != MeetingKind.ONE_TO_MANY.value
                or self.location.data != Location.ZOOM.value):
            raise ValidationError(_("A join link for each guest is for one-to-many meeting "
                                  "types with location Zoom."))
        connection = db.session.scalar(
            db.select(ZoomConnection).where(ZoomConnection.user_id == self.host_id.data))
        problems = guest_join_problems(connection, field.data, self.capacity.data)
        if problems:
            raise ValidationError(" ".join(problems))

    def validate_reminder_offsets(self, field) -> None:
        try:
            field.data = format_offsets(parse_offsets(field.data))  # saved as "24h, 1h"
        except ValueError as e:
            raise ValidationError(str(e)) from None


QUESTION_KIND_LABELS = {QuestionKind.SHORT_TEXT: N_("Short text"),
                        QuestionKind.LONG_TEXT: N_("Long text"),
                        QuestionKind.CHOICE: N_("Single choice"),
                        QuestionKind.CHECKBOX: N_("Yes/no checkbox")}
OPTIONS_MAX = 50


class QuestionForm(FlaskForm):
    """One booking question; drawn with the prefix ``question-`` beside the meeting type's
    own form (both have a "kind")."""

    label = StringField(_l("Question"), validators=[
        DataRequired(message=_l("Write the question.")),
        Length(max=200, message=_l("At most 200 characters.")), no_control_characters])
    kind = SelectField(_l("Answer type"), choices=[SelectChoice(k.value, _l(label)) for k, label
                                               in QUESTION_KIND_LABELS.items()],
                       default=QuestionKind.SHORT_TEXT.value)
    options = TextAreaField(
        _l("Options"), validators=[Length(max=5000, message=_l("At most 5,000 characters.")),
                               plain_text],
        description=_l("For a single choice: the options, one a line."))
    required = BooleanField(_l("Required"))

    def validate_options(self, field) -> None:
        if self.kind.data != QuestionKind.CHOICE.value:
            field.data = ""  # only a choice has options
            return
        options = list(dict.fromkeys(line.strip() for line in (field.data or "").splitlines()
                                     if line.strip()))
        if len(options) < 2:
            raise ValidationError(_("A single choice needs at least two options, one a line."))
        if len(options) > OPTIONS_MAX or any(len(o) > 200 for o in options):
            raise ValidationError(_("At most %(num)s options of at most 200 characters.",
                                    num=OPTIONS_MAX))
        field.data = "\n".join(options)


class MoveQuestionForm(FlaskForm):
    """The question's Move up / Move down buttons: each posts its own ``direction``."""

    direction = HiddenField(validators=[AnyOf(["up", "down"], message=_l("Move up or down."))])

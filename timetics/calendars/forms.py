from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField, URLField
from wtforms.validators import DataRequired, Length


class CalDAVAccountForm(FlaskForm):
    server_url = URLField(
        _l("Server URL"), validators=[DataRequired(), Length(max=1000)],
        description=_l("The address of your calendar server, e.g. https://cloud.example.com/ "
                       "(Nextcloud), https://caldav.fastmail.com/ or https://caldav.icloud.com/."))
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=254)])
    # Never rendered back.
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=500)],
        description=_l("An app password where your provider offers one."))
    submit = SubmitField(_l("Add CalDAV account"))


class FeedForm(FlaskForm):
    feed_url = URLField(
        _l("Feed URL"), validators=[DataRequired(), Length(max=2000)],
        description=_l("The secret iCal address of a calendar (Google: Settings > Secret "
                       "address in iCal format; Outlook: Publish a calendar > ICS; iCloud: "
                       "Public Calendar). It ends in .ics."))
    submit = SubmitField(_l("Add calendar feed"))

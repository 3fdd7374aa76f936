from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField, URLField
from wtforms.validators import DataRequired, Length


class CalDAVAccountForm(FlaskForm):
    server_url = URLField(
        "Server URL", validators=[DataRequired(), Length(max=1000)],
        description="The address of your calendar server, e.g. https://cloud.example.com/ "
                    "(Nextcloud), https://caldav.fastmail.com/ or https://caldav.icloud.com/.")
    username = StringField("Username", validators=[DataRequired(), Length(max=254)])
    # Never rendered back.
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=500)],
        description="An app password where your provider offers one.")
    submit = SubmitField("Add CalDAV account")


class FeedForm(FlaskForm):
    feed_url = URLField(
        "Feed URL", validators=[DataRequired(), Length(max=2000)],
        description="The secret iCal address of a calendar (Google: Settings > Secret address "
                    "in iCal format; Outlook: Publish a calendar > ICS; iCloud: Public "
                    "Calendar). It ends in .ics.")
    submit = SubmitField("Add calendar feed")

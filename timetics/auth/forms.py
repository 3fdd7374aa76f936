from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..validation import (
    all_timezones,
    no_control_characters,
    not_a_common_password,
    valid_timezone,
)

MIN_PASSWORD_LENGTH = 12


def new_password_field(label: str) -> PasswordField:
    """A password someone chooses: the same rules on every form that sets one."""
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=1000,
                   message=_l("Use at least %(num)s characters.", num=MIN_PASSWORD_LENGTH)),
            not_a_common_password,
        ],
        description=_l("At least %(num)s characters. A few unrelated words work well.",
                       num=MIN_PASSWORD_LENGTH),
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class SetPasswordForm(FlaskForm):
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Set password"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email(message=_l("Enter a valid email address.")),
                    Length(max=254)],
    )
    submit = SubmitField(_l("Send reset link"))


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST (Log out, Cancel, Disconnect)."""


class FirstAdminForm(FlaskForm):
    """The first run's form; the rules are create-user's (services.create_user checks again)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200),
                                           no_control_characters])
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email(message=_l("Enter a valid email address.")),
                    Length(max=254)],
    )
    password = new_password_field(_l("Password"))
    timezone = SelectField(_l("Time zone"), default="UTC",
                           validators=[DataRequired(), valid_timezone],
                           choices=lambda: [(z, z.replace("_", " ")) for z in all_timezones()],
                           validate_choice=False)
    submit = SubmitField(_l("Create admin"))

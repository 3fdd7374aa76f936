"""Logging in and out, invitations and password resets, and who may see what."""
from flask_babel import gettext
from flask_login import LoginManager

from ..extensions import db
from ..i18n import N_
from ..models import User


def init_login(login_manager: LoginManager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please log in to see that page.")
    login_manager.localize_callback = gettext  # in the language of the log-in page
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        """``<id>:<session version>``: a cookie from before a password change loads nobody."""
        user_id, _, version = session_id.partition(":")
        if not (user_id.isdigit() and version.isdigit()):
            return None
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.session_version == int(version) else None

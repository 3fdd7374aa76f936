"""Access rules (SPEC §2): admins see everything; staff see only their own data."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from ..extensions import db
from ..models import User


def admin_required(view):
    """Only admins; everyone else who is logged in gets 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def staff_member_or_403(user_id: int) -> User:
    """The staff member at ``user_id`` if the current user may manage them: admin or themself."""
    member = db.get_or_404(User, user_id)
    if not (current_user.is_admin or current_user.id == member.id):
        abort(403)
    return member

"""Session lifetime: a login ends after a spell of inactivity, and after a fixed maximum."""
from __future__ import annotations

import time

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

# Writing the cookie on every request would churn it; a minute's precision is plenty.
SEEN_PRECISION_SECONDS = 60


def start_session() -> None:
    """Call right after login_user: the clocks of this login start now."""
    now = time.time()
    session["auth_at"] = session["seen_at"] = now


def _enforce_limits():
    # Only a session that names a user can be a login (no remember-me cookie is ever issued):
    # the check costs guests nothing.
    # The API reads no cookie at all (a token says who it is): no login to keep alive there.
    if request.endpoint == "static" or request.blueprint == "api" or "_user_id" not in session \
            or not current_user.is_authenticated:
        return None
    config = current_app.config
    now = time.time()
    started = session.get("auth_at", now)
    seen = session.get("seen_at", now)
    idle = now - seen > 60 * float(config["SESSION_IDLE_MINUTES"])
    too_old = now - started > 3600 * float(config["SESSION_MAX_HOURS"])
    if idle or too_old:
        logout_user()
        session.clear()
        flash(_("Your session has ended. Please log in again."), "info")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET"
                                else None))
    if now - seen > SEEN_PRECISION_SECONDS or "auth_at" not in session:
        session["auth_at"], session["seen_at"] = started, now
    return None


def init_session_limits(app: Flask) -> None:
    app.before_request(_enforce_limits)

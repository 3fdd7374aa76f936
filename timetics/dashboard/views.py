from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..models import AvailabilityRule, MeetingType, Role, User, ZoomSettings

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def home():
    return redirect(url_for("dashboard.index"))


@bp.get("/healthz")
def healthz():
    db.session.execute(db.select(1))
    return {"status": "ok"}


@bp.get("/dashboard")
@login_required
def index():
    return render_template("dashboard/index.html", checklist=_setup_checklist())


def _setup_checklist() -> list[dict]:
    """What an admin still has to do before guests can book, each step with its link."""
    if not current_user.is_admin:
        has_hours = db.session.scalar(
            db.select(db.func.count(AvailabilityRule.id))
            .where(AvailabilityRule.user_id == current_user.id)
        )
        return [
            {"label": "Set your working hours", "done": bool(has_hours),
             "url": url_for("staff.availability", user_id=current_user.id)},
            {"label": "Connect Zoom", "done": current_user.zoom_connection is not None,
             "url": url_for("staff.integrations", user_id=current_user.id)},
        ]
    zoom = db.session.get(ZoomSettings, 1)
    staff_count = db.session.scalar(
        db.select(db.func.count(User.id)).where(User.role == Role.STAFF)
    )
    hours_count = db.session.scalar(db.select(db.func.count(AvailabilityRule.id)))
    types_count = db.session.scalar(db.select(db.func.count(MeetingType.id)))
    return [
        {"label": "Configure the Zoom app", "done": bool(zoom and zoom.is_configured),
         "url": url_for("settings.zoom")},
        {"label": "Add a staff member", "done": bool(staff_count),
         "url": url_for("staff.new")},
        {"label": "Set working hours", "done": bool(hours_count), "url": url_for("staff.index")},
        {"label": "Create a meeting type", "done": bool(types_count),
         "url": url_for("meeting_types.new")},
    ]

from flask import Blueprint, flash, redirect, render_template, url_for
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ..auth.access import admin_required
from ..auth.forms import EmptyForm
from ..extensions import db
from ..models import MeetingType, User, zoom_cuts_short
from ..templating import render_form
from . import services
from .forms import MeetingTypeForm

bp = Blueprint("meeting_types", __name__, url_prefix="/meeting-types")


@bp.get("")
@admin_required
def index():
    types = db.session.scalars(  # each row names its host and the host's Zoom state
        db.select(MeetingType).options(
            selectinload(MeetingType.host).selectinload(User.zoom_connection))
        .order_by(MeetingType.name)).all()
    return render_template("meeting_types/index.html", types=types, action_form=EmptyForm())


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new():
    return _edit(MeetingType())


@bp.route("/<int:type_id>", methods=["GET", "POST"])
@admin_required
def edit(type_id: int):
    return _edit(db.get_or_404(MeetingType, type_id))


@bp.post("/<int:type_id>/active")
@admin_required
def toggle_active(type_id: int):
    meeting_type = db.get_or_404(MeetingType, type_id)
    if EmptyForm().validate_on_submit():
        services.set_active(meeting_type, not meeting_type.active)
        flash(f"“{meeting_type.name}” is now {'active' if meeting_type.active else 'inactive'}.",
              "success")
    return redirect(url_for("meeting_types.index"))


def _edit(meeting_type: MeetingType):
    form = MeetingTypeForm(obj=meeting_type if meeting_type.id else None)
    form.host_id.choices = [SelectChoice(u.id, f"{u.name} ({u.email})")
                            for u in services.possible_hosts()]
    if form.validate_on_submit():
        values = {name: form[name].data for name in services.FIELDS}
        try:
            services.save_meeting_type(meeting_type, values)
        except services.SlugTaken as e:
            db.session.rollback()
            form.slug.errors.append(str(e))
        else:
            flash(f"Meeting type “{meeting_type.name}” saved.", "success")
            return redirect(url_for("meeting_types.index"))
    host = db.session.get(User, form.host_id.data) if isinstance(form.host_id.data, int) \
        else None
    return render_form("meeting_types/edit.html", form, meeting_type=meeting_type,
                       extra_errors=bool(form.slug.errors),
                       cut_short=zoom_cuts_short(host, form.duration_minutes.data,
                                                 form.location.data))

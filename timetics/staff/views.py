from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy.orm import selectinload

from ..auth.access import admin_required, staff_member_or_403
from ..auth.forms import EmptyForm
from ..auth.services import AccountError
from ..extensions import db
from ..models import User, ZoomSettings
from ..settings.services import zoom_redirect_url
from ..templating import render_form
from . import services
from .availability import WEEKDAY_NAMES
from .forms import DateOverrideForm, NewStaffForm, StaffForm, WeeklyHoursForm

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("")
@admin_required
def index():
    # Each row shows the member's Zoom state: load the connections in one query, not one a row.
    members = db.session.scalars(db.select(User).options(selectinload(User.zoom_connection))
                                 .order_by(User.role, User.name)).all()
    return render_template("staff/index.html", members=members)


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new():
    form = NewStaffForm(timezone="UTC")
    if form.validate_on_submit():
        try:
            member, sent = services.invite_staff_member(
                name=form.name.data, email=form.email.data, timezone=form.timezone.data
            )
        except AccountError as e:
            db.session.rollback()
            form.email.errors.append(str(e))
        else:
            if sent:
                flash(f"{member.name} was added and an invitation was sent to {member.email}.",
                      "success")
            else:
                flash(f"{member.name} was added, but the invitation email could not be sent. "
                      "Check the mail settings, then use “Send invitation again”.", "error")
            return redirect(url_for("staff.profile", user_id=member.id))
    return render_form("staff/new.html", form)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@login_required
def profile(user_id: int):
    member = staff_member_or_403(user_id)
    form = StaffForm(obj=member)
    if form.validate_on_submit():
        try:
            services.update_profile(member, name=form.name.data, email=form.email.data,
                                    timezone=form.timezone.data)
        except (AccountError, ValueError) as e:
            db.session.rollback()
            form.email.errors.append(str(e))
        else:
            flash("Profile saved.", "success")
            return redirect(url_for("staff.profile", user_id=member.id))
    return render_form("staff/profile.html", form, member=member, action_form=EmptyForm())


@bp.post("/<int:user_id>/invitation")
@admin_required
def resend_invitation(user_id: int):
    member = db.get_or_404(User, user_id)
    if EmptyForm().validate_on_submit():
        if services.resend_invitation(member):
            flash(f"A new invitation was sent to {member.email}.", "success")
        else:
            flash("The invitation email could not be sent. Check the mail settings.", "error")
    return redirect(url_for("staff.profile", user_id=member.id))


@bp.route("/<int:user_id>/availability", methods=["GET", "POST"])
@login_required
def availability(user_id: int):
    member = staff_member_or_403(user_id)
    current = services.weekly_hours_text(member)
    form = WeeklyHoursForm(data={f"day_{day}": text for day, text in current.items()})
    if form.validate_on_submit():
        services.replace_weekly_hours(
            member, {day: form[f"day_{day}"].data or "" for day in range(7)}
        )
        flash("Weekly hours saved.", "success")
        return redirect(url_for("staff.availability", user_id=member.id))
    return _availability_page(member, form, DateOverrideForm(formdata=None))


@bp.post("/<int:user_id>/availability/overrides")
@login_required
def add_override(user_id: int):
    member = staff_member_or_403(user_id)
    override_form = DateOverrideForm()
    if override_form.validate_on_submit():
        services.set_date_override(member, override_form.day.data, override_form.hours.data or "")
        flash(f"Override for {override_form.day.data:%A %d %B %Y} saved.", "success")
        return redirect(url_for("staff.availability", user_id=member.id))
    current = services.weekly_hours_text(member)
    weekly = WeeklyHoursForm(formdata=None,
                             data={f"day_{day}": text for day, text in current.items()})
    return _availability_page(member, weekly, override_form)


@bp.post("/<int:user_id>/availability/overrides/<day>/delete")
@login_required
def delete_override(user_id: int, day: str):
    from datetime import date

    member = staff_member_or_403(user_id)
    if EmptyForm().validate_on_submit():
        try:
            services.remove_date_override(member, date.fromisoformat(day))
        except ValueError:
            flash("That is not a date.", "error")
        else:
            flash("Override removed.", "success")
    return redirect(url_for("staff.availability", user_id=member.id))


def _availability_page(member: User, weekly: WeeklyHoursForm, override: DateOverrideForm):
    overrides: dict = {}
    for row in member.date_overrides:
        overrides.setdefault(row.day, []).append(row)
    return render_form(
        "staff/availability.html", weekly, member=member, override_form=override,
        weekday_names=WEEKDAY_NAMES, overrides=overrides, action_form=EmptyForm(),
        extra_errors=bool(override.errors),
    )


@bp.get("/<int:user_id>/integrations")
@login_required
def integrations(user_id: int):
    member = staff_member_or_403(user_id)
    zoom_settings = db.session.get(ZoomSettings, 1)
    return render_template(
        "staff/integrations.html", member=member,
        zoom_configured=bool(zoom_settings and zoom_settings.is_configured),
        connection=member.zoom_connection, action_form=EmptyForm(),
        redirect_url=zoom_redirect_url(),
    )

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from ..api import tokens as api_tokens
from ..auth.access import admin_required, staff_member_or_403
from ..auth.forms import EmptyForm
from ..auth.services import AccountError
from ..extensions import db
from ..i18n import current_language, format_local
from ..models import ApiScope, User, ZoomSettings
from ..settings.services import zoom_redirect_url
from ..templating import render_form
from . import services
from .availability import WEEKDAY_NAMES
from .forms import ApiTokenForm, DateOverrideForm, NewStaffForm, StaffForm, WeeklyHoursForm

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
    form = NewStaffForm(timezone="UTC", language=current_language())
    if form.validate_on_submit():
        try:
            member, sent = services.invite_staff_member(
                name=form.name.data, email=form.email.data, timezone=form.timezone.data,
                language=form.language.data)
        except AccountError as e:
            db.session.rollback()
            form.email.errors.append(str(e))
        else:
            if sent:
                flash(_("%(name)s was added and an invitation was sent to %(email)s.",
                        name=member.name, email=member.email), "success")
            else:
                flash(_("%(name)s was added, but the invitation email could not be sent. Check "
                        "the mail settings, then use “Send invitation again”.", name=member.name),
                      "error")
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
                                    timezone=form.timezone.data, language=form.language.data)
        except (AccountError, ValueError) as e:
            db.session.rollback()
            form.email.errors.append(str(e))
        else:
            flash(_("Profile saved."), "success")
            return redirect(url_for("staff.profile", user_id=member.id))
    return _profile_page(member, form, ApiTokenForm(formdata=None))


def _profile_page(member: User, form: StaffForm, token_form: ApiTokenForm,
                  new_token: str | None = None):
    # API tokens are personal: an admin sees a member's tokens only on their own profile.
    own = member.id == current_user.id
    return render_form("staff/profile.html", form, member=member, action_form=EmptyForm(),
                       token_form=token_form if own else None, new_token=new_token,
                       api_tokens=api_tokens.tokens_of(member) if own else [],
                       extra_errors=bool(token_form.errors))


@bp.post("/<int:user_id>/api-tokens")
@login_required
def create_api_token(user_id: int):
    """Made for oneself only; the token is shown on this one answer and never again."""
    member = staff_member_or_403(user_id)
    if member.id != current_user.id:
        abort(403)
    token_form = ApiTokenForm()
    secret = None
    if token_form.validate_on_submit():
        secret = api_tokens.create_token(member, name=token_form.token_name.data.strip(),
                                         scope=ApiScope(token_form.scope.data))[1]
        flash(_("Token created. Copy it now: it is not shown again."), "success")
        token_form = ApiTokenForm(formdata=None)
    return _profile_page(member, StaffForm(formdata=None, obj=member), token_form, secret)


@bp.post("/<int:user_id>/api-tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(user_id: int, token_id: int):
    member = staff_member_or_403(user_id)
    if member.id != current_user.id or not EmptyForm().validate_on_submit():
        abort(403 if member.id != current_user.id else 400)
    token = api_tokens.revoke_token(member, token_id)
    if token is None:
        abort(404)
    flash(_("Token “%(name)s” revoked: requests with it are refused from now on.",
            name=token.name), "success")
    return redirect(url_for("staff.profile", user_id=member.id))


@bp.post("/<int:user_id>/invitation")
@admin_required
def resend_invitation(user_id: int):
    member = db.get_or_404(User, user_id)
    if EmptyForm().validate_on_submit():
        if services.resend_invitation(member):
            flash(_("A new invitation was sent to %(email)s.", email=member.email), "success")
        else:
            flash(_("The invitation email could not be sent. Check the mail settings."), "error")
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
        flash(_("Weekly hours saved."), "success")
        return redirect(url_for("staff.availability", user_id=member.id))
    return _availability_page(member, form, DateOverrideForm(formdata=None))


@bp.post("/<int:user_id>/availability/overrides")
@login_required
def add_override(user_id: int):
    member = staff_member_or_403(user_id)
    override_form = DateOverrideForm()
    if override_form.validate_on_submit():
        services.set_date_override(member, override_form.day.data, override_form.hours.data or "")
        flash(_("Override for %(day)s saved.",
                day=format_local(override_form.day.data, "%A %d %B %Y")), "success")
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
            flash(_("That is not a date."), "error")
        else:
            flash(_("Override removed."), "success")
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

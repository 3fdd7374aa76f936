"""The Calendars tab of a staff member (``/staff/<id>/calendars``): staff manage their own,
admins anyone's."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from ..auth.access import staff_member_or_403
from ..auth.forms import EmptyForm
from ..exceptions import CalendarAuthRefused, CalendarError, UnsafeURL
from ..extensions import db
from ..models import CalendarAccount, User
from . import failures, services
from .forms import CalDAVAccountForm, FeedForm

bp = Blueprint("calendars", __name__, url_prefix="/staff")
bp.add_app_template_filter(failures.shown, "calendar_failure")


def _page(member: User, caldav: CalDAVAccountForm | None = None,
          feed: FeedForm | None = None, status: int = 200):
    accounts = services.accounts_of(member)
    page = render_template(
        "calendars/index.html", member=member, accounts=accounts,
        caldav_form=caldav or CalDAVAccountForm(formdata=None),
        feed_form=feed or FeedForm(formdata=None), action_form=EmptyForm(),
        booking_calendar=services.booking_calendar(member.id),
        writable=[c for a in accounts if a.source == "caldav" for c in a.calendars])
    return page, status


@bp.get("/<int:user_id>/calendars")
@login_required
def index(user_id: int):
    return _page(staff_member_or_403(user_id))


@bp.post("/<int:user_id>/calendars/caldav")
@login_required
def add_caldav(user_id: int):
    member = staff_member_or_403(user_id)
    form = CalDAVAccountForm()
    if not form.validate_on_submit():
        return _page(member, caldav=form, status=422)
    try:
        account = services.add_caldav_account(member, url=form.server_url.data,
                                              username=form.username.data,
                                              password=form.password.data)
    except CalendarAuthRefused as e:
        db.session.rollback()
        form.password.errors.append(failures.shown(e.message))
        return _page(member, caldav=form, status=422)
    except (CalendarError, UnsafeURL) as e:
        db.session.rollback()
        form.server_url.errors.append(failures.shown(getattr(e, "message", None) or str(e)))
        return _page(member, caldav=form, status=422)
    db.session.commit()
    names = ", ".join(c.name for c in account.calendars)
    flash(ngettext("CalDAV account added with %(num)d calendar (%(names)s). Tick Check for "
                   "conflicts for those whose events should block bookings.",
                   "CalDAV account added with %(num)d calendars (%(names)s). Tick Check for "
                   "conflicts for those whose events should block bookings.",
                   len(account.calendars), names=names), "success")
    return redirect(url_for("calendars.index", user_id=member.id))


@bp.post("/<int:user_id>/calendars/feed")
@login_required
def add_feed(user_id: int):
    member = staff_member_or_403(user_id)
    form = FeedForm()
    if not form.validate_on_submit():
        return _page(member, feed=form, status=422)
    try:
        services.add_feed(member, url=form.feed_url.data)
    except (CalendarError, UnsafeURL) as e:
        db.session.rollback()
        form.feed_url.errors.append(failures.shown(getattr(e, "message", None) or str(e)))
        return _page(member, feed=form, status=422)
    db.session.commit()
    flash(_("Calendar feed added: its events now block bookings."), "success")
    return redirect(url_for("calendars.index", user_id=member.id))


@bp.post("/<int:user_id>/calendars/choices")
@login_required
def save_choices(user_id: int):
    member = staff_member_or_403(user_id)
    if EmptyForm().validate_on_submit():
        _save_posted_choices(member)
        db.session.commit()
        flash(_("Calendar choices saved."), "success")
    return redirect(url_for("calendars.index", user_id=member.id))


def _save_posted_choices(member: User) -> None:
    """The ticks and the select of the calendars form, for the member's own calendars."""
    own = {c.id for c in services.calendars_of(member)}
    checked = {int(v) for v in request.form.getlist("check") if v.isdigit()} & own
    target = request.form.get("bookings_to", "")
    bookings_to = int(target) if target.isdigit() and int(target) in own else None
    services.save_choices(member, checked=checked, bookings_to=bookings_to)


def _own_account(member: User, account_id: int) -> CalendarAccount:
    account = services.account_of(member, account_id)
    if account is None:
        abort(404, _("There is no such calendar account."))
    return account


@bp.post("/<int:user_id>/calendars/<int:account_id>/sync")
@login_required
def sync_now(user_id: int, account_id: int):
    member = staff_member_or_403(user_id)
    account = _own_account(member, account_id)
    if EmptyForm().validate_on_submit():
        if "choices" in request.form:  # Sync now sends the ticks it sits among
            _save_posted_choices(member)
        found = services.sync_now(account)
        db.session.commit()
        _say_rediscovered(found)
        flash(_("Syncing now: the times below show when it is done."), "success")
    return redirect(url_for("calendars.index", user_id=member.id))


def _say_rediscovered(found: services.Rediscovered) -> None:
    names = lambda calendars: ", ".join(f"“{c.name}”" for c in calendars)  # noqa: E731
    if found.new:
        flash(_("New on the server: %(names)s. Tick Check for conflicts for those whose "
                "events should block bookings.", names=names(found.new)), "success")
    if found.gone:
        flash(_("Deleted on the server: %(names)s. They no longer block bookings.",
                names=names(found.gone)), "info")
    if found.error:
        flash(_("Could not look for new calendars: %(error)s",
                error=failures.shown(found.error)), "error")


@bp.post("/<int:user_id>/calendars/<int:account_id>/remove")
@login_required
def remove(user_id: int, account_id: int):
    member = staff_member_or_403(user_id)
    account = _own_account(member, account_id)
    if EmptyForm().validate_on_submit():
        label = account.label
        services.remove_account(account)
        db.session.commit()
        flash(_("%(label)s removed; its events no longer block bookings.", label=label),
              "success")
    return redirect(url_for("calendars.index", user_id=member.id))

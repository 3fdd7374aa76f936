"""Connect and Disconnect Zoom for a staff member, and Zoom's OAuth callback."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import zoom
from ..auth.access import staff_member_or_403
from ..auth.forms import EmptyForm
from ..dashboard.attention import plain_words
from ..exceptions import (
    StateInvalid,
    ZoomError,
    ZoomNotConfigured,
    ZoomOAuthError,
    ZoomRateLimited,
    ZoomTimeout,
    ZoomUnavailable,
    ZoomUserTaken,
)
from ..extensions import db
from ..models import User, ZoomConnection
from ..settings.services import zoom_redirect_url
from ..zoom.transport import SCOPES_MISSING
from . import meetings, oauth_flow, plan, tokens

logger = logging.getLogger(__name__)

bp = Blueprint("integrations", __name__)
bp.add_app_template_global(plan.plan_name, "zoom_plan_name")
bp.add_app_template_global(plan.guest_join_scope_notes, "zoom_scope_notes")
bp.add_app_template_global(plan.BASIC_WARNING, "zoom_basic_warning")
bp.add_app_template_global(plan.problem_text, "zoom_plan_problem_text")


@bp.post("/staff/<int:user_id>/integrations/zoom/connect")
@login_required
def connect(user_id: int):
    member = staff_member_or_403(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    # Where Zoom's callback lands: the page the Connect button was on.
    session[BACK_KEY] = request.args.get("back") == "settings"
    try:
        return redirect(oauth_flow.start_authorization(member))
    except ZoomNotConfigured:
        flash(_("The Zoom app is not configured yet: enter its Client ID and Client Secret "
                "under Settings > Integrations > Zoom first."), "error")
        return _back(member)


@bp.post("/staff/<int:user_id>/integrations/zoom/disconnect")
@login_required
def disconnect(user_id: int):
    member = staff_member_or_403(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if member.zoom_connection is None:
        flash(_("Zoom was not connected."), "info")
    else:
        email = member.zoom_connection.zoom_email
        oauth_flow.disconnect(member, by=current_user)
        flash(_("Zoom (%(email)s) is disconnected and its tokens are deleted. Existing "
                "bookings keep their links; new bookings get none.", email=email), "success")
    return _back(member)


@bp.post("/staff/<int:user_id>/integrations/zoom/check")
@login_required
def check(user_id: int):
    """Check connection: ask Zoom who the tokens belong to, now, and show what we hold."""
    member = staff_member_or_403(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    connection = member.zoom_connection
    if connection is None:
        flash(_("Zoom is not connected: there is nothing to check."), "info")
        return _back(member)
    me, problem = None, None
    try:
        api = tokens.api_for(member)
        if api is None:
            problem = _("Zoom no longer accepts this connection: connect again.")
        else:
            me = api.get_me()
            read = plan.read_plan(api, me, connection.scopes or "")
    except (ZoomError, ZoomNotConfigured) as e:
        problem = plain_words(e.message)
    db.session.expire_all()  # a refresh during the check may have stored a new expiry
    connection = db.session.get(ZoomConnection, connection.id)
    if connection is None:  # Zoom's deauthorization arrived meanwhile, and deleted it
        flash(_("Zoom has removed this connection: connect again."), "error")
        return _back(member)
    if me is not None:
        plan.store_plan(connection, read)
        db.session.commit()
    return render_template(
        "integrations/zoom_check.html", member=member, me=me, problem=problem,
        connection=connection, plan=plan.plan_name(connection.zoom_user_type),
        features=plan.feature_lines(connection.zoom_features),
        scopes=sorted((connection.scopes or "").split()), back=request.args.get("back"))


BACK_KEY = "zoom_connect_from_settings"


def _back(member: User, *, from_settings: bool | None = None):
    """To the page the button was on: Settings > Integrations > Zoom, or the member's tab."""
    if from_settings is None:
        from_settings = request.args.get("back") == "settings"
    if from_settings:
        return redirect(url_for("settings.zoom"))
    return redirect(url_for("staff.integrations", user_id=member.id))


def failure(title: str, message: str, status: int, *, staff: User | None = None,
            show_redirect_url: bool = False):
    """A plain page for one thing that went wrong, with what to do next and a way back to
    where Connect was."""
    back_url, back_label = _way_back(staff)
    return render_template(
        "integrations/zoom_failed.html", title=title, message=message,
        back_url=back_url, back_label=back_label,
        redirect_url=zoom_redirect_url() if show_redirect_url else None,
    ), status


def _way_back(staff: User | None) -> tuple[str, str]:
    """The page Connect was on: the member's Integrations tab, else Settings > Integrations >
    Zoom (also when the sign-in expired and we no longer know whose it was)."""
    if staff is None or session.pop(BACK_KEY, False):
        return url_for("settings.zoom"), _("Back to Settings > Integrations > Zoom")
    if staff.id == current_user.id:
        return url_for("staff.integrations", user_id=staff.id), _("Back to your integrations")
    return (url_for("staff.integrations", user_id=staff.id),
            _("Back to %(name)s's integrations", name=staff.name))


@bp.get("/integrations/zoom/callback")
@login_required
def callback():
    error = request.args.get("error")
    try:
        staff_id, verifier = oauth_flow.take_authorization(request.args.get("state"))
    except StateInvalid:
        return failure(
            _("This Zoom sign-in has expired"),
            _("The link back from Zoom was already used, is older than 10 minutes, or was "
              "opened in another browser. Start again from Connect, in the same browser."), 400)
    staff = db.session.get(User, staff_id)
    if staff is None or not (current_user.is_admin or current_user.id == staff.id):
        abort(403)
    if error:
        if error == "access_denied":
            return failure(_("Zoom was not connected"),
                           _("You chose Deny on Zoom's page, so Timetics has no access. To "
                             "connect, click Connect again and choose Allow."), 400, staff=staff)
        return failure(_("Zoom was not connected"),
                       _("Zoom answered with the error “%(error)s”. Check that you are logged "
                         "into the right Zoom account, then click Connect again.",
                         error=error[:100]), 400, staff=staff)
    code = request.args.get("code")
    if not code:
        return failure(_("Zoom was not connected"),
                       _("Zoom sent no authorization code back. Click Connect again."), 400,
                       staff=staff)
    try:
        tokens, me, zoom_plan = oauth_flow.exchange_code(code, verifier)
    except ZoomNotConfigured:
        return failure(_("The Zoom app is not configured"),
                       _("Enter the Client ID and Client Secret under Settings > Integrations > "
                         "Zoom, then click Connect again."), 400, staff=staff)
    except ZoomOAuthError as e:
        logger.warning("Zoom refused the code exchange: %s", e.code)
        if e.code == "invalid_client":
            return failure(_("Zoom refused the app's credentials"),
                           _("The Client ID or Client Secret in Settings > Integrations > Zoom "
                             "does not match the Zoom app. Copy both again from the Zoom App "
                             "Marketplace, from the same set of credentials: production for a "
                             "published or shared app, development only while it is private "
                             "to your Zoom account."), 400, staff=staff)
        return failure(_("Zoom refused the connection"),
                       _("Zoom did not accept the sign-in. The Redirect URL in your Zoom app "
                         "must match exactly, in both the OAuth Redirect URL and the OAuth "
                         "Allow List fields:"), 400, staff=staff, show_redirect_url=True)
    except ZoomError as e:
        logger.warning("Zoom connect failed: %s", e.__class__.__name__)
        if e.code == SCOPES_MISSING:  # GET /users/me without its scope
            return _missing_scopes_page([zoom.USER_SCOPE], staff)
        return _no_answer_page(e, staff)
    missing = zoom.missing_scopes(tokens.scopes)
    if missing:
        return _missing_scopes_page(missing, staff)
    try:
        connection = oauth_flow.connect(staff, tokens, me, zoom_plan)
    except ZoomUserTaken as e:
        flash(_("Zoom was not connected: the Zoom account %(email)s belongs to %(owner)s, and "
                "stays connected there. Each staff member connects their own: sign in to "
                "Zoom as %(name)s (sign out of Zoom first if it remembers you), then click "
                "Connect again.", email=e.zoom_email, owner=e.owner_name, name=staff.name),
              "error")
        return _back(staff, from_settings=session.pop(BACK_KEY, False))
    # Bookings that waited for this connection get their meetings now, not at the next backoff.
    meetings.resume_waiting_jobs(staff)
    db.session.commit()
    # One status message; the Zoom card under it names the optional scopes the app lacks.
    flash(_("Zoom connected as %(email)s.", email=connection.zoom_email), "success")
    return _back(staff, from_settings=session.pop(BACK_KEY, False))


def _missing_scopes_page(missing: list[str], staff: User):
    # Nothing was stored: the fix is in the Zoom app, then a new Connect (no Disconnect first).
    return failure(_("The Zoom app lacks permissions"),
                   _("Add these scopes to the Zoom app in the Zoom App Marketplace (Scopes > "
                     "+ Add Scopes), then click Connect again: %(scopes)s.",
                     scopes=", ".join(missing)), 400, staff=staff)


def _no_answer_page(error: ZoomError, staff: User):
    """The code exchange or GET /users/me failed on Zoom's side or on the way there: say
    which, since each has its own remedy."""
    if isinstance(error, ZoomTimeout):
        return failure(_("Zoom did not answer in time"),
                       _("Zoom took too long to answer, so nothing was connected. Wait a "
                         "moment and click Connect again."), 504, staff=staff)
    if isinstance(error, ZoomRateLimited):
        return failure(_("Zoom asked us to slow down"),
                       _("Zoom refused the request for now because of its rate limits. Wait a "
                         "minute and click Connect again."), 503, staff=staff)
    if isinstance(error, ZoomUnavailable) and error.status and error.status >= 500:
        return failure(_("Zoom had an internal error"),
                       _("Zoom answered with its own error (HTTP %(status)s), so nothing was "
                         "connected. This is on Zoom's side: check status.zoom.us, wait a few "
                         "minutes and click Connect again.", status=error.status), 502,
                       staff=staff)
    if isinstance(error, ZoomUnavailable) and error.status is None:
        return failure(_("Zoom could not be reached"),
                       _("This server could not open a connection to Zoom, so nothing was "
                         "connected. Check that it can reach Zoom (network, firewall, proxy, "
                         "DNS) and click Connect again."), 502, staff=staff)
    return failure(_("Zoom refused the connection"),
                   _("Zoom did not accept the new connection, so nothing was connected. Check "
                     "that you are signed in to the right Zoom account and click Connect "
                     "again."), 502, staff=staff)

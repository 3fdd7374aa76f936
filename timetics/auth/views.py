from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..exceptions import AccountError
from ..extensions import db, limiter
from ..i18n import current_language, in_language, language_of
from ..mail import send_email
from ..models import TokenPurpose
from ..security import is_safe_next
from ..templating import render_form
from ..validation import is_control_character
from . import first_run, services
from .forms import EmptyForm, FirstAdminForm, ForgotPasswordForm, LoginForm, SetPasswordForm
from .sessions import start_session

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if any(is_control_character(c) for c in (request.values.get("next") or "")):
        # Not a link anyone followed: a page address cannot hold a line break.
        abort(400, _("This login link is malformed. Open the login page itself and log in "
                     "there."))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong email or password."))
        else:
            # A fresh session: nothing from before the login (or planted in it) carries over.
            session.clear()
            login_user(user)
            start_session()
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("dashboard.index"))
    response, status = render_form("auth/login.html", form,
                                   first_run=not first_run.admin_exists())
    # A failed login is "unauthorized" rather than merely unprocessable.
    return response, 401 if status == 422 else status


@bp.post("/logout")
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        services.end_sessions(current_user)
        logout_user()
        flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = services.find_user_by_email(form.email.data)
        if user is not None and user.active:
            link = services.issue_password_link(user, TokenPurpose.PASSWORD_RESET)
            db.session.commit()
            language = language_of(user)
            send_email(user.email, in_language(language, "Reset your Timetics password"),
                       "email/password_reset", user=user, link=link, language=language)
        # The same answer either way: the page must not reveal who has an account.
        flash(_("If that address has an account, a reset link is on its way."), "info")
        return redirect(url_for("auth.login"))
    return render_form("auth/forgot_password.html", form)


@bp.route("/password/set/<token>", methods=["GET", "POST"])
def set_password(token: str):
    row = services.valid_password_token(token)
    if row is None:
        return render_template("auth/link_invalid.html"), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        user = services.set_password_with_token(token, form.password.data)
        if user is None:
            return render_template("auth/link_invalid.html"), 410
        session.clear()
        login_user(user)
        start_session()
        flash(_("Your password is set. Welcome to Timetics."), "success")
        return redirect(url_for("dashboard.index"))
    return render_form("auth/set_password.html", form, user=row.user, purpose=row.purpose)


@bp.route("/setup", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def setup():
    """The first admin of an empty install, through the link the server printed."""
    token = request.args.get("token", "")
    if not first_run.token_is_valid(token):
        # A wrong token and a used-up link look alike: nothing to learn here.
        abort(404)
    form = FirstAdminForm()
    if form.validate_on_submit():
        try:
            user = first_run.create_first_admin(
                token, name=form.name.data, email=form.email.data,
                password=form.password.data, timezone=form.timezone.data,
                language=current_language())  # the language they read the setup page in
        except AccountError as e:
            form.email.errors.append(str(e))
        else:
            if user is None:
                abort(404)
            session.clear()
            login_user(user)
            start_session()
            flash(_("Your admin account is ready. Welcome to Timetics."), "success")
            return redirect(url_for("dashboard.index"))
    return render_form("auth/first_run.html", form, extra_errors=bool(form.errors), token=token)

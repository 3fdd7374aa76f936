"""The pages a browser sees: Zoom's consent screen, a stand-in for a meeting's join link, and
an overview at ``/`` of the meetings and grants the sandbox holds (what ``make demo`` did at Zoom).

A test can drive the consent screen without parsing it: POST ``/oauth/authorize`` with the
authorize query's parameters plus ``decision=allow`` (and ``user_id`` to pick the account).
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from .meetings import Meeting
from .models import OAuthApp
from .state import sandbox_state

bp = Blueprint("pages", __name__)

CHALLENGE_METHODS = ("S256", "plain")


class ConsentRefused(Exception):
    """An authorize request Zoom would answer with its own error page, never a redirect."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@bp.get("/")
def overview() -> str:
    """What happened at "Zoom": every meeting (live and deleted), every grant issued, and the
    users with their plan and dial-in."""
    state = sandbox_state()
    names = {u.id: u.display_name or u.email for u in state.directory.users()}
    return render_template(
        "sandbox/overview.html", names=names, grants=state.oauth.history(),
        users=state.directory.users(),
        meetings=state.meetings.records()[::-1])


@bp.get("/oauth/authorize")
def authorize() -> Response | str:
    params = request.args
    try:
        app = _checked_app(params)
    except ConsentRefused as e:
        return _error_page(e)
    return render_template(
        "sandbox/authorize.html", app=app, users=sandbox_state().directory.users(),
        params={k: params.get(k, "") for k in (
            "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method")},
    )


@bp.post("/oauth/authorize")
def authorize_decision() -> Response | str:
    params = request.form
    try:
        app = _checked_app(params)
    except ConsentRefused as e:
        return _error_page(e)
    state = sandbox_state()
    redirect_uri = params["redirect_uri"]
    if params.get("decision") != "allow":
        return _back_to_app(redirect_uri, error="access_denied", state=params.get("state"))
    users = state.directory.users()
    user = state.directory.user(params.get("user_id")) or users[0]
    code = state.oauth.issue_code(
        app, user.id, redirect_uri, code_challenge=params.get("code_challenge") or None,
        # Zoom treats a challenge without a method as "plain".
        challenge_method=params.get("code_challenge_method") or "plain",
    )
    return _back_to_app(redirect_uri, code=code, state=params.get("state"))


def _checked_app(params: MultiDict[str, str]) -> OAuthApp:
    """The app an authorize request is for, if Zoom would let it reach the consent screen."""
    state = sandbox_state()
    app = state.directory.app(params.get("client_id"))
    if app is None:
        raise ConsentRefused(4702, "Invalid client_id.")
    if not app.allows_redirect(params.get("redirect_uri")):
        raise ConsentRefused(4700, f"Invalid redirect: {params.get('redirect_uri', '')}")
    if params.get("response_type", "code") != "code":
        raise ConsentRefused(4700, "Unsupported response_type.")
    if params.get("code_challenge_method") not in (None, "", *CHALLENGE_METHODS):
        raise ConsentRefused(4700, "Unsupported code_challenge_method.")
    if not state.directory.users():
        raise ConsentRefused(4700, "The sandbox has no Zoom users to sign in with.")
    return app


def _error_page(error: ConsentRefused) -> tuple[str, int]:
    return render_template("sandbox/oauth_error.html", error=error), 400


def _back_to_app(redirect_uri: str, **params: str | None) -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(f"{redirect_uri}{separator}{query}", code=302)


@bp.get("/j/<meeting_id>")
def join(meeting_id: str) -> str | tuple[str, int]:
    """What a meeting's join link opens: the topic and time, so a demo link goes somewhere."""
    return _join_page(sandbox_state().meetings.find(meeting_id))


@bp.get("/w/<webinar_id>")
def join_webinar(webinar_id: str) -> str | tuple[str, int]:
    return _join_page(sandbox_state().webinars.find(webinar_id))


def _join_page(meeting: Meeting | None) -> str | tuple[str, int]:
    """With registration on, only an approved registrant's own link (``tk``) opens the
    meeting or webinar; a cancelled, denied or deleted registrant's link no longer does."""
    if meeting is None:
        abort(404)
    if not meeting.admits(request.args.get("tk")):
        return render_template("sandbox/join_refused.html", meeting=meeting), 403
    return render_template("sandbox/join.html", meeting=meeting)

"""The control API under ``/_sandbox``: JSON, no auth, for tests and demos on loopback only.

It sets the scene (apps, users, faults, latency, the clock), plays the parts of Zoom that no
API call triggers (a token expiring, a user removing the app in Zoom, a host deleting or moving
a meeting in Zoom's web portal) and shows what happened.

The meeting routes also take the root page's forms (form-encoded): they answer those with a
redirect back to the page.
"""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response

from .errors import ControlError
from .faults import Fault
from .models import OAuthApp, ZoomUser
from .state import sandbox_state

bp = Blueprint("control", __name__, url_prefix="/_sandbox")


@bp.post("/reset")
def reset() -> Response:
    sandbox_state().reset()
    return jsonify(status="reset")


@bp.get("/state")
def state() -> Response:
    return jsonify(sandbox_state().describe())


@bp.get("/requests")
def requests_received() -> Response:
    return jsonify(requests=sandbox_state().requests.entries())


@bp.delete("/requests")
def clear_requests() -> Response:
    sandbox_state().requests.clear()
    return jsonify(status="cleared")


@bp.get("/meetings")
def meetings() -> Response:
    return jsonify(meetings=sandbox_state().meetings.records())


@bp.get("/webinars")
def webinars() -> Response:
    return jsonify(webinars=sandbox_state().webinars.records())


@bp.post("/meetings/<meeting_id>/delete")
def delete_meeting_in_portal(meeting_id: str) -> Response:
    """As if the host deleted the meeting in Zoom: it goes, and ``meeting.deleted`` is sent."""
    state = sandbox_state()
    meeting = state.meetings.delete_in_portal(meeting_id)
    sent = state.announce_meeting_deleted(meeting)
    return _answer(meeting=meeting.as_record(), events_sent=sent)


@bp.post("/meetings/<meeting_id>/update")
def update_meeting_in_portal(meeting_id: str) -> Response:
    """As if the host edited the meeting in Zoom (``start_time`` as ``yyyy-MM-ddTHH:mm:ssZ``,
    ``topic``, ``duration``): it changes, and ``meeting.updated`` names what changed."""
    state = sandbox_state()
    meeting, changed, old = state.meetings.update_in_portal(meeting_id, _portal_changes())
    sent = state.announce_meeting_updated(meeting, changed, old) if changed else 0
    return _answer(meeting=meeting.as_record(), changed=sorted(changed), events_sent=sent)


@bp.post("/meetings/<meeting_id>/events")
def send_meeting_event(meeting_id: str) -> Response:
    """Send an event about the meeting as it stands, changing nothing: what Zoom sends after
    an API call changed it, or sends again. ``event``: ``meeting.updated`` (its start time)
    or ``meeting.deleted``."""
    state = sandbox_state()
    meeting = state.meetings.live(meeting_id)
    name = _fields().get("event")
    if name == "meeting.updated":
        start = {"start_time": meeting.start_time}
        sent = state.announce_meeting_updated(meeting, start, start)
    elif name == "meeting.deleted":
        sent = state.announce_meeting_deleted(meeting)
    else:
        raise ControlError("'event' must be 'meeting.updated' or 'meeting.deleted'.")
    return _answer(meeting=meeting.as_record(), events_sent=sent)


ZOOM_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def _portal_changes() -> dict[str, Any]:
    """What the host changed, checked the way the web portal would."""
    fields = _fields()
    changes: dict[str, Any] = {}
    if fields.get("start_time") not in (None, ""):
        if not isinstance(fields["start_time"], str) or not ZOOM_TIME.fullmatch(
                fields["start_time"]):
            raise ControlError("'start_time' must be a UTC time such as 2026-12-10T15:00:00Z.")
        changes["start_time"] = fields["start_time"]
    if fields.get("topic") not in (None, ""):
        if not isinstance(fields["topic"], str) or len(fields["topic"]) > 200:
            raise ControlError("'topic' must be a text of at most 200 characters.")
        changes["topic"] = fields["topic"]
    if fields.get("duration") not in (None, ""):
        duration = fields["duration"]
        if isinstance(duration, str) and duration.isdigit():
            duration = int(duration)
        if isinstance(duration, bool) or not isinstance(duration, int) or duration < 1:
            raise ControlError("'duration' must be a number of minutes, 1 or more.")
        changes["duration"] = duration
    if not changes:
        raise ControlError("Name what changes: 'start_time', 'topic' or 'duration'.")
    return changes


def _from_page() -> bool:
    return request.mimetype == "application/x-www-form-urlencoded"


def _fields() -> dict[str, Any]:
    return request.form.to_dict() if _from_page() else _json()


def _answer(**body: Any) -> Response:
    """JSON for the control API; back to the overview for the root page's forms."""
    if _from_page():
        return redirect(url_for("pages.overview", _anchor="meetings-heading"), code=303)
    return jsonify(body)


@bp.post("/apps")
def put_app() -> tuple[Response, int]:
    """Register an app, or replace the one with the same ``client_id``."""
    app = OAuthApp.from_dict(_json())
    sandbox_state().directory.put_app(app)
    return jsonify(app=app.describe()), 201


@bp.post("/users")
def put_user() -> tuple[Response, int]:
    user = ZoomUser.from_dict(_json())
    sandbox_state().directory.put_user(user)
    return jsonify(user=user.as_zoom_json()), 201


@bp.get("/faults")
def faults() -> Response:
    return jsonify(faults=sandbox_state().faults.describe())


@bp.post("/faults")
def add_fault() -> tuple[Response, int]:
    fault = Fault.from_dict(_json())
    sandbox_state().faults.add(fault)
    return jsonify(fault=fault.describe()), 201


@bp.delete("/faults")
def clear_faults() -> Response:
    return jsonify(cleared=sandbox_state().faults.clear())


@bp.post("/latency")
def set_latency() -> Response:
    """Delay every Zoom endpoint by ``seconds`` (0 turns it off)."""
    seconds = _json().get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise ControlError("'seconds' must be a number, 0 or more.")
    sandbox_state().latency = float(seconds)
    return jsonify(seconds=float(seconds))


@bp.post("/clock")
def advance_clock() -> Response:
    """Move the sandbox's clock forward, to expire codes and tokens without waiting."""
    seconds = _json().get("advance_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ControlError("'advance_seconds' must be a number.")
    clock = sandbox_state().clock
    clock.advance(float(seconds))
    return jsonify(offset_seconds=clock.offset)


@bp.post("/tokens/expire")
def expire_tokens() -> Response:
    """Every access token of the user expires now (their refresh tokens still work)."""
    expired = sandbox_state().oauth.expire_user_tokens(_user_id())
    return jsonify(expired=expired)


@bp.post("/grants/revoke")
def revoke_grants() -> Response:
    """As if the user removed the app in Zoom: tokens die and ``app_deauthorized`` is sent."""
    state = sandbox_state()
    grants = state.oauth.revoke_user(_user_id(), _json().get("client_id"))
    state.announce_deauthorization(grants)
    return jsonify(revoked=len(grants))


def _json() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None and not request.get_data():
        return {}
    if not isinstance(body, dict):
        raise ControlError("The body must be a JSON object.")
    return body


def _user_id() -> str:
    user_id = _json().get("user_id")
    if not isinstance(user_id, str) or not user_id:
        raise ControlError("'user_id' is required.")
    return user_id

"""The control API under ``/_sandbox``: JSON, no auth, for tests and demos on loopback only.

It sets the scene (apps, users, faults, latency, the clock), plays the parts of Zoom that no
API call triggers (a token expiring, a user removing the app in Zoom) and shows what happened.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
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

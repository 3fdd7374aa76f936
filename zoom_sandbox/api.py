"""The REST API under ``/v2``: the signed-in user and their meetings.

Every call needs a live bearer token holding one of the scopes its operation accepts (the
granular scope, or the classic one older apps have).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from . import schema
from .errors import ZoomApiError
from .models import ZoomUser
from .state import sandbox_state

bp = Blueprint("api", __name__, url_prefix="/v2")

ACCEPTED_SCOPES = {
    "users_me": {"user:read:user", "user:read"},
    # Get user settings: granular "user:read:settings" (classic user:read).
    "user_settings": {"user:read:settings", "user:read"},
    # Get meeting invitation: granular "meeting:read:invitation" (classic meeting:read).
    "meeting_invitation": {"meeting:read:invitation", "meeting:read", "meeting:write"},
    "create_meeting": {"meeting:write:meeting", "meeting:write"},
    "get_meeting": {"meeting:read:meeting", "meeting:read", "meeting:write"},
    "update_meeting": {"meeting:update:meeting", "meeting:write"},
    "delete_meeting": {"meeting:delete:meeting", "meeting:write"},
    # Listing has its own granular scope at Zoom: meeting:read:meeting is not enough.
    "list_meetings": {"meeting:read:list_meetings", "meeting:read", "meeting:write"},
}
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 30, 300


@bp.get("/users/me")
def users_me() -> Response:
    return jsonify(_signed_in_user().as_zoom_json())


@bp.get("/users/<user_id>/settings")
def user_settings(user_id: str) -> Response:
    """The user's settings; with a user-level token only the user themself (``me``, their id
    or email) can be read."""
    user = _signed_in_user()
    if user_id not in ("me", user.id, user.email):
        raise ZoomApiError(404, 1001, f"User does not exist: {user_id}.")
    return jsonify(user.settings_json())


@bp.get("/meetings/<meeting_id>/invitation")
def meeting_invitation(meeting_id: str) -> Response:
    user = _signed_in_user()
    meeting = sandbox_state().meetings.get(user.id, meeting_id)
    return jsonify(invitation=meeting.invitation(), sip_links=[])


@bp.post("/users/me/meetings")
def create_meeting() -> tuple[Response, int]:
    user = _signed_in_user()
    body = _valid_body(schema.CREATE_MEETING)
    meeting = sandbox_state().meetings.create(user, body, request.url_root.rstrip("/"))
    return jsonify(meeting.as_zoom_json()), 201


@bp.get("/users/me/meetings")
def list_meetings() -> Response:
    """One page of the user's scheduled meetings; ``next_page_token`` is an opaque offset."""
    user = _signed_in_user()
    meetings = sandbox_state().meetings.scheduled_for(user.id)
    page_size = request.args.get("page_size", DEFAULT_PAGE_SIZE, type=int)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    start = max(0, request.args.get("next_page_token", 0, type=int))
    page = meetings[start:start + page_size]
    more = start + len(page) < len(meetings)
    return jsonify(
        page_size=page_size,
        total_records=len(meetings),
        next_page_token=str(start + len(page)) if more else "",
        meetings=[m.as_list_item() for m in page],
    )


@bp.get("/meetings/<meeting_id>")
def get_meeting(meeting_id: str) -> Response:
    user = _signed_in_user()
    return jsonify(sandbox_state().meetings.get(user.id, meeting_id).as_zoom_json())


@bp.patch("/meetings/<meeting_id>")
def update_meeting(meeting_id: str) -> tuple[str, int]:
    user = _signed_in_user()
    body = _valid_body(schema.UPDATE_MEETING)
    sandbox_state().meetings.update(user.id, meeting_id, body)
    return "", 204


@bp.delete("/meetings/<meeting_id>")
def delete_meeting(meeting_id: str) -> tuple[str, int]:
    """Delete; the query (``schedule_for_reminder``, …) is kept on the record for tests."""
    user = _signed_in_user()
    sandbox_state().meetings.delete(user.id, meeting_id, request.args.to_dict())
    return "", 204


def _signed_in_user() -> ZoomUser:
    """The user the bearer token acts for, once the token and its scopes check out."""
    state = sandbox_state()
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    access = state.oauth.authenticate(token if scheme.lower() == "bearer" else None)
    operation = request.endpoint.rpartition(".")[2]
    wanted = ACCEPTED_SCOPES[operation]
    if not wanted & set(access.scopes):
        raise ZoomApiError(400, 4711, "Invalid access token, does not contain scopes:"
                           f"[{', '.join(sorted(wanted))}].")
    user = state.directory.user(access.user_id)
    if user is None:
        raise ZoomApiError(404, 1001, "User does not exist: me.")
    return user


def _valid_body(operation: tuple[str, str]) -> dict[str, Any]:
    """The JSON body if it passes the OpenAPI schema and Zoom's extra rules; else 400 code 300."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ZoomApiError(400, 300, "Request Body should be a valid JSON object.")
    errors = schema.body_errors(operation, body)
    if errors:
        raise ZoomApiError(400, 300, "Validation Failed.", errors)
    return body

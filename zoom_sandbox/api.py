"""The REST API under ``/v2``: the signed-in user, their meetings and webinars, and the
registrants of both.

Every call needs a live bearer token holding one of the scopes its operation accepts (the
granular scope, or the classic one older apps have).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from . import schema
from .errors import ZoomApiError, webinar_plan_missing
from .meetings import MeetingStore
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
    # Webinars and registrants: the granular scopes of Zoom's scope list ("OAuth scopes:
    # granular", developers.zoom.us/docs/integrations/oauth-scopes-granular/), and the classic
    # ones the published spec names (webinar:write, meeting:write, …).
    "create_webinar": {"webinar:write:webinar", "webinar:write"},
    "get_webinar": {"webinar:read:webinar", "webinar:read", "webinar:write"},
    "update_webinar": {"webinar:update:webinar", "webinar:write"},
    "delete_webinar": {"webinar:delete:webinar", "webinar:write"},
    # List webinars: the published reference names the classic webinar:read; the granular
    # scope list, webinar:read:list_webinars (as meeting:read:list_meetings for meetings).
    "list_webinars": {"webinar:read:list_webinars", "webinar:read", "webinar:write"},
    "meetings.add_registrant": {"meeting:write:registrant", "meeting:write"},
    "meetings.list_registrants": {"meeting:read:list_registrants", "meeting:read",
                                  "meeting:write"},
    "meetings.registrant_status": {"meeting:update:registrant_status", "meeting:write"},
    "meetings.delete_registrant": {"meeting:delete:registrant", "meeting:write"},
    "webinars.add_registrant": {"webinar:write:registrant", "webinar:write"},
    "webinars.list_registrants": {"webinar:read:list_registrants", "webinar:read",
                                  "webinar:write"},
    "webinars.registrant_status": {"webinar:update:registrant_status", "webinar:write"},
    "webinars.delete_registrant": {"webinar:delete:registrant", "webinar:write"},
}
REGISTRANT_SCHEMAS = {
    "meetings": {"add": schema.ADD_MEETING_REGISTRANT, "status": schema.MEETING_REGISTRANT_STATUS},
    "webinars": {"add": schema.ADD_WEBINAR_REGISTRANT, "status": schema.WEBINAR_REGISTRANT_STATUS},
}
REGISTRANTS_OF = "/<any(meetings, webinars):kind>/<meeting_id>/registrants"
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
    return _one_page("meetings", sandbox_state().meetings.scheduled_for(user.id))


def _one_page(kind: str, items: list) -> Response:
    """One page of a listing (``next_page_token`` is an opaque offset), agendas cut short."""
    page_size = request.args.get("page_size", DEFAULT_PAGE_SIZE, type=int)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    start = max(0, request.args.get("next_page_token", 0, type=int))
    page = items[start:start + page_size]
    more = start + len(page) < len(items)
    return jsonify(
        page_size=page_size,
        total_records=len(items),
        next_page_token=str(start + len(page)) if more else "",
        **{kind: [m.as_list_item() for m in page]},
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


@bp.post("/users/<user_id>/webinars")
def create_webinar(user_id: str) -> tuple[Response, int]:
    """Schedule a webinar; the host needs the Webinar add-on (``feature.webinar``)."""
    user = _signed_in_user()
    if user_id not in ("me", user.id, user.email):
        raise ZoomApiError(404, 1001, f"User {user_id} not exist or not belong to this account.")
    body = _valid_body(schema.CREATE_WEBINAR)
    if not user.feature().get("webinar"):
        raise webinar_plan_missing(user.id)
    webinar = sandbox_state().webinars.create(user, body, request.url_root.rstrip("/"))
    return jsonify(webinar.as_zoom_json()), 201


@bp.get("/users/<user_id>/webinars")
def list_webinars(user_id: str) -> Response:
    """One page of the user's scheduled webinars (List webinars): the query is checked
    against the published schema, and the host needs the Webinar add-on, as for creating."""
    user = _signed_in_user()
    if user_id not in ("me", user.id, user.email):
        raise ZoomApiError(404, 1001, f"User {user_id} not exist or not belong to this account.")
    errors = schema.query_errors(schema.LIST_WEBINARS, request.args.to_dict())
    if errors:
        raise ZoomApiError(400, 300, "Validation Failed.", errors)
    if not user.feature().get("webinar"):
        raise webinar_plan_missing(user.id)
    return _one_page("webinars", sandbox_state().webinars.scheduled_for(user.id))


@bp.get("/webinars/<webinar_id>")
def get_webinar(webinar_id: str) -> Response:
    user = _signed_in_user()
    return jsonify(sandbox_state().webinars.get(user.id, webinar_id).as_zoom_json())


@bp.patch("/webinars/<webinar_id>")
def update_webinar(webinar_id: str) -> tuple[str, int]:
    user = _signed_in_user()
    body = _valid_body(schema.UPDATE_WEBINAR)
    sandbox_state().webinars.update(user.id, webinar_id, body)
    return "", 204


@bp.delete("/webinars/<webinar_id>")
def delete_webinar(webinar_id: str) -> tuple[str, int]:
    user = _signed_in_user()
    sandbox_state().webinars.delete(user.id, webinar_id, request.args.to_dict())
    return "", 204


@bp.post(REGISTRANTS_OF)
def add_registrant(kind: str, meeting_id: str) -> tuple[Response, int]:
    """Add a meeting/webinar registrant → 201 with ``registrant_id`` and their own
    ``join_url``."""
    user = _signed_in_user(f"{kind}.add_registrant")
    body = _valid_body(REGISTRANT_SCHEMAS[kind]["add"])
    meeting, registrant = _store(kind).add_registrant(user, meeting_id, body,
                                                     request.url_root.rstrip("/"))
    # The published schema types this ``id`` an int64 for meetings but a string for webinars.
    item_id = meeting.id if kind == "meetings" else str(meeting.id)
    return jsonify(id=item_id, registrant_id=registrant.id, join_url=registrant.join_url,
                   topic=meeting.topic, start_time=meeting.start_time), 201


@bp.get(REGISTRANTS_OF)
def list_registrants(kind: str, meeting_id: str) -> Response:
    """List registrants of one ``status`` (approved by default); one page holds them all."""
    user = _signed_in_user(f"{kind}.list_registrants")
    status = request.args.get("status", "approved")
    if status not in ("pending", "approved", "denied"):
        raise ZoomApiError(400, 300, "Invalid status.")
    registrants = _store(kind).registrants(user.id, meeting_id, status)
    return jsonify(page_size=MAX_PAGE_SIZE, total_records=len(registrants),
                   next_page_token="", registrants=[r.as_zoom_json() for r in registrants])


@bp.put(REGISTRANTS_OF + "/status")
def registrant_status(kind: str, meeting_id: str) -> tuple[str, int]:
    """Update registrants' status: ``action`` approve, cancel or deny → 204."""
    user = _signed_in_user(f"{kind}.registrant_status")
    body = _valid_body(REGISTRANT_SCHEMAS[kind]["status"])
    _store(kind).set_registrant_status(user.id, meeting_id, body["action"],
                                       body.get("registrants", []))
    return "", 204


@bp.delete(REGISTRANTS_OF + "/<registrant_id>")
def delete_registrant(kind: str, meeting_id: str, registrant_id: str) -> tuple[str, int]:
    user = _signed_in_user(f"{kind}.delete_registrant")
    _store(kind).delete_registrant(user.id, meeting_id, registrant_id)
    return "", 204


def _store(kind: str) -> MeetingStore:
    state = sandbox_state()
    return state.meetings if kind == "meetings" else state.webinars


def _signed_in_user(operation: str | None = None) -> ZoomUser:
    """The user the bearer token acts for, once the token and its scopes check out;
    ``operation`` names the scopes' entry when the endpoint serves meetings and webinars."""
    state = sandbox_state()
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    access = state.oauth.authenticate(token if scheme.lower() == "bearer" else None)
    operation = operation or request.endpoint.rpartition(".")[2]
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

"""POST /webhooks/zoom: Zoom's event notifications (deauthorization, and the meetings Timetics
made being deleted or moved in Zoom).

No session and no CSRF token here: every request proves itself with ``x-zm-signature``, an
HMAC of the timestamp and the raw body under the app's Secret Token.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

from flask import Blueprint, current_app, jsonify, request

from ..extensions import csrf
from ..settings.services import get_zoom_settings, zoom_secret_token
from .services import (
    MEETING_EVENTS,
    deauthorize,
    event_time,
    first_delivery,
    meeting_changed_in_zoom,
)

logger = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

MAX_AGE_SECONDS = 300
# Zoom's events nest four deep; a body nested deeper is no event of theirs.
MAX_JSON_DEPTH = 16


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    message = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _verified_secret(body: bytes) -> str | None:
    """The Secret Token if the request is signed with it and fresh; None otherwise."""
    settings = get_zoom_settings()
    secret = zoom_secret_token(settings) if settings else None
    timestamp = request.headers.get("x-zm-request-timestamp", "")
    signature = request.headers.get("x-zm-signature", "")
    # isdigit() alone lets through digits int() refuses, such as "²".
    if not secret or not (timestamp.isascii() and timestamp.isdigit()) or not signature:
        return None
    if abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
        return None
    expected = signature_for(secret, timestamp, body)
    return secret if hmac.compare_digest(expected.encode(), signature.encode()) else None


def _depth(value: object) -> int:
    """How deep lists and objects nest in ``value``, counted level by level (no recursion)."""
    depth, level = 0, [value]
    while level:
        level = [child for v in level if isinstance(v, (dict, list))
                 for child in (v.values() if isinstance(v, dict) else v)]
        depth += 1
    return depth - 1


@bp.errorhandler(413)
def too_large(e):
    return jsonify(error=f"The body is larger than {current_app.config['MAX_CONTENT_LENGTH']:,} "
                   "bytes."), 413


@bp.post("/webhooks/zoom")
@csrf.exempt
def zoom_event():
    body = request.get_data()  # first: over MAX_CONTENT_LENGTH is a 413, signed or not
    secret = _verified_secret(body)
    if secret is None:
        logger.warning("Zoom event refused: missing, stale or wrong signature")
        return jsonify(error="Invalid signature."), 401
    try:
        event = json.loads(body)
    except RecursionError:  # the parser's own depth limit, far above ours
        return jsonify(error="The body nests too deeply."), 400
    except ValueError:
        return jsonify(error="The body is not JSON."), 400
    if _depth(event) > MAX_JSON_DEPTH:
        return jsonify(error="The body nests too deeply."), 400
    if not isinstance(event, dict):
        return jsonify(error="The body is not a JSON object."), 400
    payload = event.get("payload") if isinstance(event.get("payload"), dict) else {}
    name = event.get("event")
    if name == "endpoint.url_validation":
        plain = str(payload.get("plainToken", ""))
        encrypted = hmac.new(secret.encode(), plain.encode(), hashlib.sha256).hexdigest()
        return jsonify(plainToken=plain, encryptedToken=encrypted)
    if name not in ("app_deauthorized", *MEETING_EVENTS):
        return jsonify(status="ignored")
    # Only events that change something need remembering; the signature is verified.
    timestamp = int(request.headers["x-zm-request-timestamp"])
    if not first_delivery(request.headers["x-zm-signature"], timestamp, MAX_AGE_SECONDS):
        logger.info("Zoom event replayed: ignored")
        return jsonify(status="duplicate")
    if name == "app_deauthorized":
        user_id = str(payload.get("user_id", ""))
        deleted = deauthorize(user_id, event_time(event, timestamp)) if user_id else False
        return jsonify(status="ok", deleted=deleted)
    changed = meeting_changed_in_zoom(name, payload, event_time(event, timestamp))
    return jsonify(status="ok", changed=changed)

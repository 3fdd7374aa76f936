"""The server-to-server half of Zoom OAuth: ``/oauth/token`` and ``/oauth/revoke``.

Both take the client's credentials in an HTTP Basic header only, as Timetics sends them.
"""
from __future__ import annotations

import hmac

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from .errors import OAuthError
from .models import OAuthApp
from .state import sandbox_state

bp = Blueprint("oauth", __name__, url_prefix="/oauth")


@bp.post("/token")
def token() -> Response:
    app = _authenticated_client()
    oauth, form = sandbox_state().oauth, request.form
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        issued = oauth.exchange_code(app, form.get("code"), form.get("redirect_uri"),
                                     form.get("code_verifier"))
    elif grant_type == "refresh_token":
        issued = oauth.refresh(app, form.get("refresh_token"))
    else:
        raise OAuthError(400, "unsupported_grant_type", "Unsupported grant type.")
    # Zoom's api_url is the API host without /v2; ours is the sandbox's own base URL.
    return jsonify(issued.as_response(api_url=request.url_root.rstrip("/")))


@bp.post("/revoke")
def revoke() -> Response:
    """Revoke the whole grant behind a token and tell the app, as Zoom does."""
    app = _authenticated_client()
    state = sandbox_state()
    grant = state.oauth.revoke(app, request.form.get("token"))
    state.announce_deauthorization([grant])
    return jsonify(status="success")


def _authenticated_client() -> OAuthApp:
    auth = request.authorization
    app = sandbox_state().directory.app(auth.username if auth else None)
    secret = (auth.password or "") if auth else ""
    if app is None or not hmac.compare_digest(secret.encode(), app.client_secret.encode()):
        raise OAuthError(401, "invalid_client", "Invalid client_id or client_secret")
    return app

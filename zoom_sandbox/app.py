"""The sandbox's app factory: the Zoom endpoints, the control API, and the hooks that add
latency, inject faults and log every Zoom request."""
from __future__ import annotations

from typing import Any

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from . import api, control, oauth, pages
from .errors import ControlError, OAuthError, ZoomApiError
from .faults import OPERATIONS, fault_response
from .meetings import zoom_time
from .state import EXTENSION_KEY, SandboxConfig, SandboxState, sandbox_state

CONTROL_PREFIX = "/_sandbox"
OVERVIEW_ENDPOINT = "pages.overview"  # a page for people, not a Zoom call: not logged
HTML_PREFIXES = ("/oauth/authorize", "/j/")


def create_sandbox_app(config: dict[str, Any] | None = None) -> Flask:
    """A Flask app that behaves like Zoom for what Timetics uses.

    ``config`` may hold ``apps`` (dicts: client_id, client_secret, name, redirect_uris,
    scopes, event_url, secret_token), ``users`` (dicts: id, email, first_name, last_name,
    display_name, account_id, timezone), ``access_token_lifetime`` (seconds, default 3600)
    and ``code_lifetime`` (seconds, default 300). Without apps or users it has the demo app
    (``sandbox-client-id``) and the demo user (``zoomuser-alex``).
    """
    # Its own templates folder, so it never picks up the main app's templates.
    app = Flask(__name__, template_folder="templates", static_folder=None)
    app.json.sort_keys = False  # keep Zoom's field order in answers
    app.jinja_env.filters["utc"] = zoom_time
    app.extensions[EXTENSION_KEY] = SandboxState(SandboxConfig.from_dict(config))
    for blueprint in (pages.bp, oauth.bp, api.bp, control.bp):
        app.register_blueprint(blueprint)
    _register_error_handlers(app)
    app.before_request(_before_zoom_request)
    app.after_request(_after_zoom_request)
    return app


def _register_error_handlers(app: Flask) -> None:
    app.register_error_handler(OAuthError, lambda e: (jsonify(e.body()), e.status))
    app.register_error_handler(ZoomApiError, lambda e: (jsonify(e.body()), e.status))
    app.register_error_handler(ControlError, lambda e: (jsonify(error=str(e)), 400))
    app.register_error_handler(HTTPException, _http_error)


def _http_error(error: HTTPException) -> Response | HTTPException:
    """JSON for API clients (unknown path, wrong method); the usual page for browsers."""
    if request.path.startswith(HTML_PREFIXES):
        return error
    response = jsonify(code=error.code, message=error.description)
    response.status_code = error.code or 500
    return response


def _is_zoom_request() -> bool:
    return not (request.path.startswith(CONTROL_PREFIX) or request.endpoint == OVERVIEW_ENDPOINT)


def _operation() -> str | None:
    """The view's name (``create_meeting``, ``token``…): what faults and scopes key on."""
    return request.endpoint.rpartition(".")[2] if request.endpoint else None


def _before_zoom_request() -> Response | None:
    """Apply the global latency, then the first fault that hits this call, if any."""
    if not _is_zoom_request():
        return None
    state = sandbox_state()
    state.sleep(state.latency)
    operation = _operation()
    fault = state.faults.take(operation) if operation in OPERATIONS else None
    g.fault = fault
    if fault is None or fault.mode == "drop_after_success":
        return None  # drop_after_success sleeps after the view has done its work
    state.sleep(fault.seconds)
    if fault.mode == "latency":
        return None
    return fault_response(fault, operation)


def _after_zoom_request(response: Response) -> Response:
    if not _is_zoom_request():
        return response
    state = sandbox_state()
    fault = g.get("fault")
    state.requests.record(request, response, operation=_operation(),
                          fault=fault.mode if fault else None)
    if fault is not None and fault.mode == "drop_after_success":
        state.sleep(fault.seconds)
    return response

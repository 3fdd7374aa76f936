"""Timetics: a self-hosted booking app for small teams, with a Zoom meeting for every booking."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, render_template

PROJECT_ROOT = Path(__file__).resolve().parent.parent

logger = logging.getLogger(__name__)


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages and commands.

    ``instance_path`` (default: ``instance/`` at the top of the repository) holds the optional
    ``config.py``, the generated keys and the SQLite database.
    """
    app = Flask(
        __name__,
        instance_path=instance_path or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    _load_config(app, test_config)
    _trust_proxy(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_outbox(app)
    _register_errorhandlers(app)
    _register_cli(app)
    return app


def _load_config(app: Flask, test_config: dict | None) -> None:
    from .config import load_config

    load_config(app, test_config)


def _trust_proxy(app: Flask) -> None:
    """Behind nginx, PROXY_FIX_X_FOR = 1 (the number of proxies) lets the client's address
    through to the rate limits; off by default, since headers a client sets must not count."""
    hops = int(app.config.get("PROXY_FIX_X_FOR", 0))
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _init_extensions(app: Flask) -> None:
    from . import auth
    from .answer_cache import init_answer_cache
    from .auth.sessions import init_session_limits
    from .compression import init_compression
    from .db import init_db
    from .extensions import csrf, db, limiter, login_manager, mail, migrate
    from .security_headers import init_security_headers
    from .static_files import init_static_files
    from .templating import init_templating

    db.init_app(app)
    init_db(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"),
                     render_as_batch=True)
    login_manager.init_app(app)
    auth.init_login(login_manager)
    init_session_limits(app)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    init_templating(app)
    init_security_headers(app)
    init_answer_cache(app)
    init_static_files(app)
    init_compression(app)


def _register_blueprints(app: Flask) -> None:
    from .api.views import bp as api_bp
    from .auth.views import bp as auth_bp
    from .booking.views import bp as booking_bp
    from .calendars.views import bp as calendars_bp
    from .dashboard.views import bp as dashboard_bp
    from .integrations.views import bp as integrations_bp
    from .meeting_types.views import bp as meeting_types_bp
    from .settings.views import bp as settings_bp
    from .staff.views import bp as staff_bp
    from .webhooks.views import bp as webhooks_bp

    for blueprint in (auth_bp, dashboard_bp, settings_bp, staff_bp, meeting_types_bp,
                      booking_bp, integrations_bp, webhooks_bp, calendars_bp, api_bp):
        app.register_blueprint(blueprint)


def _register_outbox(app: Flask) -> None:
    """After each request, run the jobs it wrote (timetics/jobs.py), over one SMTP connection.

    Each module registers the handlers of the work it owns when imported; importing them here
    makes the list visible, and complete for ``run-jobs`` too.
    """
    from . import jobs, mail
    from .booking import approval, notifications  # noqa: F401 (booking emails, request expiry)
    from .calendars import sync, writeback  # noqa: F401 (registers the calendar jobs)
    from .integrations import keepalive, meetings  # noqa: F401 (registers the Zoom calls)
    from .webhooks import outgoing  # noqa: F401 (registers the webhook deliveries)

    @app.after_request
    def run_written_jobs(response):
        with mail.one_connection():
            jobs.run_written()
        return response


def _register_errorhandlers(app: Flask) -> None:
    from flask_babel import gettext as _
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import NotFound, SecurityError

    from .api.problems import is_api_request, problem_response_for

    def page(code: int, title: str, message: str):
        if is_api_request():  # the API answers problem documents, never HTML
            return problem_response_for(code, message)
        return render_template("error.html", code=code, title=title, message=message), code

    app.register_error_handler(
        CSRFError,
        lambda e: page(400, _("Form expired"), _("This form has expired or was not sent by this "
                                                 "site. Go back, reload the page and try again.")),
    )
    # A Host header outside TRUSTED_HOSTS fails before routing exists: no template can build
    # URLs then, so answer in plain text.
    app.register_error_handler(
        SecurityError, lambda e: ("Bad request: unknown host.", 400, {"Content-Type": "text/plain"})
    )
    app.register_error_handler(400, lambda e: page(400, _("Bad request"), e.description))
    app.register_error_handler(
        403, lambda e: page(403, _("Not allowed"), _("You do not have access to this page."))
    )
    def not_found(e: NotFound):
        # abort(404, "…") explains itself; the routing's own 404 gets the generic sentence.
        own = e.description != NotFound.description
        return page(404, _("Not found"),
                    e.description if own else _("There is nothing at this address."))

    app.register_error_handler(404, not_found)
    app.register_error_handler(
        405, lambda e: page(405, _("Not allowed"), _("This address does not accept that method."))
    )
    app.register_error_handler(
        413, lambda e: page(413, "Too large", f"The request is larger than the "
                            f"{app.config['MAX_CONTENT_LENGTH']:,} bytes this site accepts.")
    )
    app.register_error_handler(
        429, lambda e: page(429, _("Too many requests"),
                            _("You have tried this too often. Wait a minute and try again."))
    )

    def server_error(e):
        logger.exception("Unhandled error")
        return page(500, _("Something went wrong"), _("The error was logged. Please try again."))

    app.register_error_handler(500, server_error)


def _register_cli(app: Flask) -> None:
    from .cli import register_commands

    register_commands(app)

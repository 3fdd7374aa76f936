"""The Zoom sandbox: a small, separate Flask app that behaves like Zoom for what Timetics uses.

It serves Zoom's OAuth pages and endpoints (``/oauth/authorize``, ``/oauth/token``,
``/oauth/revoke``) and the REST API (``/v2/users/me``, ``/v2/users/me/meetings``,
``/v2/meetings/<id>``) from memory, plus a control API under ``/_sandbox`` for tests. Point
Timetics at it with ``ZOOM_OAUTH_URL=<base>`` and ``ZOOM_API_URL=<base>/v2``.

Run it with ``python -m zoom_sandbox`` or, in tests, ``BackgroundServer``.
"""
from .app import create_sandbox_app
from .server import BackgroundServer

__all__ = ["BackgroundServer", "create_sandbox_app"]

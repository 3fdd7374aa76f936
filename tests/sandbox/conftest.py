"""Fixtures: one Zoom sandbox served on loopback for the session, reset around every test."""
from __future__ import annotations

import pytest

from zoom_sandbox import BackgroundServer, create_sandbox_app
from zoom_sandbox.models import DEFAULT_SCOPES

from .driver import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, SandboxDriver

ALEX = {"id": "zoomuser-alex", "email": "alex.rivera@zoom.example", "first_name": "Alex",
        "last_name": "Rivera", "account_id": "acct-1", "timezone": "America/New_York"}
BLAKE = {"id": "zoomuser-blake", "email": "blake.chen@zoom.example", "first_name": "Blake",
         "last_name": "Chen", "account_id": "acct-1", "timezone": "Europe/Berlin"}

SANDBOX_CONFIG = {
    "apps": [{
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "name": "Timetics",
        "redirect_uris": [REDIRECT_URI],
        "scopes": [*DEFAULT_SCOPES, "meeting:read:list_meetings"],
    }],
    "users": [ALEX, BLAKE],
}


@pytest.fixture(scope="session")
def sandbox_server():
    with BackgroundServer(create_sandbox_app(SANDBOX_CONFIG)) as server:
        yield server


@pytest.fixture
def zoom(sandbox_server):
    """A driver for the sandbox, freshly reset."""
    driver = SandboxDriver(sandbox_server.url)
    driver.control("post", "/reset")
    yield driver
    driver.control("post", "/reset")  # also wakes any request still sleeping in a fault
    driver.close()


@pytest.fixture
def tokens(zoom):
    """Alex has connected: the token response."""
    return zoom.connect()

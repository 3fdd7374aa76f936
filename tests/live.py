"""The app served for real on loopback, the Zoom sandbox beside it, and a browser-like client.

Requests go over real HTTP: cookies, redirects, CSRF tokens and Zoom's OAuth dance happen as
they do for a person, only without the rendering.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from urllib.parse import urljoin

import requests
from flask import Flask

from zoom_sandbox import BackgroundServer

CLIENT_ID = "live-client-id"
CLIENT_SECRET = "live-client-secret-0123456789"
SECRET_TOKEN = "live-secret-token-0123456789"
TIMEOUT = 10


@dataclass
class LiveSite:
    app: Flask
    url: str
    zoom_url: str

    def zoom(self, method: str, path: str, **kwargs) -> requests.Response:
        """Talk to the sandbox's control API."""
        timeout = kwargs.pop("timeout", TIMEOUT)
        response = requests.request(method, f"{self.zoom_url}/_sandbox{path}", timeout=timeout,
                                    **kwargs)
        assert response.status_code in (200, 201, 204), response.text
        return response

    def zoom_meetings(self, *, live_only: bool = True) -> list[dict]:
        body = self.zoom("get", "/meetings").json()
        meetings = body["meetings"] if isinstance(body, dict) else body
        return [m for m in meetings if not (live_only and m.get("deleted"))]

    def zoom_requests(self) -> list[dict]:
        body = self.zoom("get", "/requests").json()
        return body["requests"] if isinstance(body, dict) else body

    def fault(self, **fault) -> None:
        self.zoom("post", "/faults", json=fault)

    def clear_faults(self) -> None:
        self.zoom("delete", "/faults")


def hidden_inputs(html: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = unescape(value.group(1)) if value else ""
    return fields


class Browser:
    """A requests session that behaves like a user's browser towards the live site."""

    def __init__(self, site: LiveSite):
        self.site = site
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.site.url + path

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.get(self.url(path), **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.post(self.url(path), data=data or {}, **kwargs)

    def csrf(self, page: str = "/login") -> str:
        html = self.get(page).text
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', html)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def submit(self, path: str, data: dict | None = None, *, page: str | None = None,
               **kwargs) -> requests.Response:
        """POST ``data`` with the CSRF token of ``page`` (default: the page at ``path``)."""
        return self.post(path, {"csrf_token": self.csrf(page or path), **(data or {})},
                         **kwargs)

    def login(self, email: str, password: str) -> None:
        response = self.submit("/login", {"email": email, "password": password},
                               allow_redirects=False)
        assert response.status_code == 302, response.text

    def connect_zoom(self, staff_id: int, decision: str = "allow",
                     zoom_user_id: str | None = None) -> requests.Response:
        """Integrations > Connect, then Allow or Deny on Zoom's page; the page we land on."""
        page = f"/staff/{staff_id}/integrations"
        start = self.submit(f"/staff/{staff_id}/integrations/zoom/connect", page=page,
                            allow_redirects=False)
        assert start.status_code == 302, start.text
        consent = self.get(start.headers["Location"])
        assert consent.status_code == 200, consent.text
        return self.decide(consent, decision, zoom_user_id)

    def decide(self, consent: requests.Response, decision: str,
               zoom_user_id: str | None = None, **kwargs) -> requests.Response:
        action = re.search(r'<form method="post" action="([^"]+)"', consent.text).group(1)
        form = hidden_inputs(consent.text)
        form["decision"] = decision
        if zoom_user_id:
            form["user_id"] = zoom_user_id
        return self.post(urljoin(consent.url, unescape(action)), form, **kwargs)


def serve(app: Flask) -> BackgroundServer:
    return BackgroundServer(app).start()

"""Talks to a running Zoom sandbox over real HTTP, the way Timetics and a browser would."""
from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
REDIRECT_URI = "http://127.0.0.1:5000/integrations/zoom/callback"
VERIFIER = "a-code-verifier-that-is-long-enough-for-rfc-7636-0123456789"
TIMEOUT = 5


def s256(verifier: str) -> str:
    """RFC 7636's S256 challenge, computed here independently of the sandbox."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class SandboxDriver:
    """One ``requests`` session against the sandbox at ``base_url``."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        return self.session.request(method, self.base_url + path, **kwargs)

    # --- control API ----------------------------------------------------------------------

    def control(self, method: str, path: str, json: dict | None = None) -> dict:
        response = self.request(method, "/_sandbox" + path, json=json)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def add_fault(self, **fault: Any) -> dict:
        return self.control("post", "/faults", fault)

    # --- OAuth ----------------------------------------------------------------------------

    def authorize_params(self, *, client_id: str = CLIENT_ID, redirect_uri: str = REDIRECT_URI,
                         verifier: str = VERIFIER, state: str = "state-123") -> dict[str, str]:
        return {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
                "state": state, "code_challenge": s256(verifier),
                "code_challenge_method": "S256"}

    def decide(self, decision: str = "allow", user_id: str | None = None,
               **params: Any) -> requests.Response:
        """Press Allow or Deny on the consent page (the form posts the query back)."""
        form = {**self.authorize_params(**params), "decision": decision}
        if user_id:
            form["user_id"] = user_id
        return self.request("post", "/oauth/authorize", data=form)

    def new_code(self, user_id: str | None = None, **params: Any) -> str:
        response = self.decide("allow", user_id, **params)
        assert response.status_code == 302, response.text
        return query_of(response.headers["Location"])["code"]

    def token(self, data: dict[str, str], auth: tuple[str, str] | None = (
            CLIENT_ID, CLIENT_SECRET)) -> requests.Response:
        return self.request("post", "/oauth/token", data=data, auth=auth)

    def exchange(self, code: str, *, verifier: str = VERIFIER,
                 redirect_uri: str = REDIRECT_URI, **kwargs: Any) -> requests.Response:
        return self.token({"grant_type": "authorization_code", "code": code,
                           "redirect_uri": redirect_uri, "code_verifier": verifier}, **kwargs)

    def refresh(self, refresh_token: str) -> requests.Response:
        return self.token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def connect(self, user_id: str | None = None) -> dict:
        """The whole authorization-code flow: the token response's JSON."""
        response = self.exchange(self.new_code(user_id))
        assert response.status_code == 200, response.text
        return response.json()

    def revoke(self, token: str) -> requests.Response:
        return self.request("post", "/oauth/revoke", data={"token": token},
                            auth=(CLIENT_ID, CLIENT_SECRET))

    # --- REST API -------------------------------------------------------------------------

    def api(self, method: str, path: str, access_token: str | None,
            **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        return self.request(method, "/v2" + path, headers=headers, **kwargs)

    def create_meeting(self, access_token: str, *, timeout: float = TIMEOUT,
                       **fields: Any) -> requests.Response:
        """Create a meeting like Timetics does; ``fields`` override the body's."""
        body = {"topic": "Intro call: Sam", "type": 2, "start_time": "2030-05-01T15:00:00Z",
                "duration": 30, "timezone": "America/New_York",
                "agenda": "Intro call with Alex Rivera. Timetics booking ABC123.", **fields}
        return self.api("post", "/users/me/meetings", access_token, json=body, timeout=timeout)

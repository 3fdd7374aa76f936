"""Errors of the API as RFC 9457 problem documents (``application/problem+json``), each with a
stable ``type`` that a client can branch on, never an HTML page."""
from __future__ import annotations

from flask import Response, json, request

PREFIX = "/api/"
TYPE_BASE = "urn:timetics:problem:"

# The stable types, by the HTTP status that has no more specific one.
BY_STATUS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
             405: "method-not-allowed", 409: "conflict", 413: "too-large",
             415: "unsupported-media-type", 422: "invalid-input", 429: "rate-limited",
             500: "server-error"}


class ApiProblem(Exception):
    """Answer the API request with a problem document."""

    def __init__(self, status: int, detail: str, *, kind: str | None = None,
                 invalid: tuple[str, str] | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or BY_STATUS.get(status, "error")
        self.invalid = invalid
        self.headers = headers or {}


def problem_response(problem: ApiProblem) -> Response:
    body = {"type": TYPE_BASE + problem.kind, "title": problem.kind.replace("-", " ").capitalize(),
            "status": problem.status, "detail": problem.detail}
    if problem.invalid:
        name, reason = problem.invalid
        body["invalid_params"] = [{"name": name, "reason": reason}]
    response = Response(json.dumps(body), status=problem.status,
                        mimetype="application/problem+json")
    response.headers.update(problem.headers)
    return response


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)


def problem_response_for(status: int, message: str) -> Response:
    """The app's error pages (routing's 404 and 405, 413, 429, 500…) under /api/."""
    return problem_response(ApiProblem(status, message))

"""Request bodies checked against the part of Zoom's OpenAPI spec that Timetics uses.

The spec file ships beside this module so that the sandbox never reads the shared docs folder
at run time. On top of the schema it applies the rules Zoom enforces but the spec only
describes in prose: a UTC ``start_time`` ending in ``Z`` and a passcode alphabet.

One local change to the copy: ``settings.jbh_time`` also takes 15 (minutes before the start),
which Zoom's Join before host setting offers and this older snapshot of the spec left out
(unconfirmed in the spec itself; see ../shared/ZOOM.md).

Two operations were added to the copy by hand, from Zoom's API reference (Users: Get user
settings, ``GET /users/{userId}/settings``; Meetings: Get meeting invitation,
``GET /meetings/{meetingId}/invitation``), with only the response fields Timetics and the
sandbox use; their descriptions in the file say so. ``response_errors`` checks an answer
against the copy's response schema, as ``body_errors`` checks a request.

The webinar and registrant operations (Webinars: Create, Get, Update, Delete a webinar; Meetings
and Webinars: Add, List, Update status of, Delete a registrant) were copied whole, unchanged,
from Zoom's published ``ZoomMeetingAPISpec.json`` ("Zoom Meeting API" 2.0.0, as downloaded from
developers.zoom.us/api-hub/meetings and kept in the public repository
tommyhuangli/zoom-link-generator at commit c01ef38, 2025-08-14). So was Webinars: List webinars
(``GET /users/{userId}/webinars``), whose query ``query_errors`` checks.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

SPEC_PATH = Path(__file__).with_name("openapi-subset.json")

CREATE_MEETING = ("/users/{userId}/meetings", "post")
UPDATE_MEETING = ("/meetings/{meetingId}", "patch")
GET_MEETING = ("/meetings/{meetingId}", "get")
GET_USER = ("/users/{userId}", "get")
GET_USER_SETTINGS = ("/users/{userId}/settings", "get")
GET_INVITATION = ("/meetings/{meetingId}/invitation", "get")
CREATE_WEBINAR = ("/users/{userId}/webinars", "post")
LIST_WEBINARS = ("/users/{userId}/webinars", "get")
GET_WEBINAR = ("/webinars/{webinarId}", "get")
UPDATE_WEBINAR = ("/webinars/{webinarId}", "patch")
ADD_MEETING_REGISTRANT = ("/meetings/{meetingId}/registrants", "post")
LIST_MEETING_REGISTRANTS = ("/meetings/{meetingId}/registrants", "get")
MEETING_REGISTRANT_STATUS = ("/meetings/{meetingId}/registrants/status", "put")
ADD_WEBINAR_REGISTRANT = ("/webinars/{webinarId}/registrants", "post")
LIST_WEBINAR_REGISTRANTS = ("/webinars/{webinarId}/registrants", "get")
WEBINAR_REGISTRANT_STATUS = ("/webinars/{webinarId}/registrants/status", "put")

UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
PASSCODE = re.compile(r"[A-Za-z0-9@\-_*]{1,10}")


@cache
def openapi_spec() -> dict:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


@cache
def _validator(path: str, method: str) -> Draft4Validator:
    # OpenAPI 3.0 schemas are a Draft 4 dialect; the extra keywords (example, …) are ignored.
    operation = openapi_spec()["paths"][path][method]
    return Draft4Validator(operation["requestBody"]["content"]["application/json"]["schema"])


@cache
def _response_validator(path: str, method: str, status: str) -> Draft4Validator:
    response = openapi_spec()["paths"][path][method]["responses"][status]
    return Draft4Validator(response["content"]["application/json"]["schema"])


def response_errors(operation: tuple[str, str], status: int, body: Any) -> list[str]:
    """Where ``body`` breaks the copy's schema of the ``status`` answer; empty if it fits."""
    return [f"{'.'.join(map(str, e.absolute_path)) or 'body'}: {e.message}"
            for e in _response_validator(*operation, str(status)).iter_errors(body)]


def query_errors(operation: tuple[str, str], query: dict[str, str]) -> list[dict]:
    """Zoom-style ``errors`` entries for the query parameters the operation declares (an
    integer parameter is read as one first); empty if they fit."""
    errors = []
    for parameter in openapi_spec()["paths"][operation[0]][operation[1]]["parameters"]:
        name = parameter["name"]
        if parameter["in"] != "query" or name not in query:
            continue
        value: Any = query[name]
        if parameter["schema"].get("type") == "integer":
            try:
                value = int(value)
            except ValueError:
                errors.append({"field": name, "message": f"{value!r} is not an integer"})
                continue
        error = next(Draft4Validator(parameter["schema"]).iter_errors(value), None)
        if error is not None:
            errors.append({"field": name, "message": error.message})
    return errors


def body_errors(operation: tuple[str, str], body: Any) -> list[dict]:
    """Zoom-style ``errors`` entries (``field``, ``message``) for ``body``; empty if valid."""
    by_field: dict[str, str] = {}
    for error in _validator(*operation).iter_errors(body):
        # One message per field: a wrong type also fails its enum, which adds nothing.
        name = ".".join(str(p) for p in error.absolute_path) or "body"
        by_field.setdefault(name, error.message)
    errors = [{"field": name, "message": message} for name, message in by_field.items()]
    if errors or not isinstance(body, dict):
        return errors
    return _rule_errors(body)


def _rule_errors(body: dict) -> list[dict]:
    errors = []
    start_time = body.get("start_time")
    if start_time is not None and not _is_utc_time(start_time):
        errors.append({"field": "start_time",
                       "message": "Must be UTC in the format yyyy-MM-ddTHH:mm:ssZ."})
    password = body.get("password")
    if password is not None and not PASSCODE.fullmatch(password):
        errors.append({"field": "password",
                       "message": "Only letters, digits and @ - _ * are allowed."})
    return errors


def _is_utc_time(value: str) -> bool:
    if not UTC_TIME.fullmatch(value):
        return False
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return False
    return True

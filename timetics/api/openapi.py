"""The OpenAPI 3.1 document of the API, built from the routes' own declarations (views.py
``operation``) and the schemas that check their input (schemas.py): nothing is said twice."""
from __future__ import annotations

import re

from flask import current_app

from ..webhooks.outgoing import DESCRIPTIONS, EVENTS, SIGNATURE_HEADER
from . import schemas
from .idempotency import HEADER, MAX_KEY_LENGTH
from .views import OPERATIONS, Operation

ERROR_TEXT = {400: "Bad input in the query or body", 401: "No token, or not a valid one",
              403: "The token may only read", 404: "Not found, or not yours",
              409: "The time is taken, or the booking was changed meanwhile",
              415: "The body is not JSON", 422: "A field of the body is wrong",
              429: "Too many requests"}


def _path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def _problem() -> dict:
    return {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _operation(op: Operation) -> dict:
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "string", "maxLength": 80}}
                  for name in re.findall(r"<(?:\w+:)?(\w+)>", op.rule)]
    if op.query:
        parameters += op.query.parameters()
    if op.writes:
        parameters.append({"name": HEADER, "in": "header", "required": False,
                           "description": "Replays the first answer to this key for 24 hours.",
                           "schema": {"type": "string", "minLength": 1,
                                      "maxLength": MAX_KEY_LENGTH}})
    errors = {401, 429, *op.errors, *((403,) if op.writes else ())}
    responses = {str(op.status): {"description": op.summary, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{op.answer}"}}}}}
    responses.update({str(code): {"description": ERROR_TEXT[code], "content": _problem()}
                      for code in sorted(errors)})
    spec = {"operationId": op.endpoint, "summary": op.summary, "parameters": parameters,
            "responses": responses, "security": [{"token": []}]}
    if op.body:
        spec["requestBody"] = {"required": any(f.required for f in op.body.fields), "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{op.body.name}"}}}}
    return spec


def _webhooks() -> dict:
    """What Timetics POSTs to each webhook endpoint (OpenAPI 3.1's ``webhooks``)."""
    signature = {"name": SIGNATURE_HEADER, "in": "header", "required": True,
                 "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\" "
                                "with the endpoint's secret>",
                 "schema": {"type": "string"}}
    return {event: {"post": {
        "summary": f"The {event} event", "description": DESCRIPTIONS[event],
        "parameters": [signature],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Event"}}}},
        "responses": {"200": {"description": "Any 2xx answer acknowledges the event; "
                                             "anything else is retried with backoff."}}}}
        for event in EVENTS}


def document() -> dict:
    paths: dict[str, dict] = {}
    bodies = {}
    for op in OPERATIONS:
        paths.setdefault(_path(op.rule), {})[op.method.lower()] = _operation(op)
        if op.body:
            bodies[op.body.name] = op.body.json_schema()
    return {
        "openapi": "3.1.0",
        "info": {"title": "Timetics API", "version": "1",
                 "description": "Bookings and meeting types of this Timetics. Staff tokens see "
                                "their own, admin tokens everything. Times are UTC."},
        "servers": [{"url": current_app.config["EXTERNAL_URL"] + "/api/v1"}],
        "paths": paths,
        "webhooks": _webhooks(),
        "components": {
            "schemas": {**schemas.RESPONSES, **bodies},
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                          "description": "A personal API token."}},
        },
    }

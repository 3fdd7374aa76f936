"""The API's OpenAPI 3.1 document: valid, and true of the live app under property-based
testing (schemathesis generates requests from it and checks every answer against it)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from timetics.models import ApiScope

from ..booking_helpers import at, book, create_booking_setup, weekday_ahead
from .test_api import token_for

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def test_the_document_is_valid_openapi_3_1(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any fault
    operations = {(method.upper(), path) for path, item in document["paths"].items()
                  for method in item}
    assert operations == {
        ("GET", "/meeting-types"), ("GET", "/meeting-types/{slug}/slots"),
        ("GET", "/bookings"), ("GET", "/bookings/{reference}"), ("POST", "/bookings"),
        ("POST", "/bookings/{reference}/cancel"), ("POST", "/bookings/{reference}/reschedule"),
    }
    assert set(document["webhooks"]) == {"booking.created", "booking.rescheduled",
                                         "booking.cancelled", "booking.requested",
                                         "booking.declined", "zoom.meeting_ready",
                                         "zoom.meeting_failed"}


def test_the_documented_body_fields_are_the_checked_ones(client):
    """Written from the same schema: the booking form's fields, required as the API checks."""
    body = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["NewBooking"]
    assert set(body["properties"]) == {"meeting_type", "start", "timezone", "name", "email",
                                       "notes"}
    assert body["required"] == ["meeting_type", "start", "timezone", "name", "email"]


@pytest.mark.slow
@pytest.mark.parametrize("scope", [ApiScope.READ_WRITE, ApiScope.READ])
def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(
        app, make_user, tmp_path, scope):
    """Generated requests (valid and invalid) against the served app: no 5xx, and every
    status, content type and body is one the document declares."""
    from zoom_sandbox import BackgroundServer

    setup = create_booking_setup(app, make_user)
    book(app.test_client(), "intro-call", at(weekday_ahead(), 10))
    token = token_for(app, setup.host_id, scope)
    server = BackgroundServer(app).start()
    try:
        result = subprocess.run(
            [str(SCHEMATHESIS), "run", f"{server.url}/api/v1/openapi.json",
             "--checks", "not_a_server_error,status_code_conformance,"
                         "content_type_conformance,response_schema_conformance",
             "--header", f"Authorization: Bearer {token}", "--max-examples", "25",
             "--phases", "examples,coverage,fuzzing", "--seed", "1", "--workers", "1",
             "--generation-database", "none", "--no-color",
             "--report", "junit", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    finally:
        server.stop()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Tested: 7" in result.stdout, result.stdout  # every operation, not a skipped run

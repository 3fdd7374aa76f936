"""Outgoing webhooks, received by a real HTTP server on loopback: each event once, signed so
that a receiver can verify it; retried on failure with the same event id; logged; Send test."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from timetics.extensions import db
from timetics.models import Booking, Job, MeetingType, WebhookDelivery, WebhookEndpoint

from ..booking_helpers import at, book, create_booking_setup, iso, manage_path, weekday_ahead
from ..conftest import post_form

EVENTS = ["booking.created", "booking.rescheduled", "booking.cancelled", "booking.requested",
          "booking.declined", "zoom.meeting_ready", "zoom.meeting_failed"]


class Receiver:
    """A webhook receiver: records each POST, answers the scripted statuses, then 200."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.received]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """What a receiver does (README): recompute the HMAC of "<t>.<body>", compare in constant
    time, and refuse an old timestamp."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and \
        abs(time.time() - int(parts["t"])) < tolerance


@pytest.fixture
def receiver(app_config):
    """A loopback receiver, which the app may reach (request before ``app``)."""
    app_config["CALENDAR_ALLOWED_HOSTS"] = "127.0.0.1"
    server = Receiver()
    yield server
    server.stop()


def add_endpoint(client, url: str, events=EVENTS):
    return post_form(client, "/settings/webhooks", {"url": url, "events": events})


def secret_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.search(r'id="new-webhook-secret"[^>]*value="(whsec_[^"]+)"', html).group(1)


def run_jobs(app) -> None:
    result = app.test_cli_runner().invoke(args=["run-jobs", "--once", "--all"])
    assert result.exit_code == 0, result.output


def test_the_settings_page_has_the_named_fields(as_admin):
    html = as_admin.get("/settings/webhooks").get_data(as_text=True)
    assert '<label for="url">Endpoint URL</label>' in html
    for event in EVENTS:
        assert re.search(rf'<input[^>]*type="checkbox"[^>]*value="{re.escape(event)}"', html)
        assert f">{event}</label>" in html
    assert '<button type="submit" class="button button-primary">Add endpoint</button>' in html


def test_a_loopback_url_is_refused_without_the_allowing_setting(app, as_admin):
    response = add_endpoint(as_admin, "http://127.0.0.1:9/hooks")
    assert response.status_code == 422
    assert "private or local address" in response.get_data(as_text=True)
    assert "CALENDAR_ALLOWED_HOSTS" in response.get_data(as_text=True)
    for bad in ("ftp://example.com/x", "not a url"):
        assert add_endpoint(as_admin, bad).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(WebhookEndpoint)) is None


def test_an_endpoint_needs_an_event(receiver, app, as_admin):
    response = add_endpoint(as_admin, receiver.url, events=[])
    assert response.status_code == 422
    assert "Choose at least one event." in response.get_data(as_text=True)


def test_each_event_arrives_once_signed_with_the_endpoints_secret(receiver, app, as_admin,
                                                                  make_user):
    """Booked on the page, moved and cancelled by the guest: three events, each once, each
    signature verifies, each with the booking as the API shows it."""
    response = add_endpoint(as_admin, receiver.url)
    assert response.status_code == 200
    secret = secret_of(response)
    assert secret not in as_admin.get("/settings/webhooks").get_data(as_text=True)
    with app.app_context():
        assert secret not in db.session.scalar(select(WebhookEndpoint.secret_encrypted))
    create_booking_setup(app, make_user)
    guest = app.test_client()
    day = weekday_ahead()
    manage = manage_path(book(guest, "intro-call", at(day, 10)))
    reference, token = manage.split("/bookings/")[1].split("?token=")
    page = f"/bookings/{reference}/reschedule?token={token}"
    moved = post_form(guest, page, {"start": iso(at(day, 11))},
                      page=page + f"&start={iso(at(day, 11))}")
    assert moved.status_code == 302, moved.get_data(as_text=True)
    cancel = f"/bookings/{reference}/cancel?token={token}"
    assert post_form(guest, cancel, {}).status_code == 302

    events = receiver.events()
    assert [e["type"] for e in events] == ["booking.created", "booking.rescheduled",
                                           "booking.cancelled"]
    assert len({e["id"] for e in events}) == 3
    for (headers, body), event in zip(receiver.received, events, strict=True):
        assert headers["Content-Type"] == "application/json"
        assert verify(secret, headers["Timetics-Signature"], body)
        assert not verify("whsec_wrong", headers["Timetics-Signature"], body)
        assert set(event) == {"id", "type", "created", "data"}
        assert event["data"]["booking"]["reference"] == reference
    # As the OpenAPI document's "webhooks" describe them.
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    validator = Draft202012Validator({**document, "$ref": "#/components/schemas/Event"})
    for event in events:
        validator.validate(event)
    assert events[1]["data"]["booking"]["start"] == iso(at(day, 11))
    assert events[2]["data"]["booking"]["status"] == "cancelled"
    run_jobs(app)
    assert len(receiver.received) == 3  # nothing left to send again


def event_schema(app) -> Draft202012Validator:
    """The OpenAPI document's description of what a webhook receives."""
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    return Draft202012Validator({**document, "$ref": "#/components/schemas/Event"})


def test_a_guest_leaving_a_group_booking_says_who_left(receiver, app, as_admin, make_user):
    """booking.cancelled with data.guest, the booking still confirmed with the others; the
    last guest's leaving ends it. Moving to another time leaves the old booking likewise."""
    add_endpoint(as_admin, receiver.url, events=["booking.cancelled", "booking.rescheduled"])
    create_booking_setup(app, make_user)
    start, day = at(weekday_ahead(), 10), weekday_ahead()
    guests = {name: app.test_client() for name in ("ann", "bob", "cy")}
    paths = {name: manage_path(book(client, "group-session", start, name=name.title(),
                                    email=f"{name}@example.com"))
             for name, client in guests.items()}

    def leave(name):
        reference, token = paths[name].split("/bookings/")[1].split("?token=")
        cancel = f"/bookings/{reference}/cancel?token={token}"
        assert post_form(guests[name], cancel, {}).status_code == 302

    leave("bob")
    [event] = receiver.events()
    assert event["type"] == "booking.cancelled" and event["data"]["guest"]["email"] == \
        "bob@example.com"
    assert event["data"]["booking"]["status"] == "confirmed"
    assert [g["email"] for g in event["data"]["booking"]["guests"]] == ["ann@example.com",
                                                                        "cy@example.com"]
    event_schema(app).validate(event)
    # Cy moves to another time: the booking Cy leaves says so, the one Cy joins too.
    reference, token = paths["cy"].split("/bookings/")[1].split("?token=")
    page = f"/bookings/{reference}/reschedule?token={token}"
    later = at(day, 14)
    assert post_form(guests["cy"], page, {"start": iso(later)},
                     page=page + f"&start={iso(later)}").status_code == 302
    left, joined = receiver.events()[1:]
    assert left["type"] == "booking.cancelled" and left["data"]["guest"]["name"] == "Cy"
    assert left["data"]["booking"]["status"] == "confirmed"
    assert [g["name"] for g in left["data"]["booking"]["guests"]] == ["Ann"]
    assert joined["type"] == "booking.rescheduled" and "guest" not in joined["data"]
    leave("ann")  # the last: the booking ends
    last = receiver.events()[-1]
    assert last["data"]["guest"]["name"] == "Ann" and last["data"]["booking"]["status"] == \
        "cancelled"
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert "`data.guest` is that guest" in \
        document["webhooks"]["booking.cancelled"]["post"]["description"]


def test_a_request_sends_requested_then_created_on_accept_or_declined(receiver, app, as_admin,
                                                                      make_user):
    """A type that requires approval: booking.requested with the booking pending; Accept sends
    booking.created (as any confirmed booking), Decline booking.declined. Both as the OpenAPI
    document describes them."""
    add_endpoint(as_admin, receiver.url)
    create_booking_setup(app, make_user)
    with app.app_context():
        db.session.scalar(select(MeetingType).filter_by(slug="intro-call")) \
            .requires_approval = True
        db.session.commit()
    day = weekday_ahead()
    for hour in (10, 11):
        book(app.test_client(), "intro-call", at(day, hour), email=f"g{hour}@example.com")
    with app.app_context():
        first, second = db.session.scalars(select(Booking.reference).order_by(Booking.id))
    post_form(as_admin, f"/dashboard/bookings/{first}/accept", {}, page="/dashboard")
    post_form(as_admin, f"/dashboard/bookings/{second}/decline", {"message": "Sorry."})
    events = receiver.events()
    assert [(e["type"], e["data"]["booking"]["reference"]) for e in events] == [
        ("booking.requested", first), ("booking.requested", second),
        ("booking.created", first), ("booking.declined", second)]
    assert [e["data"]["booking"]["status"] for e in events] == [
        "pending", "pending", "confirmed", "cancelled"]
    assert events[3]["data"]["booking"]["approval"] == "declined"
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert {"booking.requested", "booking.declined"} <= set(document["webhooks"])
    validator = Draft202012Validator({**document, "$ref": "#/components/schemas/Event"})
    for event in events:
        validator.validate(event)


def test_a_failing_receiver_gets_the_same_event_until_it_answers_2xx(receiver, app, as_admin,
                                                                     make_user):
    """500, 500, then 200: three deliveries of one event id, all shown in the delivery log."""
    add_endpoint(as_admin, receiver.url, events=["booking.created"])
    create_booking_setup(app, make_user)
    receiver.statuses = [500, 500]
    book(app.test_client(), "intro-call", at(weekday_ahead(), 10))
    assert len(receiver.received) == 1  # the request's own attempt
    html = as_admin.get("/settings/webhooks").get_data(as_text=True)
    assert "Retrying" in html and "The endpoint answered 500." in html
    run_jobs(app)
    run_jobs(app)
    bodies = [body for _, body in receiver.received]
    assert len(bodies) == 3 and len(set(bodies)) == 1  # the same event, byte for byte
    with app.app_context():
        log = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        assert [(d.attempt, d.status_code) for d in log] == [(1, 500), (2, 500), (3, 200)]
        assert len({d.event_id for d in log}) == 1
        job = db.session.scalar(select(Job).where(Job.kind == "webhook_delivery"))
        assert job.done_at is not None
    html = as_admin.get("/settings/webhooks").get_data(as_text=True)
    assert html.count('class="delivery"') == 3 and "Active" in html
    run_jobs(app)
    assert len(receiver.received) == 3


def test_a_receiver_that_does_not_answer_in_time_fails_the_attempt(receiver, app, as_admin,
                                                                   make_user):
    app.config["WEBHOOK_TIMEOUT"] = 0.3
    add_endpoint(as_admin, receiver.url, events=["booking.created"])
    create_booking_setup(app, make_user)
    receiver.delay = 1
    book(app.test_client(), "intro-call", at(weekday_ahead(), 10))
    with app.app_context():
        [delivery] = db.session.scalars(select(WebhookDelivery)).all()
        assert delivery.status_code is None and "No answer within 0.3 seconds" in delivery.error


def test_a_delivery_that_gives_up_shows_the_endpoint_failing(receiver, app, as_admin,
                                                            make_user):
    app.config["JOB_MAX_AGE_HOURS"] = 0  # the first failure is the last
    add_endpoint(as_admin, receiver.url, events=["booking.created"])
    create_booking_setup(app, make_user)
    receiver.statuses = [503]
    book(app.test_client(), "intro-call", at(weekday_ahead(), 10))
    html = as_admin.get("/settings/webhooks").get_data(as_text=True)
    assert "Failing" in html and "The endpoint answered 503." in html


def test_a_delivery_gives_up_after_its_maximum_attempts(receiver, app, as_admin, make_user):
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 3
    add_endpoint(as_admin, receiver.url, events=["booking.created"])
    create_booking_setup(app, make_user)
    receiver.statuses = [500] * 10
    book(app.test_client(), "intro-call", at(weekday_ahead(), 10))
    run_jobs(app)
    assert "Retrying" in as_admin.get("/settings/webhooks").get_data(as_text=True)
    run_jobs(app)  # the third attempt, the last
    html = as_admin.get("/settings/webhooks").get_data(as_text=True)
    assert "Failing" in html and "The endpoint answered 500. Gave up after 3 attempts." in html
    run_jobs(app)
    assert len(receiver.received) == 3
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "webhook_delivery"))
        assert job.failed_at is not None and job.attempts == 3


def test_send_test_delivers_a_signed_test_event(receiver, app, as_admin):
    secret = secret_of(add_endpoint(as_admin, receiver.url))
    with app.app_context():
        endpoint_id = db.session.scalar(select(WebhookEndpoint.id))
    response = post_form(as_admin, f"/settings/webhooks/{endpoint_id}/test", {},
                         page="/settings/webhooks")
    assert response.status_code == 302
    [(headers, body)] = receiver.received
    assert verify(secret, headers["Timetics-Signature"], body)
    event = json.loads(body)
    assert event["type"] == "test"
    event_schema(app).validate(event)  # a whole booking, as the document says
    booking = event["data"]["booking"]
    assert booking["reference"] == "SAMPLE01" and booking["status"] == "confirmed"
    assert booking["guests"][0]["email"] == "guest@example.com"
    assert booking["zoom"]["join_url"].startswith("https://")
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Booking.id))) == 0  # nothing stored
    html = as_admin.get("/settings/webhooks").get_data(as_text=True)
    assert html.count('class="delivery"') == 1 and ">200" in html


def test_a_switched_off_endpoint_gets_nothing(receiver, app, as_admin, make_user):
    add_endpoint(as_admin, receiver.url)
    with app.app_context():
        endpoint_id = db.session.scalar(select(WebhookEndpoint.id))
    post_form(as_admin, f"/settings/webhooks/{endpoint_id}/active", {},
              page="/settings/webhooks")
    create_booking_setup(app, make_user)
    book(app.test_client(), "intro-call", at(weekday_ahead(), 10))
    assert receiver.received == []
    post_form(as_admin, f"/settings/webhooks/{endpoint_id}/delete", {},
              page="/settings/webhooks")
    with app.app_context():
        assert db.session.scalar(select(WebhookEndpoint)) is None


def endpoint_for(app, url: str, events: list[str]) -> str:
    from timetics.webhooks.outgoing import add_endpoint as add

    with app.app_context():
        return add(url, events)[1]


def test_zoom_meeting_ready_carries_the_join_link(receiver, zoom_site, connected_host, client):
    secret = endpoint_for(zoom_site.app, receiver.url, ["zoom.meeting_ready"])
    book(client, "intro-call", at(weekday_ahead(), 10))
    [meeting] = zoom_site.zoom_meetings()
    [event] = receiver.events()
    assert event["type"] == "zoom.meeting_ready"
    assert event["data"]["booking"]["zoom"] == {"state": "created",
                                                "join_url": meeting["join_url"],
                                                "meeting_id": str(meeting["id"])}
    headers, body = receiver.received[0]
    assert verify(secret, headers["Timetics-Signature"], body)


def test_zoom_meeting_failed_when_the_create_gives_up(receiver, zoom_site, connected_host,
                                                      client):
    zoom_site.app.config["JOB_MAX_AGE_HOURS"] = 0  # the first failure is the last
    endpoint_for(zoom_site.app, receiver.url, ["zoom.meeting_failed", "zoom.meeting_ready"])
    zoom_site.fault(target="create_meeting", mode="error", status=500)
    book(client, "intro-call", at(weekday_ahead(), 10))
    assert [e["type"] for e in receiver.events()] == ["zoom.meeting_failed"]
    assert receiver.events()[0]["data"]["booking"]["zoom"]["state"] == "failed"


def test_rotating_the_encryption_key_keeps_the_signing_secret(receiver, app):
    """rotate-encryption-key re-encrypts endpoint secrets: deliveries still verify after the
    old key is gone."""
    from cryptography.fernet import Fernet

    secret = endpoint_for(app, receiver.url, ["booking.created"])
    old_key = app.config["ENCRYPTION_KEY"][0]
    app.config["ENCRYPTION_KEY"] = [Fernet.generate_key().decode(), old_key]
    app.extensions.pop("timetics_fernet")
    result = app.test_cli_runner().invoke(args=["rotate-encryption-key"])
    assert "1 webhook secrets" in result.output, result.output
    app.config["ENCRYPTION_KEY"] = app.config["ENCRYPTION_KEY"][:1]
    app.extensions.pop("timetics_fernet")
    with app.app_context():
        from timetics.webhooks.outgoing import plan_test

        plan_test(db.session.scalar(select(WebhookEndpoint)))
        db.session.commit()
    run_jobs(app)
    [(headers, body)] = receiver.received
    assert verify(secret, headers["Timetics-Signature"], body)


def test_the_delivery_log_keeps_the_latest_deliveries(receiver, app):
    from timetics.webhooks import outgoing

    app.config["WEBHOOK_LOG_KEPT"] = 3
    endpoint_for(app, receiver.url, ["booking.created"])
    with app.app_context():
        endpoint = db.session.scalar(select(WebhookEndpoint))
        for _ in range(5):
            outgoing.plan_test(endpoint)
        db.session.commit()
    run_jobs(app)
    assert len(receiver.received) == 5
    with app.app_context():
        kept = [json.loads(body)["id"] for _, body in receiver.received][-3:]
        log = db.session.scalars(select(WebhookDelivery.event_id).order_by(WebhookDelivery.id))
        assert list(log) == kept

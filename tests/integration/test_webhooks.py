"""POST /webhooks/zoom: only correctly signed, fresh events act; deauthorization deletes tokens."""
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest

from timetics.db import utcnow
from timetics.extensions import db
from timetics.models import ProcessedWebhook, ZoomConnection
from timetics.security import encrypt_secret
from timetics.settings.services import save_zoom_settings

SECRET_TOKEN = "webhook-secret-token"


def connect(app, user_id: int, connected_at=None) -> None:
    with app.app_context():
        db.session.add(ZoomConnection(
            user_id=user_id, zoom_user_id="zoom-user-1", zoom_email="z@zoom.example",
            access_token_encrypted=encrypt_secret("access"),
            refresh_token_encrypted=encrypt_secret("refresh"),
            expires_at=utcnow() + timedelta(hours=1), connected_at=connected_at or utcnow()))
        db.session.commit()


@pytest.fixture
def connected(app, make_user):
    staff = make_user(email="zoomed@example.com")
    with app.app_context():
        save_zoom_settings(client_id="cid", client_secret="csecret", secret_token=SECRET_TOKEN)
    connect(app, staff.id)
    return staff


def signed(body: bytes, *, secret: str = SECRET_TOKEN, timestamp: int | None = None) -> dict:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"x-zm-request-timestamp": ts, "x-zm-signature": f"v0={digest}",
            "Content-Type": "application/json"}


def deauthorization(user_id: str = "zoom-user-1", *, age: float = 0) -> bytes:
    return json.dumps({
        "event": "app_deauthorized", "event_ts": int((time.time() - age) * 1000),
        "payload": {"account_id": "acc", "user_id": user_id, "client_id": "cid",
                    "deauthorization_time": "2026-11-24T10:00:00Z", "signature": "x",
                    "user_data_retention": "false"},
    }).encode()


def connection_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(ZoomConnection.id)))


def test_a_signed_deauthorization_deletes_the_connection(app, client, connected):
    body = deauthorization()
    response = client.post("/webhooks/zoom", data=body, headers=signed(body))
    assert response.status_code == 200
    assert response.is_json
    assert connection_count(app) == 0


def test_an_unknown_zoom_user_is_fine(app, client, connected):
    body = deauthorization("someone-else")
    response = client.post("/webhooks/zoom", data=body, headers=signed(body))
    assert response.status_code == 200
    assert connection_count(app) == 1


@pytest.mark.parametrize(
    "headers",
    [
        lambda body: {},
        lambda body: signed(body, secret="wrong-secret"),
        lambda body: signed(body, timestamp=int(time.time()) - 301),
        lambda body: {**signed(body), "x-zm-signature": "v0=" + "0" * 64},
        lambda body: {"x-zm-request-timestamp": str(int(time.time()))},
        lambda body: signed(body + b" "),  # signature of another body
    ],
    ids=["no headers", "wrong secret", "stale", "bad signature", "no signature", "body changed"],
)
def test_unsigned_or_stale_events_get_401_and_change_nothing(app, client, connected, headers):
    body = deauthorization()
    response = client.post("/webhooks/zoom", data=body, headers=headers(body))
    assert response.status_code == 401
    assert connection_count(app) == 1


def test_url_validation_challenge_is_answered(app, client, connected):
    body = json.dumps({"event": "endpoint.url_validation",
                       "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"},
                       "event_ts": 1654503849680}).encode()
    response = client.post("/webhooks/zoom", data=body, headers=signed(body))
    assert response.status_code == 200
    expected = hmac.new(SECRET_TOKEN.encode(), b"qgg8vlvZRS6UYooatFL8Aw",
                        hashlib.sha256).hexdigest()
    assert response.json == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}


def test_webhook_needs_no_csrf_token_but_other_posts_do(client, connected):
    body = json.dumps({"event": "meeting.started", "payload": {}}).encode()
    assert client.post("/webhooks/zoom", data=body, headers=signed(body)).status_code == 200


def test_a_signed_body_that_is_not_json_is_a_400(client, connected):
    body = b"not json"
    assert client.post("/webhooks/zoom", data=body, headers=signed(body)).status_code == 400


def test_a_timestamp_that_is_no_ascii_number_is_a_401(app, client, connected):
    """'²' passes str.isdigit() but int() refuses it: a bad timestamp, not a 500."""
    body = deauthorization()
    headers = {**signed(body), "x-zm-request-timestamp": "\u00b2"}
    assert client.post("/webhooks/zoom", data=body, headers=headers).status_code == 401
    assert connection_count(app) == 1


@pytest.mark.parametrize("depth", [40, 100_000], ids=["over our limit", "over Python's"])
def test_deeply_nested_json_in_a_signed_event_is_a_400(app, client, connected, depth):
    body = b'{"event": "app_deauthorized", "payload": ' + b"[" * depth + b"]" * depth + b"}"
    response = client.post("/webhooks/zoom", data=body, headers=signed(body))
    assert response.status_code == 400
    assert response.json == {"error": "The body nests too deeply."}
    assert connection_count(app) == 1


def test_an_oversized_body_is_a_413_before_any_signature_check(app, client, connected):
    """1 MB by default: a worker never holds more of an unsigned body than that."""
    body = b"x" * (1024 * 1024 + 1)
    response = client.post("/webhooks/zoom", data=body, headers=signed(body, secret="wrong"))
    assert response.status_code == 413
    assert response.json == {"error": "The body is larger than 1,048,576 bytes."}
    assert connection_count(app) == 1


def test_a_replayed_deauthorization_is_ignored_by_every_process(app, client, make_app,
                                                                connected):
    """Replayed within its 5 minutes, even to another worker, a processed event does nothing."""
    body = deauthorization()
    headers = signed(body)
    assert client.post("/webhooks/zoom", data=body, headers=headers).json["deleted"] is True
    connect(app, connected.id, connected_at=utcnow() - timedelta(hours=1))  # older than the event
    other_worker = make_app(ENCRYPTION_KEY=app.config["ENCRYPTION_KEY"][0]).test_client()
    response = other_worker.post("/webhooks/zoom", data=body, headers=headers)
    assert response.status_code == 200
    assert response.json == {"status": "duplicate"}
    assert connection_count(app) == 1


def test_a_deauthorization_older_than_the_connection_is_ignored(app, client, connected):
    """The staff member connected again after removing the app: that event is not about this
    connection."""
    body = deauthorization(age=60)
    response = client.post("/webhooks/zoom", data=body, headers=signed(body))
    assert response.status_code == 200
    assert response.json["deleted"] is False
    assert connection_count(app) == 1


def test_remembered_events_are_forgotten_once_they_are_stale(app, client, connected):
    with app.app_context():
        db.session.add(ProcessedWebhook(signature="v0=old",
                                        expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    body = deauthorization()
    headers = signed(body)
    client.post("/webhooks/zoom", data=body, headers=headers)
    with app.app_context():
        assert db.session.scalars(db.select(ProcessedWebhook.signature)).all() == [
            headers["x-zm-signature"]]

"""Key rotation: re-encrypt every secret at rest under the first key of ENCRYPTION_KEY."""
from __future__ import annotations

from .extensions import db
from .jobs import Kind
from .models import CalendarAccount, Job, WebhookEndpoint, ZoomConnection, ZoomSettings
from .security import rotate_secret


def rotate_secrets() -> dict[str, int]:
    """Re-encrypt every secret at rest under the first key; flushes, the caller commits."""
    counts = {"Zoom app secrets": 0, "Zoom token pairs": 0, "queued emails": 0,
              "calendar accounts": 0, "webhook secrets": 0}
    for settings in db.session.scalars(db.select(ZoomSettings)):
        for column in ("client_secret_encrypted", "secret_token_encrypted"):
            if getattr(settings, column):
                setattr(settings, column, rotate_secret(getattr(settings, column)))
                counts["Zoom app secrets"] += 1
    for connection in db.session.scalars(db.select(ZoomConnection)):
        connection.access_token_encrypted = rotate_secret(connection.access_token_encrypted)
        connection.refresh_token_encrypted = rotate_secret(connection.refresh_token_encrypted)
        counts["Zoom token pairs"] += 1
    # Queued emails keep a sealed message (send_email) or a guest's manage link (booking_email).
    for job in db.session.scalars(db.select(Job).where(
            Job.kind.in_([Kind.SEND_EMAIL, Kind.BOOKING_EMAIL]), Job.done_at.is_(None))):
        sealed = [key for key in ("sealed", "token") if key in job.payload]
        if sealed:
            job.payload = {**job.payload,
                           **{key: rotate_secret(job.payload[key]) for key in sealed}}
            counts["queued emails"] += 1
    # A calendar account's server or feed URL (a feed's is its secret) and its password.
    for account in db.session.scalars(db.select(CalendarAccount)):
        account.url_encrypted = rotate_secret(account.url_encrypted)
        if account.password_encrypted:
            account.password_encrypted = rotate_secret(account.password_encrypted)
        counts["calendar accounts"] += 1
    for endpoint in db.session.scalars(db.select(WebhookEndpoint)):
        endpoint.secret_encrypted = rotate_secret(endpoint.secret_encrypted)
        counts["webhook secrets"] += 1
    db.session.flush()
    return counts

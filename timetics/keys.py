"""Key rotation: re-encrypt every secret at rest under the first key of ENCRYPTION_KEY."""
from __future__ import annotations

from .extensions import db
from .mail import SEND_EMAIL
from .models import Job, ZoomConnection, ZoomSettings
from .security import rotate_secret


def rotate_secrets() -> dict[str, int]:
    """Re-encrypt every secret at rest under the first key; flushes, the caller commits."""
    counts = {"Zoom app secrets": 0, "Zoom token pairs": 0, "queued emails": 0}
    for settings in db.session.scalars(db.select(ZoomSettings)):
        for column in ("client_secret_encrypted", "secret_token_encrypted"):
            if getattr(settings, column):
                setattr(settings, column, rotate_secret(getattr(settings, column)))
                counts["Zoom app secrets"] += 1
    for connection in db.session.scalars(db.select(ZoomConnection)):
        connection.access_token_encrypted = rotate_secret(connection.access_token_encrypted)
        connection.refresh_token_encrypted = rotate_secret(connection.refresh_token_encrypted)
        counts["Zoom token pairs"] += 1
    for job in db.session.scalars(db.select(Job).where(Job.kind == SEND_EMAIL)):
        if "sealed" in job.payload:
            job.payload = {**job.payload, "sealed": rotate_secret(job.payload["sealed"])}
            counts["queued emails"] += 1
    db.session.flush()
    return counts

"""``Idempotency-Key`` on API writes: the first answer to a key is stored and replayed for 24
hours, so a client that lost the answer (a timeout, a dropped connection) can safely send the
same request again and learn what happened, without booking twice."""
from __future__ import annotations

import hashlib
from datetime import timedelta
from functools import wraps

from flask import Response, g, json, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..db import utcnow
from ..extensions import db
from ..models import IdempotentRequest
from .problems import ApiProblem, problem_response

HEADER = "Idempotency-Key"
WINDOW = timedelta(hours=24)
MAX_KEY_LENGTH = 200


def _fingerprint() -> str:
    what = b"\n".join([request.method.encode(), request.path.encode(), request.get_data()])
    return hashlib.sha256(what).hexdigest()


def _reserve(user_id: int, key: str, fingerprint: str) -> tuple[IdempotentRequest, bool]:
    """The stored request of this key (and False), or a new reservation of it (and True). The
    unique (user, key) index makes one of two concurrent first requests the owner."""
    now = utcnow()
    db.session.execute(delete(IdempotentRequest).where(
        IdempotentRequest.created_at < now - WINDOW))
    row = IdempotentRequest(user_id=user_id, key=key, fingerprint=fingerprint, created_at=now)
    db.session.add(row)
    try:
        db.session.commit()
        return row, True
    except IntegrityError:
        db.session.rollback()
    existing = db.session.scalar(select(IdempotentRequest).where(
        IdempotentRequest.user_id == user_id, IdempotentRequest.key == key))
    if existing is None:  # expired and purged between our insert and this read
        raise ApiProblem(409, "Another request with this Idempotency-Key just finished; "
                         "send it again.", kind="idempotency-conflict")
    return existing, False


def _replay(row: IdempotentRequest) -> Response:
    mimetype = "application/problem+json" if row.status_code >= 400 else "application/json"
    response = Response(json.dumps(row.response_body), status=row.status_code,
                        mimetype=mimetype)
    if row.response_location:
        response.headers["Location"] = row.response_location
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view):
    """Honour an Idempotency-Key on this write (for the token's user)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
            raise ApiProblem(400, f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII "
                             "characters.", invalid=(HEADER, "not a usable key."))
        fingerprint = _fingerprint()
        row, mine = _reserve(g.api_token.user_id, key, fingerprint)
        if not mine:
            if row.fingerprint != fingerprint:
                raise ApiProblem(422, f"This {HEADER} was used for another request.",
                                 kind="idempotency-key-reused", invalid=(HEADER, "already used."))
            if row.status_code is None:
                raise ApiProblem(409, f"The first request with this {HEADER} is still running.",
                                 kind="idempotency-conflict")
            return _replay(row)
        try:
            response = view(*args, **kwargs)
        except ApiProblem as problem:
            response = problem_response(problem)
        except BaseException:
            db.session.rollback()
            db.session.delete(db.session.merge(row))  # nothing was done: the key is free again
            db.session.commit()
            raise
        row = db.session.merge(row)
        row.status_code, row.response_body = response.status_code, response.get_json(force=True)
        row.response_location = response.headers.get("Location")
        db.session.commit()
        return response

    return wrapped

"""The REST API's routes. Each is declared with ``operation``, which also lists it for the
OpenAPI document (openapi.py) with the schemas it checks its input with."""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, Response, g, json, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..booking import services as booking_services
from ..booking.views import free_slots_between, slots_document
from ..dashboard.services import booking_by_reference, status_clause
from ..exceptions import SlotUnavailable, UndeliverableAddress
from ..extensions import csrf, db, limiter
from ..mail import refuse_undeliverable
from ..models import Booking, BookingStatus, MeetingType, User
from ..validation import zone_or_none
from . import schemas
from .idempotency import idempotent
from .problems import ApiProblem, problem_response
from .serialize import booking_json, meeting_type_json
from .tokens import authenticate

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Token-authenticated: no cookie is read here, so there is no session for a forged form to
# ride on, and CSRF tokens have nothing to protect.
csrf.exempt(bp)
# Like the public booking routes (booking/views.py): reads as the slots JSON, writes as booking.
limiter.limit("120 per minute")(bp)
WRITE_LIMIT = "20 per minute"
DEFAULT_PAGE = 50


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    answer: str  # a schema of schemas.RESPONSES
    status: int
    query: schemas.Schema | None
    body: schemas.Schema | None
    errors: tuple[int, ...]

    @property
    def writes(self) -> bool:
        return self.method == "POST"


OPERATIONS: list[Operation] = []


def operation(method: str, rule: str, *, summary: str, answer: str, status: int = 200,
              query: schemas.Schema | None = None, body: schemas.Schema | None = None,
              errors: tuple[int, ...] = ()) -> Callable:
    """Route ``method rule`` to the view, and describe it for the OpenAPI document."""

    def register(view: Callable) -> Callable:
        OPERATIONS.append(Operation(method, rule, view.__name__, summary, answer, status,
                                    query, body, errors))
        if method == "POST":
            view = limiter.limit(WRITE_LIMIT)(idempotent(view))
        return bp.route(rule, methods=[method], endpoint=view.__name__)(view)

    return register


# --- authentication: a Bearer token (RFC 6750), never the session cookie ----------------------

def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, "Send a personal API token: Authorization: Bearer <token>. "
                         "Tokens are made on your profile, under API tokens.",
                         headers={"WWW-Authenticate": 'Bearer realm="timetics"'})
    return token.strip()


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    token = authenticate(_bearer_token())
    if token is None:
        raise ApiProblem(401, "This API token is not valid: it was revoked, or mistyped.",
                         headers={"WWW-Authenticate": 'Bearer realm="timetics", '
                                                      'error="invalid_token"'})
    if request.method == "POST" and not token.can_write:
        raise ApiProblem(403, "This token may only read. Make a token with the scope "
                         "“read write” to change bookings.", kind="insufficient-scope",
                         headers={"WWW-Authenticate": 'Bearer realm="timetics", '
                                                      'error="insufficient_scope"'})
    g.api_token = token


def _user() -> User:
    return g.api_token.user


@bp.errorhandler(ApiProblem)
def _problem(problem: ApiProblem):
    return problem_response(problem)


def answer(body: dict, status: int = 200, **headers: str) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers.update(headers)
    return response


def _query(schema: schemas.Schema) -> dict:
    try:
        return schema.load(request.args)
    except schemas.InvalidInput as e:
        raise ApiProblem(400, f"{e.name}: {e.message}", invalid=(e.name, e.message)) from None


def _body(schema: schemas.Schema) -> dict:
    if request.content_length and not request.is_json:
        raise ApiProblem(415, "Send the body as JSON (Content-Type: application/json).")
    data = request.get_json(silent=True) if request.get_data() else {}
    if data is None:
        raise ApiProblem(400, "The body is not valid JSON.", invalid=("body", "not JSON."))
    try:
        return schema.load(data)
    except schemas.InvalidInput as e:
        raise ApiProblem(422, f"{e.name}: {e.message}", invalid=(e.name, e.message)) from None


# --- what a user may see: staff their own, admins everything ---------------------------------

def _meeting_types(user: User):
    query = select(MeetingType).options(selectinload(MeetingType.host)).order_by(MeetingType.name)
    return query if user.is_admin else query.where(MeetingType.host_id == user.id)


def _meeting_type_or_404(slug: str, *, field: str | None = None) -> MeetingType:
    meeting_type = db.session.scalar(_meeting_types(_user()).where(
        MeetingType.slug == slug[:80], MeetingType.active.is_(True)))
    if meeting_type is None:
        detail = "There is no active meeting type with this slug that you host."
        if field:
            raise ApiProblem(422, f"{field}: {detail}", invalid=(field, "no such meeting type."))
        raise ApiProblem(404, detail)
    return meeting_type


def _booking_or_404(reference: str) -> Booking:
    booking = booking_by_reference(_user(), reference)
    if booking is None:
        raise ApiProblem(404, "There is no booking with this reference that you may see.")
    return booking


# --- meeting types and slots --------------------------------------------------------------------

@operation("GET", "/meeting-types", summary="List meeting types", answer="MeetingTypeList")
def list_meeting_types():
    types = db.session.scalars(_meeting_types(_user()))
    return answer({"meeting_types": [meeting_type_json(t) for t in types]})


@operation("GET", "/meeting-types/<slug>/slots", summary="Free slots of a meeting type",
           answer="Slots", query=schemas.SLOT_RANGE, errors=(400, 404))
def meeting_type_slots(slug: str):
    meeting_type = _meeting_type_or_404(slug)
    args = _query(schemas.SLOT_RANGE)
    tz_name = args["tz"] or meeting_type.host.timezone
    try:
        found = free_slots_between(meeting_type, zone_or_none(tz_name), args["from"], args["to"])
    except ValueError as e:
        raise ApiProblem(400, f"to: {e}", invalid=("to", str(e))) from None
    return answer(slots_document(tz_name, found))


# --- bookings -------------------------------------------------------------------------------------

def _cursor(booking: Booking) -> str:
    raw = json.dumps([booking.start_at.isoformat(), booking.id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _after_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        start, booking_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(start).astimezone(UTC), int(booking_id)
    except (binascii.Error, ValueError, TypeError, AttributeError):
        raise ApiProblem(400, "cursor: not a cursor this API gave.",
                         invalid=("cursor", "not a cursor this API gave.")) from None


def _midnight_utc(day) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


@operation("GET", "/bookings", summary="List bookings (cursor paging, by start time)",
           answer="BookingList", query=schemas.BOOKING_FILTERS, errors=(400,))
def list_bookings():
    args = _query(schemas.BOOKING_FILTERS)
    user = _user()
    query = select(Booking).options(selectinload(Booking.attendees),
                                    selectinload(Booking.meeting_type),
                                    selectinload(Booking.host))
    if not user.is_admin:
        query = query.where(Booking.host_id == user.id)
    if args["host"]:
        query = query.where(Booking.host_id == args["host"])
    if args["meeting_type"]:
        query = query.join(MeetingType).where(MeetingType.slug == args["meeting_type"])
    if args["status"]:
        query = query.where(status_clause(args["status"]))
    if args["from"]:
        query = query.where(Booking.start_at >= _midnight_utc(args["from"]))
    if args["to"]:
        query = query.where(Booking.start_at < _midnight_utc(args["to"]) + timedelta(days=1))
    if args["cursor"]:
        start, booking_id = _after_cursor(args["cursor"])
        query = query.where((Booking.start_at > start) |
                            ((Booking.start_at == start) & (Booking.id > booking_id)))
    limit = args["limit"] or DEFAULT_PAGE
    rows = list(db.session.scalars(query.order_by(Booking.start_at, Booking.id)
                                   .limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return answer({"bookings": [booking_json(b) for b in rows],
                   "next_cursor": _cursor(rows[-1]) if more else None})


@operation("GET", "/bookings/<reference>", summary="Get a booking", answer="Booking",
           errors=(404,))
def get_booking(reference: str):
    return answer(booking_json(_booking_or_404(reference)))


@operation("POST", "/bookings", summary="Book a free slot for a guest", answer="Booking",
           status=201, body=schemas.NEW_BOOKING, errors=(400, 409, 415, 422))
def create_booking():
    data = _body(schemas.NEW_BOOKING)
    meeting_type = _meeting_type_or_404(data["meeting_type"], field="meeting_type")
    try:
        refuse_undeliverable(data["email"])
    except UndeliverableAddress as e:
        raise ApiProblem(422, f"email: {e}", invalid=("email", str(e))) from None
    try:
        result = booking_services.book_slot(
            meeting_type, start=data["start"], name=data["name"], email=data["email"],
            timezone=data["timezone"], notes=data["notes"] or "")
    except SlotUnavailable as e:
        raise ApiProblem(409, str(e), kind="slot-unavailable") from None
    booking = result.booking
    return answer(booking_json(booking), 201,
                  Location=url_for("api.get_booking", reference=booking.reference))


@operation("POST", "/bookings/<reference>/cancel", summary="Cancel a booking",
           answer="Booking", body=schemas.CANCEL, errors=(400, 404, 409, 415, 422))
def cancel_booking(reference: str):
    booking = _booking_or_404(reference)
    data = _body(schemas.CANCEL)
    if booking.status == BookingStatus.CANCELLED:
        raise ApiProblem(409, "This booking is already cancelled.", kind="already-cancelled")
    booking_services.cancel_booking(booking, by=_user(), message=data["message"] or "")
    return answer(booking_json(db.session.get(Booking, booking.id)))


@operation("POST", "/bookings/<reference>/reschedule", summary="Move a booking to a new time",
           answer="Booking", body=schemas.RESCHEDULE, errors=(400, 404, 409, 415, 422))
def reschedule_booking(reference: str):
    booking = _booking_or_404(reference)
    data = _body(schemas.RESCHEDULE)
    try:
        booking_services.move_booking(booking, data["start"], by=_user())
    except SlotUnavailable as e:
        raise ApiProblem(409, str(e), kind="slot-unavailable") from None
    return answer(booking_json(db.session.get(Booking, booking.id)))


@bp.get("/openapi.json")
def openapi_document():
    from .openapi import document

    return answer(document())


PUBLIC_ENDPOINTS = {"api.openapi_document"}

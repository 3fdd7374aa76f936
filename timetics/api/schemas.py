"""What the API takes and gives, written once: each schema checks input and describes itself as
JSON Schema for the OpenAPI document (openapi.py), so the two cannot drift apart."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..booking.views import parse_day, parse_start  # the one parser of dates and slot times
from ..validation import is_control_character, normalize_email, zone_or_none


class InvalidInput(ValueError):
    """One field of a request is wrong; ``message`` is fit to show."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


# --- checks: each takes the raw value and gives back the parsed one or raises ValueError -------

def _text(max_length: int, *, lines: bool = False) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be a string.")
        value = value.strip()
        if len(value) > max_length:
            raise ValueError(f"at most {max_length:,} characters.")
        allowed = "\r\n\t" if lines else ""
        if any(is_control_character(c) and c not in allowed for c in value):
            raise ValueError("remove the control characters.")
        return value
    return check


def _instant(value: Any) -> datetime:
    parsed = parse_start(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError("must be an ISO 8601 date-time with a zone, like 2030-01-07T14:00:00Z.")
    return parsed


def _day(value: Any) -> date:
    try:
        return parse_day(value)
    except (TypeError, ValueError):
        raise ValueError("must be a date written YYYY-MM-DD.") from None


def _zone(value: Any) -> str:
    if not isinstance(value, str) or zone_or_none(value) is None:
        raise ValueError("must be an IANA time zone such as Europe/Berlin.")
    return value


def _email(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 254:
        raise ValueError("must be an email address of at most 254 characters.")
    try:
        return normalize_email(value)
    except ValueError:
        raise ValueError("must be a valid email address, like name@example.com.") from None


def _positive_int(maximum: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
            raise ValueError(f"must be a whole number from 1 to {maximum}.")
        return value
    return check


def _one_of(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"must be one of: {', '.join(choices)}.")
        return value
    return check


@dataclass(frozen=True)
class Field:
    name: str
    json_schema: dict
    check: Callable[[Any], Any]
    required: bool = False
    description: str = ""


def text(name: str, max_length: int, *, required: bool = False, lines: bool = False,
         description: str = "") -> Field:
    return Field(name, {"type": "string", "maxLength": max_length},
                 _text(max_length, lines=lines), required, description)


def instant(name: str, *, required: bool = False, description: str = "") -> Field:
    return Field(name, {"type": "string", "format": "date-time"}, _instant, required,
                 description)


def day(name: str, description: str = "") -> Field:
    return Field(name, {"type": "string", "format": "date"}, _day, False, description)


def zone(name: str, *, required: bool = False, description: str = "") -> Field:
    return Field(name, {"type": "string", "maxLength": 64}, _zone, required, description)


def email(name: str, *, required: bool = False) -> Field:
    return Field(name, {"type": "string", "format": "email", "maxLength": 254}, _email,
                 required)


def number(name: str, maximum: int, description: str = "") -> Field:
    return Field(name, {"type": "integer", "minimum": 1, "maximum": maximum},
                 _positive_int(maximum), False, description)


def choice(name: str, *choices: str, description: str = "") -> Field:
    return Field(name, {"type": "string", "enum": list(choices)}, _one_of(*choices), False,
                 description)


@dataclass(frozen=True)
class Schema:
    """A request body or a set of query parameters: named fields, checked one by one."""

    name: str
    fields: tuple[Field, ...]
    description: str = ""

    def load(self, data: Mapping[str, Any] | None) -> dict[str, Any]:
        """The checked values of the fields present (None for absent optional ones), or
        InvalidInput naming the first field that is wrong."""
        if not isinstance(data, Mapping):
            raise InvalidInput("body", "must be a JSON object.")
        values = {}
        for f in self.fields:
            raw = data.get(f.name)
            if raw is None or raw == "":
                if f.required:
                    raise InvalidInput(f.name, "is required.")
                values[f.name] = None
                continue
            try:
                values[f.name] = f.check(raw)
            except ValueError as e:
                raise InvalidInput(f.name, str(e)) from None
            if f.required and values[f.name] == "":
                raise InvalidInput(f.name, "is required.")
        return values

    def json_schema(self) -> dict:
        properties = {}
        for f in self.fields:
            properties[f.name] = {**f.json_schema,
                                  **({"description": f.description} if f.description else {})}
        schema = {"type": "object", "properties": properties}
        required = [f.name for f in self.fields if f.required]
        if required:
            schema["required"] = required
        if self.description:
            schema["description"] = self.description
        return schema

    def parameters(self) -> list[dict]:
        """The fields as OpenAPI query parameters."""
        return [{"name": f.name, "in": "query", "required": f.required,
                 "schema": f.json_schema, **({"description": f.description}
                                             if f.description else {})}
                for f in self.fields]


# --- requests ---------------------------------------------------------------------------------

NEW_BOOKING = Schema("NewBooking", (
    text("meeting_type", 80, required=True, description="The meeting type's slug."),
    instant("start", required=True, description="A free slot's start (UTC or with an offset)."),
    zone("timezone", required=True, description="The guest's IANA time zone, for emails."),
    text("name", 200, required=True),
    email("email", required=True),
    text("notes", 2000, lines=True),
), "A booking as a guest makes it on the booking page.")

RESCHEDULE = Schema("Reschedule", (
    instant("start", required=True, description="The new start: a free slot of the host."),
), "The whole booking, every guest with it, moves to another free time.")

CANCEL = Schema("Cancel", (
    text("message", 2000, lines=True, description="Told to the guests by email."),
), "The whole booking is cancelled and the guests are told.")

BOOKING_STATUSES = ("confirmed", "cancelled", "pending")
MAX_PAGE = 100

BOOKING_FILTERS = Schema("BookingFilters", (
    day("from", "Bookings starting on or after this day (UTC)."),
    day("to", "Bookings starting on or before this day (UTC)."),
    choice("status", *BOOKING_STATUSES,
           description="pending: waiting for the host's approval, or for its Zoom meeting; "
                       "confirmed: not waiting for the host."),
    number("host", 2**31 - 1, "The host's user id."),
    text("meeting_type", 80, description="A meeting type's slug."),
    text("cursor", 200, description="next_cursor of the previous page."),
    number("limit", MAX_PAGE, "Bookings per page (default 50)."),
))

SLOT_RANGE = Schema("SlotRange", (
    day("from", "First day, in tz (default today)."),
    day("to", "Last day, in tz, inclusive (default from + 6 days; at most 62 days)."),
    zone("tz", description="IANA zone the days are in (default the host's)."),
))


# --- answers (described only: the code that writes them is serialize.py) ----------------------

NULLABLE_STRING = {"type": ["string", "null"]}
INSTANT = {"type": "string", "format": "date-time"}

RESPONSES: dict[str, dict] = {
    "Guest": {"type": "object", "required": ["name", "email", "timezone", "status"],
              "properties": {"name": {"type": "string"}, "email": {"type": "string"},
                             "timezone": {"type": "string"}, "notes": {"type": "string"},
                             "status": {"type": "string", "enum": ["confirmed", "cancelled"]}}},
    "Booking": {
        "type": "object",
        "required": ["reference", "status", "meeting_type", "host", "start", "end", "guests",
                     "zoom", "created"],
        "properties": {
            "reference": {"type": "string"},
            "status": {"type": "string", "enum": ["confirmed", "cancelled", "pending"],
                       "description": "pending: a request waiting for the host's approval."},
            "approval": {"type": "string",
                         "enum": ["none", "requested", "accepted", "declined"]},
            "meeting_type": {"type": "object", "properties": {
                "slug": {"type": "string"}, "name": {"type": "string"}}},
            "host": {"type": "object", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"},
                "email": {"type": "string"}}},
            "start": INSTANT, "end": INSTANT,
            "capacity": {"type": "integer"},
            "guests": {"type": "array", "items": {"$ref": "#/components/schemas/Guest"}},
            "zoom": {"type": "object", "properties": {
                "state": {"type": "string"}, "join_url": NULLABLE_STRING,
                "meeting_id": NULLABLE_STRING}},
            "created": INSTANT,
            "cancelled": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "BookingList": {"type": "object", "required": ["bookings", "next_cursor"], "properties": {
        "bookings": {"type": "array", "items": {"$ref": "#/components/schemas/Booking"}},
        "next_cursor": NULLABLE_STRING}},
    "MeetingType": {"type": "object", "required": ["slug", "name"], "properties": {
        "slug": {"type": "string"}, "name": {"type": "string"},
        "duration_minutes": {"type": "integer"},
        "kind": {"type": "string", "enum": ["one_to_one", "one_to_many"]},
        "capacity": {"type": "integer"}, "location": {"type": "string"},
        "active": {"type": "boolean"}, "host": {"type": "object"},
        "description": {"type": "string"}}},
    "MeetingTypeList": {"type": "object", "required": ["meeting_types"], "properties": {
        "meeting_types": {"type": "array",
                          "items": {"$ref": "#/components/schemas/MeetingType"}}}},
    "Slots": {"type": "object", "required": ["timezone", "slots"], "properties": {
        "timezone": {"type": "string"},
        "slots": {"type": "array", "items": {"type": "object", "properties": {
            "start": INSTANT, "end": INSTANT, "remaining": {"type": "integer"}}}}}},
    "Event": {"type": "object", "required": ["id", "type", "created", "data"], "properties": {
        "id": {"type": "string", "description": "The same on every retry of this event."},
        "type": {"type": "string", "description": "One of the webhooks' names, or `test`: "
                 "Send test's event, whose booking is a made-up sample (reference "
                 "`SAMPLE01`, host id 0), never a real one."},
        "created": INSTANT,
        "data": {"type": "object", "required": ["booking"], "properties": {
            "booking": {"$ref": "#/components/schemas/Booking"},
            "guest": {"$ref": "#/components/schemas/Guest",
                      "description": "Only on booking.cancelled when one guest cancelled "
                                     "their own place: that guest."}}}}},
    "Problem": {
        "type": "object", "required": ["type", "title", "status"],
        "description": "RFC 9457 problem details.",
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"},
            "status": {"type": "integer"}, "detail": {"type": "string"},
            "invalid_params": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "reason": {"type": "string"}}}}}},
}

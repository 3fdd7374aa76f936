"""The one JSON form of a booking and a meeting type: what the API answers and what outgoing
webhooks carry (schemas.RESPONSES describes it for the OpenAPI document)."""
from __future__ import annotations

from datetime import datetime

from ..booking.views import iso_utc
from ..dashboard.services import shown_guests
from ..models import Attendee, Booking, MeetingType


def _instant(value: datetime | None) -> str | None:
    return iso_utc(value) if value else None


def booking_json(booking: Booking) -> dict:
    """A booking with its guests, times in UTC, and its Zoom meeting's state and link."""
    return {
        "reference": booking.reference,
        "status": booking.shown_status,
        "approval": booking.approval.value,
        "meeting_type": {"slug": booking.meeting_type.slug, "name": booking.meeting_type.name},
        "host": {"id": booking.host.id, "name": booking.host.name, "email": booking.host.email},
        "start": iso_utc(booking.start_at),
        "end": iso_utc(booking.end_at),
        "capacity": booking.capacity,
        "guests": [guest_json(a) for a in shown_guests(booking)],
        "zoom": {"state": booking.zoom_state.value, "join_url": booking.zoom_join_url,
                 "meeting_id": booking.zoom_meeting_id},
        "created": iso_utc(booking.created_at),
        "cancelled": _instant(booking.cancelled_at),
    }


def guest_json(attendee: Attendee) -> dict:
    return {"name": attendee.name, "email": attendee.email, "timezone": attendee.timezone,
            "notes": attendee.notes, "status": attendee.status.value}


def meeting_type_json(meeting_type: MeetingType) -> dict:
    return {
        "slug": meeting_type.slug,
        "name": meeting_type.name,
        "duration_minutes": meeting_type.duration_minutes,
        "kind": meeting_type.kind.value,
        "capacity": meeting_type.capacity,
        "location": meeting_type.location.value,
        "active": meeting_type.active,
        "host": {"id": meeting_type.host.id, "name": meeting_type.host.name},
        "description": meeting_type.description,
    }

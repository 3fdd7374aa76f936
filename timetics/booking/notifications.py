"""The emails a booking sends: confirmation, cancellation and new time, to guest and host.

Each recipient reads times in their own zone, and gets an .ics with the same UID for the life of
the booking. Sent after the commit; a failed send is logged and never undoes the booking. The
emails of one change go out over one SMTP connection.
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app

from ..auth.services import external_url
from ..ics import Invitation, booking_uid, build_ics
from ..mail import Attachment, one_connection, send_email
from ..models import Attendee, Booking

logger = logging.getLogger(__name__)


def manage_url(booking: Booking, token: str) -> str:
    """The guest's secret link: view, reschedule, cancel. Always built on EXTERNAL_URL."""
    return external_url("booking.manage", reference=booking.reference, token=token)


def _invitation(booking: Booking, attendees: list[Attendee]) -> Invitation:
    meeting_type = booking.meeting_type
    host = booking.host
    lines = [f"{meeting_type.name} with {host.name}.", f"Reference: {booking.reference}"]
    if booking.zoom_join_url:
        lines.append(f"Join Zoom meeting: {booking.zoom_join_url}")
    return Invitation(
        uid=booking_uid(booking.reference, current_app.config["EXTERNAL_URL"]),
        sequence=booking.sequence,
        summary=f"{meeting_type.name} with {host.name}",
        description="\n".join(lines),
        start=booking.start_at,
        end=booking.end_at,
        organizer_name=host.name,
        organizer_email=host.email,
        attendees=tuple((a.name, a.email) for a in attendees),
        location=booking.zoom_join_url,
        url=booking.zoom_join_url,
    )


def _ics(booking: Booking, attendees: list[Attendee], method: str) -> tuple[Attachment, ...]:
    data = build_ics(_invitation(booking, attendees), method=method)
    name = "cancel.ics" if method == "CANCEL" else "invite.ics"
    return (Attachment(name, f"text/calendar; method={method}; charset=UTF-8", data),)


def _send(to: str, subject: str, template: str, attachments, *, booking: Booking,
          **context) -> bool:
    # A booking's emails are never dropped: what SMTP refuses waits in the outbox.
    return send_email(to, subject, f"email/{template}", attachments, queue_on_failure=True,
                      booking_id=booking.id, booking=booking, **context)


@one_connection()
def send_confirmation(booking: Booking, attendee: Attendee, token: str) -> bool:
    """Confirmation to the new guest and to the host. True when both went out."""
    title = booking.meeting_type.name
    invitation = _ics(booking, [attendee], "REQUEST")  # the same event for both sides
    guest_ok = _send(
        attendee.email, f"Confirmed: {title} with {booking.host.name}", "booking_confirmed_guest",
        invitation, booking=booking, attendee=attendee,
        zone=attendee.timezone, manage_url=manage_url(booking, token),
    )
    host_ok = _send(
        booking.host.email, f"New booking: {title} with {attendee.name}",
        "booking_confirmed_host", invitation,
        booking=booking, attendee=attendee, zone=booking.host.timezone,
    )
    return guest_ok and host_ok


@one_connection()
def send_cancellation(booking: Booking, attendees: list[Attendee], *, by_host: bool,
                      booking_ended: bool) -> bool:
    """Tell the guests who lost their place, and the host."""
    title = booking.meeting_type.name
    ok = True
    for attendee in attendees:
        ok &= _send(
            attendee.email, f"Cancelled: {title} with {booking.host.name}",
            "booking_cancelled_guest", _ics(booking, [attendee], "CANCEL"),
            booking=booking, attendee=attendee, zone=attendee.timezone, by_host=by_host,
        )
    names = ", ".join(a.name for a in attendees)
    ok &= _send(
        booking.host.email, f"Cancelled: {title} with {names}", "booking_cancelled_host",
        _ics(booking, attendees, "CANCEL") if booking_ended else (),
        booking=booking, attendees=attendees, zone=booking.host.timezone, by_host=by_host,
        booking_ended=booking_ended,
    )
    return ok


@one_connection()
def send_rescheduled(booking: Booking, attendee: Attendee, old_start: datetime,
                     token: str) -> bool:
    """The new time, to the guest and the host, with a higher SEQUENCE in the .ics."""
    title = booking.meeting_type.name
    invitation = _ics(booking, [attendee], "REQUEST")
    guest_ok = _send(
        attendee.email, f"New time: {title} with {booking.host.name}",
        "booking_rescheduled_guest", invitation,
        booking=booking, attendee=attendee, zone=attendee.timezone, old_start=old_start,
        manage_url=manage_url(booking, token),
    )
    host_ok = _send(
        booking.host.email, f"New time: {title} with {attendee.name}",
        "booking_rescheduled_host", invitation,
        booking=booking, attendee=attendee, zone=booking.host.timezone, old_start=old_start,
    )
    return guest_ok and host_ok


@one_connection()
def send_zoom_link(booking: Booking) -> bool:
    """The follow-up once a Zoom meeting that failed at first exists: to every guest and the
    host, with an updated .ics that now holds the link."""
    title = booking.meeting_type.name
    attendees = [a for a in booking.attendees if a.status.value == "confirmed"]
    ok = True
    for attendee in attendees:
        ok &= _send(attendee.email, f"Zoom link: {title} with {booking.host.name}",
                    "zoom_link_ready", _ics(booking, [attendee], "REQUEST"), booking=booking,
                    name=attendee.name, zone=attendee.timezone)
    ok &= _send(booking.host.email, f"Zoom link: {title} ({booking.reference})",
                "zoom_link_ready", _ics(booking, attendees, "REQUEST"), booking=booking,
                name=booking.host.name, zone=booking.host.timezone)
    return ok

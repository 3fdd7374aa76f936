"""Shared set-up for booking tests: a host with hours, meeting types, and a future weekday."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from timetics.booking.services import new_reference
from timetics.extensions import db
from timetics.models import (
    Attendee,
    AvailabilityRule,
    Booking,
    BookingStatus,
    Location,
    MeetingKind,
    MeetingType,
    User,
)
from timetics.security import hash_token, new_token


@dataclass(frozen=True)
class Setup:
    host_id: int
    host_email: str
    one_to_one: str  # slugs
    group: str


def create_booking_setup(app, make_user, *, host_zone: str = "America/New_York",
                         location: Location = Location.NONE, reminders: str = "",
                         remind_host: bool = False) -> Setup:
    """Reminders are off unless a test asks for them: the outbox counts that other tests check
    would otherwise include jobs due days later."""
    host = make_user(name="Hana Host", email="host@example.com", timezone=host_zone)
    with app.app_context():
        user = db.session.get(User, host.id)
        for weekday in range(5):
            user.availability_rules.append(
                AvailabilityRule(weekday=weekday, start_minute=9 * 60, end_minute=17 * 60))
        db.session.add_all([
            MeetingType(name="Intro call", slug="intro-call", host=user, duration_minutes=30,
                        kind=MeetingKind.ONE_TO_ONE, capacity=1, location=location,
                        min_notice_minutes=60, window_days=60, description="A first chat.",
                        reminder_offsets=reminders, remind_host=remind_host),
            MeetingType(name="Group session", slug="group-session", host=user,
                        duration_minutes=60, kind=MeetingKind.ONE_TO_MANY, capacity=5,
                        location=location, min_notice_minutes=60, window_days=60,
                        reminder_offsets=reminders, remind_host=remind_host),
        ])
        db.session.commit()
    return Setup(host.id, host.email, "intro-call", "group-session")


def weekday_ahead(weekday: int = 2, min_days: int = 3, zone: str = "America/New_York") -> date:
    """The first such weekday (0 = Monday) at least ``min_days`` from today in ``zone``."""
    day = datetime.now(ZoneInfo(zone)).date() + timedelta(days=min_days)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0, zone: str = "America/New_York") -> datetime:
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def csrf_of(html: str) -> str | None:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    return match.group(1) if match else None


def session_csrf(client) -> str:
    """A CSRF token for this client's session (any page with a form carries it)."""
    return csrf_of(client.get("/login").get_data(as_text=True))


def book(client, slug: str, start: datetime, *, name="Gina Guest", email="gina@example.com",
         timezone="Asia/Tokyo", notes="Looking forward!", **overrides):
    """Open the form for ``start`` like a browser would, then confirm it."""
    page = client.get(f"/book/{slug}?tz={timezone}&start={iso(start)}")
    token = csrf_of(page.get_data(as_text=True)) or session_csrf(client)
    data = {"csrf_token": token, "start": iso(start),
            "timezone": timezone, "name": name, "email": email, "notes": notes}
    data.update(overrides)
    return client.post(f"/book/{slug}", data=data)


def manage_path(response) -> str:
    location = response.headers["Location"]
    assert location.startswith("/bookings/"), location
    return location


def add_booking(app, slug: str, start: datetime, *, name: str = "Old Guest",
                email: str = "old@example.com", status=BookingStatus.CONFIRMED) -> str:
    """A booking row as the booking flow leaves it, for times the public page cannot book
    (the past) or in numbers; returns its reference."""
    with app.app_context():
        meeting_type = db.session.scalar(db.select(MeetingType).filter_by(slug=slug))
        booking = Booking(reference=new_reference(), meeting_type=meeting_type,
                          host_id=meeting_type.host_id, start_at=start,
                          end_at=start + timedelta(minutes=meeting_type.duration_minutes),
                          status=status)
        booking.attendees.append(Attendee(name=name, email=email, timezone="UTC",
                                          manage_token_hash=hash_token(new_token()),
                                          status=status))
        db.session.add(booking)
        db.session.commit()
        return booking.reference

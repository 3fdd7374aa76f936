"""Bench data, written through the app's models into the database the environment names.

    python bench/seed.py hosts          # 49 more hosts (50 with the demo staff member) and the
                                        # bench-booking meeting type the booking load uses
    python bench/seed.py clear          # delete every booking (attendees and jobs cascade)
    python bench/seed.py grow --total N # add bookings until there are N

Growth bookings follow one fixed plan (seeded random): each host gets distinct half-hour starts
in its Monday-Friday 09:00-17:00 hours, spread over a year centred on today, and the plan takes
the hosts in turn, so any prefix of it (100, 10,000, 100,000) is spread over the year and over
all 50 hosts. Rows go in with Core executemany, thousands per statement.
"""
from __future__ import annotations

import argparse
import hashlib
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select

from timetics import create_app
from timetics.extensions import db
from timetics.models import (
    Attendee,
    AvailabilityRule,
    Booking,
    BookingStatus,
    Job,
    Location,
    MeetingKind,
    MeetingType,
    Role,
    User,
    ZoomState,
)

HOSTS = 50  # the demo staff member and 49 bench hosts
MAX_BOOKINGS = 100_000
HOST_ZONE = "America/New_York"  # the demo staff member's zone (seed-demo's default)
BOOKING_SLUG = "bench-booking"
DEMO_STAFF_EMAIL = "staff@example.com"
DEMO_SLUG = "intro-call"
SEED = 7
BATCH = 5_000


def add_hosts() -> None:
    """The 49 bench hosts, each with working hours and a meeting type, and bench-booking."""
    staff = db.session.scalar(select(User).where(User.email == DEMO_STAFF_EMAIL))
    for n in range(1, HOSTS):
        host = User(email=f"bench-host-{n:02d}@example.com", name=f"Bench Host {n:02d}",
                    role=Role.STAFF, timezone=HOST_ZONE)
        host.availability_rules = [AvailabilityRule(weekday=d, start_minute=9 * 60,
                                                    end_minute=17 * 60) for d in range(5)]
        db.session.add(host)
        db.session.add(MeetingType(name=f"Call with host {n:02d}", slug=f"bench-host-{n:02d}",
                                   host=host, duration_minutes=30, location=Location.NONE))
    # The booking load's own meeting type: like intro-call (same host, Zoom, 30 minutes) but a
    # year-long window, so that no run can use up its free slots.
    db.session.add(MeetingType(name="Bench booking", slug=BOOKING_SLUG, host=staff,
                               duration_minutes=30, kind=MeetingKind.ONE_TO_ONE,
                               location=Location.ZOOM, min_notice_minutes=60, window_days=365))
    db.session.commit()
    print(f"Added {HOSTS - 1} bench hosts and the {BOOKING_SLUG} meeting type.")


def clear_bookings() -> None:
    db.session.execute(delete(Job))
    db.session.execute(delete(Attendee))
    db.session.execute(delete(Booking))
    db.session.commit()
    print("Deleted every booking.")


def _hosts() -> list[tuple[int, int, int]]:
    """(host id, meeting type id, duration) for the demo staff member and the bench hosts."""
    demo = db.session.scalar(select(MeetingType).where(MeetingType.slug == DEMO_SLUG))
    bench = db.session.scalars(select(MeetingType).where(MeetingType.slug.like("bench-host-%"))
                               .order_by(MeetingType.slug)).all()
    return [(t.host_id, t.id, t.duration_minutes) for t in [demo, *bench]]


def _working_starts(first: date, days: int, zone: ZoneInfo) -> list[datetime]:
    """Every half-hour start of Monday-Friday 09:00-17:00 in ``zone``, as UTC."""
    starts = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for half_hour in range(18, 34):
            local = datetime.combine(day, time(half_hour // 2, 30 * (half_hour % 2)), zone)
            starts.append(local.astimezone(UTC))
    return starts


def growth_plan() -> list[tuple[int, int, datetime, datetime]]:
    """The fixed list of (host, meeting type, start, end) that ``grow`` takes a prefix of."""
    rng = random.Random(SEED)  # noqa: S311 (a repeatable plan, not a secret)
    today = date.today()
    candidates = _working_starts(today - timedelta(days=182), 365, ZoneInfo(HOST_ZONE))
    per_host = MAX_BOOKINGS // HOSTS
    columns = []
    for host_id, type_id, minutes in _hosts():
        length = timedelta(minutes=minutes)
        columns.append([(host_id, type_id, start, start + length)
                        for start in rng.sample(candidates, per_host)])
    return [column[i] for i in range(per_host) for column in columns]


def grow(total: int) -> None:
    have = db.session.scalar(select(func.count(Booking.id)))
    plan = growth_plan()[have:total]
    first_id = (db.session.scalar(select(func.max(Booking.id))) or 0) + 1
    now = datetime.now(UTC)
    connection = db.session.connection()
    for at in range(0, len(plan), BATCH):
        bookings, attendees = [], []
        for i, (host_id, type_id, start, end) in enumerate(plan[at:at + BATCH], start=at):
            booking_id = first_id + i
            bookings.append({
                "id": booking_id, "reference": f"G{booking_id:09d}", "meeting_type_id": type_id,
                "host_id": host_id, "start_at": start, "end_at": end, "capacity": 1,
                "status": BookingStatus.CONFIRMED, "sequence": 0, "zoom_state": ZoomState.NONE,
                "created_at": now,
            })
            attendees.append({
                "booking_id": booking_id, "name": f"Guest {booking_id}",
                "email": f"guest-{booking_id}@example.com", "timezone": HOST_ZONE, "notes": "",
                "status": BookingStatus.CONFIRMED, "created_at": now,
                "manage_token_hash": hashlib.sha256(f"growth-{booking_id}".encode()).hexdigest(),
            })
        connection.execute(insert(Booking.__table__), bookings)
        connection.execute(insert(Attendee.__table__), attendees)
    db.session.commit()
    print(f"Added {len(plan)} bookings: {have + len(plan)} in all.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("hosts")
    commands.add_parser("clear")
    grow_parser = commands.add_parser("grow")
    grow_parser.add_argument("--total", type=int, required=True)
    args = parser.parse_args()
    with create_app().app_context():
        if args.command == "hosts":
            add_hosts()
        elif args.command == "clear":
            clear_bookings()
        else:
            grow(min(args.total, MAX_BOOKINGS))


if __name__ == "__main__":
    main()

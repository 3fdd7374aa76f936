"""`make bench`, the calendars figure (issue 22): slots for a host whose calendar holds 5,000
events (50 of them weekly series with a moved and a deleted occurrence), as a ratio to the
same host without calendars; and what syncing those events costs.

In-process, on a fresh migrated SQLite database in a temporary folder; the calendar is an iCal
feed served over loopback and synced as the job runner does. Writes bench/CALENDARS.md.
"""
from __future__ import annotations

import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
from cryptography.fernet import Fernet
from flask_migrate import upgrade
from werkzeug.wrappers import Request, Response

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timetics import create_app  # noqa: E402
from timetics.calendars import services  # noqa: E402
from timetics.extensions import db  # noqa: E402
from timetics.models import AvailabilityRule, BusyTime, MeetingType, Role, User  # noqa: E402
from zoom_sandbox import BackgroundServer  # noqa: E402

RESULTS = ROOT / "bench" / "CALENDARS.md"
ZONE = "America/New_York"
EVENTS, SERIES, DAYS = 5_000, 50, 365
ROUNDS, REQUESTS = 5, 60
TARGET = 1.3


def feed_body(today: date) -> bytes:
    """5,000 events over the next year: 50 weekly series (each with one occurrence moved and
    one deleted) and single events of 30-90 minutes in working hours."""
    rng = random.Random(22)  # noqa: S311 (made-up events, the same every run)
    zone = ZoneInfo(ZONE)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//bench//EN")
    calendar.add("version", "2.0")
    for n in range(SERIES):
        first = datetime.combine(today + timedelta(days=1 + n % 7), datetime.min.time(),
                                 zone).replace(hour=8 + n % 9)
        master = icalendar.Event()
        master.add("uid", f"series-{n}")
        master.add("dtstart", first)
        master.add("dtend", first + timedelta(minutes=45))
        master.add("rrule", {"freq": "weekly", "count": 52})
        master.add("exdate", first + timedelta(weeks=3))
        calendar.add_component(master)
        moved = icalendar.Event()
        moved.add("uid", f"series-{n}")
        moved.add("recurrence-id", first + timedelta(weeks=5))
        moved.add("dtstart", first + timedelta(weeks=5, hours=1))
        moved.add("dtend", first + timedelta(weeks=5, hours=1, minutes=45))
        calendar.add_component(moved)
    for n in range(EVENTS - SERIES):
        day = today + timedelta(days=rng.randrange(1, DAYS))
        start = datetime.combine(day, datetime.min.time(), zone).replace(
            hour=rng.randrange(8, 18), minute=rng.choice((0, 15, 30, 45)))
        event = icalendar.Event()
        event.add("uid", f"single-{n}")
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=rng.choice((30, 60, 90))))
        calendar.add_component(event)
    return calendar.to_ical()


def make_app(folder: Path):
    """Two identical hosts and meeting types: "with" will have the calendar, "without" not."""
    app = create_app({
        "SECRET_KEY": "bench-" + "x" * 40, "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
        "ANSWER_CACHE_SECONDS": 0, "RATELIMIT_ENABLED": False,
        "CALENDAR_ALLOWED_HOSTS": "127.0.0.1", "MAIL_SUPPRESS_SEND": True,
    }, instance_path=str(folder))
    with app.app_context():
        upgrade()
        for slug in ("with", "without"):
            host = User(email=f"{slug}@example.com", name=slug, role=Role.STAFF, timezone=ZONE)
            for weekday in range(5):
                host.availability_rules.append(AvailabilityRule(
                    weekday=weekday, start_minute=8 * 60, end_minute=18 * 60))
            db.session.add(MeetingType(name="Call", slug=slug, host=host, duration_minutes=30,
                                       min_notice_minutes=0, window_days=DAYS))
        db.session.commit()
    return app


def median_ms(client, url: str) -> float:
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.get_data(as_text=True)
    return statistics.median(times) * 1000


def sync_feed(app, url: str) -> tuple[float, float, int]:
    """Add the feed to the "with" host and sync it: seconds, the process's peak memory
    (MiB, all of this script until then), and busy times stored."""
    with app.app_context():
        host = db.session.scalar(db.select(User).where(User.email == "with@example.com"))
        started = time.perf_counter()
        services.add_feed(host, url=url)  # reads the feed and stores its busy times
        db.session.commit()
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        stored = db.session.scalar(db.select(db.func.count(BusyTime.id)))
    return seconds, peak, stored


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        today = datetime.now(UTC).date()
        body = feed_body(today)
        served = BackgroundServer(Request.application(
            lambda request: Response(body, content_type="text/calendar"))).start()
        try:
            seconds, peak, stored = sync_feed(app, served.url + "/calendar.ics")
        finally:
            served.stop()
        client = app.test_client()
        first = today + timedelta(days=14)
        query = f"/slots?from={first}&to={first + timedelta(days=6)}&tz={ZONE}"
        median_ms(client, "/book/with" + query)  # warm-up
        rounds = {"with": [], "without": []}
        for _ in range(ROUNDS):  # in turns, so that other load falls on both alike
            for slug in rounds:
                rounds[slug].append(median_ms(client, f"/book/{slug}{query}"))
        with_ms, without_ms = (statistics.median(rounds[s]) for s in ("with", "without"))
        report(seconds, peak, stored, with_ms, without_ms)


def report(seconds: float, peak: float, stored: int, with_ms: float, without_ms: float) -> None:
    ratio = with_ms / without_ms
    lines = [
        "# Calendars benchmark (issue 22)", "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{platform.machine()}, `make bench` (bench/calendars.py).", "",
        f"A host's iCal feed of {EVENTS:,} events over {DAYS} days ({SERIES} weekly series, "
        "each with one occurrence moved and one deleted), against an identical host without "
        "calendars; `GET /book/<slug>/slots` for one week, in-process, answer cache off, "
        f"median of {ROUNDS} rounds of {REQUESTS} requests.", "",
        "| figure | value |", "|---|---|",
        f"| sync of the feed (fetch, expand, store) | {seconds:.2f} s |",
        f"| the process's peak memory after the sync | {peak:.0f} MiB |",
        f"| busy times stored | {stored:,} |",
        f"| slots without calendars | {without_ms:.2f} ms |",
        f"| slots with the calendar | {with_ms:.2f} ms |",
        f"| ratio (target ≤ {TARGET}×) | **{ratio:.2f}×** |", "",
        "Below 1× where the events leave fewer free slots to compute and send: the busy times "
        "cost one indexed range read (a week's pieces, stored per host and start) in the same "
        "sweep as the bookings.", "",
    ]
    text = "\n".join(lines)
    print(text)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()

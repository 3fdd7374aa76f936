"""Bookings per day and per week: counted in the host's zone, no longer offered once reached
(page and slots JSON), and refused by Confirm booking."""
import logging
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import update

from timetics.extensions import db
from timetics.models import Booking, BookingStatus, MeetingType

from ..booking_helpers import (
    add_booking,
    at,
    book,
    create_booking_setup,
    csrf_of,
    iso,
    manage_path,
    weekday_ahead,
)
from ..conftest import post_form
from .test_concurrency import RACERS, TIMEOUT, assert_quiet_logs, race
from .test_meeting_types import values


@pytest.fixture
def setup(app, make_user):
    return create_booking_setup(app, make_user)


def limit(app, slug: str, per_day: int | None = None, per_week: int | None = None) -> None:
    with app.app_context():
        meeting_type = db.session.scalar(db.select(MeetingType).filter_by(slug=slug))
        meeting_type.bookings_per_day, meeting_type.bookings_per_week = per_day, per_week
        db.session.commit()


def starts_on(client, slug: str, day, tz: str = "America/New_York") -> list[str]:
    answer = client.get(f"/book/{slug}/slots?from={day}&to={day}&tz={tz}")
    assert answer.status_code == 200
    return [s["start"] for s in answer.json["slots"]]


def test_the_admin_sets_and_clears_the_limits(app, as_admin, make_user):
    host = make_user(name="Hana Host")
    post_form(as_admin, "/meeting-types/new",
              values(host, bookings_per_day="4", bookings_per_week="12"))
    page = as_admin.get("/meeting-types/new").get_data(as_text=True)
    assert '<label for="bookings_per_day">Bookings per day</label>' in page
    assert '<label for="bookings_per_week">Bookings per week</label>' in page
    with app.app_context():
        saved = db.session.scalar(db.select(MeetingType))
        assert (saved.bookings_per_day, saved.bookings_per_week) == (4, 12)
        type_id = saved.id
    post_form(as_admin, f"/meeting-types/{type_id}", values(host, bookings_per_day="",
                                                           bookings_per_week=""))
    with app.app_context():
        saved = db.session.get(MeetingType, type_id)
        assert (saved.bookings_per_day, saved.bookings_per_week) == (None, None)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("bookings_per_day", "0", "Between 1 and 1000."),
    ("bookings_per_week", "-3", "Between 1 and 5000."),
    ("bookings_per_day", "four", "Not a valid integer value."),
])
def test_a_bad_limit_is_explained(app, as_admin, make_user, field, value, message):
    response = post_form(as_admin, "/meeting-types/new",
                         values(make_user(name="Hana Host"), **{field: value}))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(MeetingType.id))) == 0


def test_a_full_day_is_no_longer_offered_and_cannot_be_booked(client, setup, app):
    """Two a day: after two bookings the page and the JSON offer nothing more that day (the
    next day still), and a post for a time that day is refused."""
    limit(app, "intro-call", per_day=2)
    day = weekday_ahead()
    manage_path(book(client, "intro-call", at(day, 9)))
    assert iso(at(day, 16)) in starts_on(client, "intro-call", day)
    manage_path(book(client, "intro-call", at(day, 13), email="ann@example.com"))
    assert starts_on(client, "intro-call", day) == []
    page = client.get(f"/book/intro-call?date={day}&tz=America/New_York").get_data(as_text=True)
    assert f'data-start="{iso(at(day, 16))}"' not in page
    assert iso(at(day + timedelta(days=1), 9)) in starts_on(client, "intro-call",
                                                             day + timedelta(days=1))
    refused = book(client, "intro-call", at(day, 16), email="late@example.com")
    assert refused.status_code == 409
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 2


def test_the_day_is_the_hosts_day_not_the_guests(client, setup, app):
    """The host is in New York; 09:00 and 16:30 there are the same New York day but two
    different days in Tokyo. A guest in Tokyo still finds that New York day full."""
    limit(app, "intro-call", per_day=1)
    day = weekday_ahead()
    manage_path(book(client, "intro-call", at(day, 9), timezone="Asia/Tokyo"))
    late = at(day, 16, 30)
    tokyo_day = late.astimezone(ZoneInfo("Asia/Tokyo")).date()
    assert tokyo_day == day + timedelta(days=1)
    assert starts_on(client, "intro-call", tokyo_day, tz="Asia/Tokyo")  # the next NY day
    assert iso(late) not in starts_on(client, "intro-call", tokyo_day, tz="Asia/Tokyo")


def test_a_full_week_is_no_longer_offered(client, setup, app):
    """Three a week (Monday to Sunday in the host's zone): the rest of that week closes, the
    next Monday opens."""
    limit(app, "intro-call", per_week=3)
    monday = weekday_ahead(0)
    for hour in (9, 10):
        add_booking(app, "intro-call", at(monday, hour), email=f"g{hour}@example.com")
    add_booking(app, "intro-call", at(monday, 11), status=BookingStatus.CANCELLED)
    assert starts_on(client, "intro-call", monday + timedelta(days=4))  # cancelled: not counted
    manage_path(book(client, "intro-call", at(monday + timedelta(days=2), 9)))
    for offset in range(5):
        assert starts_on(client, "intro-call", monday + timedelta(days=offset)) == []
    assert starts_on(client, "intro-call", monday + timedelta(days=7))


def test_guests_still_join_a_group_booking_on_a_full_day(client, setup, app):
    """The limit counts bookings (sessions): a group session with room still takes guests,
    but no new session starts that day."""
    limit(app, "group-session", per_day=1)
    day = weekday_ahead()
    manage_path(book(client, "group-session", at(day, 10)))
    assert starts_on(client, "group-session", day) == [iso(at(day, 10))]
    manage_path(book(client, "group-session", at(day, 10), email="ann@example.com"))
    assert book(client, "group-session", at(day, 14), email="bo@example.com").status_code == 409


def test_a_reschedule_within_the_day_does_not_count_the_booking_twice(client, setup, app):
    limit(app, "intro-call", per_day=1)
    day = weekday_ahead()
    path = manage_path(book(client, "intro-call", at(day, 9)))
    reference, token = path.split("/bookings/")[1].split("?token=")
    page = client.get(f"/bookings/{reference}/reschedule?token={token}&date={day}"
                      f"&tz=America/New_York").get_data(as_text=True)
    assert f'data-start="{iso(at(day, 15))}"' in page


def test_twenty_guests_racing_for_the_last_place_of_a_day_get_one_booking(zoom_site, setup,
                                                                          caplog):
    """Three a day, two taken: twenty guests confirm twenty different times of that day at
    once (no unique index can stop them, only the booking transaction's count). Exactly one
    gets it; the others a clean 409 and a page that no longer offers that day."""
    caplog.set_level(logging.WARNING)
    app, url = zoom_site.app, zoom_site.url
    limit(app, "intro-call", per_day=3)
    with app.app_context():
        db.session.execute(update(MeetingType).values(step_minutes=15))
        db.session.commit()
    day = weekday_ahead()
    add_booking(app, "intro-call", at(day, 9))
    add_booking(app, "intro-call", at(day, 9, 30))
    starts = [at(day, 10) + timedelta(minutes=15 * i) for i in range(RACERS)]

    def open_form(i: int) -> tuple[requests.Session, str]:
        session = requests.Session()
        page = session.get(f"{url}/book/intro-call?tz=America/New_York&start={iso(starts[i])}",
                           timeout=TIMEOUT)
        assert page.status_code == 200, page.text
        return session, csrf_of(page.text)

    def confirm(i: int, prepared: tuple[requests.Session, str]) -> requests.Response:
        session, token = prepared
        with session:
            return session.post(f"{url}/book/intro-call", allow_redirects=False,
                                timeout=TIMEOUT, data={
                                    "csrf_token": token, "start": iso(starts[i]),
                                    "timezone": "America/New_York", "name": f"Guest {i}",
                                    "email": f"guest{i}@example.com"})

    responses = race(RACERS, open_form, confirm)
    assert Counter(r.status_code for r in responses) == {302: 1, 409: RACERS - 1}
    for response in responses:
        assert "database is locked" not in response.text
        if response.status_code == 409:
            assert not any(f'data-start="{iso(s)}"' in response.text for s in starts)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id)).where(
            Booking.status == BookingStatus.CONFIRMED)) == 3
    assert_quiet_logs(caplog)

"""Bad input on the public pages gets a clear 4xx message, never a 500."""
from datetime import timedelta

import pytest

from timetics.extensions import db
from timetics.models import Booking, MeetingType

from ..booking_helpers import (
    at,
    book,
    create_booking_setup,
    iso,
    manage_path,
    session_csrf,
    weekday_ahead,
)


@pytest.fixture
def setup(app, make_user):
    return create_booking_setup(app, make_user)


def test_a_wrong_or_missing_manage_token_is_404_and_says_nothing_more(client, setup):
    path = manage_path(book(client, "intro-call", at(weekday_ahead(), 10)))
    reference, token = path.split("/bookings/")[1].split("?token=")
    answers = [
        client.get(f"/bookings/{reference}?token=forged"),
        client.get(f"/bookings/{reference}"),
        client.get(f"/bookings/NOSUCHREF1?token={token}"),
        client.get("/bookings/NOSUCHREF1?token=forged"),
        client.get(f"/bookings/{reference}/cancel?token=forged"),
        client.post(f"/bookings/{reference}/cancel?token=forged"),
        client.get(f"/bookings/{reference}/reschedule?token={'x' * 500}"),
    ]
    bodies = set()
    for response in answers:
        assert response.status_code in (404, 400), response.status_code
        bodies.add(response.get_data(as_text=True).split("<main")[1])
    assert len({b for b in bodies if "not valid" in b}) == 1


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (lambda day: at(day + timedelta(days=(5 - day.weekday()) % 7), 10), "not available"),
        (lambda day: at(day, 3), "not available"),  # outside the hours
        (lambda day: at(day, 10, 7), "not available"),  # not on the slot grid
        (lambda day: at(day, 10) - timedelta(days=30), "not available"),  # in the past
        (lambda day: at(day, 10) + timedelta(days=90), "not available"),  # past the window
    ],
)
def test_a_time_that_is_not_a_free_slot_is_refused(client, setup, app, when, message):
    """Never offered (a Saturday, 03:00, off the grid, past, beyond the window): not
    available, never "just taken", which is for a time someone else took."""
    start = when(weekday_ahead())
    response = book(client, "intro-call", start)
    assert response.status_code == 409
    assert message in response.get_data(as_text=True)
    assert "just taken" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "N" * 201, "At most 200 characters."),
        ("name", "", "Tell us your name."),
        ("notes", "n" * 2001, "At most 2,000 characters."),
        ("email", "not-an-email", "Enter a valid email address"),
        ("email", "a@b", "Enter a valid email address"),
        ("email", "", "We need your email"),
    ],
)
def test_bad_form_fields_are_explained_and_keep_what_was_typed(client, setup, app, field, value,
                                                               message):
    response = book(client, "intro-call", at(weekday_ahead(), 10), **{field: value},
                    **({"name": "Keep Me"} if field != "name" else {}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    if field != "name":
        assert 'value="Keep Me"' in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 0


@pytest.mark.parametrize("start", ["yesterday", "2026-13-01T10:00:00Z", "x" * 100])
def test_a_malformed_start_is_a_400_with_the_booking_page(client, setup, start):
    response = client.post("/book/intro-call", data={
        "csrf_token": session_csrf(client), "start": start, "timezone": "UTC",
        "name": "Gina", "email": "gina@example.com"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "not a valid ISO 8601 instant" in html
    assert "data-start=" in html  # the slots to pick from, not a bare error page


def test_a_naive_start_without_zone_is_refused(client, setup):
    response = client.get("/book/intro-call?start=2030-01-07T10:00:00")
    assert response.status_code == 400


@pytest.mark.parametrize("page", ["/book/intro-call/slots", "/book/intro-call", "reschedule"])
def test_an_unknown_zone_is_a_400_that_does_not_repeat_it(client, setup, page):
    """The slots JSON, the booking page and the reschedule page say so, without echoing it."""
    query = {"tz": "Olympus_Mons<script>alert(1)</script>"}
    if page == "reschedule":
        path = manage_path(book(client, "intro-call", at(weekday_ahead(), 10)))
        reference, query["token"] = path.split("/bookings/")[1].split("?token=")
        page = f"/bookings/{reference}/reschedule"
    response = client.get(page, query_string=query)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Unknown time zone." in body
    assert "Olympus" not in body


def test_an_unknown_zone_in_the_form_is_refused(client, setup):
    response = book(client, "intro-call", at(weekday_ahead(), 10), timezone="Mars/Olympus_Mons")
    assert response.status_code in (400, 422)


@pytest.mark.parametrize("value", ["2030-02-30", "tomorrow", "2030-1-1x"])
def test_a_bad_date_on_the_page_is_a_400(client, setup, value):
    response = client.get(f"/book/intro-call?date={value}")
    assert response.status_code == 400
    assert "is not a date" in response.get_data(as_text=True)


def test_a_slot_that_is_gone_answers_409_on_the_page(client, setup, app):
    day = weekday_ahead()
    book(app.test_client(), "intro-call", at(day, 10))
    response = client.get(f"/book/intro-call?start={iso(at(day, 10))}")
    assert response.status_code == 409
    assert "no longer available" in response.get_data(as_text=True)


def test_unknown_and_inactive_meeting_types_are_a_friendly_404(client, setup, app):
    assert client.get("/book/no-such-type").status_code == 404
    with app.app_context():
        db.session.scalar(db.select(MeetingType).where(MeetingType.slug == "intro-call")
                          ).active = False
        db.session.commit()
    response = client.get("/book/intro-call")
    assert response.status_code == 404
    assert "not taking bookings" in response.get_data(as_text=True)
    assert client.get("/book/intro-call/slots").status_code == 404


def test_slots_json_defaults_and_shape(client, setup):
    response = client.get("/book/intro-call/slots")
    assert response.status_code == 200
    body = response.json
    assert body["timezone"] == "America/New_York"
    assert body["slots"], "a week always has weekdays with hours"
    first = body["slots"][0]
    assert set(first) == {"start", "end", "remaining"}
    assert first["start"].endswith("Z") and first["remaining"] == 1


def test_slots_json_range_is_inclusive_in_the_guests_zone(client, setup):
    day = weekday_ahead()
    body = client.get(f"/book/intro-call/slots?from={day}&to={day}&tz=America/New_York").json
    assert [s["start"] for s in body["slots"]][0] == iso(at(day, 9))
    assert [s["start"] for s in body["slots"]][-1] == iso(at(day, 16, 30))
    assert len(body["slots"]) == 16


@pytest.mark.parametrize(
    "query",
    ["from=2030-02-30", "from=2030-01-10&to=2030-01-09", "from=2030-01-01&to=2030-03-05",
     "tz=Nowhere/Land", "from=yesterday", "to=2030-01-01T00:00"],
)
def test_slots_json_refuses_bad_queries_with_a_json_error(client, setup, query):
    response = client.get(f"/book/intro-call/slots?{query}")
    assert response.status_code == 400
    assert response.is_json and response.json["error"]


def test_slots_json_takes_up_to_62_days(client, setup):
    assert client.get("/book/intro-call/slots?from=2030-01-01&to=2030-03-03").status_code == 200
    assert client.get("/book/intro-call/slots?from=2030-01-01&to=2030-03-04").status_code == 400


@pytest.mark.parametrize(
    "query",
    ["month=0001-01", "date=0001-01-01", "date=9999-12-31", "month=9999-12",
     "start=0001-01-01T00:00:00Z", "start=9999-12-31T23:59:59Z"],
)
def test_dates_at_the_ends_of_the_calendar_are_a_400(client, setup, query):
    assert client.get(f"/book/intro-call?{query}").status_code == 400


@pytest.mark.parametrize("query",
                         ["from=9999-12-25&to=9999-12-31", "from=0001-01-01&to=0001-01-05"])
def test_slots_json_refuses_dates_at_the_ends_of_the_calendar(client, setup, query):
    response = client.get(f"/book/intro-call/slots?{query}")
    assert response.status_code == 400 and response.json["error"]


def test_a_guest_who_lost_the_race_keeps_what_they_typed(client, setup, app):
    day = weekday_ahead()
    form = client.get(f"/book/intro-call?tz=UTC&start={iso(at(day, 10))}")  # the form is open
    assert book(app.test_client(), "intro-call", at(day, 10)).status_code == 302  # someone else
    lost = book(client, "intro-call", at(day, 10), name="Lou Later", email="lou@example.com",
                notes="Second try")
    assert lost.status_code == 409 and "That time was just taken." in lost.get_data(as_text=True)
    assert form.status_code == 200
    again = client.get(f"/book/intro-call?tz=UTC&start={iso(at(day, 11))}").get_data(as_text=True)
    assert 'value="Lou Later"' in again and 'value="lou@example.com"' in again
    assert "Second try" in again
    assert book(client, "intro-call", at(day, 11), name="Lou Later",
                email="lou@example.com").status_code == 302
    fresh = client.get(f"/book/intro-call?tz=UTC&start={iso(at(day, 12))}").get_data(as_text=True)
    assert "Lou Later" not in fresh  # kept only until it was booked

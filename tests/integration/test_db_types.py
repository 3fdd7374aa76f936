"""UTCDateTime: aware datetimes in, the same instants out, in UTC, on SQLite and PostgreSQL."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from timetics.extensions import db
from timetics.models import Booking

from ..booking_helpers import create_booking_setup


@pytest.fixture
def booking_id(app, make_user):
    create_booking_setup(app, make_user)
    tokyo = datetime(2030, 3, 5, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Tokyo"))
    with app.app_context():
        booking = Booking(reference="TESTREF001", meeting_type_id=1, host_id=1,
                          start_at=tokyo, end_at=tokyo.replace(hour=10))
        db.session.add(booking)
        db.session.commit()
        return booking.id


def test_an_instant_comes_back_the_same_and_in_utc(app, booking_id):
    with app.app_context():
        start = db.session.scalar(db.select(Booking.start_at).where(Booking.id == booking_id))
    assert start == datetime(2030, 3, 5, 0, 30, 15, 123456, tzinfo=UTC)
    assert start.tzinfo is UTC


def test_text_written_by_other_hands_is_read_too(app, booking_id, postgres):
    """On SQLite the column is text: the sqlite3 shell may write it without fractions, with a
    T, or with an offset of its own."""
    if postgres is not None:
        pytest.skip("PostgreSQL's timestamp column takes no free text")
    for written, meant in (
        ("2030-03-05 00:30:00", datetime(2030, 3, 5, 0, 30, tzinfo=UTC)),
        ("2030-03-05T00:30:00", datetime(2030, 3, 5, 0, 30, tzinfo=UTC)),
        ("2030-03-05T09:30:00+09:00", datetime(2030, 3, 5, 0, 30, tzinfo=UTC)),
    ):
        with app.app_context():
            db.session.execute(text("UPDATE bookings SET cancelled_at = :v WHERE id = :id"),
                               {"v": written, "id": booking_id})
            db.session.commit()
            read = db.session.scalar(
                db.select(Booking.cancelled_at).where(Booking.id == booking_id))
        assert read == meant and read.tzinfo is UTC, written

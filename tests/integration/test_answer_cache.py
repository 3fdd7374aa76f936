"""The answer cache: public booking answers are reused only while they are still true."""
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from timetics.answer_cache import Answer, AnswerCache
from timetics.extensions import db
from timetics.models import DateOverride

from ..booking_helpers import at, book, create_booking_setup, csrf_of, iso, weekday_ahead
from ..conftest import csrf_token, login


@pytest.fixture
def setup(app, make_user):
    return create_booking_setup(app, make_user)


@pytest.fixture
def statements(app):
    """The SQL statements the app runs, as a list the test can clear and count."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn, cursor, statement, *args: seen.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    yield seen
    event.remove(engine, "before_cursor_execute", listener)


@pytest.fixture
def clock(monkeypatch):
    """The app's "now", set by the test: [value]."""
    from timetics import answer_cache
    from timetics.booking import availability, services, views
    now = [at(weekday_ahead(), 12)]
    for module in (answer_cache, availability, services, views):
        monkeypatch.setattr(module, "utcnow", lambda: now[0])
    return now


@pytest.fixture
def exact_versions(postgres):
    """Tests that count reuse: SQLite's data_version moves only with commits to this
    database. PostgreSQL's
    snapshot moves with any transaction in the cluster (other databases, autovacuum), so there
    reuse depends on traffic elsewhere; never staleness, which the other tests check on both."""
    if postgres is not None:
        pytest.skip("on PostgreSQL whether an answer is reused depends on the whole cluster")


def slots_url(day) -> str:
    return f"/book/intro-call/slots?from={day}&to={day}&tz=America/New_York"


def starts(client, day) -> list[str]:
    response = client.get(slots_url(day))
    assert response.status_code == 200
    return [slot["start"] for slot in response.get_json()["slots"]]


def reading_statements(seen: list[str]) -> list[str]:
    # PostgreSQL's version check is a statement; everything else is the answer's own work.
    return [s for s in seen if "pg_current_snapshot" not in s]


def test_an_unchanged_answer_is_served_without_querying_again(client, setup, statements,
                                                              exact_versions):
    day = weekday_ahead()
    first = client.get(slots_url(day))
    assert reading_statements(statements), "the first answer runs the queries"
    statements.clear()
    again = client.get(slots_url(day))
    assert again.get_json() == first.get_json()
    assert reading_statements(statements) == []
    page = client.get("/book/intro-call?tz=America/New_York")
    statements.clear()
    assert client.get("/book/intro-call?tz=America/New_York").data == page.data
    assert reading_statements(statements) == []


def test_a_booking_leaves_no_stale_slot_behind(client, setup):
    day = weekday_ahead()
    ten = iso(at(day, 10))
    assert ten in starts(client, day)
    page = f"/book/intro-call?date={day}&tz=America/New_York"
    assert f'data-start="{ten}"' in client.get(page).get_data(as_text=True)
    assert book(client, "intro-call", at(day, 10)).status_code == 302
    assert ten not in starts(client, day)
    assert f'data-start="{ten}"' not in client.get(page).get_data(as_text=True)


def test_a_change_made_by_another_worker_is_seen_at_once(app, make_app, setup):
    """Another process (here: another app with its own engine) writes; this one's next
    answer shows it, on SQLite and on PostgreSQL alike."""
    day = weekday_ahead()
    client = app.test_client()
    assert starts(client, day)
    other = make_app()
    with other.app_context():
        db.session.add(DateOverride(user_id=setup.host_id, day=day))  # the whole day off
        db.session.commit()
    assert starts(client, day) == []
    with other.app_context():
        db.session.execute(db.delete(DateOverride))
        db.session.commit()
    assert iso(at(day, 9)) in starts(client, day)
    assert book(other.test_client(), "intro-call", at(day, 9)).status_code == 302
    assert iso(at(day, 9)) not in starts(client, day)


def test_a_slot_entering_the_minimum_notice_is_not_served_from_the_cache(
        client, setup, statements, clock, postgres):
    """Intro call: 60 minutes' notice. At 07:59:30 the 09:00 slot is free; 40 seconds later
    (well within ANSWER_CACHE_SECONDS) it is not, though nothing was written."""
    day = weekday_ahead()
    clock[0] = at(day, 7, 59) + timedelta(seconds=30)
    assert starts(client, day)[0] == iso(at(day, 9))
    statements.clear()
    assert starts(client, day)[0] == iso(at(day, 9))
    if postgres is None:  # see exact_versions
        assert reading_statements(statements) == [], "still true: served from the cache"
    clock[0] += timedelta(seconds=40)
    assert starts(client, day)[0] == iso(at(day, 9, 30))


def test_answers_expire_after_answer_cache_seconds(client, setup, statements, clock,
                                                   exact_versions):
    day = weekday_ahead()
    clock[0] = at(day - timedelta(days=2), 12)
    starts(client, day)
    clock[0] += timedelta(seconds=59)
    statements.clear()
    starts(client, day)
    assert reading_statements(statements) == []
    clock[0] += timedelta(seconds=2)
    starts(client, day)
    assert reading_statements(statements), "older than 60 s: computed again"


def test_answer_cache_seconds_zero_computes_every_answer(make_app, make_user):
    app = make_app(ANSWER_CACHE_SECONDS=0)
    create_booking_setup(app, make_user)
    day = weekday_ahead()
    client = app.test_client()
    counted: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *args: counted.append(statement))
    for _ in range(2):
        counted.clear()
        assert starts(client, day)
        assert reading_statements(counted)


def test_a_page_with_the_booking_form_is_never_shared(app, setup):
    """The form carries the visitor's own CSRF token: two guests get two tokens."""
    day = weekday_ahead()
    url = f"/book/intro-call?tz=America/New_York&start={iso(at(day, 10))}"
    first, second = app.test_client(), app.test_client()

    def session_token(client) -> str:
        # A form's token is "<the session's token>.<timestamp>.<signature>": the timestamp
        # changes with the second the page was made in, the session's token does not.
        return csrf_of(client.get(url).get_data(as_text=True)).split(".")[0]

    token_one = session_token(first)
    assert session_token(first) == token_one  # the session keeps it
    token_two = session_token(second)
    assert token_one and token_two and token_one != token_two


def test_a_guest_who_only_looks_gets_no_cookie(client, setup):
    day = weekday_ahead()
    for url in (f"/book/intro-call?date={day}", slots_url(day)):
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200
            assert "Set-Cookie" not in response.headers


def test_signed_in_staff_and_guests_never_see_each_others_page(app, setup, admin):
    guest, staff = app.test_client(), app.test_client()
    url = "/book/intro-call?tz=America/New_York"
    assert "Log out" not in guest.get(url).get_data(as_text=True)
    login(staff, admin.email)
    assert "Log out" in staff.get(url).get_data(as_text=True)
    assert "Log out" in staff.get(url).get_data(as_text=True)
    assert "Log out" not in guest.get(url).get_data(as_text=True)


def test_a_flashed_message_is_shown_once_not_cached(app, setup, admin):
    """A session carrying a flash gets a page of its own, and the next visitor does not see it."""
    staff = app.test_client()
    login(staff, admin.email)
    staff.post("/logout", data={"csrf_token": csrf_token(
        staff.get("/dashboard").get_data(as_text=True))})
    url = "/book/intro-call?tz=America/New_York"
    assert "You are logged out." in staff.get(url).get_data(as_text=True)
    assert "You are logged out." not in staff.get(url).get_data(as_text=True)
    assert "You are logged out." not in app.test_client().get(url).get_data(as_text=True)


def test_the_cache_keeps_a_bounded_number_of_answers():
    cache = AnswerCache(max_entries=2)
    now = at(weekday_ahead(), 12)
    answer = Answer(1, now + timedelta(seconds=60), b"{}", "application/json")
    for key in ("a", "b", "c"):
        cache.put((key,), answer)
    assert len(cache) == 2
    assert cache.get(("a",), 1, now) is None
    assert cache.get(("c",), 1, now) is answer
    assert cache.get(("c",), 2, now) is None, "another database version: gone"
    assert cache.get(("b",), 1, now + timedelta(seconds=60)) is None, "expired: gone"


def test_after_a_change_one_thread_computes_for_all_who_ask_at_once(app, setup, statements,
                                                                    exact_versions):
    """Eight guests ask for the same slots while the database is slow (0.3 s per bookings
    query): the query runs once and all eight get the same, right answer."""
    import threading
    import time

    day = weekday_ahead()
    with app.app_context():
        engine = db.engine

    def slow_bookings_query(conn, cursor, statement, *args):
        if "FROM bookings" in statement:
            time.sleep(0.3)

    event.listen(engine, "before_cursor_execute", slow_bookings_query)
    barrier, answers = threading.Barrier(8), []

    def ask():
        client = app.test_client()
        barrier.wait()
        answers.append(starts(client, day))

    try:
        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        event.remove(engine, "before_cursor_execute", slow_bookings_query)
    assert len(answers) == 8 and answers[0][0] == iso(at(day, 9))
    assert all(answer == answers[0] for answer in answers)
    assert sum("FROM bookings" in s for s in statements) == 1


def test_only_one_thread_at_a_time_computes_an_answer_for_a_version():
    cache = AnswerCache()
    event, mine = cache.claim(("a",), 1)
    assert mine and not event.is_set()
    assert cache.claim(("a",), 1) == (event, False), "the same version: wait for the first"
    newer, mine_too = cache.claim(("a",), 2)
    assert mine_too and newer is not event, "a newer version is computed afresh"
    cache.done(("a",), event)
    assert event.is_set() and not newer.is_set()
    cache.done(("a",), newer)
    assert cache.claim(("a",), 2)[1], "done: the next miss computes again"


def test_any_commit_even_to_a_column_added_later_invalidates_the_answers(app, make_app, setup,
                                                                        statements, postgres):
    """One rule, with no list of tables or columns to keep: a migration adds a column to
    bookings (one a later page might show), a service writes it, and the next answer is
    computed afresh. Migration 0002's triggers watched named booking columns only."""
    url = "/book/intro-call?tz=America/New_York"
    assert book(app.test_client(), "intro-call", at(weekday_ahead(), 10)).status_code == 302
    client = app.test_client()  # a guest who only looks
    client.get(url)
    statements.clear()
    client.get(url)
    if postgres is None:  # see exact_versions
        assert reading_statements(statements) == [], "an unchanged page comes from the cache"
    other = make_app()  # another worker process: its own connections
    with other.app_context():
        db.session.execute(text("ALTER TABLE bookings ADD COLUMN room VARCHAR(80)"))
        db.session.commit()
        statements.clear()
        db.session.execute(text("UPDATE bookings SET room = 'Room 2'"))
        db.session.commit()
    client.get(url)
    assert any("meeting_types" in s for s in statements), "computed afresh after the write"


def test_a_write_from_outside_the_app_is_seen_at_once(app, setup, postgres):
    """An operator renames the meeting type with SQL, not through the app."""
    url = "/book/intro-call?tz=America/New_York"
    client = app.test_client()
    assert "Intro call" in client.get(url).get_data(as_text=True)
    rename = "UPDATE meeting_types SET name = 'First chat' WHERE slug = 'intro-call'"
    if postgres is None:
        path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        with sqlite3.connect(path) as connection:  # the sqlite3 shell's way in
            connection.execute(rename)
    else:
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(text(rename))
    page = client.get(url).get_data(as_text=True)
    assert "First chat" in page and "Intro call" not in page

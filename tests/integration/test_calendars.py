"""The host's own calendars (issue 22): a CalDAV account on a real Radicale server and an iCal
feed over loopback HTTP block the slots their events take, as ``GET /book/<slug>/slots``
shows."""
from __future__ import annotations

import re
import socket
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic, sleep
from zoneinfo import ZoneInfo

import icalendar
import pytest

from timetics import jobs
from timetics.calendars import sync
from timetics.extensions import db
from timetics.models import BusyTime, CalendarAccount, Job, MeetingType

from ..booking_helpers import at, book, create_booking_setup, iso, weekday_ahead
from ..conftest import assert_not_stored, login, post_form
from ..radicale import PASSWORD, USER, vcalendar, vevent

NY = "America/New_York"


@pytest.fixture
def app_config(app_config):
    app_config["CALENDAR_ALLOWED_HOSTS"] = "127.0.0.1"
    return app_config


@pytest.fixture
def host(app, make_user, client):
    setup = create_booking_setup(app, make_user)
    login(client, setup.host_email)
    return setup


def tab(host) -> str:
    return f"/staff/{host.host_id}/calendars"


def add_caldav(client, host, url, *, password=PASSWORD):
    return post_form(client, tab(host) + "/caldav",
                     {"server_url": url, "username": USER, "password": password},
                     page=tab(host))


def tick(client, host, *names, bookings_to=None):
    """Tick these calendars' Check for conflicts (and choose where bookings go)."""
    html = client.get(tab(host)).get_data(as_text=True)
    ids = [re.search(rf'data-calendar="{name}">.*?name="check" value="(\d+)"', html,
                     re.S).group(1) for name in names]
    data = {"check": ids}
    if bookings_to:
        data["bookings_to"] = re.search(rf'<option value="(\d+)"[^>]*>{bookings_to}<',
                                        html).group(1)
    return post_form(client, tab(host) + "/choices", data, page=tab(host))


def slot_starts(client, first: date, last: date | None = None) -> set[str]:
    response = client.get(f"/book/intro-call/slots?from={first}&to={last or first}&tz={NY}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return {slot["start"] for slot in response.get_json()["slots"]}


def connected(client, host, radicale, *calendars: str):
    for name in calendars:
        radicale.make_calendar(name)
    assert add_caldav(client, host, radicale.url).status_code == 302
    tick(client, host, *calendars)


# --- adding calendars ---------------------------------------------------------------------------

def test_a_caldav_account_is_found_from_the_server_root(app, client, host, radicale):
    radicale.make_calendar("Work")
    radicale.make_calendar("Family")
    response = add_caldav(client, host, radicale.url)
    assert response.status_code == 302
    page = client.get(tab(host)).get_data(as_text=True)
    assert "Work" in page and "Family" in page and "Check for conflicts" in page
    assert "Add new bookings to" in page
    assert_not_stored(app, PASSWORD)  # encrypted at rest


def test_discovery_falls_back_to_the_well_known_address(client, host, radicale):
    """A URL with no CalDAV principal of its own: /.well-known/caldav (RFC 6764) leads on."""
    radicale.make_calendar("Work")
    assert add_caldav(client, host, radicale.url + "nothing/here/").status_code == 302
    assert "Work" in client.get(tab(host)).get_data(as_text=True)


def test_a_wrong_password_is_said_plainly(app, client, host, radicale):
    radicale.make_calendar("Work")
    response = add_caldav(client, host, radicale.url, password="wrong")
    assert response.status_code == 422
    assert "The server refused this username and password" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CalendarAccount.id))) == 0


def test_a_server_that_is_not_there_is_said_plainly(client, host, radicale):
    radicale.stop()
    response = add_caldav(client, host, radicale.url)
    assert response.status_code == 422
    assert "could not be reached" in response.get_data(as_text=True)


# --- busy times: each kind of event blocks exactly what it should -------------------------------

def test_a_single_event_blocks_its_slots_with_the_buffers(app, client, host, radicale):
    with app.app_context():
        db.session.execute(db.update(MeetingType).values(buffer_after_minutes=15))
        db.session.commit()
    day = weekday_ahead()
    connected(client, host, radicale, "Work")
    before = slot_starts(client, day)
    radicale.calendar("Work").add_event(vcalendar(vevent("dentist", at(day, 10), at(day, 11))))
    post_form(client, tab(host) + f"/{account_id(app)}/sync", {}, page=tab(host))
    after = slot_starts(client, day)
    # 09:30 now ends (with its 15-minute buffer) inside the event; 11:00 starts as it ends.
    assert before - after == {iso(at(day, 9, 30)), iso(at(day, 10)), iso(at(day, 10, 30))}
    assert iso(at(day, 11)) in after


def account_id(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(CalendarAccount.id))


def test_a_weekly_event_with_a_moved_and_a_deleted_occurrence(client, host, radicale):
    day = weekday_ahead()
    weeks = [day + timedelta(weeks=n) for n in range(4)]
    local = lambda d, h: f";TZID={NY}:{d:%Y%m%d}T{h:02d}0000"  # noqa: E731
    master = vevent("standup", local(day, 13), local(day, 14),
                    extra=f"RRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE;TZID={NY}:{weeks[2]:%Y%m%d}T130000\r\n")
    moved = vevent("standup", local(weeks[1], 15), local(weeks[1], 16),
                   extra=f"RECURRENCE-ID;TZID={NY}:{weeks[1]:%Y%m%d}T130000\r\n")
    timezone = icalendar.Timezone.from_tzid(NY).to_ical().decode()
    radicale.make_calendar("Work").add_event(vcalendar(master, moved, timezones=timezone))
    connected_existing(client, host, radicale, "Work")
    starts = slot_starts(client, weeks[0], weeks[3])
    assert iso(at(weeks[0], 13)) not in starts
    assert iso(at(weeks[1], 13)) in starts and iso(at(weeks[1], 15)) not in starts
    assert iso(at(weeks[2], 13)) in starts  # deleted
    assert iso(at(weeks[3], 13)) not in starts and iso(at(weeks[3], 15)) in starts


def connected_existing(client, host, radicale, *calendars: str):
    assert add_caldav(client, host, radicale.url).status_code == 302
    tick(client, host, *calendars)


def test_an_all_day_event_blocks_the_host_s_whole_day(client, host, radicale):
    day = weekday_ahead()
    event = vevent("holiday", f";VALUE=DATE:{day:%Y%m%d}",
                   f";VALUE=DATE:{day + timedelta(days=1):%Y%m%d}")
    radicale.make_calendar("Work").add_event(vcalendar(event))
    connected_existing(client, host, radicale, "Work")
    assert slot_starts(client, day) == set()
    assert slot_starts(client, day + timedelta(days=1))


def next_eu_change(after: date) -> date:
    """The first day after ``after`` on which Berlin changes its clocks."""
    berlin = ZoneInfo("Europe/Berlin")
    day = after
    while datetime.combine(day, time(12), berlin).utcoffset() == \
            datetime.combine(day + timedelta(days=1), time(12), berlin).utcoffset():
        day += timedelta(days=1)
    return day + timedelta(days=1)


def test_an_event_in_another_zone_keeps_its_own_clock_across_dst(app, client, host,
                                                                 radicale):
    """A weekly 15:00 in Berlin is 15:00 there on both sides of Berlin's clock change, so an
    hour earlier or later in New York than the week before."""
    with app.app_context():
        db.session.execute(db.update(MeetingType).values(window_days=400))
        db.session.commit()
    change = next_eu_change(weekday_ahead())
    before = change - timedelta(days=(change.weekday() - 2) % 7 or 7)  # the Wednesday before
    after = before + timedelta(weeks=1)
    berlin = ZoneInfo("Europe/Berlin")
    timezone = icalendar.Timezone.from_tzid("Europe/Berlin").to_ical().decode()
    event = vevent("berlin", f";TZID=Europe/Berlin:{before:%Y%m%d}T150000",
                   f";TZID=Europe/Berlin:{before:%Y%m%d}T153000", extra="RRULE:FREQ=WEEKLY\r\n")
    radicale.make_calendar("Work").add_event(vcalendar(event, timezones=timezone))
    connected_existing(client, host, radicale, "Work")
    first = datetime.combine(before, time(15), berlin).astimezone(UTC)
    second = datetime.combine(after, time(15), berlin).astimezone(UTC)
    assert first.time() != second.time()  # the clock change lies between them
    starts = slot_starts(client, before, after)
    assert iso(first) not in starts and iso(second) not in starts
    # The same UTC time in the other week is free.
    assert iso(datetime.combine(after, first.time(), UTC)) in starts
    assert iso(datetime.combine(before, second.time(), UTC)) in starts


def test_free_and_cancelled_events_do_not_block(client, host, radicale):
    day = weekday_ahead()
    calendar = radicale.make_calendar("Work")
    calendar.add_event(vcalendar(vevent("free", at(day, 14), at(day, 15),
                                        extra="TRANSP:TRANSPARENT\r\n")))
    calendar.add_event(vcalendar(vevent("off", at(day, 15), at(day, 16),
                                        extra="STATUS:CANCELLED\r\n")))
    calendar.add_event(vcalendar(vevent("busy", at(day, 16), at(day, 17))))
    connected_existing(client, host, radicale, "Work")
    starts = slot_starts(client, day)
    assert {iso(at(day, 14)), iso(at(day, 14, 30)), iso(at(day, 15)),
            iso(at(day, 15, 30))} <= starts
    assert iso(at(day, 16)) not in starts


def test_unticked_calendars_do_not_block(app, client, host, radicale):
    day = weekday_ahead()
    radicale.make_calendar("Family").add_event(vcalendar(vevent("x", at(day, 10), at(day, 11))))
    radicale.make_calendar("Work")
    connected_existing(client, host, radicale, "Work")
    assert iso(at(day, 10)) in slot_starts(client, day)
    tick(client, host, "Family")
    assert iso(at(day, 10)) not in slot_starts(client, day)
    tick(client, host)  # none
    assert iso(at(day, 10)) in slot_starts(client, day)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(BusyTime.id))) == 0


def test_a_feed_blocks_its_events(app, client, host, feed):
    day = weekday_ahead()
    feed.body = vcalendar(vevent("gym", at(day, 12), at(day, 13))).encode()
    response = post_form(client, tab(host) + "/feed", {"feed_url": feed.url}, page=tab(host))
    assert response.status_code == 302
    assert iso(at(day, 12)) not in slot_starts(client, day)
    page = client.get(tab(host)).get_data(as_text=True)
    assert "Synced" in page and "secret/calendar.ics" not in page
    assert_not_stored(app, "secret/calendar.ics")


def test_a_feed_that_is_not_a_calendar_is_refused(client, host, feed):
    feed.body = b"<html>Sign in</html>"
    response = post_form(client, tab(host) + "/feed", {"feed_url": feed.url}, page=tab(host))
    assert response.status_code == 422
    assert "does not give an iCal calendar" in response.get_data(as_text=True)


# --- failure: the last sync holds, the host is told once, no page errors ------------------------

def test_a_stopped_server_keeps_the_last_sync_and_says_so(app, client, host, radicale,
                                                          mailbox):
    day = weekday_ahead()
    radicale.make_calendar("Work").add_event(vcalendar(vevent("x", at(day, 10), at(day, 11))))
    connected_existing(client, host, radicale, "Work")
    assert iso(at(day, 10)) not in slot_starts(client, day)
    radicale.stop()
    for _ in range(2):
        response = post_form(client, tab(host) + f"/{account_id(app)}/sync", {},
                             page=tab(host), follow_redirects=True)
        assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Sync failed" in page and "could not be reached" in page
    assert "Using the busy times of the last good sync" in page
    assert iso(at(day, 10)) not in slot_starts(client, day)  # the last sync still decides
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Calendar failed" in dashboard and "Work" in dashboard
    anonymous = app.test_client()
    assert anonymous.get("/book/intro-call").status_code == 200
    assert anonymous.get(f"/book/intro-call/slots?from={day}&to={day}").status_code == 200
    told = [m for m in mailbox.messages if "cannot be read" in m["Subject"]]
    assert len(told) == 1 and told[0]["To"] == host.host_email  # once, for both failures
    radicale.start()
    post_form(client, tab(host) + f"/{account_id(app)}/sync", {}, page=tab(host))
    assert "Sync failed" not in client.get(tab(host)).get_data(as_text=True)
    assert "Calendar failed" not in client.get("/dashboard").get_data(as_text=True)


def test_the_job_runner_syncs_on_its_schedule(app, client, host, radicale, runner):
    app.config["CALENDAR_SYNC_MINUTES"] = 0.02  # 1.2 seconds
    day = weekday_ahead()
    calendar = radicale.make_calendar("Work")
    connected_existing(client, host, radicale, "Work")
    calendar.add_event(vcalendar(vevent("x", at(day, 10), at(day, 11))))
    assert iso(at(day, 10)) in slot_starts(client, day)  # not synced yet
    sleep(1.3)
    result = runner.invoke(args=["run-jobs", "--once", "--all"])
    assert result.exit_code == 0, result.output
    assert iso(at(day, 10)) not in slot_starts(client, day)


@pytest.fixture
def clock(monkeypatch):
    """The app's "now" for the job runner and the calendar syncs."""
    now = [datetime.now(UTC)]
    for module in (jobs, sync):
        monkeypatch.setattr(module, "utcnow", lambda: now[0])
    return now


def run_jobs_at(runner, clock, moment: datetime) -> int:
    """`flask run-jobs --once` at ``moment``; how many jobs it ran."""
    clock[0] = moment
    result = runner.invoke(args=["run-jobs", "--once"])
    assert result.exit_code == 0, result.output
    return int(re.search(r"Ran (\d+) jobs?\.", result.output).group(1))


def test_each_runner_round_syncs_the_calendars_that_are_due(app, client, host, radicale,
                                                             runner, clock):
    """No sync job plans the next: the runner's rounds find the calendars whose last sync is
    CALENDAR_SYNC_MINUTES (5) old, so nothing lost can stop a calendar's syncing."""
    day, start = weekday_ahead(), clock[0]
    calendar = radicale.make_calendar("Work")
    connected_existing(client, host, radicale, "Work")  # synced at once, at ``start``
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Job.id)).where(
            Job.kind == "calendar_sync", Job.done_at.is_(None))) == 0  # nothing planned ahead
    calendar.add_event(vcalendar(vevent("x", at(day, 10), at(day, 11))))
    assert run_jobs_at(runner, clock, start + timedelta(minutes=4)) == 0
    assert iso(at(day, 10)) in slot_starts(client, day)
    assert run_jobs_at(runner, clock, start + timedelta(minutes=6)) == 1
    assert iso(at(day, 10)) not in slot_starts(client, day)
    assert run_jobs_at(runner, clock, start + timedelta(minutes=8)) == 0  # synced at 6
    radicale.stop()  # a failed sync counts as one: tried again 5 minutes later, not at once
    assert run_jobs_at(runner, clock, start + timedelta(minutes=11)) == 2  # and the email
    assert run_jobs_at(runner, clock, start + timedelta(minutes=12)) == 0
    assert run_jobs_at(runner, clock, start + timedelta(minutes=16)) == 1  # told once only
    assert iso(at(day, 10)) not in slot_starts(client, day)  # the last good sync holds


def test_a_calendar_with_a_sync_pending_gets_no_second_one(app, client, host, radicale,
                                                            clock):
    connected(client, host, radicale, "Work")
    clock[0] += timedelta(minutes=6)
    with app.test_request_context():
        assert sync.plan_due_syncs() == 1
        assert sync.plan_due_syncs() == 0  # the first is still pending
        db.session.commit()
        assert sync.plan_due_syncs() == 0


# --- Confirm booking looks at the calendars once more -------------------------------------------

def test_an_event_added_since_the_last_sync_refuses_the_booking(app, client, host,
                                                                 radicale):
    day = weekday_ahead()
    calendar = radicale.make_calendar("Work")
    connected_existing(client, host, radicale, "Work")
    calendar.add_event(vcalendar(vevent("late", at(day, 10), at(day, 11))))
    assert iso(at(day, 10)) in slot_starts(client, day)  # the stored busy times lag
    guest = app.test_client()
    response = book(guest, "intro-call", at(day, 10))
    assert response.status_code == 409
    assert "That time is not available" in response.get_data(as_text=True)
    assert book(guest, "intro-call", at(day, 11)).status_code == 302


def test_a_calendar_that_does_not_answer_leaves_it_to_the_last_sync(app, client, host,
                                                                    radicale):
    """A server that takes the connection and says nothing: after 2 seconds the booking
    goes ahead."""
    radicale.make_calendar("Work")
    connected_existing(client, host, radicale, "Work")
    radicale.stop()
    silent = socket.socket()
    try:
        silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        silent.bind(("127.0.0.1", radicale.port))
        silent.listen(8)
        started = monotonic()
        response = book(app.test_client(), "intro-call", at(weekday_ahead(), 10))
        elapsed = monotonic() - started
    finally:
        silent.close()
    assert response.status_code == 302
    assert 1.5 < elapsed < 6


def test_the_encryption_key_rotates_calendar_secrets_too(app, client, host, radicale):
    from cryptography.fernet import Fernet

    from timetics.security import decrypt_secret

    radicale.make_calendar("Work")
    add_caldav(client, host, radicale.url)
    old_key, new_key = app.config["ENCRYPTION_KEY"][0], Fernet.generate_key().decode()
    app.config["ENCRYPTION_KEY"] = [new_key, old_key]
    app.extensions.pop("timetics_fernet")
    result = app.test_cli_runner().invoke(args=["rotate-encryption-key"])
    assert "1 calendar accounts" in result.output
    app.config["ENCRYPTION_KEY"] = [new_key]
    app.extensions.pop("timetics_fernet")
    with app.app_context():
        account = db.session.scalar(db.select(CalendarAccount))
        assert decrypt_secret(account.password_encrypted) == PASSWORD
        assert decrypt_secret(account.url_encrypted) == radicale.url


# --- removing, and whose calendars one may touch -----------------------------------------------

def test_remove_forgets_the_account_and_its_busy_times(app, client, host, radicale):
    day = weekday_ahead()
    radicale.make_calendar("Work").add_event(vcalendar(vevent("x", at(day, 10), at(day, 11))))
    connected_existing(client, host, radicale, "Work")
    assert iso(at(day, 10)) not in slot_starts(client, day)
    response = post_form(client, tab(host) + f"/{account_id(app)}/remove", {}, page=tab(host),
                         follow_redirects=True)
    assert "removed" in response.get_data(as_text=True)
    assert iso(at(day, 10)) in slot_starts(client, day)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(BusyTime.id))) == 0
        assert db.session.scalar(db.select(db.func.count(CalendarAccount.id))) == 0


def test_staff_cannot_touch_another_s_account_through_their_own_address(
        app, client, host, radicale, make_user):
    radicale.make_calendar("Work")
    add_caldav(client, host, radicale.url)
    other = make_user(email="other@example.com")
    intruder = app.test_client()
    login(intruder, other.email)
    own_tab = f"/staff/{other.id}/calendars"
    for action in ("sync", "remove"):
        response = post_form(intruder, f"{own_tab}/{account_id(app)}/{action}", {}, page=own_tab)
        assert response.status_code == 404
    assert intruder.get(tab(host)).status_code == 403
    assert account_id(app) is not None


@pytest.mark.parametrize("trouble, words", [
    ("gone", "has no calendar at this address any more"),
    ("password", "The server refused this username and password"),
])
def test_a_calendar_gone_or_a_password_changed_is_said_plainly(app, client, host, radicale,
                                                                trouble, words):
    connected(client, host, radicale, "Work")
    if trouble == "gone":
        radicale.calendar("Work").delete()
    else:
        (radicale.folder / "users").write_text(f"{USER}:a-new-password\n")
    response = post_form(client, tab(host) + f"/{account_id(app)}/sync", {}, page=tab(host),
                         follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Sync failed" in page and words in page


def test_sync_now_finds_calendars_created_and_deleted_on_the_server(app, client, host,
                                                                    radicale):
    day = weekday_ahead()
    radicale.make_calendar("Work")
    radicale.make_calendar("Family").add_event(vcalendar(vevent("x", at(day, 10), at(day, 11))))
    connected_existing(client, host, radicale, "Work", "Family")
    assert iso(at(day, 10)) not in slot_starts(client, day)
    radicale.make_calendar("Travel").add_event(vcalendar(vevent("y", at(day, 12), at(day, 13))))
    radicale.calendar("Family").delete()
    response = post_form(client, tab(host) + f"/{account_id(app)}/sync", {}, page=tab(host),
                         follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "New on the server: “Travel”" in page
    assert "Deleted on the server: “Family”" in page
    assert "has no calendar at this address any more (it was deleted there)" in page
    travel = re.search(r'data-calendar="Travel">.*?</li>', page, re.S).group(0)
    assert "Not checked." in travel and "checked>" not in travel  # the host decides
    assert "Travel" in re.search(r'<select id="bookings_to".*?</select>', page, re.S).group(0)
    starts = slot_starts(client, day)
    assert iso(at(day, 10)) in starts and iso(at(day, 12)) in starts
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Calendar failed" in dashboard and "“Family”" in dashboard
    assert "last good sync still blocks" not in dashboard
    tick(client, host, "Work", "Travel")
    assert iso(at(day, 12)) not in slot_starts(client, day)
    # Created again: no longer gone; a second Sync now finds nothing new.
    radicale.make_calendar("Family")
    page = post_form(client, tab(host) + f"/{account_id(app)}/sync", {}, page=tab(host),
                     follow_redirects=True).get_data(as_text=True)
    assert "New on the server" not in page and "Deleted on the server" not in page
    assert "Sync failed" not in page
    with app.app_context():
        account = db.session.scalar(db.select(CalendarAccount))
        assert sorted(c.name for c in account.calendars) == ["Family", "Travel", "Work"]


def test_sync_now_with_the_server_down_says_it_could_not_look(app, client, host, radicale):
    connected(client, host, radicale, "Work")
    radicale.stop()
    page = post_form(client, tab(host) + f"/{account_id(app)}/sync", {}, page=tab(host),
                     follow_redirects=True).get_data(as_text=True)
    assert "Could not look for new calendars: The calendar server could not be reached." in page
    assert "Deleted on the server" not in page
    assert 'data-calendar="Work"' in page


def test_a_reschedule_onto_an_event_added_since_the_last_sync_is_refused(app, client, host,
                                                                          radicale):
    day = weekday_ahead()
    calendar = radicale.make_calendar("Work")
    connected_existing(client, host, radicale, "Work")
    guest = app.test_client()
    path = book(guest, "intro-call", at(day, 10)).headers["Location"]
    calendar.add_event(vcalendar(vevent("late", at(day, 15), at(day, 16))))
    reference, token = path.split("/bookings/")[1].split("?token=")
    response = post_form(guest, f"/bookings/{reference}/reschedule?token={token}",
                         {"start": iso(at(day, 15))},
                         page=f"/bookings/{reference}/reschedule?token={token}&start="
                              f"{iso(at(day, 15))}")
    assert response.status_code == 409
    assert "That time is not available" in response.get_data(as_text=True)


def test_a_feed_with_an_unreadable_event_is_refused_plainly(client, host, feed):
    feed.body = vcalendar(vevent("bad", "DTSTART:20270105T100000Z", "DTEND:20270105T110000Z",
                                 extra="RRULE:FREQ=SOMETIMES\r\n")).encode()
    response = post_form(client, tab(host) + "/feed", {"feed_url": feed.url}, page=tab(host))
    assert response.status_code == 422
    assert "An event in this calendar cannot be read" in response.get_data(as_text=True)

"""Extra guests with a link per guest, through the sandbox: with registration or a webinar each
extra guest is a registrant of their own, mailed their own link (in the email and the .ics),
cancelled and moved with the guest who brought them."""
from __future__ import annotations

import pytest
from icalendar import Calendar

from timetics.db import utcnow
from timetics.extensions import db
from timetics.models import Attendee, Booking, ExtraGuest, Job, MeetingType, User

from ..booking_helpers import at, book, iso, manage_path, session_csrf, weekday_ahead
from ..conftest import login, post_form
from ..smtp import html_of, text_of
from .test_extra_guests import allow
from .test_guest_links import (
    cancel,
    group_host,  # noqa: F401 (the fixture)
    opens,
    page_of,
    set_mode,
    zoom_items,
)
from .test_reminders import HOUR, MINUTE, clock, run_jobs_at  # noqa: F401 (fixture)

EXTRAS = ("ann@example.com", "bo@example.test")
MODES = [("registration", "meetings"), ("webinar", "webinars")]


@pytest.fixture
def with_extras(group_host, app):  # noqa: F811
    allow(app, "group-session", 2)
    return group_host


def book_with_extras(app, start) -> tuple:
    """Guest Zero alone, then Guest One with two extra guests; their clients and pages."""
    alone = app.test_client()
    alone_path = manage_path(book(alone, "group-session", start, email="g0@example.com",
                                  name="Guest Zero"))
    host_of_extras = app.test_client()
    path = manage_path(book(host_of_extras, "group-session", start, email="g1@example.com",
                            name="Guest One", guests=", ".join(EXTRAS)))
    return (alone, alone_path), (host_of_extras, path)


def own_links(app, *, confirmed_only: bool = True) -> dict[str, str | None]:
    """Each person's own link by address: the guests' and their extra guests'."""
    with app.app_context():
        attendees = db.session.scalars(db.select(Attendee).order_by(Attendee.id)).all()
        links = {}
        for attendee in attendees:
            if confirmed_only and attendee.status != "confirmed":
                continue
            links[attendee.email] = attendee.zoom_join_url
            links.update((e.email, e.zoom_join_url) for e in attendee.extra_guests)
        return links


def run_due_jobs(app) -> None:
    with app.app_context():  # retries are due now, not at their backoff
        db.session.execute(db.update(Job).where(Job.done_at.is_(None))
                           .values(run_after=utcnow()))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["run-jobs", "--once"])
    assert result.exit_code == 0, result.output


def read_by(mailbox, address: str) -> str:
    """All that ``address`` received: the text and HTML of each email, and the location and
    description of each .ics."""
    parts = []
    for message in mailbox.to(address):
        parts += [text_of(message), html_of(message).replace("&amp;", "&")]
        for part in message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                for event in Calendar.from_ical(part.get_content()).walk("VEVENT"):
                    parts += [str(event.get("LOCATION", "")), str(event["DESCRIPTION"])]
    return "\n".join(parts)


def ics_locations(mailbox, address: str) -> list[str]:
    return [str(event.get("LOCATION", "")) for message in mailbox.to(address)
            for part in message.iter_attachments() if part.get_content_type() == "text/calendar"
            for event in Calendar.from_ical(part.get_content()).walk("VEVENT")]


def assert_each_reads_only_their_own(mailbox, links: dict[str, str | None]) -> None:
    for address, link in links.items():
        assert link in "\n".join(text_of(m) for m in mailbox.to(address)), address
        assert link in ics_locations(mailbox, address), address
        everything = read_by(mailbox, address)
        assert not any(other in everything for other in links.values() if other != link), \
            address


@pytest.mark.parametrize(("mode", "kind"), MODES)
def test_each_extra_guest_gets_their_own_link_and_loses_it_with_the_guest(
        zoom_site, with_extras, app, mailbox, mode, kind):
    set_mode(app, mode)
    (_, alone_path), (client, path) = book_with_extras(app, at(weekday_ahead(), 13))
    run_due_jobs(app)
    links = own_links(app)
    assert list(links) == ["g0@example.com", "g1@example.com", *EXTRAS]
    assert all(links.values()) and len(set(links.values())) == 4
    assert all(opens(link) for link in links.values())
    [item] = zoom_items(zoom_site, kind)
    assert {r["email"]: r["join_url"] for r in item["registrants"]} == links
    # Zoom needs a first name: an extra guest gave only their address.
    assert {r["email"]: r["first_name"] for r in item["registrants"]}["ann@example.com"] \
        == "ann@example.com"
    mailbox.wait_for(8)  # two guests, two extra guests, and the host twice
    assert_each_reads_only_their_own(mailbox, links)
    assert links["g1@example.com"] in page_of(client, path)
    assert not any(links[e] in page_of(client, path) for e in EXTRAS)

    host = app.test_client()
    login(host, "host@example.com")
    with app.app_context():
        reference = db.session.scalar(db.select(Booking.reference))
    assert "4 registrants." in page_of(host, f"/dashboard/bookings/{reference}")

    cancel(client, path)
    assert [opens(links[a]) for a in links] == [True, False, False, False]
    assert "1 registrant." in page_of(host, f"/dashboard/bookings/{reference}")
    cancels = [r for r in zoom_site.zoom_requests() if r["method"] == "PUT"]
    assert [r["status"] for r in cancels] == [204, 204, 204]  # one job per person
    assert zoom_items(zoom_site, kind) != []  # Guest Zero's place stands
    with app.app_context():
        assert db.session.scalar(db.select(Attendee.status).filter_by(
            email="g0@example.com")) == "confirmed"


@pytest.mark.parametrize(("mode", "kind"), MODES)
def test_a_guest_moving_to_another_time_moves_their_extra_guests(zoom_site, with_extras, app,
                                                                 mode, kind):
    """At the old time their three links stop; at the new time each of the three is a
    registrant with a new link; the guest who stays keeps theirs."""
    set_mode(app, mode)
    day = weekday_ahead()
    (_, _), (client, path) = book_with_extras(app, at(day, 13))
    before = own_links(app)
    reference, token = path.split("/bookings/")[1].split("?token=")
    response = client.post(f"/bookings/{reference}/reschedule?token={token}",
                           data={"csrf_token": session_csrf(client), "start": iso(at(day, 15))})
    assert response.status_code == 302
    run_due_jobs(app)
    after = own_links(app)
    assert list(after) == ["g0@example.com", "g1@example.com", *EXTRAS]
    assert after["g0@example.com"] == before["g0@example.com"]
    moved = [after[a] for a in ("g1@example.com", *EXTRAS)]
    assert all(moved) and len(set(moved)) == 3
    assert not set(moved) & set(before.values())
    assert [opens(before[a]) for a in before] == [True, False, False, False]
    assert all(opens(link) for link in moved)
    items = zoom_items(zoom_site, kind)
    assert len(items) == 2
    [new] = [i for i in items if i["start_time"] == iso(at(day, 15)).replace("+00:00", "Z")]
    assert sorted(r["email"] for r in new["registrants"]) == sorted(["g1@example.com",
                                                                      *EXTRAS])


def test_zoom_failing_while_adding_extra_guests(zoom_site, with_extras, app, mailbox):
    """Their places stand and they are told the link follows; run-jobs registers each of
    them exactly once and mails each their own link."""
    set_mode(app, "webinar")
    zoom_site.fault(target="add_registrant", mode="error", status=500)
    client = app.test_client()
    path = manage_path(book(client, "group-session", at(weekday_ahead(), 13),
                            email="g1@example.com", name="Guest One",
                            guests=", ".join(EXTRAS)))
    mailbox.wait_for(4)
    for address in EXTRAS:
        [confirmation] = mailbox.to(address)
        assert "your Zoom link will follow by email" in text_of(confirmation)
    assert set(own_links(app).values()) == {None}
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ExtraGuest.id))) == 2

    zoom_site.clear_faults()
    run_due_jobs(app)
    run_due_jobs(app)  # a second pass adds no one twice
    links = own_links(app)
    assert all(links.values()) and len(set(links.values())) == 3
    [webinar] = zoom_items(zoom_site, "webinars")
    assert sorted(r["email"] for r in webinar["registrants"]) == sorted(links)
    adds = [r["status"] for r in zoom_site.zoom_requests()
            if r["method"] == "POST" and r["path"].endswith("/registrants")]
    assert sorted(adds) == [201, 201, 201, 500, 500, 500]
    mailbox.wait_for(7)
    for address in EXTRAS:
        [_, link_email] = mailbox.to(address)
        assert links[address] in text_of(link_email)
        assert links["g1@example.com"] not in text_of(link_email)
    assert_each_reads_only_their_own(mailbox, links)
    assert links["g1@example.com"] in page_of(client, path)


@pytest.mark.parametrize(("mode", "language", "expected"), [
    ("webinar", "de", ("Zoom-Webinar", "Bisher 2 Registrierungen.", "Starten Sie das Webinar")),
    ("registration", "fr", ("Réunion Zoom avec inscription", "2 inscrits pour l’instant.",
                            "Démarrez la réunion")),
    ("webinar", "es", ("Seminario web de Zoom", "2 inscritos hasta ahora.",
                       "Inicie el seminario web")),
])
def test_the_host_reads_how_many_registrants_in_their_language(zoom_site, with_extras, app,
                                                               mailbox, mode, language,
                                                               expected):
    """The host's email says how many registrants (the guest and each extra guest) and where
    to start it, in the host's language, and never carries a start or join link."""
    set_mode(app, mode)
    with app.app_context():
        host = db.session.scalar(db.select(User).filter_by(email="host@example.com"))
        host.language = language
        db.session.commit()
    client = app.test_client()
    book(client, "group-session", at(weekday_ahead(), 13), email="g1@example.com",
         name="Guest One", guests=EXTRAS[0])
    run_due_jobs(app)
    links = own_links(app)
    assert all(links.values()) and len(links) == 2
    # The confirmation went out before the registrants were made: a reschedule by the host
    # writes the host's email again, now with the count.
    with app.app_context():
        booking = db.session.scalar(db.select(Booking))
        reference, day = booking.reference, booking.start_at
    login(host_client := app.test_client(), "host@example.com")
    start = iso(day.replace(hour=15))
    response = post_form(host_client, f"/dashboard/bookings/{reference}/reschedule",
                         {"start": start},
                         page=f"/dashboard/bookings/{reference}/reschedule?start={start}")
    assert response.status_code == 302
    run_due_jobs(app)
    mailbox.wait_for(5)
    moved = mailbox.to("host@example.com")[-1]  # the new time, written after the move
    assert moved["Subject"] != mailbox.to("host@example.com")[0]["Subject"]
    for part in (text_of(moved), html_of(moved)):
        assert all(phrase in part for phrase in expected), part
        assert not any(link in part for link in links.values())
    [item] = zoom_items(zoom_site, "webinars" if mode == "webinar" else "meetings")
    assert item["start_url"] not in text_of(moved)


def test_an_extra_guests_reminder_carries_their_own_link(zoom_site, with_extras, app, runner,
                                                         clock, mailbox):  # noqa: F811
    set_mode(app, "webinar")
    with app.app_context():
        db.session.scalar(db.select(MeetingType).filter_by(slug="group-session")) \
            .reminder_offsets = "24h"
        db.session.commit()
    start = at(weekday_ahead(min_days=4), 13)
    book(app.test_client(), "group-session", start, email="g1@example.com", name="Guest One",
         guests=", ".join(EXTRAS))
    run_due_jobs(app)
    links = own_links(app)
    assert all(links.values()) and len(set(links.values())) == 3
    mailbox.clear()
    assert run_jobs_at(runner, clock, start - 24 * HOUR + MINUTE) >= 3
    mailbox.wait_for(3)
    for address, link in links.items():
        [reminder] = [m for m in mailbox.to(address) if m["Subject"].startswith("Reminder:")]
        assert link in text_of(reminder) and link in html_of(reminder)
        assert not any(other in text_of(reminder) for other in links.values() if other != link)

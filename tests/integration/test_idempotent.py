"""A change asked for twice at once happens once: a double-clicked Cancel sends each email
once and deletes the Zoom meeting once; two reschedules at once leave the Zoom meeting at the
booking's final time. Each service decides inside its write transaction, on the booking as it
is then, and writes its jobs there or not at all."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from timetics.extensions import db
from timetics.models import Booking, Job

from ..booking_helpers import at, csrf_of, iso, weekday_ahead
from ..smtp import Mailbox
from .test_concurrency import TIMEOUT, race
from .test_crash import wait_until


def book_live(site, start) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(f"{site.url}/book/intro-call?tz=Europe/Berlin&start={iso(start)}",
                       timeout=TIMEOUT)
    booked = session.post(f"{site.url}/book/intro-call", allow_redirects=False, timeout=TIMEOUT,
                          data={"csrf_token": csrf_of(page.text), "start": iso(start),
                                "timezone": "Europe/Berlin", "name": "Gina Guest",
                                "email": "gina@example.com", "notes": ""})
    assert booked.status_code == 302, booked.text
    return session, site.url + booked.headers["Location"]


def zoom_calls(site, method: str) -> list[dict]:
    return [r for r in site.zoom_requests()
            if r["method"] == method and r["path"].startswith("/v2/meetings/")]


def test_a_double_clicked_cancel_sends_each_email_once_and_deletes_once(
        zoom_site, connected_host, mailbox: Mailbox):
    zoom_site.zoom("post", "/latency", json={"seconds": 0.2})  # the clicks overlap at Zoom
    session, manage = book_live(zoom_site, at(weekday_ahead(), 10))
    mailbox.wait_for(2)
    mailbox.clear()
    cancel = manage.replace("?token=", "/cancel?token=")
    token = csrf_of(session.get(cancel, timeout=TIMEOUT).text)
    cookies = session.cookies.get_dict()

    def click(i, _):
        return requests.post(cancel, data={"csrf_token": token}, cookies=cookies,
                             allow_redirects=False, timeout=TIMEOUT)

    answers = race(2, lambda i: None, click)
    assert [a.status_code for a in answers] == [302, 302]
    messages = mailbox.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["gina@example.com", "host@example.com"]
    assert len(zoom_calls(zoom_site, "DELETE")) == 1
    assert zoom_site.zoom_meetings() == []


def update_in_flight(app) -> bool:
    with app.app_context():
        return db.session.scalar(db.select(Job.id).where(
            Job.kind == "zoom_update", Job.locked_until.is_not(None),
            Job.done_at.is_(None))) is not None


def test_a_reschedule_while_zoom_moves_the_meeting_leaves_zoom_at_the_final_time(
        zoom_site, connected_host):
    """The first move's PATCH is slow at Zoom; meanwhile the guest moves again and that PATCH
    lands first. The first job, done, sees the booking moved on and sends the latest time."""
    day = weekday_ahead()
    session, manage = book_live(zoom_site, at(day, 10))
    reschedule = manage.replace("?token=", "/reschedule?token=")
    first, final = at(day, 13), at(day, 15)

    def move(start):
        token = csrf_of(session.get(f"{reschedule}&start={iso(start)}", timeout=TIMEOUT).text)
        return session.post(reschedule, data={"csrf_token": token, "start": iso(start)},
                            allow_redirects=False, timeout=TIMEOUT)

    zoom_site.fault(target="update_meeting", mode="latency", seconds=0.8, count=1)
    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(move, first)
        wait_until(lambda: update_in_flight(zoom_site.app))
        time.sleep(0.2)  # its PATCH is at Zoom now
        assert move(final).status_code == 302
        assert slow.result().status_code == 302
    with zoom_site.app.app_context():
        assert db.session.scalar(db.select(Booking.start_at)) == final
    [meeting] = zoom_site.zoom_meetings()
    assert meeting["start_time"] == iso(final)

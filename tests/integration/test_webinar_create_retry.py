"""A webinar whose creation timed out after Zoom made it is found again on the retry (Zoom
lists webinars apart from meetings), so the booking ends with exactly one webinar."""
from __future__ import annotations

from timetics.extensions import db
from timetics.models import Booking, ZoomState

from ..booking_helpers import at, book, manage_path, weekday_ahead
from .test_extra_guest_links import run_due_jobs
from .test_guest_links import (
    group_host,  # noqa: F401 (the fixture)
    links,
    opens,
    page_of,
    set_mode,
    zoom_items,
)


def test_a_webinar_whose_creation_timed_out_is_adopted_on_the_retry(
        zoom_site, group_host, app):  # noqa: F811
    set_mode(app, "webinar")
    # Zoom makes the webinar, then answers after our 1-second timeout.
    zoom_site.fault(target="create_webinar", mode="drop_after_success", seconds=3, count=1)
    client = app.test_client()
    path = manage_path(book(client, "group-session", at(weekday_ahead(), 13),
                            email="g0@example.com", name="Guest Zero"))
    with app.app_context():
        assert db.session.scalar(db.select(Booking.zoom_state)) == ZoomState.PENDING
    assert len(zoom_items(zoom_site, "webinars")) == 1  # made at Zoom; we never heard back

    run_due_jobs(app)
    [webinar] = zoom_items(zoom_site, "webinars")
    with app.app_context():
        booking = db.session.scalar(db.select(Booking))
        assert (booking.zoom_meeting_id, booking.zoom_state) == (str(webinar["id"]),
                                                                 ZoomState.CREATED)
    requests = zoom_site.zoom_requests()
    assert len([r for r in requests if r["method"] == "POST"
                and r["path"] == "/v2/users/me/webinars"]) == 1
    assert [r["status"] for r in requests if r["method"] == "GET"
            and r["path"] == "/v2/users/me/webinars"] == [200]
    [link] = links(app)  # the guest is a registrant of the adopted webinar
    assert [r["join_url"] for r in webinar["registrants"]] == [link]
    assert opens(link) and link in page_of(client, path)

"""Nothing is lost when Zoom or mail fails: the booking stands, a job remembers the work, the
dashboard shows it, and after the fault clears the job runner finishes it exactly once."""
import re
import time

import pytest
import requests

from timetics.extensions import db
from timetics.models import Booking, BookingStatus, Job, ZoomConnection, ZoomState
from timetics.security import decrypt_secret

from ..booking_helpers import at, iso, weekday_ahead
from ..conftest import PASSWORD
from ..live import Browser
from ..smtp import SilentServer, SMTPServer, text_of

LINK_WILL_FOLLOW = "Your Zoom link will follow by email."


def guest_books(site, start, *, email="gina@example.com", slug="intro-call"):
    """A guest in Tokyo books ``start`` through the live site; returns (browser, landing)."""
    guest = Browser(site)
    page = guest.get(f"/book/{slug}?tz=Asia/Tokyo&start={iso(start)}")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    landed = guest.post(f"/book/{slug}", {
        "csrf_token": token, "start": iso(start), "timezone": "Asia/Tokyo",
        "name": "Gina Guest", "email": email, "notes": ""})
    assert landed.status_code == 200, landed.text
    assert "You are booked, Gina Guest" in landed.text
    return guest, landed


def the_booking(app) -> Booking:
    with app.app_context():
        booking = db.session.scalar(db.select(Booking))
        db.session.expunge(booking)
        return booking


def open_jobs(app, kind=None) -> list[Job]:
    with app.app_context():
        query = db.select(Job).where(Job.done_at.is_(None), Job.failed_at.is_(None))
        if kind:
            query = query.where(Job.kind == kind)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def run_jobs(app, *args):
    result = app.test_cli_runner().invoke(args=["run-jobs", "--once", *args])
    assert result.exit_code == 0, result.output
    return result.output


def meetings_for(site, booking) -> list[dict]:
    return [m for m in site.zoom_meetings() if booking.reference in (m.get("agenda") or "")]


def dashboard_of(site, email) -> str:
    admin = Browser(site)
    admin.login(email, PASSWORD)
    html = admin.get("/dashboard").text
    admin.close()
    return html


def assert_link_followed_once(site, booking, mailbox):
    """After recovery: one meeting, its link on the booking and in one follow-up per person."""
    [meeting] = meetings_for(site, booking)
    assert booking.zoom_join_url == meeting["join_url"]
    assert booking.zoom_state == ZoomState.CREATED
    mailbox.wait_for(4)
    for address in ("gina@example.com", "host@example.com"):
        follow_ups = [m for m in mailbox.to(address) if m["Subject"].startswith("Zoom link:")]
        assert len(follow_ups) == 1
        assert meeting["join_url"] in text_of(follow_ups[0])


@pytest.mark.parametrize(
    "fault",
    [
        {"mode": "error", "status": 500},
        {"mode": "error", "status": 503, "format": "xml"},
        {"mode": "hang", "seconds": 3},
    ],
    ids=["zoom 500", "zoom 503 xml", "zoom hangs past the timeout"],
)
def test_zoom_failing_at_booking_time(zoom_site, connected_host, mailbox, admin, fault):
    zoom_site.fault(target="create_meeting", **fault)
    started = time.monotonic()
    _, landed = guest_books(zoom_site, at(weekday_ahead(), 10))
    assert time.monotonic() - started < 6, "a hanging Zoom held the guest's request"
    assert LINK_WILL_FOLLOW in landed.text
    booking = the_booking(zoom_site.app)
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.zoom_state == ZoomState.PENDING and booking.zoom_error
    assert [j.kind for j in open_jobs(zoom_site.app)] == ["zoom_create"]
    mailbox.wait_for(2)
    for address in ("gina@example.com", "host@example.com"):
        assert "your Zoom link will follow by email" in text_of(mailbox.to(address)[0])
    assert "<strong>Zoom link pending</strong>" in dashboard_of(zoom_site, admin.email)

    zoom_site.clear_faults()
    run_jobs(zoom_site.app)
    booking = the_booking(zoom_site.app)
    assert_link_followed_once(zoom_site, booking, mailbox)
    assert open_jobs(zoom_site.app) == []
    assert "<strong>Zoom link pending</strong>" not in dashboard_of(zoom_site, admin.email)


def test_zoom_429_waits_until_retry_after(zoom_site, connected_host, mailbox):
    zoom_site.fault(target="create_meeting", mode="rate_limit", retry_after_seconds=120,
                    limit_type="QPS", count=1)
    guest_books(zoom_site, at(weekday_ahead(), 10))
    [job] = open_jobs(zoom_site.app, "zoom_create")
    assert job.run_after.timestamp() > time.time() + 100  # Zoom's Retry-After, not 30 s
    assert "Ran 0 jobs." in run_jobs(zoom_site.app)  # not due yet
    # The create, then the follow-up it writes for the guest and the host.
    assert "Ran 3 jobs." in run_jobs(zoom_site.app, "--all")
    assert_link_followed_once(zoom_site, the_booking(zoom_site.app), mailbox)


def test_a_create_that_timed_out_after_zoom_made_it_ends_with_one_meeting(zoom_site,
                                                                         connected_host,
                                                                         mailbox):
    zoom_site.fault(target="create_meeting", mode="drop_after_success", seconds=3, count=1)
    guest_books(zoom_site, at(weekday_ahead(), 10))
    booking = the_booking(zoom_site.app)
    assert booking.zoom_state == ZoomState.PENDING
    assert len(meetings_for(zoom_site, booking)) == 1  # Zoom made it; we never heard back
    run_jobs(zoom_site.app, "--all")
    assert_link_followed_once(zoom_site, the_booking(zoom_site.app), mailbox)
    creates = [r for r in zoom_site.zoom_requests()
               if r["method"] == "POST" and r["path"] == "/v2/users/me/meetings"]
    assert len(creates) == 1


def test_cancelling_while_the_create_is_pending_leaves_no_meeting(zoom_site, connected_host,
                                                                mailbox):
    zoom_site.fault(target="create_meeting", mode="drop_after_success", seconds=3, count=1)
    guest, landed = guest_books(zoom_site, at(weekday_ahead(), 10))
    cancel_url = landed.url.replace("?token=", "/cancel?token=")
    page = guest.get(cancel_url)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    assert "This booking is cancelled" in guest.post(cancel_url, {"csrf_token": token}).text
    run_jobs(zoom_site.app, "--all")
    booking = the_booking(zoom_site.app)
    assert zoom_site.zoom_meetings() == []
    assert booking.zoom_state in (ZoomState.DELETED, ZoomState.NONE)
    assert open_jobs(zoom_site.app) == []


def test_an_expired_access_token_is_refreshed_inline(zoom_site, connected_host, mailbox):
    zoom_site.zoom("post", "/tokens/expire", json={"user_id": "zoomuser-alex"})
    _, landed = guest_books(zoom_site, at(weekday_ahead(), 10))
    assert "Join Zoom meeting" in landed.text
    assert zoom_site.zoom("get", "/state").json()["refresh_count"] == 1
    assert open_jobs(zoom_site.app) == []
    assert len(meetings_for(zoom_site, the_booking(zoom_site.app))) == 1


def test_a_refused_refresh_asks_for_a_reconnect_and_the_booking_waits(zoom_site,
                                                                      connected_host, mailbox,
                                                                      admin):
    with zoom_site.app.app_context():
        stored = decrypt_secret(db.session.scalar(
            db.select(ZoomConnection.refresh_token_encrypted)))
    # The stored refresh token gets spent elsewhere (as when a response was lost in transit).
    spent = requests.post(f"{zoom_site.zoom_url}/oauth/token", timeout=5,
                          data={"grant_type": "refresh_token", "refresh_token": stored},
                          auth=("live-client-id", "live-client-secret-0123456789"))
    assert spent.status_code == 200
    zoom_site.zoom("post", "/tokens/expire", json={"user_id": "zoomuser-alex"})

    _, landed = guest_books(zoom_site, at(weekday_ahead(), 10))
    assert LINK_WILL_FOLLOW in landed.text
    with zoom_site.app.app_context():
        assert db.session.scalar(db.select(ZoomConnection.reconnect_needed)) is True
    assert [j.kind for j in open_jobs(zoom_site.app)] == ["zoom_create"]
    mailbox.wait_for(4)
    for address in ("host@example.com", admin.email):
        assert len([m for m in mailbox.to(address)
                    if m["Subject"] == "Zoom needs to be connected again"]) == 1
    assert "Zoom reconnect needed" in dashboard_of(zoom_site, admin.email)
    guest_books(zoom_site, at(weekday_ahead(), 11), email="second@example.com")
    assert len([m for m in mailbox.messages
                if m["Subject"] == "Zoom needs to be connected again"]) == 2  # still once each

    run_jobs(zoom_site.app, "--all")  # waits for the reconnect
    # Both bookings wait for it: neither is given up as link-less.
    assert len(open_jobs(zoom_site.app, "zoom_create")) == 2
    with zoom_site.app.app_context():
        assert {b.zoom_state for b in db.session.scalars(db.select(Booking))} == {
            ZoomState.PENDING}
    admin_browser = Browser(zoom_site)
    admin_browser.login(admin.email, PASSWORD)
    mailbox.clear()
    # Reconnecting runs the waiting creates at once: no runner, no backoff.
    assert "Zoom connected as" in admin_browser.connect_zoom(connected_host.host_id).text
    with zoom_site.app.app_context():
        for booking in db.session.scalars(db.select(Booking)):
            assert booking.zoom_state == ZoomState.CREATED and booking.zoom_join_url
            [guest] = booking.attendees
            [follow_up] = [m for m in mailbox.to(guest.email) if "Zoom link" in m["Subject"]]
            assert booking.zoom_join_url in text_of(follow_up)
    assert open_jobs(zoom_site.app) == []


def test_smtp_refusing_connections_keeps_the_emails_until_it_is_back(smtp_down, zoom_site,
                                                                    connected_host, admin):
    _, landed = guest_books(zoom_site, at(weekday_ahead(), 10))
    assert "Join Zoom meeting" in landed.text  # the booking does not wait for mail
    jobs = open_jobs(zoom_site.app, "booking_email")
    assert len(jobs) == 2 and all("refused the connection" in j.last_error for j in jobs)
    html = dashboard_of(zoom_site, admin.email)
    assert "Email not sent yet" in html and "gina@example.com" in html

    server = SMTPServer(port=smtp_down).start()
    try:
        run_jobs(zoom_site.app, "--all")
        messages = server.mailbox.wait_for(2)
        assert sorted(m["To"] for m in messages) == ["gina@example.com", "host@example.com"]
        assert open_jobs(zoom_site.app) == []
        run_jobs(zoom_site.app, "--all")
        assert len(server.mailbox.messages) == 2  # exactly once
    finally:
        server.stop()
    with zoom_site.app.app_context():
        assert all("sealed" not in job.payload for job in db.session.scalars(db.select(Job)))


def test_smtp_hanging_does_not_hold_the_guest(smtp_down, app_config, zoom_site,
                                              connected_host):
    zoom_site.app.config["MAIL_TIMEOUT"] = 1
    silent = SilentServer(port=smtp_down).start()
    try:
        started = time.monotonic()
        _, landed = guest_books(zoom_site, at(weekday_ahead(), 10))
        assert time.monotonic() - started < 8
        # The host's email is not tried after the guest's timed out: one wait, not two.
        assert silent.connections == 1
    finally:
        silent.stop()
    assert "You are booked" in landed.text
    jobs = open_jobs(zoom_site.app, "booking_email")
    assert len(jobs) == 2 and all("did not answer in time" in j.last_error for j in jobs)
    server = SMTPServer(port=smtp_down).start()
    try:
        run_jobs(zoom_site.app, "--all")
        assert len(server.mailbox.wait_for(2)) == 2
    finally:
        server.stop()


def test_a_refused_guest_address_still_lets_the_host_email_go_out(zoom_site, connected_host,
                                                                  mailbox):
    mailbox.refused.add("gina@example.com")
    guest_books(zoom_site, at(weekday_ahead(), 10))
    messages = mailbox.wait_for(1)
    assert [m["To"] for m in messages] == ["host@example.com"]
    jobs = open_jobs(zoom_site.app, "booking_email")
    assert len(jobs) == 1 and "refused the recipient address" in jobs[0].last_error
    assert jobs[0].payload["to"] == "gina@example.com"

    mailbox.refused.clear()  # the address works again: the job runner delivers it
    run_jobs(zoom_site.app, "--all")
    assert sorted(m["To"] for m in mailbox.wait_for(2)) == ["gina@example.com",
                                                             "host@example.com"]
    assert open_jobs(zoom_site.app) == []


def test_a_server_closing_the_channel_keeps_both_emails_for_later(zoom_site, connected_host,
                                                                  mailbox):
    mailbox.closing = True  # 421 to the guest's address; smtplib then drops the connection
    _, landed = guest_books(zoom_site, at(weekday_ahead(), 10))
    assert "You are booked" in landed.text
    jobs = open_jobs(zoom_site.app, "booking_email")
    assert sorted(job.payload["to"] for job in jobs) == ["gina@example.com", "host@example.com"]
    # Not "refused the recipient address": the address is fine, the server is going away.
    assert all(job.last_error == "The mail server is not taking mail just now (421)."
               for job in jobs)
    assert mailbox.messages == []

    mailbox.closing = False  # back after its restart
    run_jobs(zoom_site.app, "--all")
    assert sorted(m["To"] for m in mailbox.wait_for(2)) == ["gina@example.com",
                                                             "host@example.com"]
    assert open_jobs(zoom_site.app) == []


def test_a_server_hanging_up_at_quit_gets_each_email_once(zoom_site, connected_host, mailbox):
    mailbox.hang_up_on_quit = True  # after it accepted both messages
    guest_books(zoom_site, at(weekday_ahead(), 10))
    assert len(mailbox.wait_for(2)) == 2
    assert open_jobs(zoom_site.app, "booking_email") == []  # nothing kept to be sent again
    run_jobs(zoom_site.app, "--all")
    assert len(mailbox.messages) == 2


def test_the_job_runner_counts_an_email_sent_when_the_server_hangs_up_at_quit(
        smtp_down, zoom_site, connected_host):
    guest_books(zoom_site, at(weekday_ahead(), 10))  # mail down: both emails wait
    assert len(open_jobs(zoom_site.app, "booking_email")) == 2
    server = SMTPServer(port=smtp_down).start()
    server.mailbox.hang_up_on_quit = True
    try:
        run_jobs(zoom_site.app, "--all")
        assert len(server.mailbox.wait_for(2)) == 2
        assert open_jobs(zoom_site.app) == []
        run_jobs(zoom_site.app, "--all")
        assert len(server.mailbox.messages) == 2  # not sent again
    finally:
        server.stop()


def test_retry_now_on_the_dashboard_clears_a_problem(zoom_site, connected_host, admin,
                                                     mailbox):
    zoom_site.fault(target="create_meeting", mode="error", status=500)
    guest_books(zoom_site, at(weekday_ahead(), 10))
    browser = Browser(zoom_site)
    browser.login(admin.email, PASSWORD)
    booking = the_booking(zoom_site.app)
    still = browser.submit(f"/dashboard/bookings/{booking.id}/retry", page="/dashboard")
    assert f"Zoom still fails for booking {booking.reference}" in still.text
    zoom_site.clear_faults()
    done = browser.submit(f"/dashboard/bookings/{booking.id}/retry", page="/dashboard")
    assert f"Done: booking {booking.reference} is in order now." in done.text
    assert "Needs attention" not in done.text
    assert len(meetings_for(zoom_site, booking)) == 1


def test_a_job_past_its_maximum_age_is_marked_failed_and_shown(zoom_site, connected_host,
                                                             admin):
    from datetime import timedelta

    zoom_site.fault(target="create_meeting", mode="error", status=500)
    guest_books(zoom_site, at(weekday_ahead(), 10))
    with zoom_site.app.app_context():
        job = db.session.scalar(db.select(Job).where(Job.kind == "zoom_create"))
        job.created_at -= timedelta(days=4)
        db.session.commit()
    run_jobs(zoom_site.app, "--all")
    with zoom_site.app.app_context():
        job = db.session.scalar(db.select(Job).where(Job.kind == "zoom_create"))
        assert job.failed_at is not None and job.attempts == 2
        assert db.session.scalar(db.select(Booking.zoom_state)) == ZoomState.FAILED
    assert "Zoom failed" in dashboard_of(zoom_site, admin.email)
    assert "Ran 0 jobs." in run_jobs(zoom_site.app, "--all")  # a failed job is not retried


def test_retry_now_revives_a_job_that_gave_up(zoom_site, connected_host, admin, mailbox):
    from datetime import timedelta

    zoom_site.fault(target="create_meeting", mode="error", status=500)
    guest_books(zoom_site, at(weekday_ahead(), 10))
    with zoom_site.app.app_context():
        create = db.session.scalar(db.select(Job).where(Job.kind == "zoom_create"))
        create.created_at -= timedelta(days=4)
        db.session.commit()
    run_jobs(zoom_site.app, "--all")
    zoom_site.clear_faults()
    browser = Browser(zoom_site)
    browser.login(admin.email, PASSWORD)
    booking = the_booking(zoom_site.app)
    assert booking.zoom_state == ZoomState.FAILED
    done = browser.submit(f"/dashboard/bookings/{booking.id}/retry", page="/dashboard")
    assert f"Done: booking {booking.reference} is in order now." in done.text
    assert_link_followed_once(zoom_site, the_booking(zoom_site.app), mailbox)


def test_retry_now_sends_a_waiting_email(smtp_down, zoom_site, connected_host, admin):
    guest_books(zoom_site, at(weekday_ahead(), 10))
    browser = Browser(zoom_site)
    browser.login(admin.email, PASSWORD)
    html = browser.get("/dashboard").text
    job_ids = re.findall(r'action="/dashboard/jobs/(\d+)/retry"', html)
    assert len(job_ids) == 2
    still = browser.submit(f"/dashboard/jobs/{job_ids[0]}/retry", page="/dashboard")
    assert "Still failing: The mail server refused the connection" in still.text
    server = SMTPServer(port=smtp_down).start()
    try:
        for job_id in job_ids:
            done = browser.submit(f"/dashboard/jobs/{job_id}/retry", page="/dashboard")
            assert "Done: the email was sent." in done.text
        assert len(server.mailbox.wait_for(2)) == 2
        assert "Email not sent yet" not in browser.get("/dashboard").text
    finally:
        server.stop()


def test_staff_cannot_retry_another_hosts_email(smtp_down, zoom_site, connected_host,
                                                make_user):
    guest_books(zoom_site, at(weekday_ahead(), 10))
    other = make_user(email="other-staff@example.com")
    browser = Browser(zoom_site)
    browser.login(other.email, PASSWORD)
    with zoom_site.app.app_context():
        job_id = db.session.scalar(db.select(Job.id).where(Job.kind == "zoom_create"))
    response = browser.post(f"/dashboard/jobs/{job_id}/retry",
                            {"csrf_token": browser.csrf("/dashboard")}, allow_redirects=False)
    assert response.status_code == 404


def test_a_token_about_to_expire_is_refreshed_before_the_call(zoom_site, connected_host):
    from datetime import timedelta

    from timetics.db import utcnow

    with zoom_site.app.app_context():
        connection = db.session.scalar(db.select(ZoomConnection))
        connection.expires_at = utcnow() + timedelta(minutes=4)  # inside the 5-minute margin
        db.session.commit()
    _, landed = guest_books(zoom_site, at(weekday_ahead(), 10))
    assert "Join Zoom meeting" in landed.text
    assert zoom_site.zoom("get", "/state").json()["refresh_count"] == 1
    statuses = [r["status"] for r in zoom_site.zoom_requests() if r["path"].startswith("/v2/")]
    assert 401 not in statuses  # refreshed first, not after a refusal
    with zoom_site.app.app_context():
        assert db.session.scalar(db.select(ZoomConnection.expires_at)) > utcnow() + timedelta(
            minutes=50)


def test_a_refresh_refused_inside_the_job_runner_still_emails_the_staff_member(
        zoom_site, connected_host, mailbox, admin):
    zoom_site.fault(target="create_meeting", mode="error", status=500, count=1)
    guest_books(zoom_site, at(weekday_ahead(), 10))
    with zoom_site.app.app_context():
        stored = decrypt_secret(db.session.scalar(
            db.select(ZoomConnection.refresh_token_encrypted)))
    requests.post(f"{zoom_site.zoom_url}/oauth/token", timeout=5,
                  data={"grant_type": "refresh_token", "refresh_token": stored},
                  auth=("live-client-id", "live-client-secret-0123456789"))
    zoom_site.zoom("post", "/tokens/expire", json={"user_id": "zoomuser-alex"})
    mailbox.wait_for(2)
    mailbox.clear()
    run_jobs(zoom_site.app, "--all")  # outside any web request
    messages = mailbox.wait_for(2)
    reconnect = [m for m in messages if m["Subject"] == "Zoom needs to be connected again"]
    assert sorted(m["To"] for m in reconnect) == sorted(["host@example.com", admin.email])
    # the staff member is sent where the seed says (Settings > Integrations > Zoom), an admin
    # to the staff member's Integrations tab
    [host_copy] = [m for m in reconnect if m["To"] == "host@example.com"]
    assert f"{zoom_site.url}/settings/integrations/zoom" in text_of(host_copy)
    [admin_copy] = [m for m in reconnect if m["To"] == admin.email]
    assert f"{zoom_site.url}/staff/{connected_host.host_id}/integrations" in text_of(admin_copy)

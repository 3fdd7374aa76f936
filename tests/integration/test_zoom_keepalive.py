"""The job runner keeps idle Zoom connections alive, on a clock the test sets: refreshed once
when ZOOM_KEEPALIVE_DAYS have passed, not again before the next period, and a refusal marks
"reconnect needed" and tells the host once."""
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests

from timetics import jobs
from timetics.extensions import db
from timetics.integrations import keepalive, tokens
from timetics.models import ZoomConnection
from timetics.security import decrypt_secret

from ..live import CLIENT_ID, CLIENT_SECRET

DAY = timedelta(days=1)


@pytest.fixture
def clock(monkeypatch):
    """The app's "now" for the runner, the keep-alive and the token store."""
    now = [datetime.now(UTC)]
    for module in (jobs, keepalive, tokens):
        monkeypatch.setattr(module, "utcnow", lambda: now[0])
    return now


def run_jobs_at(zoom_site, clock, moment: datetime) -> int:
    """`flask run-jobs --once` at ``moment``; how many jobs it ran."""
    clock[0] = moment
    result = zoom_site.app.test_cli_runner().invoke(args=["run-jobs", "--once"])
    assert result.exit_code == 0, result.output
    return int(re.search(r"Ran (\d+) jobs?\.", result.output).group(1))


def refreshes(zoom_site) -> list[dict]:
    """The refresh requests the sandbox received."""
    return [r for r in zoom_site.zoom_requests() if r["path"] == "/oauth/token"
            and (r.get("body") or {}).get("grant_type") == "refresh_token"]


def the_connection(app) -> ZoomConnection:
    with app.app_context():
        row = db.session.scalar(db.select(ZoomConnection))
        db.session.expunge(row)
        return row


def test_an_idle_connection_is_refreshed_once_per_period(zoom_site, connected_host, clock):
    start = clock[0]
    assert run_jobs_at(zoom_site, clock, start + 29 * DAY) == 0  # not due yet
    assert refreshes(zoom_site) == []
    assert run_jobs_at(zoom_site, clock, start + 31 * DAY) == 1
    assert len(refreshes(zoom_site)) == 1 and refreshes(zoom_site)[0]["status"] == 200
    row = the_connection(zoom_site.app)
    assert (row.tokens_issued_at, row.reconnect_needed) == (start + 31 * DAY, False)
    assert run_jobs_at(zoom_site, clock, start + 31 * DAY + timedelta(hours=1)) == 0
    assert run_jobs_at(zoom_site, clock, start + 60 * DAY) == 0  # 29 days after the refresh
    assert len(refreshes(zoom_site)) == 1
    assert run_jobs_at(zoom_site, clock, start + 62 * DAY) == 1
    assert len(refreshes(zoom_site)) == 2


def test_the_period_is_configurable(zoom_site, connected_host, clock):
    zoom_site.app.config["ZOOM_KEEPALIVE_DAYS"] = 7
    assert run_jobs_at(zoom_site, clock, clock[0] + 6 * DAY) == 0
    assert run_jobs_at(zoom_site, clock, clock[0] + 2 * DAY) == 1
    assert len(refreshes(zoom_site)) == 1


def spend_refresh_token(zoom_site) -> None:
    """Spend the stored refresh token elsewhere: Zoom refuses the one we hold (invalid_grant)
    at the next keep-alive."""
    with zoom_site.app.app_context():
        stored = decrypt_secret(db.session.scalar(
            db.select(ZoomConnection.refresh_token_encrypted)))
    spent = requests.post(f"{zoom_site.zoom_url}/oauth/token", timeout=5,
                          data={"grant_type": "refresh_token", "refresh_token": stored},
                          auth=(CLIENT_ID, CLIENT_SECRET))
    assert spent.status_code == 200


def test_a_refused_keepalive_marks_reconnect_needed_and_tells_the_host_once(
        zoom_site, connected_host, clock, mailbox):
    start = clock[0]
    spend_refresh_token(zoom_site)
    mailbox.clear()
    assert run_jobs_at(zoom_site, clock, start + 31 * DAY) >= 1
    row = the_connection(zoom_site.app)
    assert row.reconnect_needed and row.last_error
    to_host = [m for m in mailbox.wait_for(2) if m["To"] == connected_host.host_email]
    assert [m["Subject"] for m in to_host] == ["Zoom needs to be connected again"]
    assert run_jobs_at(zoom_site, clock, start + 62 * DAY) == 0  # nothing more to try
    assert run_jobs_at(zoom_site, clock, start + 93 * DAY) == 0
    assert [m["To"] for m in mailbox.messages].count(connected_host.host_email) == 1
    assert [r["status"] for r in refreshes(zoom_site)] == [200, 400]  # theirs, then ours


def keepalive_jobs(app) -> list[tuple[int, bool]]:
    """(attempts, done) of every keep-alive job written."""
    with app.app_context():
        return [(job.attempts, job.done_at is not None) for job in db.session.scalars(
            db.select(jobs.Job).where(jobs.Job.kind == jobs.Kind.ZOOM_KEEPALIVE))]


def test_zoom_down_retries_the_same_keepalive_later(zoom_site, connected_host, clock):
    start = clock[0]
    zoom_site.fault(target="token", mode="error", status=503)
    # The round's own try, then the runner's (the outbox's rule for a job's first failure).
    assert run_jobs_at(zoom_site, clock, start + 31 * DAY) == 2
    assert not the_connection(zoom_site.app).reconnect_needed
    assert keepalive_jobs(zoom_site.app) == [(2, False)]
    zoom_site.clear_faults()
    later = start + 31 * DAY + timedelta(minutes=5)
    assert run_jobs_at(zoom_site, clock, later) == 1
    assert keepalive_jobs(zoom_site.app) == [(3, True)]  # the same job: no second one planned
    assert the_connection(zoom_site.app).tokens_issued_at == later

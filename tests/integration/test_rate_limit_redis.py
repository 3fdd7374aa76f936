"""With RATELIMIT_STORAGE_URI pointing at Redis, the limits hold across processes.

docs/deploy.md runs one worker per core with the limits there. The first test starts a Redis
server of its own on a free loopback port and stops it afterwards; `make test` installs Debian's
redis-server when it is missing, and by hand without it that test is skipped. The others need
no Redis: they show what guests get while it is down or hung.
"""
import shutil
import subprocess
import time
from types import SimpleNamespace

import pytest
import requests

from timetics.extensions import db
from timetics.models import Booking

from ..booking_helpers import at, create_booking_setup, iso, session_csrf, weekday_ahead
from ..live import Browser
from ..servers import gunicorn
from ..smtp import SilentServer, free_port

needs_redis_server = pytest.mark.skipif(shutil.which("redis-server") is None,
                                        reason="no redis-server on this machine")


@pytest.fixture
def redis_url(tmp_path):
    pytest.importorskip("redis")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    client.close()
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


@needs_redis_server
def test_two_app_processes_share_the_login_limit(redis_url, make_app, admin):
    """Two app instances (as two gunicorn workers would be) count one client's attempts together."""
    workers = [make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url)
               for _ in range(2)]
    clients = [worker.test_client() for worker in workers]
    statuses = []
    for attempt in range(11):
        client = clients[attempt % 2]
        statuses.append(client.post("/login", data={
            "csrf_token": session_csrf(client), "email": admin.email,
            "password": "wrong password!"}).status_code)
    assert statuses == [401] * 10 + [429]
    import redis

    # The counts live in Redis, where every process and host sees them.
    keys = redis.Redis.from_url(redis_url).keys("LIMITS*")
    assert any(b"login" in key for key in keys), keys


def guest_books(url: str, slug: str, start) -> requests.Response:
    """A guest in a browser: the form for ``start``, then Confirm."""
    guest = Browser(SimpleNamespace(url=url))
    try:
        return guest.submit(f"/book/{slug}", {
            "start": iso(start), "timezone": "UTC", "name": "Gina Guest",
            "email": "gina@example.com"}, page=f"/book/{slug}?tz=UTC&start={iso(start)}",
            allow_redirects=False)
    finally:
        guest.close()


# Each gunicorn worker falls back on its own, and Flask-Limiter keeps that state in the
# process, so these run the app as deployed rather than in the test's process.

def test_with_redis_down_guests_still_book_and_the_limits_still_count(app, make_user, admin,
                                                                      tmp_path):
    """Redis stopped (or not yet started): each worker counts in memory until it is back."""
    pytest.importorskip("redis")
    setup = create_booking_setup(app, make_user)
    down = f"redis://127.0.0.1:{free_port()}/0"
    with gunicorn(app, tmp_path, RATELIMIT_ENABLED="true", RATELIMIT_STORAGE_URI=down) as (
            url, _):
        booked = guest_books(url, setup.one_to_one, at(weekday_ahead(), 10))
        staff = Browser(SimpleNamespace(url=url))
        statuses = [staff.submit("/login", {"email": admin.email, "password": "wrong password!"}
                                 ).status_code for _ in range(21)]
        staff.close()
    assert booked.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 1
    # Ten a minute per worker: by the 21st attempt one of the two has said no (and nothing
    # answered 500).
    assert set(statuses) == {401, 429}


def test_a_hung_redis_holds_a_booking_for_its_socket_timeout_only(app, make_user, tmp_path):
    """docs/deploy.md's Redis URL bounds each call, so a Redis that hangs costs a second."""
    pytest.importorskip("redis")
    setup = create_booking_setup(app, make_user)
    hung = SilentServer().start()  # accepts, never answers: Redis hung as well as SMTP
    try:
        with gunicorn(app, tmp_path, RATELIMIT_ENABLED="true", RATELIMIT_STORAGE_URI=(
                f"redis://127.0.0.1:{hung.port}/0?socket_timeout=1&socket_connect_timeout=1")
        ) as (url, _):
            started = time.monotonic()
            booked = guest_books(url, setup.one_to_one, at(weekday_ahead(), 10))
            took = time.monotonic() - started
    finally:
        hung.stop()
    assert booked.status_code == 302
    assert took < 5

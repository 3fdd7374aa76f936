"""With RATELIMIT_STORAGE_URI pointing at Redis, the limits hold across processes.

docs/deploy.md runs one worker per core with the limits there. The first test starts a Redis
server of its own on a free loopback port and stops it afterwards; `make test` installs Debian's
redis-server when it is missing, and by hand without it that test is skipped. The others need
no Redis: they show what guests get while it is down or hung.
"""
import shutil
import subprocess
import time

import pytest

from timetics.extensions import db
from timetics.models import Booking

from ..booking_helpers import at, book, create_booking_setup, session_csrf, weekday_ahead
from ..smtp import SilentSMTPServer, free_port

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
    deadline = time.monotonic() + 10
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


def test_with_redis_down_guests_still_book_and_the_limits_still_count(
        make_app, make_user, admin):
    """Redis stopped (or not yet started): each process counts in memory until it is back."""
    pytest.importorskip("redis")
    app = make_app(RATELIMIT_ENABLED=True,
                   RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    setup = create_booking_setup(app, make_user)
    guest = app.test_client()
    booked = book(guest, setup.one_to_one, at(weekday_ahead(), 10))
    assert booked.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 1

    staff = app.test_client()
    statuses = [staff.post("/login", data={
        "csrf_token": session_csrf(staff), "email": admin.email,
        "password": "wrong password!"}).status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]


def test_a_hung_redis_holds_a_booking_for_its_socket_timeout_only(make_app, make_user):
    """docs/deploy.md's Redis URL bounds each call, so a Redis that hangs costs a second."""
    pytest.importorskip("redis")
    hung = SilentSMTPServer().start()  # any silent TCP server: accepts, never answers
    try:
        app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=(
            f"redis://127.0.0.1:{hung.port}/0?socket_timeout=1&socket_connect_timeout=1"))
        setup = create_booking_setup(app, make_user)
        started = time.monotonic()
        booked = book(app.test_client(), setup.one_to_one, at(weekday_ahead(), 10))
        assert booked.status_code == 302
        assert time.monotonic() - started < 5
    finally:
        hung.stop()

"""Addresses users type are fetched only when public, or allowed by the operator; answers are
capped in size. Real requests to real loopback servers."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from flask import Flask
from flask_babel import Babel

from timetics.exceptions import ResponseTooLarge, UnsafeURL
from timetics.safe_urls import Allowed, SafeSession, _CheckedAdapter, check_url, safe_session


class Handler(BaseHTTPRequestHandler):
    """/ok answers "ok"; /redirect?to=URL redirects; /big?n=BYTES answers that many bytes,
    with a Content-Length, /stream?n=BYTES without one."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        path, _, query = self.path.partition("?")
        if path == "/redirect":
            self.send_response(302)
            self.send_header("Location", query.removeprefix("to="))
            self.end_headers()
        elif path == "/big":
            size = int(query.removeprefix("n="))
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            self.wfile.write(b"x" * size)
        elif path == "/stream":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"x" * int(query.removeprefix("n=")))
        else:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "ftp://example.com/x",
    "gopher://127.0.0.1:70/",
    "http:///no-host",
    "http://127.0.0.1/",
    "http://127.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
    "http://0.0.0.0/",
    "http://localhost/",  # a name that resolves to a non-public address
    "http://example.com:99999/",
])
def test_refused_addresses(url):
    with pytest.raises(UnsafeURL):
        check_url(url, Allowed(""))


def test_public_address_passes():
    check_url("https://93.184.215.14/calendar.ics", Allowed(""))  # an IP literal: no DNS needed


def test_allowed_by_network_or_by_name():
    check_url("http://127.0.0.1:8080/", Allowed("127.0.0.1"))
    check_url("http://127.0.0.9/", Allowed("10.0.0.0/8, 127.0.0.0/8"))
    check_url("http://localhost:5232/", Allowed("LOCALHOST"))
    with pytest.raises(UnsafeURL):
        check_url("http://127.0.0.1/", Allowed("localhost"))  # the name, not its address


def test_allowed_host_is_fetched(port):
    with SafeSession(allowed=Allowed("127.0.0.1")) as session:
        assert session.get(f"http://127.0.0.1:{port}/ok").text == "ok"


def test_not_allowed_host_is_never_requested(port):
    with SafeSession(allowed=Allowed("")) as session, pytest.raises(UnsafeURL):
        session.get(f"http://127.0.0.1:{port}/ok")


def test_redirect_to_a_private_address_is_refused(port):
    # The first hop is allowed by name; its redirect goes to an address that is not.
    target = f"http://127.0.0.1:{port}/ok"
    with SafeSession(allowed=Allowed("localhost")) as session, pytest.raises(UnsafeURL):
        session.get(f"http://localhost:{port}/redirect?to={target}")


def test_redirect_within_allowed_hosts_is_followed(port):
    target = f"http://127.0.0.1:{port}/ok"
    with SafeSession(allowed=Allowed("127.0.0.1")) as session:
        response = session.get(f"http://127.0.0.1:{port}/redirect?to={target}")
    assert response.text == "ok" and len(response.history) == 1


def test_the_connection_checks_the_address_it_reached(port):
    # DNS may answer differently for the check and for the connection (rebinding): the adapter
    # alone, without check_url before it, still refuses once it sees where it connected.
    with requests.Session() as session:
        session.mount("http://", _CheckedAdapter(Allowed("")))
        with pytest.raises(UnsafeURL):
            session.get(f"http://127.0.0.1:{port}/ok", timeout=5)


@pytest.mark.parametrize("path", ["big", "stream"])
def test_answers_are_capped(port, path):
    with SafeSession(allowed=Allowed("127.0.0.1"), max_bytes=1000) as session:
        assert len(session.get(f"http://127.0.0.1:{port}/{path}?n=1000").content) == 1000
        with pytest.raises(ResponseTooLarge):
            session.get(f"http://127.0.0.1:{port}/{path}?n=1001")


def test_a_silent_server_times_out():
    import socket
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts connections but never answers
    try:
        with SafeSession(allowed=Allowed("127.0.0.1"), timeout=0.3) as session, \
                pytest.raises(requests.Timeout):
            session.get(f"http://127.0.0.1:{listener.getsockname()[1]}/")
    finally:
        listener.close()


def test_the_setting_comes_from_the_configuration(port):
    app = Flask(__name__)
    Babel(app)  # the refusal is a sentence in the reader's language
    app.config["CALENDAR_ALLOWED_HOSTS"] = "127.0.0.0/8"
    with app.app_context(), safe_session() as session:
        assert session.get(f"http://127.0.0.1:{port}/ok").text == "ok"
    app.config["CALENDAR_ALLOWED_HOSTS"] = ""
    with app.app_context(), safe_session() as session, pytest.raises(UnsafeURL):
        session.get(f"http://127.0.0.1:{port}/ok")


def test_urllib3_is_upstream_urllib3():
    """The checked connections build on urllib3's own classes: the install (Makefile,
    docs/deploy.md) keeps caldav's urllib3-future beside it rather than in its place."""
    import importlib.metadata

    import urllib3
    assert urllib3.__version__ == importlib.metadata.version("urllib3")

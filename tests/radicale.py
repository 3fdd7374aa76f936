"""A real CalDAV server for the tests: Radicale (from PyPI) in a process of its own on
loopback, with its own htpasswd users and storage in a temporary folder; and iCal feeds served
over loopback HTTP."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import caldav
import pytest
import requests
from werkzeug.wrappers import Request, Response

from zoom_sandbox import BackgroundServer

from .smtp import free_port

USER, PASSWORD = "hana", "radicale-app-password"


class Radicale:
    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        (folder / "users").write_text(f"{USER}:{PASSWORD}\n")
        (folder / "config").write_text(f"""[server]
hosts = 127.0.0.1:{self.port}
[auth]
type = htpasswd
htpasswd_filename = {folder / 'users'}
htpasswd_encryption = plain
delay = 0
[storage]
filesystem_folder = {folder / 'collections'}
[rights]
type = owner_only
[logging]
level = error

""")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> Radicale:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(self.folder / "config")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                assert self.process.poll() is None, "Radicale did not start"
                assert time.monotonic() < deadline, "Radicale did not come up"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> caldav.DAVClient:
        return caldav.DAVClient(url=self.url, username=USER, password=PASSWORD,
                                enable_rfc6764=False)

    def make_calendar(self, name: str) -> caldav.Calendar:
        return self.client().principal().make_calendar(name=name, cal_id=name.lower())

    def calendar(self, name: str) -> caldav.Calendar:
        return self.client().calendar(url=f"{self.url}{USER}/{name.lower()}/")


@pytest.fixture
def radicale(tmp_path):
    folder = tmp_path / "radicale"
    folder.mkdir()
    server = Radicale(folder).start()
    yield server
    server.stop()


class Proxy:
    """Loopback HTTP in front of a Radicale that notes the kind of each REPORT it passes on
    ("free-busy-query", "calendar-query", ...) and, with ``free_busy_answer`` set to
    ``(status, body)``, answers free-busy-query REPORTs itself, as a server that refuses or
    does not support them would."""

    HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding",
                   "content-encoding"}

    def __init__(self, upstream: Radicale):
        self.upstream = upstream
        self.reports: list[str] = []
        self.free_busy_answer: tuple[int, str] | None = None
        self.server = BackgroundServer(self._app)

    @property
    def url(self) -> str:
        return self.server.url + "/"

    @Request.application
    def _app(self, request: Request) -> Response:
        body = request.get_data()
        if request.method == "REPORT" and "Authorization" in request.headers:
            # (not caldav's first try, which Radicale answers 401 with the scheme to use)
            kind = ElementTree.fromstring(body).tag.rsplit("}", 1)[-1]  # noqa: S314 (ours)
            self.reports.append(kind)
            if kind == "free-busy-query" and self.free_busy_answer:
                status, text = self.free_busy_answer
                return Response(text, status=status, content_type="text/html")
        answer = requests.request(
            request.method, self.upstream.url.rstrip("/") + request.full_path.rstrip("?"),
            data=body, allow_redirects=False, timeout=10,
            headers={k: v for k, v in request.headers if k.lower() not in self.HOP_HEADERS})
        return Response(answer.content, status=answer.status_code, headers=[
            (k, v) for k, v in answer.headers.items() if k.lower() not in self.HOP_HEADERS])


@pytest.fixture
def radicale_proxy(radicale):
    proxy = Proxy(radicale)
    proxy.server.start()
    yield proxy
    proxy.server.stop()


class Feed:
    """An .ics served at /secret/calendar.ics, changeable by the test; /moved redirects."""

    def __init__(self):
        self.body = b""
        self.redirect_to = ""  # where /moved sends its visitors
        self.server = BackgroundServer(self._app)

    @Request.application
    def _app(self, request: Request) -> Response:
        if request.path == "/moved":
            return Response("", status=302, headers={"Location": self.redirect_to})
        if request.path != "/secret/calendar.ics":
            return Response("not found", status=404)
        return Response(self.body, content_type="text/calendar")

    @property
    def url(self) -> str:
        return self.server.url + "/secret/calendar.ics"


@pytest.fixture
def feed():
    served = Feed()
    served.server.start()
    yield served
    served.server.stop()


def vevent(uid: str, start: datetime | str, end: datetime | str, *, extra: str = "",
           summary: str = "Dentist") -> str:
    """One VEVENT; ``start``/``end`` are aware datetimes (written in UTC) or property text
    such as ``;TZID=Europe/Berlin:20270105T100000``."""
    def prop(name: str, value: datetime | str) -> str:
        if isinstance(value, str):
            return f"{name}{value}"
        return f"{name}:{value.strftime('%Y%m%dT%H%M%SZ')}"
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n{prop('DTSTART', start)}"
            f"\r\n{prop('DTEND', end)}\r\nSUMMARY:{summary}\r\n{extra}END:VEVENT\r\n")


def vcalendar(*events: str, timezones: str = "") -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\n" + timezones
            + "".join(events) + "END:VCALENDAR\r\n")

"""Serve any WSGI app on a loopback port in a background thread (tests, benchmarks, demos).

    with BackgroundServer(create_sandbox_app()) as zoom:
        requests.get(zoom.url + "/_sandbox/state", timeout=5)

Port 0 lets the OS pick a free port, so parallel runs never collide. Requests are not logged
(werkzeug would print a line per request); errors still are.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wsgi import ClosingIterator

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

SHUTDOWN_POLL_SECONDS = 0.05  # how often serve_forever checks for shutdown(): fast teardown
# How long stop() waits for requests still being answered (a hanging one is given up on).
DRAIN_SECONDS = 10


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without the access log line."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class BackgroundServer:
    """A threaded werkzeug server for ``app`` on ``host``, port chosen by the OS."""

    def __init__(self, app: WSGIApplication, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._busy = 0  # requests being answered, until their response is closed
        self._idle = threading.Condition()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("The server is not running.")
        return self._server.port

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> BackgroundServer:
        self._server = make_server(self.host, self._requested_port, self._counted, threaded=True,
                                   request_handler=QuietRequestHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name=f"wsgi-{self._server.port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting requests, close the socket (serve_forever closes it on exit), and
        wait for the requests still being answered: werkzeug's request threads are daemons
        nobody joins, and one still running after its test would hold a database connection
        past the test's teardown."""
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._thread.join()
        self._server = self._thread = None
        with self._idle:
            self._idle.wait_for(lambda: self._busy == 0, timeout=DRAIN_SECONDS)

    def _counted(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        with self._idle:
            self._busy += 1
        try:
            return ClosingIterator(self.app(environ, start_response), self._done)
        except BaseException:
            self._done()
            raise

    def _done(self) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

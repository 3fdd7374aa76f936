"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests."""
from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Envelope:
    """What the SMTP transaction itself carried: the addresses given to MAIL FROM and RCPT TO
    (where the message really goes), the bytes after DATA, and whether SMTPUTF8 was asked."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    smtputf8: bool


class Mailbox:
    """Collects every message the server accepts, parsed with the modern email API, and the
    client connection (address, port) each came over. Refuses the addresses in ``refused``;
    with ``closing`` answers every recipient 421 (shutting down, as a server does before a
    restart); with ``hang_up_on_quit`` drops the connection instead of answering QUIT."""

    def __init__(self) -> None:
        self._messages: list[EmailMessage] = []
        self._envelopes: list[Envelope] = []
        self._peers: list[tuple] = []
        self._lock = threading.Lock()
        self.refused: set[str] = set()
        self.closing = False
        self.hang_up_on_quit = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.closing:
            return "421 Service not available, closing transmission channel"
        if address.lower() in self.refused:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802
        if self.hang_up_on_quit:
            server.transport.close()
        return "221 Bye"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        kept = Envelope(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content,
                        envelope.smtp_utf8)
        with self._lock:
            self._messages.append(message)
            self._envelopes.append(kept)
            self._peers.append(session.peer)
        return "250 Message accepted for delivery"

    @property
    def connections(self) -> int:
        """How many client connections the messages so far came over."""
        with self._lock:
            return len(set(self._peers))

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    @property
    def envelopes(self) -> list[Envelope]:
        with self._lock:
            return list(self._envelopes)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._envelopes.clear()
            self._peers.clear()
        self.refused.clear()
        self.closing = False
        self.hang_up_on_quit = False

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in m["To"].lower()]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages, once at least ``count`` have arrived (mail may be sent from a thread)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def text_of(message: EmailMessage) -> str:
    """The plain-text part as a mail client shows it (SMTP's CRLF line ends read as lines)."""
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")


class SMTPServer:
    """aiosmtpd, which refuses a line over 998 octets (plus CRLF) as real servers do; with
    ``smtputf8`` it offers SMTPUTF8 (RFC 6531)."""

    def __init__(self, port: int | None = None, *, smtputf8: bool = False,
                 mailbox: Mailbox | None = None) -> None:
        self.mailbox = mailbox or Mailbox()
        self.port = port or free_port()
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port,
                                      enable_SMTPUTF8=smtputf8)

    def start(self) -> SMTPServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


class SilentServer:
    """Accepts connections and never says a word: a mail server (or Redis) that hangs."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._socket = socket.socket()
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._held: list[socket.socket] = []
        self._stopped = threading.Event()

    def start(self) -> SilentServer:
        self._socket.bind(("127.0.0.1", self.port))
        self._socket.listen()
        self._socket.settimeout(0.1)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        return self

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(connection)

    @property
    def connections(self) -> int:
        """How many connections it has accepted (and held without a word)."""
        return len(self._held)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()  # the listening socket is free only once accept() has returned
        for connection in self._held:
            connection.close()
        self._socket.close()

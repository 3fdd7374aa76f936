"""Outgoing email: text + HTML from templates, sent with a bounded SMTP timeout.

Callers send only after their transaction has committed, so a mail failure can never undo the
change it reports. ``send_email`` returns False instead of raising; with ``queue_on_failure``
the message waits in the outbox (a ``send_email`` job) instead of being dropped. The emails of
one action (a booking's to guest and host) share one SMTP connection: see ``one_connection``.
"""
from __future__ import annotations

import base64
import json
import logging
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, g, render_template
from flask_mail import Connection, Message, sanitize_address, sanitize_addresses

from .extensions import db
from .models import Job
from .security import decrypt_secret, encrypt_secret

logger = logging.getLogger(__name__)

SEND_EMAIL = "send_email"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


class _BoundedConnection(Connection):
    """Flask-Mail's connection, with a timeout: its own has none, so a hung server hangs us."""

    def configure_host(self) -> smtplib.SMTP:
        timeout = float(current_app.config["MAIL_TIMEOUT"])
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def build_message(to: str, subject: str, template: str,
                  attachments: tuple[Attachment, ...] = (), **context) -> Message:
    """Render ``templates/<template>.txt`` and ``.html`` into a message to ``to``."""
    message = Message(
        subject=subject,
        recipients=[to],
        body=render_template(f"{template}.txt", **context),
        html=render_template(f"{template}.html", **context),
    )
    for attachment in attachments:
        message.attach(attachment.filename, attachment.content_type, attachment.data)
    return message


# The server said no to one message (its recipient, sender or content): the connection is
# still good for the next, unless the answer was 421. Any other failure (SMTPException is an
# OSError) ends it.
_MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                    smtplib.SMTPDataError)
_CLOSING = 421  # "closing transmission channel": smtplib has dropped the connection


def _smtp_codes(error: BaseException) -> set[int]:
    """The reply codes a refusal carries (one per recipient for refused recipients)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return {code for code, _ in error.recipients.values()}
    code = getattr(error, "smtp_code", None)
    return {code} if isinstance(code, int) else set()


class _Session:
    """One SMTP connection for several messages, opened for the first of them."""

    def __init__(self) -> None:
        self.connection: _BoundedConnection | None = None
        self.lost: OSError | None = None  # why the server could not be reached

    def send(self, message: Message) -> None:
        self._use(message.send)

    def send_raw(self, sender: str, recipients: list[str], raw: bytes) -> None:
        self._use(lambda connection: connection.host.sendmail(sender, recipients, raw))

    def _use(self, send: Callable[[_BoundedConnection], object]) -> None:
        if self.lost is not None:
            raise self.lost  # one timeout per action, not one per email
        try:
            if self.connection is None:
                # Entered by hand: Flask-Mail's __exit__ would say QUIT even to a server that
                # hung, and ``close`` knows when not to.
                self.connection = _BoundedConnection(current_app.extensions["mail"]).__enter__()
            send(self.connection)
        except OSError as e:  # smtplib's errors included
            if not isinstance(e, _MESSAGE_REFUSED) or _CLOSING in _smtp_codes(e):
                self.lost = e
                self.close(goodbye=False)  # a server that hung would hang on QUIT as well
            raise

    def close(self, goodbye: bool = True) -> None:
        connection, self.connection = self.connection, None
        if connection is None or connection.host is None:
            return
        try:
            if goodbye:
                connection.host.quit()
        except OSError:  # smtplib's errors included
            pass  # the messages were accepted already: a failed goodbye must not resend them
        finally:
            connection.host.close()


@contextmanager
def one_connection() -> Iterator[None]:
    """Send the emails of the block over one SMTP connection (within one app context).

    A remote server costs a TCP, TLS and login handshake per connection. Once the server could
    not be reached, the block's later emails fail at once with the same error (and so wait in
    the outbox like the first): a hung server costs one ``MAIL_TIMEOUT``, not one per email.
    """
    if "mail_session" in g:  # already inside one: share it
        yield
        return
    g.mail_session = _Session()
    try:
        yield
    finally:
        g.pop("mail_session").close()


def deliver(message: Message) -> None:
    """Send now; raises OSError/SMTPException on failure."""
    with one_connection():
        g.mail_session.send(message)


def deliver_sealed(sealed: str) -> None:
    """Send a message kept by ``queue_message``; raises like ``deliver``."""
    envelope = json.loads(decrypt_secret(sealed))
    with one_connection():
        g.mail_session.send_raw(envelope["sender"], envelope["recipients"],
                                base64.b64decode(envelope["raw"]))


def describe_mail_error(error: BaseException) -> str:
    """The failure in words an admin can act on (never the message or its links)."""
    # smtplib reports a read timeout as "Connection unexpectedly closed: timed out".
    if isinstance(error, TimeoutError) or "timed out" in str(error):
        return "The mail server did not answer in time."
    if isinstance(error, ConnectionRefusedError):
        return "The mail server refused the connection (is it running, is MAIL_PORT right?)."
    if _CLOSING in _smtp_codes(error):
        return f"The mail server is not taking mail just now ({_CLOSING})."
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "The mail server refused the username or password."
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "The mail server refused the recipient address."
    if isinstance(error, smtplib.SMTPException):
        return f"The mail server refused the message ({error.__class__.__name__})."
    return f"The mail server could not be reached ({error.__class__.__name__})."


def queue_message(message: Message, error: str, booking_id: int | None = None) -> Job:
    """Keep a message that could not be sent as an outbox job, sealed: it may hold a link."""
    envelope = {
        "sender": sanitize_address(message.sender),
        "recipients": list(sanitize_addresses(message.send_to)),
        "raw": base64.b64encode(message.as_bytes()).decode(),
    }
    job = Job(kind=SEND_EMAIL, booking_id=booking_id, attempts=1, last_error=error,
              payload={"to": ", ".join(message.recipients), "subject": message.subject,
                       "sealed": encrypt_secret(json.dumps(envelope))})
    db.session.add(job)
    db.session.commit()
    return job


def send_email(to: str, subject: str, template: str,
               attachments: tuple[Attachment, ...] = (), *, queue_on_failure: bool = False,
               booking_id: int | None = None, **context) -> bool:
    """Build and send one email; True if the SMTP server accepted it."""
    message = build_message(to, subject, template, attachments, **context)
    try:
        deliver(message)
    except (OSError, smtplib.SMTPException) as e:
        reason = describe_mail_error(e)
        logger.warning("Email %r could not be sent: %s", subject, reason)
        if queue_on_failure:
            queue_message(message, reason, booking_id)
        return False
    logger.info("Email %r sent", subject)
    return True

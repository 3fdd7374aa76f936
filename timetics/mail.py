"""Outgoing email: one way to address, write and send a message, whoever typed its parts.

- **Addresses** go out exactly as they are stored: the domain as its IDNA 2008 A-label, never
  through Python's ``idna`` codec (IDNA 2003), which writes ``faß.de`` as ``fass.de``, another
  domain whose owner would get our password-reset links. A local part that is not ASCII goes
  out only over SMTPUTF8 (RFC 6531), never rewritten; ``refuse_undeliverable`` turns such an
  address away at input when our mail server does not offer SMTPUTF8.
- **Headers** are written by the standard library's ``EmailMessage``, whose policy refuses a
  line break in a header value (every character ``str.splitlines`` splits on, vertical tab and
  form feed included). Values built from what people typed lose their control characters
  first (``header_text``), so a guest's name can never add a header.
- **Bodies** are encoded by the email package, which picks quoted-printable or base64 when a
  line would pass SMTP's 998 octets, whatever the guest typed in the notes.

The emails of one action share one SMTP connection (``one_connection``). Flask-Mail holds the
``MAIL_*`` settings; messages are built and sent here.
"""
from __future__ import annotations

import base64
import email.policy
import json
import logging
import smtplib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import idna
from email_validator import EmailNotValidError
from flask import current_app, g, render_template
from flask_babel import force_locale

from .db import utcnow
from .exceptions import RetryLater, UndeliverableAddress
from .jobs import Kind, enqueue, handler
from .models import Job
from .security import decrypt_secret, encrypt_secret
from .validation import check_email_syntax, is_control_character

logger = logging.getLogger(__name__)


# CRLF line ends, and header values with a line break in them are refused when set.
POLICY = email.policy.SMTP


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class MailAddress:
    """An address as it goes over the wire: the stored local part, the domain's A-label."""

    local_part: str
    ascii_domain: str

    @property
    def addr_spec(self) -> str:
        return f"{self.local_part}@{self.ascii_domain}"

    @property
    def needs_smtputf8(self) -> bool:
        return not self.local_part.isascii()

    def header(self, display_name: str = "") -> Address:
        return Address(display_name=header_text(display_name), username=self.local_part,
                       domain=self.ascii_domain)


def mail_address(address: str) -> MailAddress:
    """The wire form of a stored address; UndeliverableAddress if it is not a valid address."""
    try:
        valid = check_email_syntax(address)
    except EmailNotValidError as e:
        raise UndeliverableAddress(str(e)) from None
    return MailAddress(valid.local_part, valid.ascii_domain)


def _sender() -> tuple[str, MailAddress]:
    """``MAIL_DEFAULT_SENDER``'s name and address. The operator's own setting: read leniently
    (``timetics@localhost`` is fine there), but its domain is still written as an A-label."""
    configured = current_app.config["MAIL_DEFAULT_SENDER"]
    name, address = configured if isinstance(configured, tuple | list) else parseaddr(configured)
    local, _, domain = address.rpartition("@")
    if not domain.isascii():
        domain = idna.encode(domain, uts46=True).decode("ascii")
    return name, MailAddress(local, domain)


def header_text(value: str) -> str:
    """``value`` fit for a header: control and line-separator characters become spaces."""
    return " ".join("".join(" " if is_control_character(c) else c for c in value).split())


@dataclass(frozen=True)
class Outgoing:
    """A written message and its envelope: what one SMTP transaction sends."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes
    smtputf8: bool
    subject: str  # for logs and the dashboard; the message itself is never logged

    def seal(self) -> str:
        """Encrypted for the outbox: a message may hold a manage link or a Zoom passcode."""
        return encrypt_secret(json.dumps({
            "sender": self.sender, "recipients": list(self.recipients),
            "raw": base64.b64encode(self.data).decode(), "smtputf8": self.smtputf8,
            "subject": self.subject,
        }))

    @classmethod
    def unseal(cls, sealed: str) -> Outgoing:
        kept = json.loads(decrypt_secret(sealed))
        return cls(kept["sender"], tuple(kept["recipients"]), base64.b64decode(kept["raw"]),
                   kept.get("smtputf8", False), kept.get("subject", ""))


def build_message(to: str, subject: str, template: str,
                  attachments: tuple[Attachment, ...] = (), *, language: str | None = None,
                  **context) -> Outgoing:
    """Render ``templates/<template>.txt`` and ``.html`` into a message to ``to``, in
    ``language`` (the reader's, timetics/i18n.py) when given, else the current one.

    Raises UndeliverableAddress for an address that is not valid (nothing is sent to a guess).
    """
    recipient = mail_address(to)
    sender_name, sender = _sender()
    message = EmailMessage(policy=POLICY)
    message["Subject"] = header_text(subject)
    message["From"] = sender.header(sender_name)
    message["To"] = recipient.header()
    message["Date"] = format_datetime(utcnow())
    # With a domain, make_msgid does not ask DNS for this host's name on every email.
    message["Message-ID"] = make_msgid(domain=sender.ascii_domain or "timetics.invalid")
    with force_locale(language) if language else nullcontext():
        message.set_content(render_template(f"{template}.txt", **context))
        message.add_alternative(render_template(f"{template}.html", **context), subtype="html")
    for attachment in attachments:
        maintype, _, rest = attachment.content_type.partition("/")
        subtype, *params = (part.strip() for part in rest.split(";"))
        parameters = dict(p.split("=", 1) for p in params if "=" in p)
        parameters.pop("charset", None)  # the email package writes it for text
        if maintype == "text":
            message.add_attachment(attachment.data.decode("utf-8"), subtype=subtype,
                                   filename=attachment.filename, params=parameters)
        else:
            message.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                                   filename=attachment.filename, params=parameters)
    smtputf8 = recipient.needs_smtputf8 or sender.needs_smtputf8
    return Outgoing(
        sender=sender.addr_spec, recipients=(recipient.addr_spec,),
        data=message.as_bytes(policy=POLICY.clone(utf8=smtputf8)), smtputf8=smtputf8,
        subject=str(message["Subject"]),
    )


# --- sending ---------------------------------------------------------------------------------

# The server said no to one message (its recipient, sender or content): the connection is
# still good for the next, unless the answer was 421. Any other failure (SMTPException is an
# OSError) ends it.
_MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                    smtplib.SMTPDataError, smtplib.SMTPNotSupportedError)
_CLOSING = 421  # "closing transmission channel": smtplib has dropped the connection


def _smtp_codes(error: BaseException) -> set[int]:
    """The reply codes a refusal carries (one per recipient for refused recipients)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return {code for code, _ in error.recipients.values()}
    code = getattr(error, "smtp_code", None)
    return {code} if isinstance(code, int) else set()


def _connect() -> smtplib.SMTP:
    """A connection to the configured server, with a timeout (Flask-Mail sets none)."""
    settings = current_app.extensions["mail"]
    timeout = float(current_app.config["MAIL_TIMEOUT"])
    smtp_class = smtplib.SMTP_SSL if settings.use_ssl else smtplib.SMTP
    host = smtp_class(settings.server, settings.port, timeout=timeout)
    if settings.use_tls:
        host.starttls()
    if settings.username and settings.password:
        host.login(settings.username, settings.password)
    return host


class _Session:
    """One SMTP connection for several messages, opened for the first of them."""

    def __init__(self) -> None:
        self.host: smtplib.SMTP | None = None
        self.lost: OSError | None = None  # why the server could not be reached

    def send(self, outgoing: Outgoing) -> None:
        if self.lost is not None:
            raise self.lost  # one timeout per action, not one per email
        if current_app.extensions["mail"].suppress:
            return
        try:
            if self.host is None:
                self.host = _connect()
            options = ["SMTPUTF8", "BODY=8BITMIME"] if outgoing.smtputf8 else []
            self.host.sendmail(outgoing.sender, list(outgoing.recipients), outgoing.data,
                               mail_options=options)
        except OSError as e:  # smtplib's errors included
            if not isinstance(e, _MESSAGE_REFUSED) or _CLOSING in _smtp_codes(e):
                self.lost = e
                self.close(goodbye=False)  # a server that hung would hang on QUIT as well
            raise

    def close(self, goodbye: bool = True) -> None:
        host, self.host = self.host, None
        if host is None:
            return
        try:
            if goodbye:
                host.quit()
        except OSError:  # smtplib's errors included
            pass  # the messages were accepted already: a failed goodbye must not resend them
        finally:
            host.close()


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


def deliver(outgoing: Outgoing) -> None:
    """Send now; raises OSError/SMTPException on failure."""
    with one_connection():
        g.mail_session.send(outgoing)


@handler(Kind.SEND_EMAIL)
def _send_sealed(job: Job) -> None:
    """Send a message kept by ``queue_message``."""
    try:
        deliver(Outgoing.unseal(job.payload["sealed"]))
    except (OSError, smtplib.SMTPException) as e:
        raise RetryLater(describe_mail_error(e)) from e
    job.payload = {k: v for k, v in job.payload.items() if k != "sealed"}  # it may hold a link


def describe_mail_error(error: BaseException) -> str:
    """The failure in words an admin can act on (never the message or its links)."""
    # smtplib reports a read timeout as "Connection unexpectedly closed: timed out".
    if isinstance(error, TimeoutError) or "timed out" in str(error):
        return "The mail server did not answer in time."
    if isinstance(error, ConnectionRefusedError):
        return "The mail server refused the connection (is it running, is MAIL_PORT right?)."
    if _CLOSING in _smtp_codes(error):
        return f"The mail server is not taking mail just now ({_CLOSING})."
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return ("The mail server cannot deliver to an address with non-ASCII characters "
                "before the @ (it does not offer SMTPUTF8).")
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "The mail server refused the username or password."
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "The mail server refused the recipient address."
    if isinstance(error, smtplib.SMTPException):
        return f"The mail server refused the message ({error.__class__.__name__})."
    return f"The mail server could not be reached ({error.__class__.__name__})."


def enqueue_email(to: str, subject: str, template: str, **context) -> Job | None:
    """Write the email now and send it as an outbox job of the current transaction (sealed:
    it may hold a link). None, with a warning, for an address that is not valid."""
    try:
        outgoing = build_message(to, subject, template, **context)
    except UndeliverableAddress as e:
        logger.warning("Email %r not queued: the address is not valid (%s)",
                       header_text(subject), e)
        return None
    return enqueue(Kind.SEND_EMAIL, payload={
        "to": ", ".join(outgoing.recipients), "subject": outgoing.subject,
        "sealed": outgoing.seal()})


def send_email(to: str, subject: str, template: str,
               attachments: tuple[Attachment, ...] = (), **context) -> bool:
    """Build and send one email now (for a person waiting on the answer, as a password reset
    is); True if the SMTP server accepted it. A change's side effects use the outbox."""
    try:
        outgoing = build_message(to, subject, template, attachments, **context)
    except UndeliverableAddress as e:
        logger.warning("Email %r not sent: the address is not valid (%s)", header_text(subject), e)
        return False
    try:
        deliver(outgoing)
    except (OSError, smtplib.SMTPException) as e:
        logger.warning("Email %r could not be sent: %s", outgoing.subject, describe_mail_error(e))
        return False
    logger.info("Email %r sent", outgoing.subject)
    return True


# --- at input: can our server deliver this address as written? --------------------------------

_SMTPUTF8_SEEN: dict[tuple[str, int], tuple[float, bool]] = {}
_SMTPUTF8_LOCK = threading.Lock()
_SMTPUTF8_REMEMBER = 600.0  # seconds: a server's extensions change with its configuration only


def _server_offers_smtputf8() -> bool | None:
    """Whether the mail server offers SMTPUTF8; None when it cannot be asked just now."""
    settings = current_app.extensions["mail"]
    key = (settings.server, settings.port)
    with _SMTPUTF8_LOCK:
        seen = _SMTPUTF8_SEEN.get(key)
    if seen is not None and time.monotonic() - seen[0] < _SMTPUTF8_REMEMBER:
        return seen[1]
    try:
        host = _connect()
        try:
            host.ehlo_or_helo_if_needed()
            offered = host.has_extn("smtputf8")
        finally:
            host.close()
    except (OSError, smtplib.SMTPException):
        return None
    with _SMTPUTF8_LOCK:
        _SMTPUTF8_SEEN[key] = (time.monotonic(), offered)
    return offered


def refuse_undeliverable(address: str) -> None:
    """UndeliverableAddress when our mail server cannot deliver ``address`` as written.

    Only an address with a non-ASCII local part needs asking (SMTPUTF8). A server that cannot
    be reached now is no reason to turn a guest away: the email waits in the outbox.
    """
    if mail_address(address).needs_smtputf8 and \
            not current_app.extensions["mail"].suppress and _server_offers_smtputf8() is False:
        raise UndeliverableAddress(
            "Our mail server cannot deliver to an address with non-ASCII characters before "
            "the @. Please use another address.")

"""Outgoing email: text + HTML from templates, sent with a bounded SMTP timeout.

Callers send only after their transaction has committed, so a mail failure can never undo the
change it reports. ``send_email`` returns False instead of raising: the caller decides whether
the failure becomes a visible state or a retry.
"""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass

from flask import current_app, render_template
from flask_mail import Connection, Message

logger = logging.getLogger(__name__)


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


def deliver(message: Message) -> None:
    """Send now; raises OSError/SMTPException on failure."""
    with _BoundedConnection(current_app.extensions["mail"]) as connection:
        message.send(connection)


def send_email(to: str, subject: str, template: str,
               attachments: tuple[Attachment, ...] = (), **context) -> bool:
    """Build and send one email; True if the SMTP server accepted it."""
    message = build_message(to, subject, template, attachments, **context)
    try:
        deliver(message)
    except (TimeoutError, OSError, smtplib.SMTPException) as e:
        logger.warning("Email %r to user could not be sent: %s", subject, e.__class__.__name__)
        return False
    logger.info("Email %r sent", subject)
    return True

"""Plain-text email to partners' contact addresses over SMTP.

Only `portal.notices` sends mail, from its outbox and after the transaction that wrote the notice
has been committed: a mail server that is down never undoes or blocks a change.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app


def build_message(to: str, subject: str, body: str, *, language: str = "nl") -> EmailMessage:
    sender = current_app.config["MAIL_SENDER"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    # RFC 3834: a machine wrote this; auto-responders should not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    # After the content: set_content drops the Content-* headers set before it.
    message["Content-Language"] = language
    return message


def send(to: str, subject: str, body: str) -> None:
    """Deliver one plain-text message; raises OSError or smtplib.SMTPException when that
    fails."""
    send_message(build_message(to, subject, body))


def send_message(message: EmailMessage) -> None:
    """Deliver a message made with `build_message` (attachments added, for one); raises OSError
    or smtplib.SMTPException when that fails."""
    config = current_app.config
    with smtplib.SMTP(
        config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=config["MAIL_TIMEOUT"]
    ) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        smtp.send_message(message)

"""E-mail delivery over SMTP (settings prefix ``OUTAGES_SMTP_``), with a delivery log and back-off."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid
from functools import lru_cache
from typing import Any, Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry.schemas import normalise_email


class SmtpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OUTAGES_SMTP_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 25
    security: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "outages@localhost"
    recipients: str = ""  # the executives who receive notices, comma-separated
    timeout: float = 10.0

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, value: str) -> str:
        """Each address checked and normalised as every e-mail the service accepts is."""
        try:
            return ",".join(normalise_email(r) for r in value.split(",") if r.strip())
        except ValueError as err:
            raise ValueError(
                f"OUTAGES_SMTP_RECIPIENTS: {err}. Fix: list the executives' addresses separated by "
                "commas, e.g. ceo@your-coop.org,coo@your-coop.org"
            ) from None

    @property
    def recipient_list(self) -> list[str]:
        return [r.strip() for r in self.recipients.split(",") if r.strip()]


@lru_cache
def get_smtp_settings() -> SmtpSettings:
    return SmtpSettings()


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failures: 1, 2, 4, … minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _date_and_id(settings: SmtpSettings) -> tuple[str, str]:
    return formatdate(localtime=False, usegmt=True), make_msgid(domain=settings.sender.rpartition("@")[2] or None)


def email_message(
    settings: SmtpSettings,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Iterable[tuple[str, str, bytes]] = (),
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """One message from the configured sender, dated and with its own Message-ID (RFC 5322): plain text,
    optional HTML alternative and attachments."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.sender, to, subject
    message["Date"], message["Message-ID"] = _date_and_id(settings)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, mime, content in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


_QP = Charset("utf-8")
_QP.header_encoding = _QP.body_encoding = QP


def bulk_text_message(
    settings: SmtpSettings, *, to: str, subject: str, text: str, headers: dict[str, str] | None = None
) -> MIMEText:
    """A plain-text message for bulk sending (members' alerts), built with the older ``email`` API: a fifth of
    the cost of :func:`email_message`, which is what limits the delivery rate in a storm."""
    # typeshed takes the charset and header values as str only; email also takes a Charset and a Header
    message = MIMEText(text, "plain", _QP)  # type: ignore[arg-type]
    message["From"], message["To"], message["Subject"] = settings.sender, to, Header(subject, _QP)  # type: ignore[assignment]
    message["Date"], message["Message-ID"] = _date_and_id(settings)
    for name, value in (headers or {}).items():
        message[name] = value
    return message


@contextmanager
def smtp_connection(settings: SmtpSettings) -> Iterator[smtplib.SMTP]:
    """An open, authenticated connection to the configured server (reuse it for a batch of messages)."""
    smtp_class = smtplib.SMTP_SSL if settings.security == "tls" else smtplib.SMTP
    kwargs: dict[str, Any] = {"context": ssl.create_default_context()} if settings.security == "tls" else {}
    with smtp_class(settings.host, settings.port, timeout=settings.timeout, **kwargs) as smtp:
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password.get_secret_value() if settings.password else "")
        yield smtp


def send_email(settings: SmtpSettings, **message) -> None:
    """Send one message (see :func:`email_message`); raises on any failure (the caller logs it and retries)."""
    with smtp_connection(settings) as smtp:
        smtp.send_message(email_message(settings, **message))


def next_try(now: datetime, attempts: int) -> datetime:
    return now + backoff(attempts)

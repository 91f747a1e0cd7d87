"""The e-mails a member's own actions set off, sent after the answer: the account e-mails (activation, already
registered, reset, no account; texts in :data:`outages.members.texts.MAIL`) and an extra alert recipient's request
to confirm.  A failed send is logged (the recipient redacted) and told to nobody else: the member can ask again."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from outages.members.models import AlertRecipient
from outages.members.service import Outgoing
from outages.members.texts import MAIL
from reports.delivery import SmtpSettings, send_email
from reports.member_alerts import SmsSettings, redact_addresses, send_confirmation

log = logging.getLogger(__name__)
LINKS = {"activate": "/members/activate", "reset": "/members/reset"}


def account_mail_words(mail: Outgoing, *, public_url: str) -> tuple[str, str]:
    """(subject, text) of an account e-mail, in its language, with its link under ``public_url``."""
    english, spanish = MAIL[mail.kind]
    subject, text = spanish if mail.language == "es" else english
    link = f"{public_url}{LINKS[mail.kind]}?token={mail.token}" if mail.token else ""
    return subject, text.format(link=link)


def send_account_mail(mail: Outgoing | None, *, public_url: str, smtp: SmtpSettings) -> None:
    """Send one account e-mail (none when the service had nothing to tell)."""
    if mail is None:
        return
    subject, text = account_mail_words(mail, public_url=public_url)
    _logged(mail.kind, mail.to, lambda: send_email(smtp, to=mail.to, subject=subject, text=text))


def send_recipient_confirmation(
    readers: sessionmaker[Session],
    *,
    recipient_id: int,
    token: str,
    coop: str,
    public_url: str,
    smtp: SmtpSettings,
    sms: SmsSettings,
) -> None:
    """Ask a new extra recipient to confirm (:func:`reports.member_alerts.send_confirmation`), read in a session
    of its own that only reads (none if the member removed it meanwhile)."""
    with readers() as session:
        recipient = session.get(AlertRecipient, recipient_id)
    if recipient is None:
        return
    _logged(
        "confirmation",
        recipient.address,
        lambda: send_confirmation(recipient, token, coop=coop, public_url=public_url, smtp=smtp, sms=sms),
    )


def _logged(kind: str, to: str, send: Callable[[], None]) -> None:
    """Run ``send``; a failure of any kind is logged, naming the message's kind and its recipient redacted."""
    try:
        send()
    except Exception:  # noqa: BLE001 - logged for the operator; the member can ask again
        log.warning("The %s message to %s was not sent", kind, redact_addresses(to), exc_info=True)

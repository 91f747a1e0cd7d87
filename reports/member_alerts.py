"""Members' outage alerts, from the events the dispatcher's actions leave (:mod:`outages.alerts`) to the
members' inboxes and phones.  Nothing here runs in a dispatcher's request:

1. :func:`queue_alerts` turns each new event into its deliveries with one ``INSERT … SELECT`` — the
   confirmed, subscribed recipients of the members whose service points the event is about
   (:class:`~outages.alerts.AlertEventPoint`: fixed when the dispatcher acted, from the power state, D15)
   and who want that kind of alert for at least one of them (:data:`outages.alerts.KINDS`; "crew", a crew
   arrived on site, only for those who turned it on), and the confirmed recipients without an account of
   exactly those service points (every kind: they asked for that outage's updates).  The event is claimed first with a
   conditional update and ``(event, recipient)`` is a unique key, so each recipient gets one delivery per
   event, whatever the number of workers or of the member's meters in it.
2. :func:`deliver_alerts` claims a batch of due deliveries in one statement, sends them over one SMTP
   connection (and one HTTP client for texts), and records every outcome in one statement; failures
   retry with the notices' back-off.  A crash between sending and recording can resend that batch once
   the claim expires (at-least-once), never twice while the claim holds.  Each message names all the
   recipient's meters the event is about ("meters M1 and M2"), looked up for the whole batch in one query
   (:func:`_meters_of`); a correction names the meters the voided record's alerts named.  A recipient
   without an account has one service point, the delivery's own, so its message names that meter.

Texts go through a pluggable gateway (:class:`SmsSettings`): an e-mail-to-SMS domain over the same SMTP
settings, or an HTTP webhook receiving ``{"to", "text", "id"}`` as JSON.
"""

from __future__ import annotations

import re
import secrets
import smtplib
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import httpx
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import and_, case, func, insert, literal, or_, select, true, union_all, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from gis.db import UTCDateTime, transaction, utcnow
from gis.models import Device, Feeder, ServicePoint, TransmissionLine
from outages.alerts import KINDS, AlertDelivery, AlertEvent, AlertEventPoint, when
from outages.members.models import AlertRecipient, MemberServicePoint
from outages.members.texts import ALERT_CAUSES_ES, ALERTS
from outages.models import Interruption
from outages.settings import DEFAULT_CAUSES, get_rule_settings
from reports.delivery import (
    SmtpSettings,
    bulk_text_message,
    get_smtp_settings,
    next_try,
    smtp_connection,
)

CLAIM = timedelta(minutes=5)
BATCH = 500


class SmsSettings(BaseSettings):
    """The text-message gateway (environment prefix ``OUTAGES_SMS_``)."""

    model_config = SettingsConfigDict(env_prefix="OUTAGES_SMS_", env_file=".env", extra="ignore")

    gateway: Literal["none", "email", "webhook"] = "none"
    email_domain: str = ""  # e-mail-to-SMS: a text to +15125550142 goes to 5125550142@<domain>
    webhook_url: str = ""  # HTTP gateway: POST {"to", "text", "id"} as JSON, 2xx means accepted
    webhook_token: SecretStr | None = None  # sent as "Authorization: Bearer …" when set
    timeout: float = 10.0

    @property
    def available(self) -> bool:
        return (self.gateway == "email" and bool(self.email_domain)) or (
            self.gateway == "webhook" and bool(self.webhook_url)
        )


@lru_cache
def get_sms_settings() -> SmsSettings:
    return SmsSettings()


# --- 1. queue ---------------------------------------------------------------------------------------


QUEUE_BATCH = 10  # events queued per transaction: a few statements each, and the write lock never held for long
DELIVERY_COLUMNS = ["event_id", "recipient_id", "service_point_id", "status", "attempts", "next_attempt_at"]


def queue_alerts(sessions: sessionmaker, *, now: datetime, limit: int = 50) -> int:
    """Make the deliveries of every event not yet queued (up to ``limit`` events, in order); returns how many
    were made.  Each batch is claimed with one statement (events another worker claimed first are skipped),
    its deliveries made with one ``INSERT … SELECT`` (a voided record's correction with one more each)."""
    made = seen = 0
    while seen < limit:
        with transaction(sessions) as session:
            batch = (
                select(AlertEvent.id)
                .where(AlertEvent.queued_at.is_(None))
                .order_by(AlertEvent.id)
                .limit(min(QUEUE_BATCH, limit - seen))
            )
            claimed = session.execute(
                update(AlertEvent)
                .where(AlertEvent.id.in_(batch.scalar_subquery()), AlertEvent.queued_at.is_(None))
                .values(queued_at=now)
                .returning(AlertEvent.id, AlertEvent.kind, AlertEvent.interruption_id)
                .execution_options(synchronize_session=False)
            ).all()
            ids = [event_id for event_id, _kind, _record in claimed]
            if [event_id for event_id, kind, _r in claimed if kind != "cancelled"]:
                session.execute(insert(AlertDelivery).from_select(DELIVERY_COLUMNS, _subscribers(ids, now)))
            for event_id, _kind, record_id in sorted(c for c in claimed if c[1] == "cancelled"):
                session.execute(
                    insert(AlertDelivery).from_select(DELIVERY_COLUMNS, _correction(session, event_id, record_id, now))
                )
            if ids:
                session.execute(
                    update(AlertEvent)
                    .where(AlertEvent.id.in_(ids))
                    .values(
                        recipients=select(func.count()).where(AlertDelivery.event_id == AlertEvent.id).scalar_subquery()
                    )
                    .execution_options(synchronize_session=False)
                )
                made += session.execute(select(func.count()).where(AlertDelivery.event_id.in_(ids))).scalar_one()
        seen += len(claimed)
        if not claimed:
            break
    return made


def _subscribers(event_ids: list[int], now: datetime):
    """For each event (other than a correction), the confirmed recipients of members with a service point the
    event is about and wanting its kind for it: one row per event and recipient (its lowest such service
    point), however many of the member's meters it names; and the confirmed recipients without an account of
    a service point the event is about (one each: their one service point)."""
    of_accounts = (
        select(
            AlertEventPoint.event_id,
            AlertRecipient.id,
            func.min(MemberServicePoint.service_point_id),
            literal("pending"),
            literal(0),
            literal(now, UTCDateTime()),
        )
        .select_from(AlertEventPoint)
        .join(AlertEvent, AlertEvent.id == AlertEventPoint.event_id)
        .join(MemberServicePoint, MemberServicePoint.service_point_id == AlertEventPoint.service_point_id)
        .join(AlertRecipient, AlertRecipient.account_id == MemberServicePoint.account_id)
        .where(
            AlertEventPoint.event_id.in_(event_ids),
            AlertEvent.kind != "cancelled",
            _wants(AlertEvent.kind),
            AlertRecipient.confirmed_at.is_not(None),
            AlertRecipient.unsubscribed_at.is_(None),
        )
        .group_by(AlertEventPoint.event_id, AlertRecipient.id)
    )
    of_points = (
        select(
            AlertEventPoint.event_id,
            AlertRecipient.id,
            AlertEventPoint.service_point_id,
            literal("pending"),
            literal(0),
            literal(now, UTCDateTime()),
        )
        .select_from(AlertEventPoint)
        .join(AlertEvent, AlertEvent.id == AlertEventPoint.event_id)
        .join(AlertRecipient, AlertRecipient.service_point_id == AlertEventPoint.service_point_id)
        .where(
            AlertEventPoint.event_id.in_(event_ids),
            AlertEvent.kind != "cancelled",
            AlertRecipient.confirmed_at.is_not(None),
            AlertRecipient.unsubscribed_at.is_(None),
        )
    )
    return union_all(of_accounts, of_points)


def _wants(kind):
    """The member wants alerts of ``kind`` (a kind, or a column of kinds) for that service point."""
    if isinstance(kind, str):
        return getattr(MemberServicePoint, f"alert_{kind}") == true()
    return or_(*(and_(kind == k, getattr(MemberServicePoint, f"alert_{k}") == true()) for k in KINDS))


def _correction(session, event_id: int, record_id: int, now: datetime):
    """A voided record: its alerts not sent yet are cancelled, and exactly those who were told of the outage
    get the correction."""
    earlier = select(AlertEvent.id).where(AlertEvent.interruption_id == record_id, AlertEvent.id != event_id)
    told = (
        select(
            literal(event_id),
            AlertDelivery.recipient_id,
            func.min(AlertDelivery.service_point_id),
            literal("pending"),
            literal(0),
            literal(now, UTCDateTime()),
        )
        .join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
        .where(
            AlertDelivery.event_id.in_(earlier),
            AlertEvent.kind.in_(("outage", "planned")),
            AlertDelivery.status == "sent",
        )
        .group_by(AlertDelivery.recipient_id)
    )
    session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.event_id.in_(earlier), AlertDelivery.status.in_(("pending", "failed")))
        .values(status="cancelled", last_error="the record was voided")
    )
    return told


# --- 2. words (the texts themselves: outages.members.texts.ALERTS) -------------------------------------


SUBJECT_METERS = 5  # a subject names this many meters at most ("… M5 and 3 more"); the text names them all


def listed(items: Sequence[str], language: str, limit: int | None = None) -> str:
    """'M1', 'M1 and M2', 'M1, M2 and M3' / 'M1 y M2'; beyond ``limit`` items, '… and N more'."""
    words = ALERTS[language]
    items = list(items)
    if limit is not None and len(items) > limit:
        items = [*items[: limit - 1], words["more"].format(n=len(items) - limit + 1)]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {words['and']} {items[-1]}"


def meter_phrases(meters: Sequence[str], language: str, limit: int | None = None) -> dict[str, str]:
    """The meters as the messages name them: ``meters`` ('meter M1' / 'meters M1 and M2'), ``the_meters``
    (Spanish 'el medidor M1' / 'los medidores M1 y M2') and ``to_the_meters`` ('al medidor' / 'a los medidores')."""
    one, many, the_one, the_many, to = ALERTS[language]["meter"]
    plural = len(meters) > 1
    noun = f"{many if plural else one} {listed(meters, language, limit)}"
    if language == "en":
        return {"meters": noun, "the_meters": noun, "to_the_meters": noun}
    the = f"{the_many if plural else the_one} {noun}"
    return {"meters": noun, "the_meters": the, "to_the_meters": f"{to} {the}" if plural else f"al {noun}"}


def alert_words(
    kind: str,
    fields: dict,
    *,
    language: str,
    meters: Sequence[str] | str,
    coop: str,
    public_url: str,
    unsubscribe_key: str,
    zone: ZoneInfo,
) -> tuple[str, str, str]:
    """(subject, e-mail body, text message) of one alert, in the recipient's language, naming the meters."""
    words = ALERTS[language]
    meters = [meters] if isinstance(meters, str) else list(meters)
    cause = fields["cause"]
    values = {
        "start": when(fields["start_at"], language, zone),
        "etr": when(fields["etr_at"], language, zone) or words["assessing"],
        "restored": when(fields["restored_at"], language, zone),
        "cause": ALERT_CAUSES_ES.get(cause, cause) if language == "es" else DEFAULT_CAUSES.get(cause, cause).lower(),
        "report_url": f"{public_url}/members/report",
    }
    subject_words, body_words = words[kind]
    subject = subject_words.format(**values, **meter_phrases(meters, language, SUBJECT_METERS))
    body = body_words.format(**values, **meter_phrases(meters, language))
    stop = words["unsubscribe"].format(url=f"{public_url}/members/unsubscribe?key={unsubscribe_key}")
    return subject, f"{body}\n\n{coop}\n\n{stop}\n", f"{coop}: {body} {stop}"


# --- 3. send ----------------------------------------------------------------------------------------


class Sender:
    """One SMTP connection and one HTTP client for a batch, opened on first use and reopened after a
    connection failure."""

    def __init__(self, smtp: SmtpSettings, sms: SmsSettings):
        self.smtp_settings, self.sms = smtp, sms
        self._smtp_cm: AbstractContextManager[smtplib.SMTP] | None = None
        self._smtp: smtplib.SMTP | None = None
        self._http: httpx.Client | None = None

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *_exc) -> None:
        self._drop_smtp()
        if self._http is not None:
            self._http.close()

    def _drop_smtp(self) -> None:
        if self._smtp_cm is not None:
            try:
                self._smtp_cm.__exit__(None, None, None)
            except (OSError, smtplib.SMTPException):
                pass
        self._smtp_cm = self._smtp = None

    def email(self, to: str, subject: str, text: str, headers: dict[str, str] | None = None) -> None:
        if self._smtp is None:
            self._smtp_cm = smtp_connection(self.smtp_settings)
            self._smtp = self._smtp_cm.__enter__()
        try:
            self._smtp.send_message(
                bulk_text_message(self.smtp_settings, to=to, subject=subject, text=text, headers=headers)
            )
        except (OSError, smtplib.SMTPServerDisconnected):
            self._drop_smtp()
            raise

    def text(self, to: str, text: str, key: str) -> None:
        """A text message through the configured gateway; raises when none is configured or it refuses."""
        if not self.sms.available:
            raise RuntimeError("no text-message gateway is configured (OUTAGES_SMS_GATEWAY)")
        if self.sms.gateway == "email":
            self.email(f"{to.removeprefix('+1')}@{self.sms.email_domain}", "", text)
            return
        if self._http is None:
            token = self.sms.webhook_token
            auth = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}
            self._http = httpx.Client(timeout=self.sms.timeout, headers=auth)
        self._http.post(
            self.sms.webhook_url, json={"to": to, "text": text, "id": key}, headers={"Idempotency-Key": key}
        ).raise_for_status()


@dataclass
class AlertRound:
    queued: int = 0
    sent: int = 0
    failed: int = 0
    more: bool = False  # deliveries were left for the next round


def deliver_alerts(
    sessions: sessionmaker,
    *,
    now: datetime,
    coop: str,
    public_url: str,
    smtp: SmtpSettings | None = None,
    sms: SmsSettings | None = None,
    limit: int = BATCH,
) -> AlertRound:
    """Send one batch of due deliveries (see the module docstring)."""
    smtp, sms, zone, claim = (
        smtp or get_smtp_settings(),
        sms or get_sms_settings(),
        get_rule_settings().zone,
        secrets.token_hex(8),
    )
    free = or_(AlertDelivery.claimed_until.is_(None), AlertDelivery.claimed_until < now)
    due = (AlertDelivery.status.in_(("pending", "failed")), AlertDelivery.next_attempt_at <= now, free)
    with transaction(sessions) as session:
        ids = select(AlertDelivery.id).where(*due).order_by(AlertDelivery.id).limit(limit)
        session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.id.in_(ids), *due)  # rechecked under the lock
            .values(claim=claim, claimed_until=now + CLAIM)
        )
        rows = session.execute(
            select(
                AlertDelivery.id,
                AlertDelivery.attempts,
                AlertEvent.kind,
                AlertEvent.fields,
                AlertRecipient.channel,
                AlertRecipient.address,
                AlertRecipient.language,
                AlertRecipient.unsubscribe_key,
                AlertRecipient.unsubscribed_at,
                ServicePoint.meter_number,
            )
            .join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
            .join(AlertRecipient, AlertRecipient.id == AlertDelivery.recipient_id)
            .join(ServicePoint, ServicePoint.id == AlertDelivery.service_point_id)
            .where(AlertDelivery.claim == claim)
            .order_by(AlertDelivery.id)
        ).all()  # in the events' order
        meters = _meters_of(session, claim)
    outcomes, result = [], AlertRound(more=len(rows) == limit)
    with Sender(smtp, sms) as sender:
        for row in rows:
            done = {"id": row.id, "attempts": row.attempts + 1, "claim": None, "claimed_until": None}
            if row.unsubscribed_at is not None:
                outcomes.append({**done, "status": "cancelled", "last_error": "the recipient unsubscribed"})
                continue
            subject, body, text = alert_words(
                row.kind,
                row.fields,
                language=row.language,
                meters=meters.get(row.id) or [row.meter_number],
                coop=coop,
                public_url=public_url,
                zone=zone,
                unsubscribe_key=row.unsubscribe_key,
            )
            try:
                if row.channel == "email":
                    url = f"{public_url}/api/members/alerts/unsubscribe?key={row.unsubscribe_key}"
                    sender.email(
                        row.address,
                        subject,
                        body,
                        {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
                    )
                else:
                    sender.text(row.address, text, key=f"alert-{row.id}")
            except Exception as err:  # noqa: BLE001 - kept on the delivery and retried with back-off
                outcomes.append(
                    {
                        **done,
                        "status": "failed",
                        "last_error": f"{type(err).__name__}: {err}",
                        "next_attempt_at": next_try(now, row.attempts + 1),
                    }
                )
                result.failed += 1
            else:
                outcomes.append({**done, "status": "sent", "sent_at": utcnow(), "last_error": None})
                result.sent += 1
    if outcomes:
        with transaction(sessions) as session:
            for status in {o["status"] for o in outcomes}:  # one executemany per shape
                session.execute(update(AlertDelivery), [o for o in outcomes if o["status"] == status])
    return result


def _meters_of(session: Session, claim: str) -> dict[int, list[str]]:
    """The meter numbers each claimed delivery names, in order: the recipient's account's service points that
    its event is about and that want that kind of alert; for a correction, those the voided record's outage or
    planned alerts named to that recipient.  One query for the batch (two with corrections in it)."""
    told_event = aliased(AlertEvent)
    told = aliased(AlertDelivery)
    common = (AlertDelivery.claim == claim, AlertEventPoint.service_point_id == MemberServicePoint.service_point_id)
    about = (
        select(AlertDelivery.id, ServicePoint.meter_number)
        .join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
        .join(AlertEventPoint, AlertEventPoint.event_id == AlertDelivery.event_id)
        .where(AlertEvent.kind != "cancelled", _wants(AlertEvent.kind))
    )
    corrected = (
        select(AlertDelivery.id, ServicePoint.meter_number)
        .join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
        .join(told, and_(told.recipient_id == AlertDelivery.recipient_id, told.status == "sent"))
        .join(
            told_event,
            and_(
                told_event.id == told.event_id,
                told_event.interruption_id == AlertEvent.interruption_id,
                told_event.kind.in_(("outage", "planned")),
            ),
        )
        .join(AlertEventPoint, AlertEventPoint.event_id == told_event.id)
        .where(AlertEvent.kind == "cancelled", _wants(told_event.kind))
    )
    out: dict[int, list[str]] = {}
    for stmt in (about, corrected):
        stmt = (
            stmt.join(AlertRecipient, AlertRecipient.id == AlertDelivery.recipient_id)
            .join(MemberServicePoint, MemberServicePoint.account_id == AlertRecipient.account_id)
            .join(ServicePoint, ServicePoint.id == MemberServicePoint.service_point_id)
            .where(*common)
            .distinct()
        )
        for delivery_id, meter in session.execute(stmt):
            out.setdefault(delivery_id, []).append(meter)
    return {k: sorted(v) for k, v in out.items()}


def alert_round(
    sessions: sessionmaker,
    *,
    coop: str,
    public_url: str,
    now: datetime | None = None,
    smtp: SmtpSettings | None = None,
    sms: SmsSettings | None = None,
) -> AlertRound:
    """Queue what new events owe, then send one batch; ``more`` says another batch is waiting."""
    now = now or utcnow()
    queued = queue_alerts(sessions, now=now)
    result = deliver_alerts(sessions, now=now, coop=coop, public_url=public_url, smtp=smtp, sms=sms)
    result.queued = queued
    return result


def send_confirmation(
    recipient: AlertRecipient,
    token: str,
    *,
    coop: str,
    public_url: str,
    smtp: SmtpSettings | None = None,
    sms: SmsSettings | None = None,
) -> None:
    """Ask a new extra recipient (or someone who asked for updates without an account) to confirm: they
    receive nothing else before they do."""
    kind = "confirm" if recipient.account_id is not None else "confirm_updates"
    subject, body = (
        w.format(coop=coop, url=f"{public_url}/members/confirm?token={token}") for w in ALERTS[recipient.language][kind]
    )
    with Sender(smtp or get_smtp_settings(), sms or get_sms_settings()) as sender:
        if recipient.channel == "email":
            sender.email(recipient.address, subject, body)
        else:
            sender.text(recipient.address, body, key=f"confirm-{recipient.id}-{token[:8]}")


# --- 4. what staff see ------------------------------------------------------------------------------

DELIVERY_STATUSES = ("sent", "pending", "failed", "cancelled")
# Staff see counts and error texts, never who: an SMTP refusal names the address it refused, an
# e-mail-to-SMS gateway's address carries the phone number.
_ADDRESS = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w.])\+?1?\d{10}(?![\w.])")


def redact_addresses(text: str | None) -> str | None:
    """An error text with e-mail addresses and phone numbers replaced by placeholders."""
    if text is None:
        return None
    return _PHONE.sub("<phone>", _ADDRESS.sub("<address>", text))


@dataclass(frozen=True)
class AlertEventSummary:
    """One alert event as staff see it: what, when, and how its deliveries went (no recipients named)."""

    event_id: int
    interruption_id: int
    feeder: str | None
    device: str | None
    transmission_line: str | None
    kind: str
    created_at: datetime
    queued_at: datetime | None  # None: the alert worker has not made its deliveries yet
    recipients: int | None  # deliveries made when queued
    sent: int
    pending: int
    failed: int
    cancelled: int
    top_error: str | None  # the most frequent last error among the failed deliveries, addresses redacted
    top_error_count: int  # how many failed deliveries carry it


def alert_summary(*, session: Session, since: datetime, limit: int = 50) -> list[AlertEventSummary]:
    """The latest alert events created since ``since``, newest first, with their delivery counts by status and
    the most frequent error of the failed ones — two grouped queries, whatever the number of events."""
    latest = (
        select(AlertEvent.id)
        .where(AlertEvent.created_at >= since)
        .order_by(AlertEvent.created_at.desc(), AlertEvent.id.desc())
        .limit(limit)
        .subquery()
    )
    counts = (
        select(
            AlertDelivery.event_id,
            *(
                func.sum(case((AlertDelivery.status == status, 1), else_=0)).label(status)
                for status in DELIVERY_STATUSES
            ),
        )
        .where(AlertDelivery.event_id.in_(select(latest.c.id)))
        .group_by(AlertDelivery.event_id)
        .subquery()
    )
    rows = session.execute(
        select(
            AlertEvent.id,
            AlertEvent.interruption_id,
            AlertEvent.kind,
            AlertEvent.created_at,
            AlertEvent.queued_at,
            AlertEvent.recipients,
            Feeder.code.label("feeder"),
            Device.code.label("device"),
            TransmissionLine.code.label("transmission_line"),
            *(func.coalesce(counts.c[status], 0).label(status) for status in DELIVERY_STATUSES),
        )
        .join(latest, latest.c.id == AlertEvent.id)
        .join(Interruption, Interruption.id == AlertEvent.interruption_id)
        .outerjoin(Feeder, Feeder.id == Interruption.feeder_id)
        .outerjoin(Device, Device.id == Interruption.device_id)
        .outerjoin(TransmissionLine, TransmissionLine.id == Interruption.transmission_line_id)
        .outerjoin(counts, counts.c.event_id == AlertEvent.id)
        .order_by(AlertEvent.created_at.desc(), AlertEvent.id.desc())
    ).all()
    errors: dict[int, Counter] = {}
    failing = [row.id for row in rows if row.failed]
    if failing:
        for event_id, error, n in session.execute(
            select(AlertDelivery.event_id, AlertDelivery.last_error, func.count())
            .where(AlertDelivery.event_id.in_(failing), AlertDelivery.status == "failed")
            .group_by(AlertDelivery.event_id, AlertDelivery.last_error)
        ):
            # grouped again after redaction: "550 <a@x>" and "550 <b@x>" are the same error
            errors.setdefault(event_id, Counter())[redact_addresses(error) or "(no error text)"] += n
    out = []
    for row in rows:
        top, top_n = min(errors[row.id].items(), key=lambda kv: (-kv[1], kv[0])) if row.id in errors else (None, 0)
        out.append(
            AlertEventSummary(
                event_id=row.id,
                interruption_id=row.interruption_id,
                feeder=row.feeder,
                device=row.device,
                transmission_line=row.transmission_line,
                kind=row.kind,
                created_at=row.created_at,
                queued_at=row.queued_at,
                recipients=row.recipients,
                sent=int(row.sent),
                pending=int(row.pending),
                failed=int(row.failed),
                cancelled=int(row.cancelled),
                top_error=top,
                top_error_count=top_n,
            )
        )
    return out

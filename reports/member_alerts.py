"""Members' outage alerts, from the events the dispatcher's actions leave (:mod:`outages.alerts`) to the
members' inboxes and phones.  Nothing here runs in a dispatcher's request:

1. :func:`queue_alerts` turns each new event into its deliveries with one ``INSERT … SELECT`` — the
   confirmed, subscribed recipients of the members whose service points the record certainly leaves dark
   (:mod:`outages.affected`) and who want that kind of alert.  The event is claimed first with a
   conditional update and ``(event, recipient)`` is a unique key, so each recipient gets one delivery per
   event, whatever the number of workers.
2. :func:`deliver_alerts` claims a batch of due deliveries in one statement, sends them over one SMTP
   connection (and one HTTP client for texts), and records every outcome in one statement; failures
   retry with the notices' back-off.  A crash between sending and recording can resend that batch once
   the claim expires (at-least-once), never twice while the claim holds.

Texts go through a pluggable gateway (:class:`SmsSettings`): an e-mail-to-SMS domain over the same SMTP
settings, or an HTTP webhook receiving ``{"to", "text", "id"}`` as JSON.
"""

from __future__ import annotations

import re
import secrets
import smtplib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import httpx
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import case, func, insert, literal, or_, select, true, update
from sqlalchemy.orm import Session, sessionmaker

from gis.db import UTCDateTime, transaction, utcnow
from gis.models import Device, Feeder, ServicePoint, TransmissionLine
from gis.service import Topology
from outages.affected import certainly_out
from outages.alerts import AlertDelivery, AlertEvent
from outages.members import AlertRecipient, MemberServicePoint
from outages.models import Interruption
from outages.settings import DEFAULT_CAUSES, get_rule_settings
from reports.delivery import SmtpSettings, bulk_text_message, get_smtp_settings, next_try, smtp_connection

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
        return (self.gateway == "email" and bool(self.email_domain)) or (self.gateway == "webhook"
                                                                         and bool(self.webhook_url))


@lru_cache
def get_sms_settings() -> SmsSettings:
    return SmsSettings()


# --- 1. queue ---------------------------------------------------------------------------------------


def queue_alerts(sessions: sessionmaker, *, now: datetime, limit: int = 50) -> int:
    """Make the deliveries of every event not yet queued; returns how many were made."""
    with transaction(sessions) as session:
        events = list(session.scalars(select(AlertEvent.id).where(AlertEvent.queued_at.is_(None))
                                      .order_by(AlertEvent.id).limit(limit)))
    made, topology = 0, None
    for event_id in events:
        with transaction(sessions) as session:
            if not session.execute(update(AlertEvent).where(AlertEvent.id == event_id, AlertEvent.queued_at.is_(None))
                                   .values(queued_at=now)).rowcount:
                continue  # another worker has it
            event = session.get(AlertEvent, event_id)
            if event.kind == "cancelled":
                wanted = _correction(session, event, now)
            else:
                topology = topology or Topology(session)
                wanted = _subscribers(session, event, session.get(Interruption, event.interruption_id), topology,
                                      now)
            session.execute(insert(AlertDelivery).from_select(
                ["event_id", "recipient_id", "service_point_id", "status", "attempts", "next_attempt_at"], wanted))
            event.recipients = session.scalar(select(func.count()).where(AlertDelivery.event_id == event_id))
            made += event.recipients
    return made


def _subscribers(session, event: AlertEvent, record: Interruption, topology: Topology, now: datetime):
    """The confirmed recipients of members whose service points the record leaves dark and who want this kind."""
    return (select(literal(event.id), AlertRecipient.id, func.min(MemberServicePoint.service_point_id),
                   literal("pending"), literal(0), literal(now, UTCDateTime()))
            .select_from(MemberServicePoint)
            .join(ServicePoint, ServicePoint.id == MemberServicePoint.service_point_id)
            .join(AlertRecipient, AlertRecipient.account_id == MemberServicePoint.account_id)
            .where(certainly_out(session, record, topology),
                   getattr(MemberServicePoint, f"alert_{event.kind}") == true(),
                   AlertRecipient.confirmed_at.is_not(None), AlertRecipient.unsubscribed_at.is_(None))
            .group_by(AlertRecipient.id))


def _correction(session, event: AlertEvent, now: datetime):
    """A voided record: its alerts not sent yet are cancelled, and exactly those who were told of the outage
    get the correction."""
    earlier = select(AlertEvent.id).where(AlertEvent.interruption_id == event.interruption_id,
                                          AlertEvent.id != event.id)
    told = (select(literal(event.id), AlertDelivery.recipient_id, func.min(AlertDelivery.service_point_id),
                   literal("pending"), literal(0), literal(now, UTCDateTime()))
            .join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
            .where(AlertDelivery.event_id.in_(earlier), AlertEvent.kind.in_(("outage", "planned")),
                   AlertDelivery.status == "sent")
            .group_by(AlertDelivery.recipient_id))
    session.execute(update(AlertDelivery).where(AlertDelivery.event_id.in_(earlier),
                                                AlertDelivery.status.in_(("pending", "failed")))
                    .values(status="cancelled", last_error="the record was voided"))
    return told


# --- 2. words ---------------------------------------------------------------------------------------

CAUSES_ES = {"lightning": "rayos", "wind": "viento", "ice_snow": "hielo / nieve", "flood": "inundación",
             "heat": "calor", "vegetation": "vegetación", "animal": "un animal", "equipment_failure": "falla de equipo",
             "public_vehicle": "un vehículo / el público", "power_supply": "el suministro / la transmisión",
             "planned": "trabajo programado", "overload": "sobrecarga", "unknown": "causa en investigación"}
DAYS_ES = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
MONTHS_ES = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")

WORDS = {
    "en": {
        "outage": ("Power outage at meter {meter}",
                   "We know about a power outage at your service (meter {meter}) since {start}. Cause: {cause}. "
                   "Estimated restoration: {etr}. You do not need to report it."),
        "etr": ("New restoration estimate for meter {meter}",
                "The estimated restoration time for the outage at meter {meter} is now {etr}."),
        "restored": ("Power restored at meter {meter}",
                     "Power is back at meter {meter} since {restored}. If you are still without power, please report "
                     "it: {report_url}"),
        "planned": ("Planned outage ahead at meter {meter}",
                    "Planned work will interrupt power at meter {meter} from {start}, expected back by {etr}."),
        "cancelled": ("Correction for meter {meter}",
                      "The outage we told you about at meter {meter} was logged in error or called off. If your "
                      "power is out, please report it: {report_url}"),
        "assessing": "being assessed",
        "unsubscribe": "To stop these alerts: {url}",
        "confirm": ("Confirm outage alerts", "A member of {coop} asked to send you outage alerts. To receive them, "
                                             "open: {url}"),
    },
    "es": {
        "outage": ("Apagón en el medidor {meter}",
                   "Sabemos que hay un apagón en su servicio (medidor {meter}) desde el {start}. Causa: {cause}. "
                   "Restablecimiento estimado: {etr}. No necesita reportarlo."),
        "etr": ("Nueva hora estimada para el medidor {meter}",
                "La hora estimada de restablecimiento del apagón en el medidor {meter} es ahora {etr}."),
        "restored": ("Servicio restablecido en el medidor {meter}",
                     "La electricidad volvió al medidor {meter} desde el {restored}. Si sigue sin luz, repórtelo: "
                     "{report_url}"),
        "planned": ("Corte programado en el medidor {meter}",
                    "Un trabajo programado cortará la electricidad en el medidor {meter} desde el {start}; se espera "
                    "que vuelva antes del {etr}."),
        "cancelled": ("Corrección para el medidor {meter}",
                      "El apagón que le avisamos en el medidor {meter} se registró por error o se canceló. Si "
                      "no tiene luz, repórtelo: {report_url}"),
        "assessing": "en evaluación",
        "unsubscribe": "Para dejar de recibir estas alertas: {url}",
        "confirm": ("Confirme las alertas de apagones", "Un socio de {coop} pidió enviarle alertas de apagones. Para "
                                                        "recibirlas, abra: {url}"),
    },
}


def when(iso: str | None, language: str, zone: ZoneInfo) -> str | None:
    """A time as members read it, in the cooperative's zone: 'Thu Nov 26, 2:30 PM CST' / 'jue 26 nov, 14:30 CST'."""
    if iso is None:
        return None
    t = datetime.fromisoformat(iso).astimezone(zone)
    if language == "es":
        return f"{DAYS_ES[t.weekday()]} {t.day} {MONTHS_ES[t.month - 1]}, {t:%H:%M %Z}"
    return f"{t:%a %b} {t.day}, {t.hour % 12 or 12}:{t:%M %p %Z}"


def alert_words(kind: str, fields: dict, *, language: str, meter: str, coop: str, public_url: str,
                unsubscribe_key: str, zone: ZoneInfo) -> tuple[str, str, str]:
    """(subject, e-mail body, text message) of one alert, in the recipient's language."""
    words = WORDS[language]
    cause = fields["cause"]
    values = {"meter": meter, "start": when(fields["start_at"], language, zone),
              "etr": when(fields["etr_at"], language, zone) or words["assessing"],
              "restored": when(fields["restored_at"], language, zone),
              "cause": CAUSES_ES.get(cause, cause) if language == "es" else DEFAULT_CAUSES.get(cause, cause).lower(),
              "report_url": f"{public_url}/members/report"}
    subject, body = (w.format(**values) for w in words[kind])
    stop = words["unsubscribe"].format(url=f"{public_url}/members/unsubscribe?key={unsubscribe_key}")
    return subject, f"{body}\n\n{coop}\n\n{stop}\n", f"{coop}: {body} {stop}"


# --- 3. send ----------------------------------------------------------------------------------------


class Sender:
    """One SMTP connection and one HTTP client for a batch, opened on first use and reopened after a
    connection failure."""

    def __init__(self, smtp: SmtpSettings, sms: SmsSettings):
        self.smtp_settings, self.sms = smtp, sms
        self._smtp_cm = self._smtp = self._http = None

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
            self._smtp.send_message(bulk_text_message(self.smtp_settings, to=to, subject=subject, text=text,
                                                      headers=headers))
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
        self._http.post(self.sms.webhook_url, json={"to": to, "text": text, "id": key},
                        headers={"Idempotency-Key": key}).raise_for_status()


@dataclass
class AlertRound:
    queued: int = 0
    sent: int = 0
    failed: int = 0
    more: bool = False  # deliveries were left for the next round


def deliver_alerts(sessions: sessionmaker, *, now: datetime, coop: str, public_url: str,
                   smtp: SmtpSettings | None = None, sms: SmsSettings | None = None, limit: int = BATCH
                   ) -> AlertRound:
    """Send one batch of due deliveries (see the module docstring)."""
    smtp, sms, zone, claim = smtp or get_smtp_settings(), sms or get_sms_settings(), get_rule_settings().zone, \
        secrets.token_hex(8)
    free = or_(AlertDelivery.claimed_until.is_(None), AlertDelivery.claimed_until < now)
    due = (AlertDelivery.status.in_(("pending", "failed")), AlertDelivery.next_attempt_at <= now, free)
    with transaction(sessions) as session:
        ids = select(AlertDelivery.id).where(*due).order_by(AlertDelivery.id).limit(limit)
        session.execute(update(AlertDelivery).where(AlertDelivery.id.in_(ids), *due)  # rechecked under the lock
                        .values(claim=claim, claimed_until=now + CLAIM))
        rows = session.execute(
            select(AlertDelivery.id, AlertDelivery.attempts, AlertEvent.kind, AlertEvent.fields,
                   AlertRecipient.channel, AlertRecipient.address, AlertRecipient.language,
                   AlertRecipient.unsubscribe_key, AlertRecipient.unsubscribed_at, ServicePoint.meter_number)
            .join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
            .join(AlertRecipient, AlertRecipient.id == AlertDelivery.recipient_id)
            .join(ServicePoint, ServicePoint.id == AlertDelivery.service_point_id)
            .where(AlertDelivery.claim == claim)).all()
    outcomes, result = [], AlertRound(more=len(rows) == limit)
    with Sender(smtp, sms) as sender:
        for row in rows:
            done = {"id": row.id, "attempts": row.attempts + 1, "claim": None, "claimed_until": None}
            if row.unsubscribed_at is not None:
                outcomes.append({**done, "status": "cancelled", "last_error": "the recipient unsubscribed"})
                continue
            subject, body, text = alert_words(row.kind, row.fields, language=row.language, meter=row.meter_number,
                                              coop=coop, public_url=public_url, zone=zone,
                                              unsubscribe_key=row.unsubscribe_key)
            try:
                if row.channel == "email":
                    url = f"{public_url}/api/members/alerts/unsubscribe?key={row.unsubscribe_key}"
                    sender.email(row.address, subject, body, {"List-Unsubscribe": f"<{url}>",
                                                              "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
                else:
                    sender.text(row.address, text, key=f"alert-{row.id}")
            except Exception as err:  # noqa: BLE001 - kept on the delivery and retried with back-off
                outcomes.append({**done, "status": "failed", "last_error": f"{type(err).__name__}: {err}",
                                 "next_attempt_at": next_try(now, row.attempts + 1)})
                result.failed += 1
            else:
                outcomes.append({**done, "status": "sent", "sent_at": utcnow(), "last_error": None})
                result.sent += 1
    if outcomes:
        with transaction(sessions) as session:
            for status in {o["status"] for o in outcomes}:  # one executemany per shape
                session.execute(update(AlertDelivery), [o for o in outcomes if o["status"] == status])
    return result


def alert_round(sessions: sessionmaker, *, coop: str, public_url: str, now: datetime | None = None,
                smtp: SmtpSettings | None = None, sms: SmsSettings | None = None) -> AlertRound:
    """Queue what new events owe, then send one batch; ``more`` says another batch is waiting."""
    now = now or utcnow()
    queued = queue_alerts(sessions, now=now)
    result = deliver_alerts(sessions, now=now, coop=coop, public_url=public_url, smtp=smtp, sms=sms)
    result.queued = queued
    return result


def send_confirmation(recipient: AlertRecipient, token: str, *, coop: str, public_url: str,
                      smtp: SmtpSettings | None = None, sms: SmsSettings | None = None) -> None:
    """Ask a new extra recipient to confirm (they receive nothing else before they do)."""
    subject, body = (w.format(coop=coop, url=f"{public_url}/members/confirm?token={token}")
                     for w in WORDS[recipient.language]["confirm"])
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
    latest = (select(AlertEvent.id).where(AlertEvent.created_at >= since)
              .order_by(AlertEvent.created_at.desc(), AlertEvent.id.desc()).limit(limit).subquery())
    counts = (select(AlertDelivery.event_id,
                     *(func.sum(case((AlertDelivery.status == status, 1), else_=0)).label(status)
                       for status in DELIVERY_STATUSES))
              .where(AlertDelivery.event_id.in_(select(latest.c.id)))
              .group_by(AlertDelivery.event_id).subquery())
    rows = session.execute(
        select(AlertEvent.id, AlertEvent.interruption_id, AlertEvent.kind, AlertEvent.created_at,
               AlertEvent.queued_at, AlertEvent.recipients, Feeder.code.label("feeder"),
               Device.code.label("device"), TransmissionLine.code.label("transmission_line"),
               *(func.coalesce(counts.c[status], 0).label(status) for status in DELIVERY_STATUSES))
        .join(latest, latest.c.id == AlertEvent.id)
        .join(Interruption, Interruption.id == AlertEvent.interruption_id)
        .outerjoin(Feeder, Feeder.id == Interruption.feeder_id)
        .outerjoin(Device, Device.id == Interruption.device_id)
        .outerjoin(TransmissionLine, TransmissionLine.id == Interruption.transmission_line_id)
        .outerjoin(counts, counts.c.event_id == AlertEvent.id)
        .order_by(AlertEvent.created_at.desc(), AlertEvent.id.desc())).all()
    errors: dict[int, Counter] = {}
    failing = [row.id for row in rows if row.failed]
    if failing:
        for event_id, error, n in session.execute(
                select(AlertDelivery.event_id, AlertDelivery.last_error, func.count())
                .where(AlertDelivery.event_id.in_(failing), AlertDelivery.status == "failed")
                .group_by(AlertDelivery.event_id, AlertDelivery.last_error)):
            # grouped again after redaction: "550 <a@x>" and "550 <b@x>" are the same error
            errors.setdefault(event_id, Counter())[redact_addresses(error) or "(no error text)"] += n
    out = []
    for row in rows:
        top, top_n = min(errors[row.id].items(), key=lambda kv: (-kv[1], kv[0])) if row.id in errors else (None, 0)
        out.append(AlertEventSummary(
            event_id=row.id, interruption_id=row.interruption_id, feeder=row.feeder, device=row.device,
            transmission_line=row.transmission_line, kind=row.kind, created_at=row.created_at,
            queued_at=row.queued_at, recipients=row.recipients, sent=int(row.sent), pending=int(row.pending),
            failed=int(row.failed), cancelled=int(row.cancelled), top_error=top, top_error_count=top_n))
    return out

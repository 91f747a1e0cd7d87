"""Members' outage alerts (issue 7): what each member wants, who receives it, and the events to tell.

* **Events** are an outbox: the dispatcher's own transaction adds one :class:`AlertEvent` row (outage known,
  ETR changed, restored, planned outage ahead, a crew on site, and a correction when an open record is
  voided) and the
  service points it is about (:class:`AlertEventPoint`: exactly who, from the power state, D15) — two
  statements whatever their number, so a storm never slows the dispatcher.
  A unique key (interruption, kind, ref) makes each event once; ``fields`` keeps what the message says.
* **Deliveries** (:class:`AlertDelivery`) are made from an event in the background by
  :func:`reports.member_alerts.queue_alerts`, one per event and recipient, enforced by a unique key, and
  sent in batches; see that module.
* **Recipients** (:class:`outages.members.models.AlertRecipient`): the account's own e-mail, confirmed by
  activation, extra recipients of an account (e-mail or text, own language), and — without any account
  (issue 15) — someone who proved one service point as an outage report does (account and meter number, or
  a confirmed phone) and asked for its updates (:func:`ask_for_updates`).  All but the owner receive nothing
  before they open the confirmation link.  Every message carries the recipient's unsubscribe link.

A member only ever reaches service points proven with a bill (:class:`outages.members.models.MemberServicePoint`),
and an account-less recipient only the one service point it proved, so alerts never go out for anyone else's.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Mapped, Session, mapped_column

from gis.db import Base, UTCDateTime, is_sqlite, utcnow
from gis.errors import InvalidInput, NotFound
from gis.models import ServicePoint
from outages.members.models import AlertRecipient, MemberAccount, MemberServicePoint
from outages.members.schemas import member_email
from outages.members.texts import ALERT_DAYS_ES, ALERT_MONTHS_ES, both
from outages.models import Interruption

KINDS = ("outage", "etr", "restored", "planned", "crew")  # what a member chooses per service point ("crew" optional)
CHANNELS = ("email", "sms")
PHONE = re.compile(r"^\+?1?(\d{10})$")


class AlertEvent(Base):
    """Something members should be told about one interruption; ``queued_at`` is set once its deliveries exist."""

    __tablename__ = "alert_events"
    __table_args__ = (
        UniqueConstraint("interruption_id", "kind", "ref", name="uq_alert_events_once"),
        CheckConstraint("kind IN ('outage','etr','restored','planned','cancelled','crew')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interruption_id: Mapped[int] = mapped_column(ForeignKey("interruptions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    ref: Mapped[int] = mapped_column(Integer, default=0)  # the ETR change for 'etr', the assignment for 'crew', else 0
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    recipients: Mapped[int | None] = mapped_column(Integer)
    fields: Mapped[dict] = mapped_column(JSON)


class AlertEventPoint(Base):
    """A service point an event is about: whose power went off (outage), came back (restored), whose estimate
    changed (etr), whose planned work is ahead (planned) or whose outage a crew reached (crew), fixed when the
    dispatcher acted (D15)."""

    __tablename__ = "alert_event_points"

    event_id: Mapped[int] = mapped_column(ForeignKey("alert_events.id", ondelete="CASCADE"), primary_key=True)
    # no foreign key (service points are never deleted): on PostgreSQL its per-row trigger made a
    # 20,000-member event cost 4 times as much to record in the dispatcher's transaction
    service_point_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class AlertDelivery(Base):
    """One event to one recipient: exactly one row (unique key), sent once, retried with back-off on failure."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient_id", name="uq_alert_deliveries_once"),
        CheckConstraint("status IN ('pending','sent','failed','cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("alert_events.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("alert_recipients.id", ondelete="CASCADE"), index=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(32), index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


# --- events (called by outages.service inside the dispatcher's transaction) -----------------------


def record_event(
    session: Session, record: Interruption, kind: str, *, ref: int = 0, service_point_ids: Iterable[int] = ()
) -> None:
    """Add the outbox row for one event of a record and the service points it is about (D15) — two
    statements whatever their number, nothing else: the fan-out happens in the background.

    Nothing is flushed: the record's pending changes stay for the caller's own flush (one version per change)."""
    points = _distinct_ids(service_point_ids)
    with session.no_autoflush:
        inserted = session.execute(
            insert(AlertEvent).values(
                interruption_id=record.id,
                kind=kind,
                ref=ref,
                fields={
                    "cause": record.cause_code,
                    "start_at": _iso(record.start_at),
                    "etr_at": _iso(record.etr_at),
                    "restored_at": _iso(record.restored_at),
                    "scheduled": record.scheduled,
                },
            )
        )
        key = cast(CursorResult[Any], inserted).inserted_primary_key  # an INSERT's result is a cursor's
        assert key is not None  # one row inserted: its key
        event_id = key[0]
        if points:
            session.execute(
                insert(cast(Table, AlertEventPoint.__table__)).from_select(
                    ["event_id", "service_point_id"], select(literal(event_id), _id_rows(session, points).c.value)
                )
            )


def _distinct_ids(ids: Iterable[int]) -> list[int]:
    """Service point ids once each, as plain ints (the drivers refuse numpy integers), in order."""
    if isinstance(ids, np.ndarray):
        return np.unique(ids.astype(np.int64, copy=False)).tolist()
    return sorted({int(i) for i in ids})


def _id_rows(session: Session, ids: list[int]):
    """A list of ids as a table of one column ``value``, bound as one parameter: an INSERT … SELECT of 20,000
    rows is one statement (about half the time of an executemany on SQLite, where every row also checks two
    foreign keys and updates two indexes)."""
    if is_sqlite(session):
        return func.json_each(json.dumps(ids)).table_valued("value")
    return func.unnest(bindparam("ids", ids, type_=ARRAY(BigInteger))).table_valued("value").render_derived()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def when(iso: str | datetime | None, language: str, zone: ZoneInfo) -> str | None:
    """A time as members read it, in the cooperative's zone, named CST or CDT in both languages:
    'Thu Nov 26, 2:30 PM CST' / 'jue 26 nov, 14:30 CST'."""
    if iso is None:
        return None
    t = (datetime.fromisoformat(iso) if isinstance(iso, str) else iso).astimezone(zone)
    if language == "es":
        return f"{ALERT_DAYS_ES[t.weekday()]} {t.day} {ALERT_MONTHS_ES[t.month - 1]}, {t:%H:%M %Z}"
    return f"{t:%a %b} {t.day}, {t.hour % 12 or 12}:{t:%M %p %Z}"


# --- what a member wants --------------------------------------------------------------------------


def _my_link(session: Session, account: MemberAccount, meter_number: str) -> MemberServicePoint:
    link = session.scalar(
        select(MemberServicePoint)
        .join(ServicePoint, ServicePoint.id == MemberServicePoint.service_point_id)
        .where(MemberServicePoint.account_id == account.id, ServicePoint.meter_number == (meter_number or "").strip())
    )
    if link is None:
        raise NotFound(both("meter_not_yours_add"))
    return link


def set_alert_kinds(
    *, session: Session, account: MemberAccount, meter_number: str, kinds: dict[str, bool | None]
) -> None:
    """Choose which alerts one of the member's own service points gives (:data:`KINDS`); a kind left out (or
    ``None``) keeps its current choice, so a client that knows only the first four never turns "crew" off."""
    link = _my_link(session, account, meter_number)
    for kind in KINDS:
        if kinds.get(kind) is not None:
            setattr(link, f"alert_{kind}", bool(kinds[kind]))
    session.flush()


def alert_kinds(*, session: Session, account: MemberAccount) -> dict[int, dict[str, bool]]:
    """The member's choices per service point id."""
    links = session.scalars(select(MemberServicePoint).where(MemberServicePoint.account_id == account.id))
    return {link.service_point_id: {k: getattr(link, f"alert_{k}") for k in KINDS} for link in links}


def set_language(*, session: Session, account: MemberAccount, language: str) -> None:
    """The account's preferred language, also for alerts to its own e-mail."""
    _check_language(language)
    account.language = language
    session.execute(
        update(AlertRecipient)
        .where(AlertRecipient.account_id == account.id, AlertRecipient.owner)
        .values(language=language)
    )
    session.flush()


def _check_language(language: str) -> None:
    if language not in ("en", "es"):
        raise InvalidInput(both("bad_language"), field="language")


def normalise_address(channel: str, address: str) -> str:
    """An e-mail normalised and in lower case (:func:`outages.members.schemas.member_email`), or a US phone as +1 and
    ten digits; a plain error otherwise."""
    address = (address or "").strip()
    if channel == "email":
        return member_email(address, field="address")
    if channel == "sms":
        match = PHONE.match(re.sub(r"[\s().\-]", "", address)) if len(address) <= 40 else None
        if not match:
            address = address if len(address) <= 40 else address[:37] + "..."
            raise InvalidInput(both("bad_phone", address=repr(address)), field="address")
        return "+1" + match.group(1)
    raise InvalidInput(both("bad_channel"), field="channel")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def recipients_of(*, session: Session, account: MemberAccount) -> list[AlertRecipient]:
    return list(
        session.scalars(
            select(AlertRecipient)
            .where(AlertRecipient.account_id == account.id)
            .order_by(AlertRecipient.owner.desc(), AlertRecipient.id)
        )
    )


def add_recipient(
    *, session: Session, account: MemberAccount, channel: str, address: str, language: str
) -> tuple[AlertRecipient, str]:
    """An extra recipient, pending until it confirms; returns it and the confirmation token to send it.
    Adding an address again (e.g. after unsubscribing) asks it to confirm again."""
    _check_language(language)
    address = normalise_address(channel, address)
    recipient = session.scalar(
        select(AlertRecipient).where(
            AlertRecipient.account_id == account.id,
            AlertRecipient.channel == channel,
            AlertRecipient.address == address,
        )
    )
    if recipient is not None and recipient.owner:
        raise InvalidInput(
            both("own_address"),
            field="address",
        )
    if recipient is None:
        recipient = AlertRecipient(account_id=account.id, channel=channel, address=address)
        session.add(recipient)
    token = secrets.token_urlsafe(24)
    recipient.language, recipient.confirm_hash = language, _hash(token)
    recipient.confirmed_at = recipient.unsubscribed_at = None
    session.flush()
    return recipient, token


def ask_for_updates(
    *, session: Session, service_point: ServicePoint, channel: str, address: str, language: str
) -> tuple[AlertRecipient, str]:
    """Someone without an account who proved ``service_point`` asks for its updates: a recipient of that one
    service point, pending until it confirms; returns it and the confirmation token to send it.  Asking again
    (e.g. after unsubscribing, or for a lost link) asks it to confirm again.  Checks everything before writing."""
    _check_language(language)
    address = normalise_address(channel, address)
    recipient = session.scalar(
        select(AlertRecipient).where(
            AlertRecipient.service_point_id == service_point.id,
            AlertRecipient.channel == channel,
            AlertRecipient.address == address,
        )
    )
    if recipient is None:
        recipient = AlertRecipient(service_point_id=service_point.id, channel=channel, address=address)
        session.add(recipient)
    token = secrets.token_urlsafe(24)
    recipient.language, recipient.confirm_hash = language, _hash(token)
    recipient.confirmed_at = recipient.unsubscribed_at = None
    session.flush()
    return recipient, token


def remove_recipient(*, session: Session, account: MemberAccount, recipient_id: int) -> None:
    recipient = session.get(AlertRecipient, recipient_id)
    if recipient is None or recipient.account_id != account.id:
        raise NotFound(both("recipient_not_yours", id=recipient_id))
    if recipient.owner:
        raise InvalidInput(
            both("own_address_kept"),
            field="recipient",
        )
    session.delete(recipient)
    session.flush()


def confirm_recipient(*, session: Session, token: str, now: datetime | None = None) -> str:
    """Open a confirmation link: 'confirmed' the first time, 'already_confirmed' after (never breaks)."""
    recipient = session.scalar(select(AlertRecipient).where(AlertRecipient.confirm_hash == _hash(token or "")))
    if recipient is None:
        raise InvalidInput(
            both("bad_confirm_link"),
            field="token",
        )
    updated = session.execute(
        update(AlertRecipient)
        .where(AlertRecipient.id == recipient.id, AlertRecipient.confirmed_at.is_(None))
        .values(confirmed_at=now or utcnow())
    )
    won = cast(CursorResult[Any], updated).rowcount  # an UPDATE's result is a cursor's
    return "confirmed" if won else "already_confirmed"


def unsubscribe(*, session: Session, key: str, now: datetime | None = None) -> AlertRecipient:
    """Stop every alert to the recipient whose message carried this key (idempotent)."""
    recipient = session.scalar(select(AlertRecipient).where(AlertRecipient.unsubscribe_key == (key or "")))
    if recipient is None:
        raise InvalidInput(
            both("bad_unsubscribe_link"),
            field="key",
        )
    if recipient.unsubscribed_at is None:
        recipient.unsubscribed_at = now or utcnow()
        session.flush()
    return recipient


def recipient_status(recipient: AlertRecipient) -> str:
    if recipient.unsubscribed_at is not None:
        return "unsubscribed"
    return "confirmed" if recipient.confirmed_at is not None else "pending"


def service_point_by_phone(session: Session, account_number: str, phone: str) -> ServicePoint:
    """A service point of this account number whose member has confirmed this phone for text alerts, or that
    this phone has confirmed updates of without an account (how a member who is not signed in proves a report
    with the account and phone numbers)."""
    try:
        phone = normalise_address("sms", phone)
    except InvalidInput as err:
        raise InvalidInput(err.message, field="phone") from None
    sp = session.scalar(
        select(ServicePoint)
        .join(MemberServicePoint, MemberServicePoint.service_point_id == ServicePoint.id)
        .join(AlertRecipient, AlertRecipient.account_id == MemberServicePoint.account_id)
        .where(
            ServicePoint.account_number == (account_number or "").strip(),
            AlertRecipient.channel == "sms",
            AlertRecipient.address == phone,
            AlertRecipient.confirmed_at.is_not(None),
        )
        .limit(1)
    )
    if sp is None:
        sp = session.scalar(
            select(ServicePoint)
            .join(AlertRecipient, AlertRecipient.service_point_id == ServicePoint.id)
            .where(
                ServicePoint.account_number == (account_number or "").strip(),
                AlertRecipient.channel == "sms",
                AlertRecipient.address == phone,
                AlertRecipient.confirmed_at.is_not(None),
            )
            .limit(1)
        )
    if sp is None:
        raise InvalidInput(
            both("phone_not_confirmed"),
            field="phone",
        )
    return sp

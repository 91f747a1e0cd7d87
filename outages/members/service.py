"""What members do online (issue 7): register with the account and meter numbers of one service point,
activate by a single-use, expiring, *idempotent* e-mail link, sign in, reset a password, prove more service
points on one login, see their power state, choose their alerts and who receives them, report outages.
Answers to registration and reset never reveal whether an e-mail or account exists.

After a report (signed in or not) the answer tells what the data knows of that service point (issue 15,
D17): whether an open record keeps it dark, its public status, the ETR or "being assessed", since when.
Without an account a member may then ask for that service point's updates (:func:`ask_for_updates`) with the
same proof as the report; the address confirms first, as an account's extra recipients do.

Passwords follow :mod:`outages.passwords`.  Link tokens are random, sent only in the link and stored as SHA-256
hashes.  The functions flush and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from gis.db import utcnow
from gis.errors import Conflict, InvalidInput, NotAuthenticated
from gis.models import ServicePoint
from gis.network import Network, network
from outages import alerts
from outages.affected import PointState, point_state
from outages.crews.service import open_stage_by_record
from outages.member_reports import HAZARDS, OutageReport, report_outage
from outages.members.models import AlertRecipient, MemberAccount, MemberServicePoint, MemberToken
from outages.members.schemas import (
    Alerts,
    Answer,
    LinkOutcome,
    MeOut,
    MyReport,
    MyServicePoint,
    RecipientOut,
    ReportAck,
    UpdatesOut,
    member_email,
)
from outages.members.texts import ALERTS, ANSWERS, STATUS_WORDS, both
from outages.passwords import check_password, hash_password, password_matches
from outages.public_map import least_advanced, public_stage
from outages.settings import get_rule_settings
from registry.schemas import normalise_email

ACTIVATION_HOURS = 48
RESET_HOURS = 2
SAME_ANSWER = both("same_answer")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def service_point_by_bill(*, session: Session, account_number: str, meter_number: str) -> ServicePoint:
    """The service point with this account and meter number (both from the same bill)."""
    sp = session.scalar(
        select(ServicePoint).where(
            ServicePoint.account_number == (account_number or "").strip(),
            ServicePoint.meter_number == (meter_number or "").strip(),
        )
    )
    if sp is None:
        raise InvalidInput(
            both("bill_mismatch"),
            field="meter_number",
        )
    return sp


def _new_token(session: Session, account: MemberAccount, purpose: str, hours: int, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        MemberToken(
            account_id=account.id, purpose=purpose, token_hash=_hash(token), expires_at=now + timedelta(hours=hours)
        )
    )
    session.flush()
    return token


@dataclass
class Outgoing:
    """An e-mail the caller should send (the service itself sends nothing, so it stays in one transaction)."""

    to: str
    kind: str  # activate | already_registered | reset | no_account
    language: str
    token: str | None = None


def register(
    *,
    session: Session,
    email: str,
    password: str,
    account_number: str,
    meter_number: str,
    language: str = "en",
    now: datetime | None = None,
) -> Outgoing:
    """Start a registration.  The caller always answers the same way; what happened is only told by
    e-mail to the address given (an activation link, or a note that it is already registered)."""
    now = now or utcnow()
    email = member_email(email)
    check_password(password, email)
    if language not in ("en", "es"):
        raise InvalidInput(both("bad_language"), field="language")
    sp = service_point_by_bill(session=session, account_number=account_number, meter_number=meter_number)
    password_hash = hash_password(password)  # either way: a known e-mail must not answer sooner than a new one
    account = session.scalar(select(MemberAccount).where(MemberAccount.email == email))
    if account is not None:
        known = Outgoing(email, "already_registered", account.language)
        with session.begin_nested() as rehearsal:  # the same inserts and flushes as a new account, undone
            _open_account(session, f"{secrets.token_hex(16)}@discarded.invalid", password_hash, language, sp, now)
            rehearsal.rollback()
        return known
    account, token = _open_account(session, email, password_hash, language, sp, now)
    return Outgoing(email, "activate", language, token)


def _open_account(
    session: Session, email: str, password_hash: str, language: str, sp: ServicePoint, now: datetime
) -> tuple[MemberAccount, str]:
    """A new, inactive account on its proven service point, and its activation token."""
    account = MemberAccount(email=email, password_hash=password_hash, language=language)
    session.add(account)
    session.flush()
    session.add(MemberServicePoint(account_id=account.id, service_point_id=sp.id))
    return account, _new_token(session, account, "activate", ACTIVATION_HOURS, now)


def activate(*, session: Session, token: str, now: datetime | None = None) -> LinkOutcome:
    """Open an activation link: 'activated' the first time, 'already_active' every time after (a double
    click or a second visit never breaks it); an unknown or expired link says how to get a new one."""
    now = now or utcnow()
    row = session.scalar(
        select(MemberToken).where(MemberToken.token_hash == _hash(token or ""), MemberToken.purpose == "activate")
    )
    if row is None:
        raise InvalidInput(
            both("bad_activation_link"),
            field="token",
        )
    account = session.get(MemberAccount, row.account_id)
    assert account is not None  # the token's foreign key
    if not account.active:
        if row.expires_at < now:
            raise Conflict(both("activation_expired"))
        row.used_at = now
    status = "activated" if not account.active and _activate(session, account, now) else "already_active"
    return LinkOutcome(status=status, detail=both(status))


def _activate(session: Session, account: MemberAccount, now: datetime) -> bool:
    """Activate the account, once even when two clicks race (a conditional update decides); its own e-mail,
    proven by the link, becomes its first, confirmed alert recipient."""
    updated = session.execute(
        update(MemberAccount)
        .where(MemberAccount.id == account.id, MemberAccount.active.is_(False))
        .values(active=True, activated_at=now)
    )
    won = cast(CursorResult[Any], updated).rowcount  # an UPDATE's result is a cursor's
    if won:
        session.add(
            AlertRecipient(
                account_id=account.id,
                channel="email",
                address=account.email,
                language=account.language,
                owner=True,
                confirmed_at=now,
            )
        )
        session.flush()
    return bool(won)


def resend_activation(*, session: Session, email: str, now: datetime | None = None) -> Outgoing | None:
    """A fresh activation link for an inactive account; silence otherwise (the answer is the same)."""
    account = session.scalar(select(MemberAccount).where(MemberAccount.email == member_email(email)))
    if account is None or account.active:
        return None
    return Outgoing(
        account.email,
        "activate",
        account.language,
        _new_token(session, account, "activate", ACTIVATION_HOURS, now or utcnow()),
    )


def request_reset(*, session: Session, email: str, now: datetime | None = None) -> Outgoing:
    """A password-reset link by e-mail (or a note that no account uses the address): same answer either way."""
    email = member_email(email)
    account = session.scalar(select(MemberAccount).where(MemberAccount.email == email))
    if account is None:
        return Outgoing(email, "no_account", "en")
    return Outgoing(
        email, "reset", account.language, _new_token(session, account, "reset", RESET_HOURS, now or utcnow())
    )


def reset_password(*, session: Session, token: str, password: str, now: datetime | None = None) -> Answer:
    """Use a reset link once, before it expires, to set a new password (it also activates the account)."""
    now = now or utcnow()
    row = session.scalar(
        select(MemberToken).where(MemberToken.token_hash == _hash(token or ""), MemberToken.purpose == "reset")
    )
    if row is None or row.used_at is not None or row.expires_at < now:
        raise InvalidInput(
            both("bad_reset_link"),
            field="token",
        )
    account = session.get(MemberAccount, row.account_id)
    assert account is not None  # the token's foreign key
    check_password(password, account.email)
    account.password_hash, row.used_at = hash_password(password), now
    if not account.active:
        _activate(session, account, now)
    session.flush()
    return Answer(detail=both("password_changed"))


def authenticate_member(*, session: Session, email: str, password: str) -> MemberAccount:
    """The active account with these credentials, or the same refusal for any failure."""
    try:
        email = normalise_email(email)
    except ValueError:
        email = (email or "").strip().lower()  # no such account: the same refusal as a wrong password
    account = session.scalar(select(MemberAccount).where(MemberAccount.email == email))
    if not password_matches(account.password_hash if account else None, password):
        account = None
    if account is None or not account.active:
        raise NotAuthenticated(both("wrong_sign_in"))
    return account


def add_service_point(
    *, session: Session, account: MemberAccount, account_number: str, meter_number: str
) -> ServicePoint:
    """Prove another service point (its account and meter numbers) and add it to this login."""
    sp = service_point_by_bill(session=session, account_number=account_number, meter_number=meter_number)
    exists = session.scalar(
        select(MemberServicePoint).where(
            MemberServicePoint.account_id == account.id, MemberServicePoint.service_point_id == sp.id
        )
    )
    if exists is None:
        session.add(MemberServicePoint(account_id=account.id, service_point_id=sp.id))
        session.flush()
    return sp


def service_points_of(*, session: Session, account_id: int) -> list[ServicePoint]:
    """The member's own service points — never anyone else's."""
    return list(
        session.scalars(
            select(ServicePoint)
            .join(MemberServicePoint, MemberServicePoint.service_point_id == ServicePoint.id)
            .where(MemberServicePoint.account_id == account_id)
            .order_by(ServicePoint.id)
        )
    )


def signed_in_member(*, session: Session, account_id: int) -> MemberAccount:
    """The account a member's sign-in names, while it is active."""
    account = session.get(MemberAccount, account_id)
    if account is None or not account.active:
        raise NotAuthenticated(both("account_inactive"))
    return account


def overview(*, session: Session, account: MemberAccount) -> MeOut:
    """The member's account and each of its service points with its power state, latest report and alerts."""
    net, kinds = network(session), alerts.alert_kinds(session=session, account=account)
    return MeOut(
        email=account.email,
        language=account.language,
        service_points=[
            _point(session, sp, net, kinds[sp.id]) for sp in service_points_of(session=session, account_id=account.id)
        ],
    )


def point_overview(*, session: Session, account: MemberAccount, meter_number: str) -> MyServicePoint:
    """One of the member's service points as :func:`overview` shows it."""
    return next(
        p for p in overview(session=session, account=account).service_points if p.meter_number == meter_number.strip()
    )


def dark_status(
    *, session: Session, state: PointState, now: datetime | None = None
) -> tuple[str | None, datetime | None]:
    """What a member is told of the records keeping their service point dark, by the public map's rules
    (:func:`outages.public_map.compute_figures`, D17): the least advanced of their public stages (reported,
    crew_assigned, crew_on_site: never a crew for a record nobody is assigned to), and the latest of their ETRs
    when every one has a plausible one, else none ("being assessed").  ``(None, None)`` unless out."""
    if state.status != "out" or not state.records:
        return None, None
    stages = open_stage_by_record(session=session, interruption_ids=[r.id for r in state.records])
    status = least_advanced(public_stage(stages.get(r.id)) for r in state.records)
    rules, now = get_rule_settings(), now or utcnow()
    etrs = [r.etr_at for r in state.records if r.etr_at is not None and rules.plausible(r.etr_at, now)]
    return status, max(etrs) if etrs and len(etrs) == len(state.records) else None


def _point(session: Session, sp: ServicePoint, net: Network, kinds: dict[str, bool]) -> MyServicePoint:
    """One of the member's service points with its power state (:func:`outages.affected.point_state`): out
    while an open record keeps it dark (cause and out since from those records, status and ETR by
    :func:`dark_status`), possibly out while a record above it has members nobody has located (with the ETR of
    those records, if any), else on."""
    state = point_state(session, sp.id, net=net)
    outage_status, etr_at = dark_status(session=session, state=state)
    if state.status == "possibly_out":
        etr_at = state.etr_at
    report = session.scalar(
        select(OutageReport).where(OutageReport.service_point_id == sp.id).order_by(OutageReport.id.desc()).limit(1)
    )
    return MyServicePoint(
        account_number=sp.account_number,
        meter_number=sp.meter_number,
        status=state.status,
        outage_status=outage_status,
        etr_at=etr_at,
        cause=state.cause,
        out_since=state.out_since,
        alerts=Alerts(**kinds),
        report=MyReport(id=report.id, status=report.status, created_at=report.created_at) if report else None,
    )


def _recipient(r: AlertRecipient) -> RecipientOut:
    return RecipientOut(
        id=r.id,
        channel=r.channel,
        address=r.address,
        language=r.language,
        status=alerts.recipient_status(r),
        owner=r.owner,
    )


def recipients(*, session: Session, account: MemberAccount) -> list[RecipientOut]:
    """Who receives the member's alerts: the account's own e-mail first, then the extra recipients."""
    return [_recipient(r) for r in alerts.recipients_of(session=session, account=account)]


def add_recipient(
    *, session: Session, account: MemberAccount, channel: str, address: str, language: str, texts_available: bool
) -> tuple[RecipientOut, str]:
    """Someone else who receives the member's alerts, pending until they confirm
    (:func:`outages.alerts.add_recipient`), and the token of the confirmation link to send them; text messages
    only when the cooperative has a gateway (``texts_available``)."""
    if channel == "sms" and not texts_available:
        raise InvalidInput(
            both("texts_unavailable"),
            field="channel",
        )
    recipient, token = alerts.add_recipient(
        session=session, account=account, channel=channel, address=address, language=language
    )
    return _recipient(recipient), token


def confirm_recipient(*, session: Session, token: str) -> LinkOutcome:
    """An extra recipient opens the confirmation link (:func:`outages.alerts.confirm_recipient`; twice is fine)."""
    status = alerts.confirm_recipient(session=session, token=token)
    return LinkOutcome(status=status, detail=both(status))


def unsubscribe(*, session: Session, key: str) -> Answer:
    """Stop every alert to the address a message carrying ``key`` went to (:func:`outages.alerts.unsubscribe`)."""
    alerts.unsubscribe(session=session, key=key)
    return Answer(detail=both("unsubscribed"))


def _check_hazard(hazard: str | None) -> str | None:
    """The danger a report names: none, or one of :data:`outages.member_reports.HAZARDS`."""
    if hazard is not None and hazard not in HAZARDS:
        raise InvalidInput(both("bad_hazard"), field="hazard")
    return hazard


def report_mine(
    *,
    session: Session,
    account: MemberAccount,
    meter_number: str,
    hazard: str | None = None,
    partial_power: bool = False,
) -> tuple[ReportAck, bool]:
    """A signed-in member reports an outage at one of their service points (see :func:`_report`)."""
    _check_hazard(hazard)
    sp = next(
        (
            p
            for p in service_points_of(session=session, account_id=account.id)
            if p.meter_number == meter_number.strip()
        ),
        None,
    )
    if sp is None:
        raise InvalidInput(
            both("meter_not_yours"),
            field="meter_number",
        )
    return _report(session, sp, account.id, hazard, partial_power)


def proven_point(*, session: Session, account_number: str, meter_number: str | None, phone: str | None) -> ServicePoint:
    """The service point a member who is not signed in proves: the account number with the meter number from
    the bill, or with a phone confirmed for its text alerts (or for its updates without an account)."""
    if meter_number:
        return service_point_by_bill(session=session, account_number=account_number, meter_number=meter_number)
    if phone:
        return alerts.service_point_by_phone(session, account_number, phone)
    raise InvalidInput(
        both("meter_or_phone"),
        field="meter_number",
    )


def report_anonymous(
    *,
    session: Session,
    account_number: str,
    meter_number: str | None,
    phone: str | None,
    hazard: str | None = None,
    partial_power: bool = False,
) -> tuple[ReportAck, bool]:
    """A member reports an outage without signing in, proving the service point (:func:`proven_point`; see
    :func:`_report`)."""
    _check_hazard(hazard)
    sp = proven_point(session=session, account_number=account_number, meter_number=meter_number, phone=phone)
    return _report(session, sp, None, hazard, partial_power)


def _both_each(key: str, en: dict[str, str], es: dict[str, str]) -> str:
    """An answer whose values differ by language, as "English / Spanish"."""
    english, spanish = ANSWERS[key]
    return f"{english.format(**en)} / {spanish.format(**es)}"


def _report(
    session: Session, sp: ServicePoint, account_id: int | None, hazard: str | None, partial_power: bool = False
) -> tuple[ReportAck, bool]:
    """Record the report — attached at once to the open record that already covers the service point, if
    any, so a known outage never shows up again as a probable one — and acknowledge it; whether it is new
    (``False``: the service point's open report, made before).  A danger named is kept on the report in
    every case (staff list it until made safe) and the answer tells the member to stay away and call 911.

    The answer tells what is known, by the rules of the public map (:func:`dark_status`): while an open record
    keeps the service point dark, its status, the ETR (or "being assessed") and since when, in both languages."""
    state = point_state(session, sp.id)
    known = state.status == "out" and bool(state.records)
    report, created = report_outage(
        session=session,
        service_point=sp,
        account_id=account_id,
        known=state.records[0] if known else None,
        hazard=hazard,
        partial_power=partial_power,
    )
    danger = hazard or (report.hazard if report.hazard_cleared_at is None else None)
    ack = ReportAck(
        id=report.id,
        status=report.status,
        detail=both("report_new" if created else "report_again"),
        hazard=danger,
        safety=both("hazard_safety") if danger else None,
        partial_power=report.partial_power,
    )
    if known:
        stage, etr_at = dark_status(session=session, state=state)
        zone = get_rule_settings().zone
        words = STATUS_WORDS[stage or "reported"]
        etrs = [alerts.when(etr_at, lang, zone) or ALERTS[lang]["assessing"] for lang in ("en", "es")]
        ack.known, ack.outage_status, ack.etr_at, ack.out_since = True, stage, etr_at, state.out_since
        ack.status_words, ack.etr = f"{words[0]} / {words[1]}", f"{etrs[0]} / {etrs[1]}"
        ack.detail = _both_each(
            "report_known", {"status": words[0], "etr": etrs[0]}, {"status": words[1], "etr": etrs[1]}
        )
    return ack, created


def ask_for_updates(
    *,
    session: Session,
    account_number: str,
    meter_number: str | None,
    phone: str | None,
    channel: str,
    address: str,
    language: str,
    texts_available: bool,
) -> tuple[UpdatesOut, int, str]:
    """Updates of one service point's outage without an account: the same proof as a report without signing
    in (:func:`proven_point`), then a pending recipient of that service point only
    (:func:`outages.alerts.ask_for_updates`); returns the answer, the recipient's id and the token of the
    confirmation link to send.  Text messages only with a gateway (``texts_available``).  Everything is checked
    before anything is written; the answer names nobody but the address given."""
    if channel == "sms" and not texts_available:
        raise InvalidInput(both("texts_unavailable"), field="channel")
    alerts.normalise_address(channel, address)  # a bad channel or address is told before the proof is looked up
    if language not in ("en", "es"):
        raise InvalidInput(both("bad_language"), field="language")
    sp = proven_point(session=session, account_number=account_number, meter_number=meter_number, phone=phone)
    recipient, token = alerts.ask_for_updates(
        session=session, service_point=sp, channel=channel, address=address, language=language
    )
    answer = UpdatesOut(
        channel=recipient.channel,
        address=recipient.address,
        language=recipient.language,
        status=alerts.recipient_status(recipient),
        detail=both("updates_sms" if channel == "sms" else "updates_email", address=recipient.address),
    )
    return answer, recipient.id, token

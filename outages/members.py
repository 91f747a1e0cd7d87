"""Member accounts (issue 7, first part): registration proven with the account and meter numbers of one
service point, activation by a single-use, expiring, *idempotent* e-mail link, password reset, more service
points on one login.  Answers to registration and reset never reveal whether an e-mail or account exists.

Passwords: at least 8 characters, passphrases up to 1,024 allowed, common and breached-style passwords
refused (``outages/data/common-passwords.txt``, plus the e-mail's own name), hashed with Argon2id.
Tokens are random, sent only in the link and stored as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint, select, true, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from gis.db import Base, UTCDateTime, utcnow
from gis.errors import Conflict, InvalidInput, NotAuthenticated
from gis.models import ServicePoint
from registry.schemas import EmailError, normalise_email

ACTIVATION_HOURS = 48
RESET_HOURS = 2
_hasher = PasswordHasher()
_DUMMY = _hasher.hash("timing-equaliser")


class MemberAccount(Base):
    __tablename__ = "member_accounts"
    __table_args__ = (CheckConstraint("language IN ('en','es')", name="language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MemberServicePoint(Base):
    """A service point a member has proven is theirs (account and meter number), with the alerts the
    member wants for it (all four on until the member turns them off)."""

    __tablename__ = "member_service_points"
    __table_args__ = (UniqueConstraint("account_id", "service_point_id", name="uq_member_service_points_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("member_accounts.id", ondelete="CASCADE"), index=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    alert_outage: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    alert_etr: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    alert_restored: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    alert_planned: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class AlertRecipient(Base):
    """Where a member's alerts go: the account's own e-mail (``owner``, confirmed by activation) or an extra
    recipient with its own channel and language, who receives nothing before confirming."""

    __tablename__ = "alert_recipients"
    __table_args__ = (UniqueConstraint("account_id", "channel", "address", name="uq_alert_recipients_address"),
                      CheckConstraint("channel IN ('email','sms')", name="channel"),
                      CheckConstraint("language IN ('en','es')", name="language"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("member_accounts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(5))
    address: Mapped[str] = mapped_column(String(254))  # an e-mail, or a phone as +1XXXXXXXXXX
    language: Mapped[str] = mapped_column(String(2), default="en")
    owner: Mapped[bool] = mapped_column(Boolean, default=False)
    confirm_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribe_key: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberToken(Base):
    """A single-use link token (activation or password reset), stored hashed."""

    __tablename__ = "member_tokens"
    __table_args__ = (CheckConstraint("purpose IN ('activate','reset')", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("member_accounts.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@lru_cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("data") / "common-passwords.txt"
    return frozenset(line.strip() for line in path.read_text().splitlines() if line and not line.startswith("#"))


def check_password(password: str, email: str) -> None:
    """Refuse short, overlong, common or e-mail-derived passwords with a plain reason."""
    if len(password) < 8:
        raise InvalidInput("The password is shorter than 8 characters. Fix: use a longer passphrase, e.g. four "
                           "words. / La contraseña tiene menos de 8 caracteres. Use una frase más larga, por ejemplo "
                           "cuatro palabras.", field="password")
    if len(password) > 1024:
        raise InvalidInput("The password is longer than 1,024 characters. Fix: use a shorter passphrase. / La "
                           "contraseña tiene más de 1,024 caracteres. Use una frase más corta.",
                           field="password")
    lowered = password.lower()
    if lowered in _common_passwords() or lowered == email.split("@")[0].lower() or len(set(password)) < 4:
        raise InvalidInput("That password is too common or too easy to guess. Fix: choose another one, e.g. a "
                           "few unrelated words. / Esa contraseña es demasiado común o fácil de adivinar. Elija "
                           "otra, por ejemplo varias palabras sin relación.", field="password")


def member_email(value: str | None, *, field: str = "email") -> str:
    """A member's (or an alert recipient's) e-mail, normalised by :func:`registry.schemas.normalise_email`;
    otherwise a bilingual :class:`InvalidInput` naming ``field``."""
    try:
        return normalise_email(value)
    except EmailError as err:
        english = str(err)[:1].upper() + str(err)[1:]
        spanish = {"empty": "Falta el correo electrónico.",
                   "too_long": f"El correo electrónico tiene más de {err.limit} caracteres."}.get(
            err.kind, f"{err.shown} no es un correo electrónico.")
        fix = ("use a shorter address", "use una dirección más corta") if err.kind == "too_long" else (
            "write it like name@example.org", "escríbalo así: nombre@ejemplo.org")
        raise InvalidInput(f"{english}. Fix: {fix[0]}. / {spanish} {fix[1][:1].upper()}{fix[1][1:]}.",
                           field=field) from None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def service_point_by_bill(session: Session, account_number: str, meter_number: str) -> ServicePoint:
    """The service point with this account and meter number (both from the same bill)."""
    sp = session.scalar(select(ServicePoint).where(ServicePoint.account_number == (account_number or "").strip(),
                                                   ServicePoint.meter_number == (meter_number or "").strip()))
    if sp is None:
        raise InvalidInput("The account number and meter number do not match one of our service points. Fix: copy "
                           "both from the same bill. / El número de cuenta y el de medidor no coinciden con ninguno "
                           "de nuestros servicios. Cópielos de la misma factura.", field="meter_number")
    return sp


def _new_token(session: Session, account: MemberAccount, purpose: str, hours: int, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(MemberToken(account_id=account.id, purpose=purpose, token_hash=_hash(token),
                            expires_at=now + timedelta(hours=hours)))
    session.flush()
    return token


@dataclass
class Outgoing:
    """An e-mail the caller should send (the service itself sends nothing, so it stays in one transaction)."""

    to: str
    kind: str  # activate | already_registered | reset | no_account
    language: str
    token: str | None = None


def register(*, session: Session, email: str, password: str, account_number: str, meter_number: str,
             language: str = "en", now: datetime | None = None) -> Outgoing | None:
    """Start a registration.  The caller always answers the same way; what happened is only told by
    e-mail to the address given (an activation link, or a note that it is already registered)."""
    now = now or utcnow()
    email = member_email(email)
    check_password(password, email)
    if language not in ("en", "es"):
        raise InvalidInput("language must be en or es. Fix: choose English or Spanish. / Elija inglés o "
                           "español.", field="language")
    sp = service_point_by_bill(session, account_number, meter_number)
    password_hash = _hasher.hash(password)  # either way: a known e-mail must not answer sooner than a new one
    account = session.scalar(select(MemberAccount).where(MemberAccount.email == email))
    if account is not None:
        known = Outgoing(email, "already_registered", account.language)
        with session.begin_nested() as rehearsal:  # the same inserts and flushes as a new account, undone
            _open_account(session, f"{secrets.token_hex(16)}@discarded.invalid", password_hash, language, sp, now)
            rehearsal.rollback()
        return known
    account, token = _open_account(session, email, password_hash, language, sp, now)
    return Outgoing(email, "activate", language, token)


def _open_account(session: Session, email: str, password_hash: str, language: str, sp: ServicePoint,
                  now: datetime) -> tuple[MemberAccount, str]:
    """A new, inactive account on its proven service point, and its activation token."""
    account = MemberAccount(email=email, password_hash=password_hash, language=language)
    session.add(account)
    session.flush()
    session.add(MemberServicePoint(account_id=account.id, service_point_id=sp.id))
    return account, _new_token(session, account, "activate", ACTIVATION_HOURS, now)


def activate(*, session: Session, token: str, now: datetime | None = None) -> str:
    """Open an activation link: 'activated' the first time, 'already_active' every time after (a double
    click or a second visit never breaks it); an unknown or expired link says how to get a new one."""
    now = now or utcnow()
    row = session.scalar(select(MemberToken).where(MemberToken.token_hash == _hash(token or ""),
                                                   MemberToken.purpose == "activate"))
    if row is None:
        raise InvalidInput("This activation link is not valid. Fix: ask for a new one on the sign-in page. / Este "
                           "enlace de activación no es válido. Pida uno nuevo en la página de inicio de sesión.",
                           field="token")
    account = session.get(MemberAccount, row.account_id)
    if account.active:
        return "already_active"
    if row.expires_at < now:
        raise Conflict("This activation link has expired. Fix: ask for a new one (Resend activation). / Este enlace "
                       "de activación venció. Pida uno nuevo (Reenviar activación).")
    row.used_at = now
    return "activated" if _activate(session, account, now) else "already_active"


def _activate(session: Session, account: MemberAccount, now: datetime) -> bool:
    """Activate the account, once even when two clicks race (a conditional update decides); its own e-mail,
    proven by the link, becomes its first, confirmed alert recipient."""
    won = session.execute(update(MemberAccount).where(MemberAccount.id == account.id, MemberAccount.active.is_(False))
                          .values(active=True, activated_at=now)).rowcount
    if won:
        session.add(AlertRecipient(account_id=account.id, channel="email", address=account.email,
                                   language=account.language, owner=True, confirmed_at=now))
        session.flush()
    return bool(won)


def resend_activation(*, session: Session, email: str, now: datetime | None = None) -> Outgoing | None:
    """A fresh activation link for an inactive account; silence otherwise (the answer is the same)."""
    account = session.scalar(select(MemberAccount).where(MemberAccount.email == member_email(email)))
    if account is None or account.active:
        return None
    return Outgoing(account.email, "activate", account.language,
                    _new_token(session, account, "activate", ACTIVATION_HOURS, now or utcnow()))


def request_reset(*, session: Session, email: str, now: datetime | None = None) -> Outgoing:
    """A password-reset link by e-mail (or a note that no account uses the address): same answer either way."""
    email = member_email(email)
    account = session.scalar(select(MemberAccount).where(MemberAccount.email == email))
    if account is None:
        return Outgoing(email, "no_account", "en")
    return Outgoing(email, "reset", account.language, _new_token(session, account, "reset", RESET_HOURS,
                                                                  now or utcnow()))


def reset_password(*, session: Session, token: str, password: str, now: datetime | None = None) -> None:
    """Use a reset link once, before it expires, to set a new password (it also activates the account)."""
    now = now or utcnow()
    row = session.scalar(select(MemberToken).where(MemberToken.token_hash == _hash(token or ""),
                                                   MemberToken.purpose == "reset"))
    if row is None or row.used_at is not None or row.expires_at < now:
        raise InvalidInput("This reset link is not valid any more. Fix: ask for a new one. / Este enlace ya no es "
                           "válido. Pida uno nuevo.", field="token")
    account = session.get(MemberAccount, row.account_id)
    check_password(password, account.email)
    account.password_hash, row.used_at = _hasher.hash(password), now
    if not account.active:
        _activate(session, account, now)
    session.flush()


def authenticate_member(*, session: Session, email: str, password: str) -> MemberAccount:
    """The active account with these credentials, or the same refusal for any failure."""
    try:
        email = normalise_email(email)
    except ValueError:
        email = (email or "").strip().lower()  # no such account: the same refusal as a wrong password
    account = session.scalar(select(MemberAccount).where(MemberAccount.email == email))
    try:
        _hasher.verify(account.password_hash if account else _DUMMY, password)
    except VerificationError:
        account = None
    if account is None or not account.active:
        raise NotAuthenticated("Wrong e-mail or password, or the account is not activated yet. Fix: check both, "
                               "or use the link we e-mailed you. / Correo o contraseña incorrectos, o la cuenta aún "
                               "no está activada. Revise ambos o use el enlace que le enviamos.")
    return account


def add_service_point(*, session: Session, account: MemberAccount, account_number: str,
                      meter_number: str) -> ServicePoint:
    """Prove another service point (its account and meter numbers) and add it to this login."""
    sp = service_point_by_bill(session, account_number, meter_number)
    exists = session.scalar(select(MemberServicePoint).where(MemberServicePoint.account_id == account.id,
                                                             MemberServicePoint.service_point_id == sp.id))
    if exists is None:
        session.add(MemberServicePoint(account_id=account.id, service_point_id=sp.id))
        session.flush()
    return sp


def service_points_of(*, session: Session, account_id: int) -> list[ServicePoint]:
    """The member's own service points — never anyone else's."""
    return list(session.scalars(select(ServicePoint).join(
        MemberServicePoint, MemberServicePoint.service_point_id == ServicePoint.id)
        .where(MemberServicePoint.account_id == account_id).order_by(ServicePoint.id)))

"""The members' tables: accounts, the service points they proved, alert recipients, single-use link tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from gis.db import Base, UTCDateTime, utcnow


class MemberAccount(Base):
    """A member's sign-in (an e-mail, its password's hash, a language), inactive until the e-mailed link is opened."""

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
    member wants for it (outage, ETR, restored and planned on until the member turns them off; a crew on site
    is optional: off until the member turns it on)."""

    __tablename__ = "member_service_points"
    __table_args__ = (UniqueConstraint("account_id", "service_point_id", name="uq_member_service_points_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("member_accounts.id", ondelete="CASCADE"), index=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    alert_outage: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    alert_etr: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    alert_restored: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    alert_planned: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    alert_crew: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AlertRecipient(Base):
    """Where alerts go: a member's account's own e-mail (``owner``, confirmed by activation), an extra
    recipient of the account with its own channel and language, or (no account, issue 15) someone who asked
    for updates about one service point after reporting an outage there (``service_point_id``).  Every one
    but the owner receives nothing before confirming."""

    __tablename__ = "alert_recipients"
    __table_args__ = (
        UniqueConstraint("account_id", "channel", "address", name="uq_alert_recipients_address"),
        UniqueConstraint("service_point_id", "channel", "address", name="uq_alert_recipients_point_address"),
        CheckConstraint("channel IN ('email','sms')", name="channel"),
        CheckConstraint("language IN ('en','es')", name="language"),
        CheckConstraint("(account_id IS NULL) <> (service_point_id IS NULL)", name="account_or_point"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("member_accounts.id", ondelete="CASCADE"), index=True)
    # without an account: the one service point whose updates were asked for (proved by the report)
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"), index=True)
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

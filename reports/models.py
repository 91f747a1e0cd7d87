"""What the service sends and files: notices (initial and daily updates), their deliveries, and
summary reports.  Unique keys in the database make each exactly-once, whatever the number of workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gis.db import Base, UTCDateTime, utcnow
from outages.models import Incident


class Notice(Base):
    """The initial notice (sequence 0) or a daily update (sequence 1, 2, …) of a significant incident."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("incident_id", "kind", "sequence", name="uq_notices_once"),
        CheckConstraint("kind IN ('initial','update')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fields: Mapped[dict] = mapped_column(JSON)

    incident: Mapped[Incident] = relationship()
    deliveries: Mapped[list[NoticeDelivery]] = relationship(back_populates="notice", order_by="NoticeDelivery.id")


class NoticeDelivery(Base):
    """One attempt series to deliver a notice to one recipient; failures retry with back-off."""

    __tablename__ = "notice_deliveries"
    __table_args__ = (CheckConstraint("status IN ('pending','sent','failed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_by: Mapped[str] = mapped_column(String(80), default="scheduler")
    history: Mapped[list | None] = mapped_column(JSON)  # every attempt: {"at", "outcome", "error"}

    notice: Mapped[Notice] = relationship(back_populates="deliveries")


class SummaryReport(Base):
    """The summary report owed for a significant incident that lasted more than 24 hours (D11)."""

    __tablename__ = "summary_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filed_by: Mapped[str | None] = mapped_column(String(80))

    incident: Mapped[Incident] = relationship()


class ServiceAlarm(Base):
    """A problem with the service itself that executives were warned of (issue 15: the public map's snapshot
    stale, or the public map not answering): raised once, cleared once, each with one e-mail."""

    __tablename__ = "service_alarms"
    __table_args__ = (CheckConstraint("kind IN ('public_map')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    detail: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

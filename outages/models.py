"""The interruption log (domain D1): incidents group interruption records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gis.db import Base, UTCDateTime, utcnow
from gis.models import Device, Feeder, Substation, TransmissionLine

STATUSES = ("open", "closed", "voided")


class Cause(Base):
    """A cause code (configurable list; the defaults are in :mod:`outages.settings`)."""

    __tablename__ = "causes"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Incident(Base):
    """One event (a storm, a substation failure) grouping interruption records."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    # 'live' incidents are logged here and get notices and summary reports; 'import' ones are history
    source: Mapped[str] = mapped_column(String(10), default="live", server_default="live")
    significant_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    classification: Mapped[dict | None] = mapped_column(JSON)
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # what the rule owed (issue 16), kept for every significant incident, live or imported: an initial notice
    # (significant), a summary report (lasted more than 24 hours) and when that report was due
    notice_required: Mapped[bool | None] = mapped_column(Boolean)
    report_required: Mapped[bool | None] = mapped_column(Boolean)
    report_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    interruptions: Mapped[list[Interruption]] = relationship(back_populates="incident", order_by="Interruption.id")


class Interruption(Base):
    """One loss of service on one facility, with its restoration steps (D1, D2, D12)."""

    __tablename__ = "interruptions"
    __table_args__ = (
        CheckConstraint("status IN ('open','closed','voided')", name="status"),
        CheckConstraint("members_out > 0", name="members_out_positive"),
        CheckConstraint("(feeder_id IS NULL) <> (transmission_line_id IS NULL)", name="one_facility"),
        CheckConstraint("extent IN ('facility','part')", name="extent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    record_ref: Mapped[str | None] = mapped_column(String(80), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    momentary: Mapped[bool | None] = mapped_column(Boolean)
    scheduled: Mapped[bool] = mapped_column(Boolean, default=False)
    members_notified: Mapped[bool | None] = mapped_column(Boolean)
    cause_code: Mapped[str] = mapped_column(ForeignKey("causes.code"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    restored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    members_out: Mapped[int] = mapped_column(Integer)
    # 'facility': everyone below the facility is out; 'part': the located service points
    # (InterruptionPoint) plus members_out - located members nobody has located yet (outages.power_state)
    extent: Mapped[str] = mapped_column(String(10), default="facility", server_default="facility")
    substation_id: Mapped[int | None] = mapped_column(ForeignKey("substations.id"), index=True)
    feeder_id: Mapped[int | None] = mapped_column(ForeignKey("feeders.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    transmission_line_id: Mapped[int | None] = mapped_column(ForeignKey("transmission_lines.id"))
    location: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    etr_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(Text)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    incident: Mapped[Incident] = relationship(back_populates="interruptions")
    substation: Mapped[Substation | None] = relationship()
    feeder: Mapped[Feeder | None] = relationship()
    device: Mapped[Device | None] = relationship()
    transmission_line: Mapped[TransmissionLine | None] = relationship()
    cause: Mapped[Cause] = relationship()
    steps: Mapped[list[RestorationStep]] = relationship(
        back_populates="interruption", order_by="RestorationStep.at", cascade="all, delete-orphan"
    )
    etr_history: Mapped[list[EtrChange]] = relationship(order_by="EtrChange.id", cascade="all, delete-orphan")


class InterruptionPoint(Base):
    """A service point a record on part of a facility is known to leave dark (domain D15)."""

    __tablename__ = "interruption_points"

    interruption_id: Mapped[int] = mapped_column(ForeignKey("interruptions.id", ondelete="CASCADE"), primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), primary_key=True, index=True)


class RestorationStep(Base):
    """Members restored at one moment; the last step of a closed record is the full restoration.  What came
    back: everything below ``device_id``, the service points listed (:class:`StepPoint`), or, with
    neither, ``members_restored`` of the record's members nobody has located (outages.power_state)."""

    __tablename__ = "restoration_steps"
    __table_args__ = (CheckConstraint("members_restored > 0", name="members_restored_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interruption_id: Mapped[int] = mapped_column(ForeignKey("interruptions.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    members_restored: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    created_by: Mapped[str] = mapped_column(String(80))

    interruption: Mapped[Interruption] = relationship(back_populates="steps")
    device: Mapped[Device | None] = relationship()


class StepPoint(Base):
    """A service point a restoration step names as back on."""

    __tablename__ = "restoration_step_points"

    step_id: Mapped[int] = mapped_column(ForeignKey("restoration_steps.id", ondelete="CASCADE"), primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), primary_key=True)


class EtrChange(Base):
    """One estimate of the time of full restoration; ``etr_at`` empty means 'being assessed'."""

    __tablename__ = "etr_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    interruption_id: Mapped[int] = mapped_column(ForeignKey("interruptions.id", ondelete="CASCADE"), index=True)
    etr_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    set_by: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(300))


class AuditEntry(Base):
    """Who changed what, when, with the record before and after (D13)."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class ContactAttempt(Base):
    """A dispatcher's try to reach a registry entry's contact during an incident (the call list)."""

    __tablename__ = "contact_attempts"
    __table_args__ = (
        CheckConstraint("outcome IN ('reached','no_answer','left_message','busy','wrong_number')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("registry_entries.id", ondelete="CASCADE"), index=True)
    contact_name: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(80))


class LogRevision(Base):
    """The interruption log's revision (one row): raised in every transaction that writes a record, its steps or
    its points (:mod:`outages.journal`).  Its row lock orders those transactions, so that revisions are
    committed in order and a reader that sees revision N has every change up to N."""

    __tablename__ = "log_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # drawn anew with each revision: a reader's cache names the revision it holds by number and token, so that a
    # revision number reused after a rollback or a restore from backup is never taken for the one it read
    token: Mapped[str | None] = mapped_column(String(32))


class LogChange(Base):
    """Which record a revision changed (``interruption_id`` NULL: any, e.g. a bulk import): the caches of
    :mod:`outages.history` reread just those records."""

    __tablename__ = "log_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, index=True)
    token: Mapped[str] = mapped_column(String(32))  #: the revision's token (:class:`LogRevision`)
    interruption_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


from outages import journal  # noqa: E402,F401  (its session events journal every write of the log)

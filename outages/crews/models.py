"""The crew roster and crew assignments (issue 14).  A crew is *out* while it has an assignment not yet
done; *idle* when it is on shift with none.  Every change is audited (``outages.models.AuditEntry``, entity
``crew`` or ``crew_assignment``); the stage times and who moved each stage are kept on the assignment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gis.db import Base, UTCDateTime, utcnow
from gis.models import ServiceArea
from outages.models import Interruption

CREW_KINDS = ("line", "tree", "service", "contractor")
# the stages of an assignment, in order; every stage but the last keeps the crew out
STAGES = ("dispatched", "en_route", "on_site", "done")
ACTIVE_STAGES = STAGES[:-1]


class Crew(Base):
    """One crew on the roster.  ``active`` false: retired from the roster (its history stays)."""

    __tablename__ = "crews"
    __table_args__ = (CheckConstraint("kind IN ('line','tree','service','contractor')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(40))
    division_id: Mapped[int | None] = mapped_column(ForeignKey("service_areas.id"))
    on_shift: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    division: Mapped[ServiceArea | None] = relationship()


class CrewAssignment(Base):
    """A crew sent to an interruption record.  One open assignment per crew and record at a time; the
    stage times say when the crew was dispatched, en route, on site and done, and ``*_by`` who said so.
    ``damage`` and ``cause_code``: what the crew found on site (the cause confirmed is also the record's)."""

    __tablename__ = "crew_assignments"
    __table_args__ = (
        CheckConstraint("status IN ('dispatched','en_route','on_site','done')", name="status"),
        Index(
            "uq_crew_assignments_open",
            "crew_id",
            "interruption_id",
            unique=True,
            sqlite_where=text("status <> 'done'"),
            postgresql_where=text("status <> 'done'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    crew_id: Mapped[int] = mapped_column(ForeignKey("crews.id"), index=True)
    interruption_id: Mapped[int] = mapped_column(ForeignKey("interruptions.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="dispatched", index=True)
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_by: Mapped[str] = mapped_column(String(80))
    en_route_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    en_route_by: Mapped[str | None] = mapped_column(String(80))
    on_site_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    on_site_by: Mapped[str | None] = mapped_column(String(80))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(80))
    damage: Mapped[str | None] = mapped_column(Text)
    cause_code: Mapped[str | None] = mapped_column(ForeignKey("causes.code"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    crew: Mapped[Crew] = relationship()
    interruption: Mapped[Interruption] = relationship()

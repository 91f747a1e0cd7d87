"""The essential-services registry (emergency operations plan, domain D7)."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gis.db import Base, UTCDateTime, utcnow
from gis.models import Feeder, ServicePoint

# category code -> (label, group); groups decide which significance criterion an entry meets (D7)
DEFAULT_CATEGORIES = {
    "hospital": ("Hospital", "essential"),
    "police": ("Police", "essential"),
    "fire": ("Fire", "essential"),
    "water": ("Water", "essential"),
    "wastewater": ("Wastewater", "essential"),
    "communications": ("Communications", "essential"),
    "government": ("Government agency", "community_impact"),
    "military": ("Military base", "community_impact"),
    "school": ("University / school", "community_impact"),
    "retail": ("Major retail center", "community_impact"),
    "employer": ("Major employer", "community_impact"),
    "interruptible": ("Interruptible load", "interruptible"),
    "critical_care": ("Critical care residential", "critical_care"),
}
GROUPS = ("essential", "community_impact", "interruptible", "critical_care", "other")


class RegistryCategory(Base):
    __tablename__ = "registry_categories"
    __table_args__ = (
        CheckConstraint("grp IN ('essential','community_impact','interruptible','critical_care','other')", name="grp"),
    )

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    grp: Mapped[str] = mapped_column(String(20))


class RegistryEntry(Base):
    """A member whose service matters to the community, served from one service point (or,
    where only an address is known, linked to a feeder)."""

    __tablename__ = "registry_entries"
    __table_args__ = (CheckConstraint("priority_tier BETWEEN 1 AND 3", name="priority_tier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category_code: Mapped[str] = mapped_column(ForeignKey("registry_categories.code"), index=True)
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"), index=True)
    feeder_id: Mapped[int] = mapped_column(ForeignKey("feeders.id"), index=True)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    backup_generation: Mapped[bool] = mapped_column(Boolean, default=False)
    fuel_hours: Mapped[float | None] = mapped_column(Float)
    priority_tier: Mapped[int] = mapped_column(Integer, default=3)
    notes: Mapped[str | None] = mapped_column(Text)
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_verified_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    category: Mapped[RegistryCategory] = relationship(lazy="joined")
    service_point: Mapped[ServicePoint | None] = relationship()
    feeder: Mapped[Feeder] = relationship()
    contacts: Mapped[list[RegistryContact]] = relationship(
        back_populates="entry", order_by="RegistryContact.id", cascade="all, delete-orphan"
    )


class RegistryContact(Base):
    __tablename__ = "registry_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("registry_entries.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    alt_phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    around_the_clock: Mapped[bool] = mapped_column(Boolean, default=False)

    entry: Mapped[RegistryEntry] = relationship(back_populates="contacts")

"""The cooperative's facilities.  Members served are always derived from service points."""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, CheckConstraint, Column, Float, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gis.db import Base

AREA_KINDS = ("system", "division", "community", "county")

transmission_line_substations = Table(
    "transmission_line_substations",
    Base.metadata,
    Column("transmission_line_id", ForeignKey("transmission_lines.id", ondelete="CASCADE"), primary_key=True),
    Column("substation_id", ForeignKey("substations.id", ondelete="CASCADE"), primary_key=True),
)


class Substation(Base):
    __tablename__ = "substations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)

    feeders: Mapped[list[Feeder]] = relationship(back_populates="substation")
    transmission_lines: Mapped[list[TransmissionLine]] = relationship(
        secondary=transmission_line_substations, back_populates="substations"
    )


class TransmissionLine(Base):
    __tablename__ = "transmission_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    voltage_kv: Mapped[float | None] = mapped_column(Float)
    geom = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=True), nullable=False)

    substations: Mapped[list[Substation]] = relationship(
        secondary=transmission_line_substations, back_populates="transmission_lines"
    )


class Feeder(Base):
    __tablename__ = "feeders"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    substation_id: Mapped[int] = mapped_column(ForeignKey("substations.id"), index=True)
    voltage_kv: Mapped[float | None] = mapped_column(Float)
    geom = mapped_column(Geometry("MULTILINESTRING", srid=4326, spatial_index=True), nullable=False)

    substation: Mapped[Substation] = relationship(back_populates="feeders")


class Device(Base):
    """A protective device (recloser, fuse, sectionalizer) on a feeder."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    feeder_id: Mapped[int] = mapped_column(ForeignKey("feeders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    upstream_device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), index=True)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)

    feeder: Mapped[Feeder] = relationship()


class ServiceArea(Base):
    __tablename__ = "service_areas"
    __table_args__ = (CheckConstraint("kind IN ('system','division','community','county')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)


class ServicePoint(Base):
    """One metered point of service; a member is counted once per service point."""

    __tablename__ = "service_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_number: Mapped[str] = mapped_column(String(40), unique=True)
    account_number: Mapped[str] = mapped_column(String(40), index=True)
    feeder_id: Mapped[int] = mapped_column(ForeignKey("feeders.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), index=True)
    interruptible: Mapped[bool] = mapped_column(Boolean, default=False)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)


class LandbaseFeature(Base):
    """The co-op's base map (landbase), imported with the facility layer from its optional layers: a road
    (line, ``rank`` 1 highway to 3 local), a place (point with a name, ``rank`` 1 town to 3 locality) or water
    (a lake's polygon or a creek's line).  Drawn under the public map; never tied to a member."""

    __tablename__ = "landbase_features"
    __table_args__ = (CheckConstraint("kind IN ('road','place','water')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    rank: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False)


class ServicePointArea(Base):
    """Which service areas contain each service point, computed on import (point-in-polygon)."""

    __tablename__ = "service_point_areas"

    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id", ondelete="CASCADE"), primary_key=True)
    service_area_id: Mapped[int] = mapped_column(
        ForeignKey("service_areas.id", ondelete="CASCADE"), primary_key=True, index=True
    )

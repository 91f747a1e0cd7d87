"""Registry services.  Keyword-only; they flush, the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from gis.db import utcnow
from gis.errors import Conflict, InvalidInput, NotFound
from gis.models import Feeder, ServicePoint, Substation
from gis.network import network
from gis.service import AreaIndex, feeder_serving, get_by_code, nearest_service_point
from registry.models import DEFAULT_CATEGORIES, RegistryCategory, RegistryContact, RegistryEntry
from registry.schemas import CategoryIn, ContactOut, EntryIn, EntryOut, EntryUpdate, LinkCandidate

REVIEW_MONTHS = 12
DUE_SOON_DAYS = 30


def ensure_categories(*, session: Session) -> None:
    """Add the default categories that are missing (keepers may add more)."""
    have = set(session.scalars(select(RegistryCategory.code)))
    session.add_all(
        RegistryCategory(code=c, label=label, grp=grp)
        for c, (label, grp) in DEFAULT_CATEGORIES.items()
        if c not in have
    )
    session.flush()


def add_category(*, session: Session, data: CategoryIn) -> RegistryCategory:
    """A keeper's own category (group 'other' unless said otherwise)."""
    if session.get(RegistryCategory, data.code):
        raise Conflict(f"Category {data.code!r} already exists. Fix: choose another code.")
    category = RegistryCategory(code=data.code, label=data.label, grp=data.group)
    session.add(category)
    session.flush()
    return category


def categories(*, session: Session) -> list[RegistryCategory]:
    return list(session.scalars(select(RegistryCategory).order_by(RegistryCategory.grp, RegistryCategory.code)))


# --- where an entry is served from ------------------------------------------------------------


@dataclass
class Placement:
    service_point: ServicePoint | None
    feeder: Feeder
    lon: float
    lat: float


def place(*, session: Session, data: EntryIn, territory: AreaIndex) -> Placement:
    """Resolve the service point (account + meter) or feeder and the location of an entry."""
    sp = None
    if data.account_number or data.meter_number:
        if not (data.account_number and data.meter_number):
            raise InvalidInput(
                "Give both account_number and meter_number of the service point. Fix: fill in the missing one.",
                field="meter_number" if data.account_number else "account_number",
            )
        sp = session.scalar(
            select(ServicePoint).where(
                ServicePoint.account_number == data.account_number, ServicePoint.meter_number == data.meter_number
            )
        )
        if sp is None:
            raise InvalidInput(
                f"No service point has account {data.account_number} and meter "
                f"{data.meter_number}. Fix: check both numbers on the bill.",
                field="meter_number",
            )
        feeder = session.get(Feeder, sp.feeder_id)
        assert feeder is not None  # the service point's foreign key
        if data.feeder and data.feeder != feeder.code:
            raise InvalidInput(
                f"That service point is on feeder {feeder.code}, not {data.feeder}. Fix: drop feeder or correct it.",
                field="feeder",
            )
    elif data.feeder:
        feeder = get_by_code(session=session, model=Feeder, code=data.feeder, what="feeder", field="feeder")
    else:
        raise InvalidInput(
            "Say where the entry is served from. Fix: give account_number and meter_number, or a "
            "feeder (use the link look-up to find the nearest).",
            field="account_number",
        )
    lon, lat = data.lon, data.lat
    if lon is None or lat is None:
        if sp is None:
            raise InvalidInput("An entry linked to a feeder needs its location. Fix: give lon and lat.", field="lon")
        wkb = session.scalar(select(func.ST_AsBinary(ServicePoint.geom)).where(ServicePoint.id == sp.id))
        assert wkb is not None  # a service point's geom is NOT NULL
        geom = shapely.from_wkb(bytes(wkb))
        lon, lat = geom.x, geom.y
    lon, lat = round(lon, 7), round(lat, 7)  # 1 cm; keeps spreadsheet round trips exact
    if not territory.in_territory(lon, lat):
        raise InvalidInput(
            f"({lon}, {lat}) is outside the service territory. Fix: check the location "
            "(longitude first, west is negative).",
            field="lon",
        )
    return Placement(sp, feeder, lon, lat)


def link_candidates(*, session: Session, lon: float, lat: float, tolerance_m: float = 500.0) -> list[LinkCandidate]:
    """For an address point: the nearest service point and the nearest feeder, with distances, to accept."""
    found = []
    try:
        sp, d = nearest_service_point(session=session, lon=lon, lat=lat, tolerance_m=tolerance_m)
        sp_feeder = session.get(Feeder, sp.feeder_id)
        assert sp_feeder is not None  # the service point's foreign key
        found.append(
            LinkCandidate(
                kind="service_point",
                feeder=sp_feeder.code,
                account_number=sp.account_number,
                meter_number=sp.meter_number,
                distance_m=round(d, 1),
            )
        )
    except NotFound:
        pass
    try:
        feeder, d = feeder_serving(session=session, lon=lon, lat=lat, tolerance_m=tolerance_m)
        found.append(LinkCandidate(kind="feeder", feeder=feeder.code, distance_m=round(d, 1)))
    except NotFound:
        pass
    if not found:
        raise NotFound(
            f"Nothing within {tolerance_m:g} m of ({lon}, {lat}). Fix: check the location or widen tolerance_m."
        )
    return found


# --- entries -----------------------------------------------------------------------------------


def _check_category(session: Session, code: str) -> None:
    if session.get(RegistryCategory, code) is None:
        known = ", ".join(session.scalars(select(RegistryCategory.code).order_by(RegistryCategory.code)))
        raise InvalidInput(
            f"category {code!r} is unknown. Fix: use one of {known}, or add the category first.", field="category"
        )


def apply_entry(entry: RegistryEntry, *, data: EntryIn, placement: Placement, actor: str) -> None:
    """Write what an entry says (name, category, placement, backup, tier, notes, contacts) onto a new or existing
    entry, stamped as changed now by ``actor``; its ref and verification are the caller's."""
    entry.name, entry.category_code = data.name, data.category
    entry.service_point_id = placement.service_point.id if placement.service_point else None
    entry.feeder_id = placement.feeder.id
    entry.geom = f"SRID=4326;POINT({placement.lon!r} {placement.lat!r})"
    entry.backup_generation, entry.fuel_hours = data.backup_generation, data.fuel_hours
    entry.priority_tier, entry.notes, entry.updated_by = data.priority_tier, data.notes, actor
    entry.updated_at = utcnow()
    entry.contacts = [RegistryContact(**c.model_dump()) for c in data.contacts]


def create_entry(
    *,
    session: Session,
    data: EntryIn,
    actor: str,
    territory: AreaIndex | None = None,
    verified_at: datetime | None = None,
    verified_by: str | None = None,
) -> RegistryEntry:
    """Add an entry.  A new entry counts as verified now by its author unless told otherwise."""
    _check_category(session, data.category)
    placement = place(session=session, data=data, territory=territory or AreaIndex(session))
    ref = data.ref or _next_ref(session)
    if session.scalar(select(RegistryEntry.id).where(RegistryEntry.ref == ref)):
        raise Conflict(f"An entry {ref!r} already exists. Fix: give another ref or update that entry.")
    entry = RegistryEntry(ref=ref, last_verified_at=verified_at or utcnow(), last_verified_by=verified_by or actor)
    apply_entry(entry, data=data, placement=placement, actor=actor)
    session.add(entry)
    session.flush()
    return entry


def _next_ref(session: Session) -> str:
    return f"REG-{(session.scalar(select(func.max(RegistryEntry.id))) or 0) + 1:05d}"


def get_entry(*, session: Session, entry_id: int, field: str | None = None) -> RegistryEntry:
    """An entry by id, or NotFound (InvalidInput on ``field`` when a request's body named it)."""
    entry = session.get(RegistryEntry, entry_id)
    if entry is None:
        message = f"Registry entry {entry_id} does not exist. Fix: check the id."
        raise InvalidInput(message, field=field) if field else NotFound(message)
    return entry


def update_entry(*, session: Session, entry_id: int, data: EntryUpdate, actor: str) -> RegistryEntry:
    """Change an entry; the version you read must still be current (409 otherwise)."""
    entry = get_entry(session=session, entry_id=entry_id)
    if entry.version != data.version:
        raise Conflict(
            f"Entry {entry.ref} was changed by {entry.updated_by} meanwhile. Fix: reload and apply your change again."
        )
    _check_category(session, data.category)
    apply_entry(
        entry, data=data, placement=place(session=session, data=data, territory=AreaIndex(session)), actor=actor
    )
    if data.ref and data.ref != entry.ref:
        raise InvalidInput("ref cannot change. Fix: leave ref as it is.", field="ref")
    session.flush()
    return entry


def delete_entry(*, session: Session, entry_id: int) -> None:
    """Remove an entry that no longer belongs in the registry."""
    session.delete(get_entry(session=session, entry_id=entry_id))
    session.flush()


def verify_entry(*, session: Session, entry_id: int, actor: str, at: datetime | None = None) -> RegistryEntry:
    """Record that the keeper checked the entry with the member: who and when."""
    entry = get_entry(session=session, entry_id=entry_id)
    entry.last_verified_at, entry.last_verified_by = at or utcnow(), actor
    entry.updated_by = actor
    session.flush()
    return entry


def list_entries(
    *, session: Session, category: str | None = None, feeder: str | None = None, q: str | None = None, ids=None
) -> list[RegistryEntry]:
    # the related facilities' codes only: their geometries are never read from an entry (a call list in a
    # storm lists hundreds of entries)
    stmt = select(RegistryEntry).options(
        selectinload(RegistryEntry.contacts),
        selectinload(RegistryEntry.service_point).load_only(ServicePoint.account_number, ServicePoint.meter_number),
        selectinload(RegistryEntry.feeder)
        .load_only(Feeder.code, Feeder.substation_id)
        .selectinload(Feeder.substation)
        .load_only(Substation.code),
    )
    if category:
        _check_category(session, category)
        stmt = stmt.where(RegistryEntry.category_code == category)
    if feeder:
        stmt = stmt.where(
            RegistryEntry.feeder_id == get_by_code(session=session, model=Feeder, code=feeder, what="feeder").id
        )
    if q:
        stmt = stmt.where(RegistryEntry.name.ilike(f"%{q}%"))
    if ids is not None:
        stmt = stmt.where(RegistryEntry.id.in_(list(ids)))
    return list(session.scalars(stmt.order_by(RegistryEntry.ref)))


# --- yearly verification -----------------------------------------------------------------------


def review_due(last_verified: datetime | None, zone) -> date | None:
    """The last day an entry is still current: twelve months after its last verification (local date)."""
    if last_verified is None:
        return None
    day = last_verified.astimezone(zone).date()
    try:
        return day.replace(year=day.year + REVIEW_MONTHS // 12)
    except ValueError:  # verified on 29 February
        return day.replace(year=day.year + 1, day=28)


def review_status(
    last_verified: datetime | None, today: date, zone
) -> Literal["current", "due_soon", "overdue", "never_verified"]:
    due = review_due(last_verified, zone)
    if due is None:
        return "never_verified"
    if due < today:
        return "overdue"
    return "due_soon" if due <= today + timedelta(days=DUE_SOON_DAYS) else "current"


# --- dark entries for interrupted facilities (D7) ----------------------------------------------


class FacilityEntries:
    """Which registry entries sit on which facilities, in memory (hundreds of entries), so that many
    interruptions can be matched without a query each."""

    def __init__(self, session: Session):
        self.net = network(session)
        self.feeders_of: dict[int, set[int]] = {}  # substation id -> its feeders
        for feeder_id, substation_id in self.net.feeder_substation.items():
            self.feeders_of.setdefault(substation_id, set()).add(feeder_id)
        self.on_feeder: dict[int, set[int]] = {}
        self.below_device: dict[int, set[int]] = {}
        self.service_point_of: dict[int, int | None] = {}  # entry id -> its service point (None: feeder only)
        self.feeder_of: dict[int, int] = {}  # entry id -> its feeder
        for entry_id, feeder_id, device_id, sp_id in session.execute(
            select(
                RegistryEntry.id, RegistryEntry.feeder_id, ServicePoint.device_id, RegistryEntry.service_point_id
            ).outerjoin(ServicePoint, ServicePoint.id == RegistryEntry.service_point_id)
        ):
            self.service_point_of[entry_id], self.feeder_of[entry_id] = sp_id, feeder_id
            self.on_feeder.setdefault(feeder_id, set()).add(entry_id)
            if device_id is not None:
                self.below_device.setdefault(device_id, set()).add(entry_id)

    def on(self, *, feeder_ids=(), device_ids=(), substation_ids=(), transmission_line_ids=()) -> set[int]:
        """Ids of the entries served by these facilities: below a device (through their service point), on
        a feeder, or on any feeder of a substation or of the substations a line feeds.  An entry linked
        only to a feeder counts when its whole feeder (or more) is out, not for a device on it."""
        substations = set(substation_ids).union(
            *(self.net.substations_of_line.get(t, ()) for t in transmission_line_ids)
        )
        feeders = set(feeder_ids).union(*(self.feeders_of.get(s, ()) for s in substations))
        found = set().union(*(self.on_feeder.get(f, set()) for f in feeders))
        for device in self.net.devices_below(device_ids):
            found |= self.below_device.get(device, set())
        return found


def entries_on_facilities(
    *, session: Session, feeder_ids=(), device_ids=(), substation_ids=(), transmission_line_ids=()
) -> list[RegistryEntry]:
    """Registry entries served by these facilities (see :meth:`FacilityEntries.on`)."""
    ids = FacilityEntries(session).on(
        feeder_ids=feeder_ids,
        device_ids=device_ids,
        substation_ids=substation_ids,
        transmission_line_ids=transmission_line_ids,
    )
    return list_entries(session=session, ids=ids) if ids else []


# --- output --------------------------------------------------------------------------------------


def to_out(session: Session, entries: list[RegistryEntry], *, today: date, zone) -> list[EntryOut]:
    """API views of entries, with their areas and review status."""
    if not entries:
        return []
    coords = session.execute(
        select(RegistryEntry.id, func.ST_X(RegistryEntry.geom), func.ST_Y(RegistryEntry.geom)).where(
            RegistryEntry.id.in_([e.id for e in entries])
        )
    ).all()
    where = {i: (x, y) for i, x, y in coords}
    lons = [where[e.id][0] for e in entries]
    lats = [where[e.id][1] for e in entries]
    names = AreaIndex(session).names_at(lons, lats)
    out = []
    for k, e in enumerate(entries):
        sp = e.service_point
        out.append(
            EntryOut(
                id=e.id,
                ref=e.ref,
                name=e.name,
                category=e.category_code,
                category_label=e.category.label,
                group=e.category.grp,
                account_number=sp.account_number if sp else None,
                meter_number=sp.meter_number if sp else None,
                feeder=e.feeder.code,
                substation=e.feeder.substation.code,
                division=names.at[k, "division"],
                community=names.at[k, "community"],
                county=names.at[k, "county"],
                lon=lons[k],
                lat=lats[k],
                backup_generation=e.backup_generation,
                fuel_hours=e.fuel_hours,
                priority_tier=e.priority_tier,
                notes=e.notes,
                last_verified_at=e.last_verified_at,
                last_verified_by=e.last_verified_by,
                review_due=review_due(e.last_verified_at, zone),
                review_status=review_status(e.last_verified_at, today, zone),
                contacts=[ContactOut.model_validate(c, from_attributes=True) for c in e.contacts],
                version=e.version,
            )
        )
    return out

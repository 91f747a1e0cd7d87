"""Facility-layer services: import, export, members served and spatial look-ups."""

from __future__ import annotations

from functools import cached_property
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session, joinedload

from gis.errors import Conflict, InvalidInput, NotFound
from gis.files import LANDBASE, LANDBASE_KIND, split_ids
from gis.models import (
    Device,
    Feeder,
    LandbaseFeature,
    ServiceArea,
    ServicePoint,
    ServicePointArea,
    Substation,
    TransmissionLine,
    transmission_line_substations,
)
from gis.network import forget
from gis.spatial import distance_m, envelope, point

CHUNK = 5000
METRES_PER_DEGREE = 111_320.0


def _ewkt(geoms) -> list[str]:
    return ["SRID=4326;" + wkt for wkt in shapely.to_wkt(np.asarray(geoms), rounding_precision=-1)]


def _codes(session: Session, model) -> dict[str, int]:
    return dict(session.execute(select(model.code, model.id)).all())


def _bulk(session: Session, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(table), rows[start : start + CHUNK])


def import_facilities(*, session: Session, layers: dict[str, gpd.GeoDataFrame], progress=None) -> dict[str, int]:
    """Load checked facility layers (see :func:`gis.files.read_facilities`) into an empty facility layer.

    Returns the number of rows written per layer.  Flushes; the caller commits.
    """
    if session.scalar(select(func.count()).select_from(Substation)):
        raise Conflict("The facility layer already holds data. Fix: import into a new, empty database.")
    step = progress or (lambda _name: None)
    counts: dict[str, int] = {}

    sub = layers["substations"]
    _bulk(
        session,
        Substation.__table__,
        [{"code": c, "name": n, "geom": g} for c, n, g in zip(sub.substation_id, sub.name, _ewkt(sub.geometry))],
    )
    substations = _codes(session, Substation)
    counts["substations"] = len(sub)
    step("substations")

    lines = layers.get("transmission_lines")
    if lines is not None and len(lines):
        _bulk(
            session,
            TransmissionLine.__table__,
            [
                {"code": c, "name": n, "voltage_kv": _num(v), "geom": g}
                for c, n, v, g in zip(lines.line_id, lines.name, lines.voltage_kv, _ewkt(lines.geometry))
            ],
        )
        line_ids = _codes(session, TransmissionLine)
        _bulk(
            session,
            transmission_line_substations,
            [
                {"transmission_line_id": line_ids[c], "substation_id": substations[s]}
                for c, subs in zip(lines.line_id, lines.substation_ids)
                for s in dict.fromkeys(split_ids(subs))
            ],
        )
    counts["transmission_lines"] = 0 if lines is None else len(lines)
    step("transmission_lines")

    fd = layers["feeders"]
    _bulk(
        session,
        Feeder.__table__,
        [
            {"code": c, "name": n, "substation_id": substations[s], "voltage_kv": _num(v), "geom": g}
            for c, n, s, v, g in zip(fd.feeder_id, fd.name, fd.substation_id, fd.voltage_kv, _ewkt(fd.geometry))
        ],
    )
    feeders = _codes(session, Feeder)
    counts["feeders"] = len(fd)
    step("feeders")

    devices: dict[str, int] = {}
    dv = layers.get("devices")
    if dv is not None and len(dv):
        _bulk(
            session,
            Device.__table__,
            [
                {"code": c, "feeder_id": feeders[f], "kind": k, "geom": g}
                for c, f, k, g in zip(dv.device_id, dv.feeder_id, dv.kind, _ewkt(dv.geometry))
            ],
        )
        devices = _codes(session, Device)
        for code, upstream in zip(dv.device_id, dv.upstream_device_id):
            if isinstance(upstream, str) and upstream:
                session.execute(
                    cast(Table, Device.__table__)
                    .update()
                    .where(Device.id == devices[code])
                    .values(upstream_device_id=devices[upstream])
                )
    counts["devices"] = 0 if dv is None else len(dv)
    step("devices")

    ar = layers["service_areas"]
    _bulk(
        session,
        ServiceArea.__table__,
        [
            {"code": c, "name": n, "kind": k, "geom": g}
            for c, n, k, g in zip(ar.area_id, ar.name, ar.kind, _ewkt(ar.geometry))
        ],
    )
    areas = _codes(session, ServiceArea)
    counts["service_areas"] = len(ar)
    step("service_areas")

    sp = layers["service_points"].reset_index(drop=True)
    feeder_ids = sp.feeder_id.map(feeders).to_numpy()
    device_ids = sp.device_id.map(devices).astype(object).where(sp.device_id.notna(), None).to_numpy()
    ids = np.arange(1, len(sp) + 1) + (session.scalar(select(func.max(ServicePoint.id))) or 0)
    rows = [
        {
            "id": int(i),
            "meter_number": m,
            "account_number": a,
            "feeder_id": int(f),
            "device_id": None if d is None or pd.isna(d) else int(d),
            "interruptible": bool(x),
            "geom": g,
        }
        for i, m, a, f, d, x, g in zip(
            ids, sp.meter_number, sp.account_number, feeder_ids, device_ids, sp.interruptible, _ewkt(sp.geometry)
        )
    ]
    _bulk(session, ServicePoint.__table__, rows)
    counts["service_points"] = len(sp)
    step("service_points")

    joined = gpd.sjoin(
        gpd.GeoDataFrame({"sp": ids}, geometry=sp.geometry.values, crs=4326),
        gpd.GeoDataFrame({"area_pk": ar.area_id.map(areas)}, geometry=ar.geometry.values, crs=4326),
        predicate="within",
    )
    _bulk(
        session,
        ServicePointArea.__table__,
        [{"service_point_id": int(s), "service_area_id": int(a)} for s, a in zip(joined["sp"], joined["area_pk"])],
    )
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.setval("service_points_id_seq", int(ids.max()) if len(ids) else 1)))
    step("service_point_areas")
    counts |= replace_landbase(session=session, layers=layers)
    session.flush()
    forget(session)
    return counts


def replace_landbase(*, session: Session, layers: dict[str, gpd.GeoDataFrame]) -> dict[str, int]:
    """Replace the base map (landbase) by the checked ``roads``, ``places`` and ``water`` layers among
    ``layers`` (none: the landbase is emptied).  Returns the features written per layer.  Flushes; the caller
    commits."""
    session.execute(delete(LandbaseFeature))
    counts: dict[str, int] = {}
    for name in LANDBASE:
        frame = layers.get(name)
        if frame is None:
            continue
        ranks = frame["rank"] if "rank" in frame else [None] * len(frame)
        _bulk(
            session,
            LandbaseFeature.__table__,
            [
                {"kind": LANDBASE_KIND[name], "name": n, "rank": None if r is None or pd.isna(r) else int(r), "geom": g}
                for n, r, g in zip(frame["name"], ranks, _ewkt(frame.geometry))
            ],
        )
        counts[name] = len(frame)
    session.flush()
    return counts


def _num(value):
    return None if value is None or pd.isna(value) else float(value)


def read_layer(session: Session, model, columns: dict[str, Any]) -> gpd.GeoDataFrame:
    """A table as a GeoDataFrame: ``columns`` maps output names to SQL expressions."""
    stmt = select(
        *[expr.label(name) for name, expr in columns.items()], func.ST_AsBinary(model.geom).label("wkb")
    ).order_by(model.id)
    frame = pd.DataFrame(session.execute(stmt).all(), columns=[*columns, "wkb"])
    geometry = shapely.from_wkb(frame.pop("wkb").map(bytes).to_numpy()) if len(frame) else []
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)


def export_facilities(*, session: Session) -> dict[str, gpd.GeoDataFrame]:
    """Every facility layer, in the file schema of :mod:`gis.files` (round-trips losslessly)."""
    sub_code = select(Substation.code).where(Substation.id == Feeder.substation_id).scalar_subquery()
    layers = {
        "substations": read_layer(session, Substation, {"substation_id": Substation.code, "name": Substation.name}),
        "feeders": read_layer(
            session,
            Feeder,
            {"feeder_id": Feeder.code, "substation_id": sub_code, "name": Feeder.name, "voltage_kv": Feeder.voltage_kv},
        ),
        "service_areas": read_layer(
            session, ServiceArea, {"area_id": ServiceArea.code, "name": ServiceArea.name, "kind": ServiceArea.kind}
        ),
    }
    lines = read_layer(
        session,
        TransmissionLine,
        {
            "id": TransmissionLine.id,
            "line_id": TransmissionLine.code,
            "name": TransmissionLine.name,
            "voltage_kv": TransmissionLine.voltage_kv,
        },
    )
    fed = pd.DataFrame(
        session.execute(
            select(transmission_line_substations.c.transmission_line_id, Substation.code)
            .join(Substation, Substation.id == transmission_line_substations.c.substation_id)
            .order_by(Substation.code)
        ).all(),
        columns=["id", "code"],
    )
    lines["substation_ids"] = lines.pop("id").map(fed.groupby("id")["code"].agg(",".join)).fillna("")
    layers["transmission_lines"] = lines[["line_id", "name", "voltage_kv", "substation_ids", "geometry"]]

    upstream = Device.__table__.alias("upstream")
    layers["devices"] = read_layer(
        session,
        Device,
        {
            "device_id": Device.code,
            "feeder_id": select(Feeder.code).where(Feeder.id == Device.feeder_id).scalar_subquery(),
            "kind": Device.kind,
            "upstream_device_id": select(upstream.c.code)
            .where(upstream.c.id == Device.upstream_device_id)
            .scalar_subquery(),
        },
    )
    sp = read_layer(
        session,
        ServicePoint,
        {
            "meter_number": ServicePoint.meter_number,
            "account_number": ServicePoint.account_number,
            "feeder_id": ServicePoint.feeder_id,
            "device_id": ServicePoint.device_id,
            "interruptible": ServicePoint.interruptible,
        },
    )
    feeder_codes = {v: k for k, v in _codes(session, Feeder).items()}
    device_codes = {v: k for k, v in _codes(session, Device).items()}
    sp["feeder_id"] = sp.feeder_id.map(feeder_codes)
    sp["device_id"] = sp.device_id.map(device_codes).astype(object).where(sp.device_id.notna(), None)
    sp["interruptible"] = sp.interruptible.astype(bool)
    layers["service_points"] = sp
    layers |= export_landbase(session=session)
    return layers


def export_landbase(*, session: Session) -> dict[str, gpd.GeoDataFrame]:
    """The landbase as the file layers ``roads``, ``places`` and ``water`` (only those that hold features)."""
    frame = read_layer(
        session,
        LandbaseFeature,
        {"kind": LandbaseFeature.kind, "name": LandbaseFeature.name, "rank": LandbaseFeature.rank},
    )
    frame["rank"] = pd.Series([None if pd.isna(r) else int(r) for r in frame["rank"]], index=frame.index, dtype=object)
    layers = {}
    for name, spec in LANDBASE.items():
        rows = frame[frame.kind == LANDBASE_KIND[name]]
        if len(rows):
            layers[name] = rows[[*dict.fromkeys(spec.columns + spec.optional), "geometry"]].reset_index(drop=True)
    return layers


# --- members served (always derived from service points) -------------------------------------


def members_served(*, session: Session, by: str) -> dict[str, int]:
    """Members served per facility code; ``by`` is feeder, substation, service_area or device."""
    sp = ServicePoint
    if by == "feeder":
        stmt = select(Feeder.code, func.count(sp.id)).join(sp, sp.feeder_id == Feeder.id).group_by(Feeder.code)
    elif by == "substation":
        stmt = (
            select(Substation.code, func.count(sp.id))
            .join(Feeder, Feeder.substation_id == Substation.id)
            .join(sp, sp.feeder_id == Feeder.id)
            .group_by(Substation.code)
        )
    elif by == "service_area":
        stmt = (
            select(ServiceArea.code, func.count(ServicePointArea.service_point_id))
            .join(ServicePointArea, ServicePointArea.service_area_id == ServiceArea.id)
            .group_by(ServiceArea.code)
        )
    elif by == "device":
        return {code: len(ids) for code, ids in _downstream_ids_by_device(session).items()}
    elif by == "transmission_line":
        per_sub = members_served(session=session, by="substation")
        fed: dict[str, int] = {}
        for line, sub in session.execute(
            select(TransmissionLine.code, Substation.code)
            .join(
                transmission_line_substations,
                transmission_line_substations.c.transmission_line_id == TransmissionLine.id,
            )
            .join(Substation, Substation.id == transmission_line_substations.c.substation_id)
        ):
            fed[line] = fed.get(line, 0) + per_sub.get(sub, 0)
        return fed
    else:
        raise InvalidInput(
            f"by={by!r} is not a facility kind. Fix: use feeder, substation, service_area, device or transmission_line.",
            field="by",
        )
    return dict(session.execute(stmt).all())


def system_members(*, session: Session) -> int:
    """Total members (service points) the system serves now."""
    return session.scalar(select(func.count()).select_from(ServicePoint)) or 0


def _device_tree(session: Session) -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for device_id, upstream_id in session.execute(select(Device.id, Device.upstream_device_id)):
        if upstream_id is not None:
            children.setdefault(upstream_id, []).append(device_id)
    return children


def _subtree(children: dict[int, list[int]], root: int) -> list[int]:
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(children.get(node, ()))
    return out


def _downstream_ids_by_device(session: Session) -> dict[str, list[int]]:
    children = _device_tree(session)
    points: dict[int, list[int]] = {}
    for sp_id, device_id in session.execute(
        select(ServicePoint.id, ServicePoint.device_id).where(ServicePoint.device_id.is_not(None))
    ):
        assert device_id is not None  # the query's where clause
        points.setdefault(device_id, []).append(sp_id)
    return {
        code: [p for d in _subtree(children, device_id) for p in points.get(d, ())]
        for code, device_id in session.execute(select(Device.code, Device.id))
    }


def service_points_downstream(*, session: Session, device_id: int) -> list[int]:
    """Ids of the service points served through a device (the device and every device below it)."""
    devices = _subtree(_device_tree(session), device_id)
    return list(
        session.scalars(select(ServicePoint.id).where(ServicePoint.device_id.in_(devices)).order_by(ServicePoint.id))
    )


def service_points_on_feeder(*, session: Session, feeder_id: int) -> list[int]:
    """Ids of the service points on a feeder."""
    return list(
        session.scalars(select(ServicePoint.id).where(ServicePoint.feeder_id == feeder_id).order_by(ServicePoint.id))
    )


def service_points_on_transmission_line(*, session: Session, transmission_line_id: int) -> list[int]:
    """Ids of the service points on every substation a transmission line feeds."""
    fed = select(transmission_line_substations.c.substation_id).where(
        transmission_line_substations.c.transmission_line_id == transmission_line_id
    )
    return list(
        session.scalars(
            select(ServicePoint.id)
            .join(Feeder, Feeder.id == ServicePoint.feeder_id)
            .where(Feeder.substation_id.in_(fed))
            .order_by(ServicePoint.id)
        )
    )


def count_members(
    *,
    session: Session,
    feeder_id: int | None = None,
    device_id: int | None = None,
    transmission_line_id: int | None = None,
) -> int:
    """Members served by one facility: a device (and below), a feeder, or a transmission line."""
    if device_id is not None:
        devices = _subtree(_device_tree(session), device_id)
        return session.scalar(select(func.count()).where(ServicePoint.device_id.in_(devices))) or 0
    if feeder_id is not None:
        return session.scalar(select(func.count()).where(ServicePoint.feeder_id == feeder_id)) or 0
    if transmission_line_id is not None:
        fed = select(transmission_line_substations.c.substation_id).where(
            transmission_line_substations.c.transmission_line_id == transmission_line_id
        )
        return (
            session.scalar(
                select(func.count())
                .select_from(ServicePoint)
                .join(Feeder, Feeder.id == ServicePoint.feeder_id)
                .where(Feeder.substation_id.in_(fed))
            )
            or 0
        )
    raise InvalidInput("Name a facility. Fix: give feeder_id, device_id or transmission_line_id.")


# --- spatial look-ups --------------------------------------------------------------------------


def _check_lonlat(lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180):
        raise InvalidInput(f"lon={lon} is outside -180..180. Fix: give longitude in decimal degrees.", field="lon")
    if not (-90 <= lat <= 90):
        raise InvalidInput(f"lat={lat} is outside -90..90. Fix: give latitude in decimal degrees.", field="lat")


def _window(lon: float, lat: float, tolerance_m: float) -> tuple[float, float, float, float]:
    """Checked inputs, and the lon/lat box that holds every point within ``tolerance_m`` of them."""
    _check_lonlat(lon, lat)
    if tolerance_m <= 0:
        raise InvalidInput("tolerance_m must be positive. Fix: give a distance in metres.", field="tolerance_m")
    dlat = tolerance_m / METRES_PER_DEGREE
    dlon = dlat / max(np.cos(np.radians(lat)), 0.01)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def feeder_serving(*, session: Session, lon: float, lat: float, tolerance_m: float = 500.0) -> tuple[Feeder, float]:
    """The feeder nearest to a location within ``tolerance_m`` metres, with its distance [m]."""
    box = _window(lon, lat, tolerance_m)
    dist = distance_m(Feeder.geom, point(lon, lat))
    row = session.execute(
        select(Feeder, dist.label("d")).where(func.ST_Intersects(Feeder.geom, envelope(*box))).order_by(dist).limit(1)
    ).first()
    if row is None or row.d > tolerance_m:
        raise NotFound(
            f"No feeder within {tolerance_m:g} m of ({lon}, {lat}). Fix: check the location or widen the tolerance."
        )
    return row[0], float(row.d)


def areas_containing(*, session: Session, lon: float, lat: float) -> list[ServiceArea]:
    """The service areas (system, division, community, county) that contain a point."""
    _check_lonlat(lon, lat)
    return list(
        session.scalars(
            select(ServiceArea)
            .where(func.ST_Contains(ServiceArea.geom, point(lon, lat)))
            .order_by(ServiceArea.kind, ServiceArea.code)
        )
    )


def get_by_code(*, session: Session, model, code: str, what: str, load=None, field: str | None = None):
    """A facility by its identifier (``load``: a relationship to fetch with it), or NotFound naming it —
    InvalidInput on ``field`` instead when the request's body named it (422; a path's unknown name is 404)."""
    stmt = select(model).where(model.code == code)
    found = session.scalar(stmt.options(joinedload(load)) if load is not None else stmt)
    if found is None:
        message = f"{what} {code!r} does not exist. Fix: check the identifier (see /api/{what}s)."
        raise InvalidInput(message, field=field) if field else NotFound(message)
    return found


# --- areas and territory for many points at once -----------------------------------------------


class AreaIndex:
    """Service areas in memory, to name the division, community and county of many points at once."""

    def __init__(self, session: Session):
        self.frame = read_layer(
            session, ServiceArea, {"code": ServiceArea.code, "name": ServiceArea.name, "kind": ServiceArea.kind}
        )

    @cached_property
    def territory(self):
        """The system's area (the union of the 'system' areas), or None."""
        system = self.frame[self.frame.kind == "system"]
        return shapely.union_all(system.geometry.values) if len(system) else None

    def names_at(self, lons, lats) -> pd.DataFrame:
        """One row per point: the names of the division, community and county containing it (or None)."""
        points = gpd.GeoDataFrame({"i": range(len(lons))}, geometry=gpd.points_from_xy(lons, lats), crs=4326)
        out = pd.DataFrame(index=range(len(lons)), columns=["division", "community", "county"], dtype=object)
        joined = gpd.sjoin(points, self.frame[self.frame.kind != "system"], predicate="within")
        for kind in ("division", "community", "county"):
            hits = joined[joined.kind == kind].drop_duplicates("i")
            out.loc[hits["i"].to_numpy(), kind] = hits["name"].to_numpy()
        return out.astype(object).where(out.notna(), None)

    def in_territory(self, lon: float, lat: float) -> bool:
        return self.territory is not None and self.territory.covers(shapely.Point(lon, lat))


def nearest_service_point(
    *, session: Session, lon: float, lat: float, tolerance_m: float = 500.0
) -> tuple[ServicePoint, float]:
    """The service point nearest to a location within ``tolerance_m`` metres, with its distance [m]."""
    west, south, east, north = _window(lon, lat, tolerance_m)
    dist = distance_m(ServicePoint.geom, point(lon, lat))
    row = session.execute(
        select(ServicePoint, dist.label("d"))
        .where(func.ST_X(ServicePoint.geom).between(west, east), func.ST_Y(ServicePoint.geom).between(south, north))
        .order_by(dist)
        .limit(1)
    ).first()
    if row is None or row.d > tolerance_m:
        raise NotFound(
            f"No service point within {tolerance_m:g} m of ({lon}, {lat}). "
            "Fix: check the location, or link the entry to a feeder instead."
        )
    return row[0], float(row.d)

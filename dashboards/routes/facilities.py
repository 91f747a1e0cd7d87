"""The facility layer as GeoJSON, the spatial look-ups, and the facility map as a PNG or PDF to print."""

import json
import threading
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import func, select

from dashboards.cached import send
from dashboards.deps import Reader, ReadSession
from dashboards.settings import get_settings
from gis import service
from gis.db import utcnow
from gis.models import Feeder, ServiceArea, ServicePoint, Substation, TransmissionLine
from outages.models import Cause
from outages.public_map import Payload
from outages.settings import get_rule_settings
from reports.facility_map import FORMATS, draw_map, file_name, read_map_data

router = APIRouter(tags=["facilities"])


def _geojson(frame) -> dict:
    return json.loads(frame.to_json(drop_id=True))


# the layers as sent, by (layer, filter, database, facility layer's counts): a facility layer is only ever
# imported into an empty one (gis.service.import_facilities), so its counts change whenever it does
_layers: dict[tuple, Payload] = {}
_layers_lock = threading.Lock()
GEOJSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}}, "description": "A GeoJSON FeatureCollection"},
    304: {"description": "Not modified since the ETag sent in If-None-Match"},
}


def _layer(request: Request, db, name: str, build: Callable[[], Any]) -> Response:
    """A layer's GeoJSON from memory (gzip, ETag) while the facility layer is the same; ``build`` gives the
    frame when it is not.  Dispatchers' consoles and maps load the layers at every page load."""
    key = (
        name,
        db.get_bind().engine.url.render_as_string(hide_password=True),
        *(db.scalar(select(func.count()).select_from(model)) for model in (Substation, Feeder, ServicePoint)),
    )
    payload = _layers.get(key)
    if payload is None:
        payload = Payload.of(_geojson(build()))
        with _layers_lock:
            if len(_layers) > 64:
                _layers.clear()
            _layers[key] = payload
    return send(request, payload, cache_control="private, no-cache")


@router.get("/api/substations", summary="Substations (GeoJSON) with members served", responses=GEOJSON)
def substations(request: Request, db: ReadSession, _user: Reader) -> Response:
    def build():
        frame = service.read_layer(db, Substation, {"substation_id": Substation.code, "name": Substation.name})
        frame["members_served"] = frame.substation_id.map(service.members_served(session=db, by="substation")).fillna(0)
        return frame

    return _layer(request, db, "substations", build)


@router.get("/api/feeders", summary="Feeders (GeoJSON) with substation and members served", responses=GEOJSON)
def feeders(request: Request, db: ReadSession, _user: Reader, substation: str | None = None) -> Response:
    def build():
        sub_code = select(Substation.code).where(Substation.id == Feeder.substation_id).scalar_subquery()
        frame = service.read_layer(
            db, Feeder, {"feeder_id": Feeder.code, "name": Feeder.name, "substation_id": sub_code}
        )
        if substation:
            frame = frame[frame.substation_id == substation]
        frame["members_served"] = frame.feeder_id.map(service.members_served(session=db, by="feeder")).fillna(0)
        return frame

    return _layer(request, db, f"feeders:{substation or ''}", build)


@router.get(
    "/api/transmission-lines",
    summary="Transmission lines (GeoJSON) with the substations they feed",
    responses=GEOJSON,
)
def transmission_lines(request: Request, db: ReadSession, _user: Reader) -> Response:
    def build():
        frame = service.read_layer(
            db,
            TransmissionLine,
            {
                "line_id": TransmissionLine.code,
                "name": TransmissionLine.name,
                "voltage_kv": TransmissionLine.voltage_kv,
            },
        )
        fed = service.members_served(session=db, by="transmission_line")
        frame["members_served"] = frame.line_id.map(fed).fillna(0)
        return frame

    return _layer(request, db, "transmission-lines", build)


@router.get("/api/causes", summary="The cause codes a dispatcher may use")
def causes(db: ReadSession, _user: Reader) -> list[dict]:
    return [
        {"code": c.code, "label": c.label} for c in db.scalars(select(Cause).where(Cause.active).order_by(Cause.label))
    ]


@router.get("/api/service-areas", summary="Service areas (GeoJSON) with members served")
def service_areas(db: ReadSession, _user: Reader, kind: str | None = None) -> dict:
    frame = service.read_layer(
        db, ServiceArea, {"area_id": ServiceArea.code, "name": ServiceArea.name, "kind": ServiceArea.kind}
    )
    if kind:
        frame = frame[frame.kind == kind]
    frame["members_served"] = frame.area_id.map(service.members_served(session=db, by="service_area")).fillna(0)
    return _geojson(frame)


class FeederAt(BaseModel):
    feeder_id: str
    substation_id: str
    distance_m: float


@router.get(
    "/api/feeders/nearest",
    response_model=FeederAt,
    summary="The feeder serving a location",
    responses={404: {"description": "No feeder within the tolerance of the location"}},
)
def nearest_feeder(
    db: ReadSession,
    _user: Reader,
    lon: float,
    lat: float,
    tolerance_m: Annotated[float, Query(gt=0, le=50_000)] = 500.0,
) -> FeederAt:
    feeder, distance = service.feeder_serving(session=db, lon=lon, lat=lat, tolerance_m=tolerance_m)
    return FeederAt(feeder_id=feeder.code, substation_id=feeder.substation.code, distance_m=round(distance, 1))


class AreaOut(BaseModel):
    area_id: str
    name: str
    kind: str


@router.get("/api/service-areas/containing", response_model=list[AreaOut], summary="Service areas containing a point")
def areas_at(db: ReadSession, _user: Reader, lon: float, lat: float) -> list[AreaOut]:
    return [
        AreaOut(area_id=a.code, name=a.name, kind=a.kind)
        for a in service.areas_containing(session=db, lon=lon, lat=lat)
    ]


# --- the facility map as a document (for a division office's wall) ------------------------------

AreaCode = Annotated[
    str | None,
    Query(
        max_length=60,
        description=(
            "A service area code (a division such as DIV-JC, a county or a community; see /api/service-areas). "
            "Leave it out for the whole system."
        ),
    ),
]
MAP_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "No service area has that code (the answer names the area parameter)"}
}


def _map_download(db, fmt: str, area: str | None) -> Response:
    area = (area or "").strip() or None
    as_of, zone = utcnow(), get_rule_settings().zone
    data = read_map_data(session=db, area=area)
    content = draw_map(data, fmt=fmt, cooperative=get_settings().cooperative_name, as_of=as_of, zone=zone)
    return Response(
        content,
        media_type=FORMATS[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{file_name(data, fmt, as_of, zone)}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/api/facilities/map.png",
    response_class=Response,
    summary="The facility map as a PNG image",
    responses={
        200: {"content": {"image/png": {}}, "description": "1650 × 1275 px (letter landscape at 150 dpi)"},
        **MAP_RESPONSES,
    },
)
def facility_map_png(db: ReadSession, _user: Reader, area: AreaCode = None) -> Response:
    """Service areas, feeders, transmission lines, substations and essential-services registry entries of
    the whole system or of one service area (zoomed to it, the rest dimmed), with title, legend, scale bar,
    north arrow and source note."""
    return _map_download(db, "png", area)


@router.get(
    "/api/facilities/map.pdf",
    response_class=Response,
    summary="The facility map as a PDF (letter landscape)",
    responses={
        200: {"content": {"application/pdf": {}}, "description": "One vector page, letter landscape"},
        **MAP_RESPONSES,
    },
)
def facility_map_pdf(db: ReadSession, _user: Reader, area: AreaCode = None) -> Response:
    """The same map as :func:`facility_map_png`, as one vector PDF page to print on letter paper."""
    return _map_download(db, "pdf", area)

"""The essential-services registry: keepers write; dispatchers and executives read; the public sees nothing."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, UploadFile
from pydantic import BaseModel

from dashboards.deps import Keeper, Reader, ReadSession, WriteSession
from dashboards.settings import get_settings
from gis.db import utcnow
from gis.errors import NotFound
from gis.ids import DbId
from outages.settings import get_rule_settings
from registry import service, spreadsheet
from registry.schemas import CategoryIn, CategoryOut, EntryIn, EntryOut, EntryUpdate, LinkCandidate
from reports.registry_annex import annex_pdf, annex_workbook

router = APIRouter(tags=["registry"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today():
    return utcnow().astimezone(get_rule_settings().zone).date()


def _out(db, entries) -> list[EntryOut]:
    return service.to_out(db, entries, today=_today(), zone=get_rule_settings().zone)


def _download(content: bytes, media: str, name: str) -> Response:
    return Response(content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get(
    "/api/registry/entries",
    response_model=list[EntryOut],
    summary="Registry entries with contacts",
    responses={404: {"description": "The feeder named does not exist"}},
)
def list_entries(
    db: ReadSession, _user: Reader, category: str | None = None, feeder: str | None = None, q: str | None = None
) -> list[EntryOut]:
    return _out(db, service.list_entries(session=db, category=category, feeder=feeder, q=q))


@router.post("/api/registry/entries", response_model=EntryOut, status_code=201, summary="Add an entry")
def create_entry(db: WriteSession, user: Keeper, data: EntryIn) -> EntryOut:
    entry = service.create_entry(session=db, data=data, actor=user.username)
    return _out(db, [entry])[0]


@router.get("/api/registry/entries/{entry_id}", response_model=EntryOut, summary="One entry")
def get_entry(db: ReadSession, _user: Reader, entry_id: DbId) -> EntryOut:
    return _out(db, [service.get_entry(session=db, entry_id=entry_id)])[0]


@router.put("/api/registry/entries/{entry_id}", response_model=EntryOut, summary="Change an entry")
def update_entry(db: WriteSession, user: Keeper, entry_id: DbId, data: EntryUpdate) -> EntryOut:
    entry = service.update_entry(session=db, entry_id=entry_id, data=data, actor=user.username)
    return _out(db, [entry])[0]


@router.delete("/api/registry/entries/{entry_id}", status_code=204, summary="Remove an entry")
def delete_entry(db: WriteSession, _user: Keeper, entry_id: DbId) -> Response:
    service.delete_entry(session=db, entry_id=entry_id)
    return Response(status_code=204)


@router.post(
    "/api/registry/entries/{entry_id}/verify",
    response_model=EntryOut,
    summary="Record that the entry was checked with the member (who and when)",
)
def verify_entry(db: WriteSession, user: Keeper, entry_id: DbId) -> EntryOut:
    entry = service.verify_entry(session=db, entry_id=entry_id, actor=user.username)
    return _out(db, [entry])[0]


class ReviewList(BaseModel):
    overdue: list[EntryOut]
    due_soon: list[EntryOut]


@router.get(
    "/api/registry/review",
    response_model=ReviewList,
    summary="Entries overdue for their yearly verification, and due within 30 days",
)
def review(db: ReadSession, _user: Reader) -> ReviewList:
    entries = _out(db, service.list_entries(session=db))
    return ReviewList(
        overdue=[e for e in entries if e.review_status in ("overdue", "never_verified")],
        due_soon=[e for e in entries if e.review_status == "due_soon"],
    )


@router.get(
    "/api/registry/link",
    response_model=list[LinkCandidate],
    summary="Nearest service point and feeder to an address point, with distances",
    responses={404: {"description": "Nothing within the tolerance of the location"}},
)
def link(
    db: ReadSession, _user: Keeper, lon: float, lat: float, tolerance_m: Annotated[float, Query(gt=0, le=5000)] = 500.0
) -> list[LinkCandidate]:
    return service.link_candidates(session=db, lon=lon, lat=lat, tolerance_m=tolerance_m)


@router.get("/api/registry/categories", response_model=list[CategoryOut], summary="Categories")
def categories(db: ReadSession, _user: Reader) -> list[CategoryOut]:
    return [CategoryOut(code=c.code, label=c.label, group=c.grp) for c in service.categories(session=db)]


@router.post("/api/registry/categories", response_model=CategoryOut, status_code=201, summary="Add a category")
def add_category(db: WriteSession, _user: Keeper, data: CategoryIn) -> CategoryOut:
    c = service.add_category(session=db, data=data)
    return CategoryOut(code=c.code, label=c.label, group=c.grp)


@router.get(
    "/api/registry/template.xlsx",
    summary="Empty import template",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The workbook."}},
)
def template(db: ReadSession, _user: Reader) -> Response:
    return _download(spreadsheet.template(session=db, zone=get_rule_settings().zone), XLSX, "registry-template.xlsx")


@router.get(
    "/api/registry/export.xlsx",
    summary="Export every entry and contact (re-importable)",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The workbook."}},
)
def export(db: ReadSession, _user: Reader) -> Response:
    return _download(spreadsheet.export_registry(session=db, zone=get_rule_settings().zone), XLSX, "registry.xlsx")


@router.post("/api/registry/import", summary="Import entries from Excel (all rows or none)")
def import_(db: WriteSession, user: Keeper, file: UploadFile) -> dict[str, int]:
    counts = spreadsheet.import_registry(
        session=db,
        data=file.file.read(),
        filename=file.filename or "upload.xlsx",
        actor=user.username,
        zone=get_rule_settings().zone,
    )
    return counts


@router.get(
    "/api/registry/annex.{fmt}",
    summary="The yearly registry annex (xlsx or pdf)",
    response_class=Response,
    responses={200: {"content": {XLSX: {}, "application/pdf": {}}, "description": "The annex."}},
)
def annex(db: ReadSession, _user: Reader, fmt: Literal["xlsx", "pdf"]) -> Response:
    entries = _out(db, service.list_entries(session=db))
    name = get_settings().cooperative_name
    if fmt == "xlsx":
        return _download(annex_workbook(entries, cooperative=name, as_of=_today()), XLSX, "registry-annex.xlsx")
    if fmt == "pdf":
        return _download(annex_pdf(entries, cooperative=name, as_of=_today()), "application/pdf", "registry-annex.pdf")
    raise NotFound(f"There is no annex.{fmt}. Fix: ask for annex.xlsx or annex.pdf.")

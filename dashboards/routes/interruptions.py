"""The interruption log: dispatchers write, every staff role reads."""

from typing import Annotated

from fastapi import APIRouter, Header, Response, UploadFile

from dashboards.deps import Dispatcher, Reader, ReadSession, WriteSession
from gis.ids import DbCount, DbId
from outages import records_io, service
from outages.schemas import (
    AuditOut,
    CloseIn,
    EtrSet,
    ImportReport,
    InterruptionCreate,
    InterruptionOut,
    InterruptionPage,
    InterruptionUpdate,
    OwedReportOut,
    RestorationCreate,
    Timestamp,
    VoidIn,
)
from reports.flow import ImportAnswer, import_history

router = APIRouter(tags=["interruptions"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QueryTime = Timestamp | None  # the body's checks: ISO text, naive read locally, in range, not before the earliest day


@router.get(
    "/api/interruptions",
    response_model=InterruptionPage,
    summary="List and filter interruption records",
    responses={404: {"description": "The feeder or substation named does not exist"}},
)
def list_interruptions(
    db: ReadSession,
    _user: Reader,
    start_from: QueryTime = None,
    start_to: QueryTime = None,
    feeder: str | None = None,
    substation: str | None = None,
    status: str | None = None,
    cause: str | None = None,
    incident_id: DbId | None = None,
    limit: DbCount = 50,
    offset: DbCount = 0,
) -> InterruptionPage:
    items, total = service.list_interruptions(
        session=db,
        start_from=start_from,
        start_to=start_to,
        feeder=feeder,
        substation=substation,
        status=status,
        cause=cause,
        incident_id=incident_id,
        limit=limit,
        offset=offset,
    )
    return InterruptionPage(items=service.to_outs(db, list(items)), total=total, limit=limit, offset=offset)


@router.post(
    "/api/interruptions",
    response_model=InterruptionOut,
    status_code=201,
    summary="Log an interruption (send Idempotency-Key to make retries safe)",
    responses={
        200: {"model": InterruptionOut, "description": "The record an earlier request with this Idempotency-Key made"}
    },
)
def create_interruption(
    db: WriteSession,
    user: Dispatcher,
    data: InterruptionCreate,
    idempotency_key: Annotated[str | None, Header(max_length=120)] = None,
) -> Response:
    record, created = service.create_interruption(
        session=db, data=data, actor=user.username, idempotency_key=idempotency_key
    )
    body = service.to_outs(db, [record])[0].model_dump_json()  # already an InterruptionOut: no second validation
    return Response(
        body,
        status_code=201 if created else 200,
        media_type="application/json",
        headers={"Location": f"/api/interruptions/{record.id}"},
    )


@router.get(
    "/api/interruptions/export.csv",
    summary="Export records as CSV (the import format)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The CSV file."}},
)
def export_csv(db: ReadSession, _user: Reader, start_from: QueryTime = None, start_to: QueryTime = None) -> Response:
    frame = records_io.export_records(session=db, start_from=start_from, start_to=start_to)
    return Response(
        records_io.to_csv(frame),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="interruptions.csv"'},
    )


@router.get(
    "/api/interruptions/export.xlsx",
    summary="Export records as Excel (the import format)",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The workbook."}},
)
def export_xlsx(db: ReadSession, _user: Reader, start_from: QueryTime = None, start_to: QueryTime = None) -> Response:
    frame = records_io.export_records(session=db, start_from=start_from, start_to=start_to)
    return Response(
        records_io.to_xlsx(frame),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="interruptions.xlsx"'},
    )


@router.post(
    "/api/interruptions/import",
    response_model=ImportReport,
    status_code=201,
    summary="Bulk import historical records from CSV or Excel (all rows or none)",
)
def import_records(db: WriteSession, user: Dispatcher, file: UploadFile) -> ImportReport:
    """All rows or none; in the same transaction the imported incidents are classified: the answer says how
    many required a notice or a summary report, which reports are owed now, and warns of records still open
    or with an ETR ahead."""
    frame = records_io.parse_records(file.file.read(), file.filename or "upload.csv")
    answer = import_history(session=db, frame=frame, actor=user.username, source=file.filename or "upload")
    return import_report(answer)


def import_report(answer: ImportAnswer) -> ImportReport:
    """The API's view of an import's answer."""
    written = answer.written
    return ImportReport(
        **written.counts(),
        open_records=len(written.open_records),
        future_etrs=len(written.future_etrs),
        notices_required=answer.notices_required,
        reports_required=answer.reports_required,
        reports_due=[OwedReportOut(**vars(r)) for r in answer.reports_due],
        warnings=answer.warnings,
    )


@router.get("/api/interruptions/{interruption_id}", response_model=InterruptionOut, summary="One record")
def get_interruption(db: ReadSession, _user: Reader, interruption_id: DbId) -> InterruptionOut:
    return service.to_outs(db, [service.get_interruption(session=db, interruption_id=interruption_id)], held=True)[0]


@router.patch("/api/interruptions/{interruption_id}", response_model=InterruptionOut, summary="Correct a record")
def update_interruption(
    db: WriteSession, user: Dispatcher, interruption_id: DbId, data: InterruptionUpdate
) -> InterruptionOut:
    return _done(
        db, service.update_interruption(session=db, interruption_id=interruption_id, data=data, actor=user.username)
    )


@router.post(
    "/api/interruptions/{interruption_id}/restorations",
    response_model=InterruptionOut,
    summary="Add a step restoration",
)
def add_restoration(
    db: WriteSession, user: Dispatcher, interruption_id: DbId, data: RestorationCreate
) -> InterruptionOut:
    return _done(
        db, service.add_restoration(session=db, interruption_id=interruption_id, data=data, actor=user.username)
    )


@router.put(
    "/api/interruptions/{interruption_id}/etr",
    response_model=InterruptionOut,
    summary="Set the estimated time of restoration (empty: being assessed)",
)
def set_etr(db: WriteSession, user: Dispatcher, interruption_id: DbId, data: EtrSet) -> InterruptionOut:
    return _done(db, service.set_etr(session=db, interruption_id=interruption_id, data=data, actor=user.username))


@router.post("/api/interruptions/{interruption_id}/close", response_model=InterruptionOut, summary="Full restoration")
def close(db: WriteSession, user: Dispatcher, interruption_id: DbId, data: CloseIn) -> InterruptionOut:
    return _done(
        db, service.close_interruption(session=db, interruption_id=interruption_id, data=data, actor=user.username)
    )


@router.post(
    "/api/interruptions/{interruption_id}/void",
    response_model=InterruptionOut,
    summary="Void a mistaken record with a reason (it is kept)",
)
def void(db: WriteSession, user: Dispatcher, interruption_id: DbId, data: VoidIn) -> InterruptionOut:
    return _done(
        db, service.void_interruption(session=db, interruption_id=interruption_id, data=data, actor=user.username)
    )


@router.get(
    "/api/interruptions/{interruption_id}/audit",
    response_model=list[AuditOut],
    summary="Every change to a record: who, when, before and after",
)
def audit(db: ReadSession, _user: Reader, interruption_id: DbId) -> list[AuditOut]:
    service.get_interruption(session=db, interruption_id=interruption_id)
    return [
        AuditOut.model_validate(a, from_attributes=True)
        for a in service.audit_trail(session=db, entity="interruption", entity_id=interruption_id)
    ]


def _done(db, record) -> InterruptionOut:
    return service.to_outs(db, [record], held=True)[0]

"""Members' outage alerts as staff see them: each event with its delivery counts and most frequent error,
aggregated — never who received what (no addresses, no accounts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from dashboards.deps import Reader, ReadSession
from gis.db import utcnow
from reports.member_alerts import alert_summary

router = APIRouter(tags=["member alerts"])


class MemberAlertOut(BaseModel):
    event_id: int
    interruption_id: int
    feeder: str | None
    device: str | None
    transmission_line: str | None
    kind: Literal["outage", "etr", "restored", "planned", "cancelled"] = Field(
        description="outage: outage known; etr: new estimate; restored; planned: planned outage ahead; "
        "cancelled: a correction (the record was voided)"
    )
    created_at: datetime
    queued_at: datetime | None = Field(description="When its deliveries were made; null: not yet")
    recipients: int | None = Field(description="Deliveries made for it; null until queued")
    sent: int
    pending: int
    failed: int
    cancelled: int
    top_error: str | None = Field(description="The most frequent error of the failed deliveries (addresses redacted)")
    top_error_count: int


@router.get(
    "/api/member-alerts",
    response_model=list[MemberAlertOut],
    summary="Members' alert events of the last hours, newest first, with delivery counts by status",
)
def member_alerts(
    db: ReadSession,
    _user: Reader,
    hours: Annotated[int, Query(ge=1, le=720, description="How far back, 1 to 720 hours.")] = 24,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many events.")] = 50,
) -> list[MemberAlertOut]:
    rows = alert_summary(session=db, since=utcnow() - timedelta(hours=hours), limit=limit)
    return [MemberAlertOut.model_validate(row, from_attributes=True) for row in rows]

"""Dangers members reported (issue 14) under /api/hazards: the list staff watch first (wire down, tree on
line, newest first, with where) and a dispatcher marking one made safe."""

from __future__ import annotations

from fastapi import APIRouter

from dashboards.deps import Dispatcher, Reader, ReadSession, WriteSession
from gis.ids import DbId
from outages import member_reports
from outages.member_reports import HazardOut

router = APIRouter(tags=["hazards"])


@router.get(
    "/api/hazards",
    response_model=list[HazardOut],
    summary="Dangers members reported, not yet made safe (newest first)",
)
def hazards(db: ReadSession, _user: Reader) -> list[HazardOut]:
    return member_reports.open_hazards(session=db)


@router.post(
    "/api/hazards/{report_id}/clear",
    response_model=HazardOut,
    summary="Mark a reported danger made safe (audited)",
)
def clear(db: WriteSession, user: Dispatcher, report_id: DbId) -> HazardOut:
    return member_reports.clear_hazard(session=db, report_id=report_id, actor=user.username)

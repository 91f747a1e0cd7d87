"""The crew roster and crew assignments: keeping the roster, sending crews, moving their work on."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from outages.crews.models import ACTIVE_STAGES, CrewAssignment


def open_stage_by_record(*, session: Session, interruption_ids: Iterable[int] | None = None) -> dict[int, str]:
    """For each record with an assignment not done, the most advanced stage among them ('dispatched',
    'en_route' or 'on_site'); records nobody is assigned to are absent.  One query."""
    query = select(CrewAssignment.interruption_id, CrewAssignment.status).where(
        CrewAssignment.status.in_(ACTIVE_STAGES)
    )
    if interruption_ids is not None:
        query = query.where(CrewAssignment.interruption_id.in_(list(interruption_ids)))
    rank = {stage: i for i, stage in enumerate(ACTIVE_STAGES)}
    stages: dict[int, str] = {}
    for record_id, stage in session.execute(query):
        if record_id not in stages or rank[stage] > rank[stages[record_id]]:
            stages[record_id] = stage
    return stages

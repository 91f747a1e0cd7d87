"""Every open incident at once, as the dispatcher console shows it: its significance (D4-D8) and its call
list.  The facility facts (given by the caller, which may keep them cached), the
network topology and the registry look-up serve all incidents, built once per request, and the records,
attempts and entries are read with a few queries in all, so a storm's hundreds of open incidents cost one
request instead of two per incident."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from outages.call_list import CallRow, call_lists
from outages.classify import Classification, FacilityFacts, classify
from outages.models import Incident, Interruption
from outages.settings import RuleSettings


class IncidentOverview(BaseModel):
    incident_id: int
    significance: Classification
    call_list: list[CallRow]


class OpenOverview(BaseModel):
    incidents: list[IncidentOverview]


def open_incidents(*, session: Session) -> list[Incident]:
    """Incidents with at least one open record, by id, with the records' steps and facilities loaded."""
    records = selectinload(Incident.interruptions)
    return list(session.scalars(
        select(Incident).where(Incident.interruptions.any(Interruption.status == "open")).order_by(Incident.id)
        .options(records.selectinload(Interruption.steps), records.selectinload(Interruption.feeder),
                 records.selectinload(Interruption.device), records.selectinload(Interruption.transmission_line))))


def open_overview(*, session: Session, facts: FacilityFacts, zone, now: datetime,
                  rules: RuleSettings | None = None) -> OpenOverview:
    """Significance and call list of every open incident, the same as the per-incident answers
    (:func:`outages.classify.classify`, :func:`outages.call_list.call_list`) at ``now``."""
    incidents = open_incidents(session=session)
    # the registry look-up is built afresh (a few ms), as the per-incident call list does: ``facts`` may come
    # from a cache that is only rebuilt when the service points or the registry entries change
    calls = call_lists(session=session, incidents=incidents, zone=zone, now=now)
    return OpenOverview(incidents=[
        IncidentOverview(incident_id=incident.id, significance=classify(incident.interruptions, facts, now=now,
                                                                        rules=rules),
                         call_list=calls[incident.id])
        for incident in incidents])

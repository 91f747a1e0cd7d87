"""Every open incident at once, as the dispatcher console shows it: its significance (D4-D8) and its call
list.  The facility facts (given by the caller, which may keep them cached), the
network topology and the registry look-up serve all incidents, built once per request, and the records,
attempts and entries are read with a few queries in all, so a storm's hundreds of open incidents cost one
request instead of two per incident.

Members out now of an incident are its open records' union in the power state (domain D15,
:class:`outages.power_state.OutNow`): a fuse record under a feeder record in the same incident counts the fuse's
members once, and an incident never shows more members out than its facilities serve
(:func:`members_out_now`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gis.models import Device, Feeder, TransmissionLine
from gis.network import Network, network
from outages.call_list import CallRow, call_lists
from outages.classify import Classification, FacilityFacts, classify, record_states
from outages.models import Incident, Interruption
from outages.power_state import OutNow, RecordState, states_of
from outages.settings import RuleSettings


class IncidentOverview(BaseModel):
    incident_id: int
    members_out_now: int = Field(
        description="Members out now: the union of the incident's open records (each "
        "member once), located and unlocated"
    )
    members_out_unlocated: int = Field(description="Of members_out_now, those nobody has located yet")
    significance: Classification
    call_list: list[CallRow]


class OpenOverview(BaseModel):
    incidents: list[IncidentOverview]


def open_incidents(*, session: Session) -> list[Incident]:
    """Incidents with at least one open record, by id, with every record's steps and facility codes loaded
    (not the facilities' geometries, which nothing here draws)."""
    records = selectinload(Incident.interruptions)
    return list(
        session.scalars(
            select(Incident)
            .where(Incident.interruptions.any(Interruption.status == "open"))
            .order_by(Incident.id)
            .options(
                records.selectinload(Interruption.steps),
                records.selectinload(Interruption.feeder).load_only(Feeder.code, Feeder.substation_id),
                records.selectinload(Interruption.device).load_only(Device.code, Device.feeder_id),
                records.selectinload(Interruption.transmission_line).load_only(TransmissionLine.code),
            )
        )
    )


def members_out_now(
    *,
    session: Session,
    incidents: Sequence[Incident],
    now: datetime,
    net: Network | None = None,
    states: Mapping[Interruption, RecordState] | None = None,
) -> dict[int, OutNow]:
    """Each incident's members out now (:class:`outages.power_state.OutNow` over its open records that have
    begun), by incident id.  ``states``: the records' power states when the caller has read them already
    (:func:`outages.classify.record_states`); else the located service points are read in two queries for
    all incidents."""
    net = net or network(session)
    live = [r for i in incidents for r in i.interruptions if r.status == "open" and r.start_at <= now]
    if states is None or any(r not in states for r in live):
        found = states_of(session, live, net)
    else:
        found = [states[r] for r in live]
    by_incident: dict[int, list] = {i.id: [] for i in incidents}
    for record, state in zip(live, found):
        by_incident[record.incident_id].append(state)
    return {i: OutNow(net, mine) for i, mine in by_incident.items()}


def open_overview(
    *, session: Session, facts: FacilityFacts, zone, now: datetime, rules: RuleSettings | None = None
) -> OpenOverview:
    """Significance and call list of every open incident, the same as the per-incident answers
    (:func:`outages.classify.classify`, :func:`outages.call_list.call_list`) at ``now``."""
    incidents = open_incidents(session=session)
    # the registry look-up is built afresh (a few ms), as the per-incident call list does: ``facts`` may come
    # from a cache that is only rebuilt when the service points or the registry entries change
    # every record's power state read once for all incidents (outages.classify.record_states: two queries)
    states = record_states(
        [r for i in incidents for r in i.interruptions if r.status != "voided"], facts.net, session=session
    )
    calls = call_lists(session=session, incidents=incidents, zone=zone, now=now, net=facts.net, states=states)
    out = members_out_now(session=session, incidents=incidents, now=now, net=facts.net, states=states)
    return OpenOverview(
        incidents=[
            IncidentOverview(
                incident_id=incident.id,
                members_out_now=out[incident.id].members_out,
                members_out_unlocated=out[incident.id].unlocated,
                significance=classify(incident.interruptions, facts, now=now, rules=rules, states=states),
                call_list=calls[incident.id],
            )
            for incident in incidents
        ]
    )

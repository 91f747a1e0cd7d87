"""Pydantic shapes of the crew roster and crew assignments, in and out (issue 14)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from gis.ids import DbId
from outages.crews.models import CREW_KINDS, STAGES
from outages.schemas import Timestamp, Version

CrewKind = Literal["line", "tree", "service", "contractor"]
Stage = Literal["dispatched", "en_route", "on_site", "done"]
CrewStatus = Literal["out", "idle", "off_shift"]
assert get_args(CrewKind) == CREW_KINDS and get_args(Stage) == STAGES  # one list each, kept with the models

KIND_LABELS = {"line": "Line crew", "tree": "Tree crew", "service": "Service crew", "contractor": "Contractor"}
STAGE_LABELS = {"dispatched": "Dispatched", "en_route": "En route", "on_site": "On site", "done": "Done"}

Name = Annotated[str, Field(min_length=1, max_length=120, description="The crew's name on the roster (unique).")]
Phone = Annotated[str, Field(max_length=40, description="How to reach the crew (as dialled).")]
DivisionCode = Annotated[
    str, Field(min_length=1, max_length=60, description="Home division: the service area code (kind 'division').")
]
CauseCode = Annotated[str, Field(min_length=1, max_length=40, description="The cause the crew confirmed (a code).")]
Damage = Annotated[str, Field(max_length=2000, description="What the crew found on site.")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CrewCreate(_In):
    """A crew added to the roster."""

    name: Name
    kind: CrewKind = Field(description="line, tree, service or contractor.")
    phone: Phone | None = None
    division: DivisionCode | None = Field(None, examples=["DIV-JC"])
    on_shift: StrictBool = False


class CrewUpdate(_In):
    """Changes to a crew on the roster; only the fields given change.  ``phone`` or ``division`` null clears
    it; ``active`` false retires the crew (its history stays), true puts it back on the roster."""

    version: Version
    name: Name | None = None
    kind: CrewKind | None = None
    phone: Phone | None = None
    division: DivisionCode | None = None
    on_shift: StrictBool | None = None
    active: StrictBool | None = None


class AssignmentBrief(BaseModel):
    id: int
    interruption_id: int
    status: Stage


class CrewOut(BaseModel):
    id: int
    name: str
    kind: CrewKind
    kind_label: str
    phone: str | None
    division: str | None = Field(description="The home division's code.")
    division_name: str | None
    on_shift: bool
    active: bool
    status: CrewStatus = Field(
        description="out: has an assignment not done; idle: on shift with none; off_shift: neither."
    )
    assignments: list[AssignmentBrief] = Field(description="The crew's assignments not done yet.")
    version: int


class CrewBoard(BaseModel):
    """The active roster with each crew's status, and how many crews are in each."""

    crews: list[CrewOut]
    out: int = Field(description="Crews with an assignment not done.")
    idle: int = Field(description="Crews on shift with no assignment.")
    on_shift: int = Field(description="Crews on shift (out or idle).")
    off_shift: int = Field(description="Crews off shift with no assignment.")


class AssignmentCreate(_In):
    """Send a crew (on shift, on the roster) to the record."""

    crew_id: Annotated[DbId, Field(strict=True)]


class AssignmentUpdate(_In):
    """A crew's progress: the next stage (stages only move forward; skipping one is allowed) and, once the
    crew is on site (or moving there in this request), the ETR, the damage it found and the cause it
    confirmed.  The ETR and the cause are also set on the record (its ETR history and audit as usual).
    Empty fields change nothing."""

    version: Version
    status: Stage | None = None
    etr_at: Timestamp | None = Field(None, description="The crew's estimate of full restoration.")
    damage: Damage | None = None
    cause: CauseCode | None = Field(None, examples=["vegetation"])


class AssignmentOut(BaseModel):
    id: int
    crew_id: int
    crew_name: str
    crew_kind: CrewKind
    crew_phone: str | None
    interruption_id: int
    status: Stage
    status_label: str
    dispatched_at: datetime
    dispatched_by: str
    en_route_at: datetime | None
    en_route_by: str | None
    on_site_at: datetime | None
    on_site_by: str | None
    done_at: datetime | None
    done_by: str | None
    damage: str | None
    cause: str | None
    cause_label: str | None
    version: int

"""Pydantic shapes of the interruption log, in and out, and how messages name their fields (:data:`FIELD_LABELS`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

from gis.db import utcnow
from gis.ids import DbCount, DbId
from outages.formatting import format_date, format_local
from outages.settings import get_rule_settings

_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")

# the staff API's fields as the console's forms label them: messages name a field by its label (the answer's
# ``field`` stays the machine name, which the pages place the message next to)
FIELD_LABELS = {
    # logging an interruption (InterruptionCreate) and correcting one (InterruptionUpdate)
    "feeder": "Feeder",
    "device": "Device",
    "transmission_line": "Transmission line",
    "cause": "Cause",
    "start_at": "Start",
    "members_out": "Members out",
    "meters": "Meters out",
    "etr_at": "ETR",
    "incident_id": "Incident",
    "location": "Location",
    "restored_at": "Restored at",
    "scheduled": "Scheduled",
    "members_notified": "Members notified",
    "notes": "Note",
    "version": "Version",
    # a restoration step (RestorationCreate), an ETR (EtrSet), closing (CloseIn), voiding (VoidIn), an incident
    "at": "Restored at",
    "members_restored": "Members restored",
    "note": "Note",
    "reason": "Reason",
    "title": "Title",
    "interruption": "Interruption",
    # the call list's contact attempts (outages.call_list.AttemptIn)
    "entry_id": "Essential service",
    "contact_name": "Contact called",
    "outcome": "Outcome",
    # crews (outages.crews)
    "crew_id": "Crew",
    "status": "Status",
    "damage": "Damage found",
    "kind": "Kind",
    "phone": "Phone",
    "division": "Division",
    "on_shift": "On shift",
    "name": "Name",
    # lists, filters and uploads
    "start_from": "From",
    "start_to": "To",
    "limit": "Limit",
    "offset": "Offset",
    "file": "File",
    "body": "Request body",
}


def label(field: str) -> str:
    """The label a message names ``field`` by (:data:`FIELD_LABELS`), or the name made readable ("crew_id" ->
    "Crew", "alt_phone" -> "Alt phone"); a dotted path names its items: "meters.3" -> "Meters out (item 4)",
    "contacts.0.phone" -> "Contacts (item 1), phone"."""
    first, *rest = str(field).split(".")
    words = FIELD_LABELS.get(first) or _readable(first)
    for part in rest:
        words += (
            f" (item {int(part) + 1})" if part.isdigit() else f", {(FIELD_LABELS.get(part) or _readable(part)).lower()}"
        )
    return words


def _readable(name: str) -> str:
    words = name.removesuffix("_id").replace("_", " ").strip() or name
    return words[:1].upper() + words[1:]


def to_utc(value: datetime) -> datetime:
    """Zone-aware times keep their instant; naive times are read in the cooperative's zone (D2).  A time
    whose instant is outside what a datetime can hold (e.g. 9999-12-31T23:59:59 read in a zone west of
    UTC) raises ``ValueError`` with a message ending in "Fix: ..."."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=get_rule_settings().zone)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"{value.isoformat()} is outside the range of dates. Fix: give a real date and time, e.g. 2025-06-02T10:00."
        ) from None


def _text_only(value: Any) -> Any:
    """Times arrive as ISO 8601 text (or, from Python, as datetimes): a number, even as text, is refused
    rather than read as seconds since 1970."""
    if isinstance(value, datetime) or (isinstance(value, str) and not _NUMBER.fullmatch(value)):
        return value
    raise PydanticCustomError(
        "timestamp_text",
        "{problem}",
        {
            "problem": (
                f"{value!r} is not a date and time written as text. Fix: send ISO 8601 text such as "
                '"2025-06-02T10:00" (times without a zone are read in the cooperative\'s zone).'
            )
        },
    )


def _plausible(value: datetime) -> datetime:
    """UTC, and not before the earliest plausible day (``OUTAGES_EARLIEST_DATE``)."""
    try:
        value = to_utc(value)
    except ValueError as err:
        raise PydanticCustomError("timestamp_range", "{problem}", {"problem": str(err)}) from None
    problem = earliest_problem(value)
    if problem:
        raise PydanticCustomError("timestamp_range", "{problem}", {"problem": "{}. Fix: {}.".format(*problem)})
    return value


def earliest_problem(value: datetime) -> tuple[str, str] | None:
    """(what is wrong, the fix) for a zone-aware time before the earliest plausible day, or None; times in
    the cooperative's zone ('Sat 1 Dec 0025 02:00 LMT is before Mon 1 Jan 1990, ...')."""
    rules = get_rule_settings()
    if value >= rules.earliest_at:
        return None
    return (
        f"{format_local(value)} is before {format_date(rules.earliest_at, rules.zone)}, the earliest day the "
        "log accepts",
        "check the year (four digits) and give the time it happened",
    )


def time_problem(value: datetime, *, ahead: bool = False, now: datetime | None = None) -> tuple[str, str] | None:
    """(what is wrong, the fix) for a zone-aware time outside the plausible window, or None: before
    ``OUTAGES_EARLIEST_DATE``, or more than the clock-skew allowance ahead (a start, step or restoration) or,
    with ``ahead``, more than ``OUTAGES_ETR_HORIZON_DAYS`` ahead (an ETR, the start of planned work).  Times
    are given in the cooperative's zone."""
    rules, now = get_rule_settings(), now or utcnow()
    if ahead and value > now + timedelta(days=rules.etr_horizon_days):
        return (
            f"{format_local(value)} is more than {rules.etr_horizon_days:g} days ahead (it is now {format_local(now)})",
            "check the date; give a time within that horizon",
        )
    if not ahead and value > now + timedelta(minutes=rules.clock_skew_minutes):
        return f"{format_local(value)} is in the future (it is now {format_local(now)})", "give the time it happened"
    return earliest_problem(value)


Timestamp = Annotated[datetime, BeforeValidator(_text_only), AfterValidator(_plausible)]
"""A time the API accepts: ISO 8601 text (never a number), naive read in the cooperative's zone, returned
in UTC, refused (422 on its field) when out of range or before ``OUTAGES_EARLIEST_DATE``.  How far ahead it
may lie depends on what it is (a start, a restoration, an ETR): :mod:`outages.service` checks that."""
Count = Annotated[DbCount, Field(strict=True, gt=0)]
Version = Annotated[DbId, Field(strict=True, description="The record's version you last read (409 if stale).")]
Text = Annotated[str, Field(max_length=300)]
MAX_METERS = 20_000
Meters = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=40)]],
    Field(min_length=1, max_length=MAX_METERS, description="Meter numbers (as on the bill)."),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class InterruptionCreate(_In):
    """A new interruption record.  Name the facility by its identifier: a feeder (optionally a
    protective device on it) or a transmission line."""

    incident_id: Annotated[DbId, Field(strict=True)] | None = Field(
        default=None, description="Add to this incident; omit to open a new incident."
    )
    feeder: str | None = Field(None, examples=["JC-014"])
    device: str | None = Field(None, description="Protective device on the feeder, if known.")
    transmission_line: str | None = None
    cause: str = Field("unknown", examples=["vegetation"])
    scheduled: StrictBool = False
    members_notified: StrictBool | None = Field(
        default=None, description="Scheduled only: were members told in advance?"
    )
    start_at: Timestamp
    members_out: Count | None = Field(
        default=None,
        description=(
            "Members out. Omit it when everyone below the facility is out (it is then what the facility serves) "
            "or when meters are listed (it is then their number). A smaller count than the facility serves, with "
            "no meters, is an unlocated part of the facility."
        ),
    )
    meters: Meters | None = Field(
        default=None,
        description=(
            "The meters known out, on part of the facility (from members' reports or a list). members_out may be "
            "larger: the rest are out but not located yet."
        ),
    )
    restored_at: Timestamp | None = Field(default=None, description="Give it to log an interruption already over.")
    etr_at: Timestamp | None = None
    location: Text | None = None
    notes: Annotated[str, Field(max_length=4000)] | None = None


class InterruptionUpdate(_In):
    """Corrections to a record; only the fields given change."""

    version: Version
    cause: str | None = None
    scheduled: StrictBool | None = None
    members_notified: StrictBool | None = None
    start_at: Timestamp | None = None
    members_out: Count | None = None
    location: Text | None = None
    notes: Annotated[str, Field(max_length=4000)] | None = None


class RestorationCreate(_In):
    """A partial restoration names what came back: a device closed (what the record keeps dark below it), a
    list of meters, or, for members nobody has located, how many."""

    version: Version
    at: Timestamp
    device: str | None = Field(None, description="The device that closed: what this record kept dark below it.")
    meters: Meters | None = None
    members_restored: Count | None = Field(None, description="Unlocated members only: how many came back.")


class EtrSet(_In):
    version: Version
    etr_at: Timestamp | None = Field(None, description="Empty: 'being assessed'.")
    note: Text | None = None


class CloseIn(_In):
    version: Version
    restored_at: Timestamp


class VoidIn(_In):
    version: Version
    reason: Annotated[str, Field(min_length=5, max_length=1000)]


class IncidentCreate(_In):
    title: Annotated[str, Field(min_length=1, max_length=200)]


class StepOut(BaseModel):
    at: datetime
    members_restored: int
    members_out_after: int
    device: str | None = None


class HeldDark(BaseModel):
    """Members of a closed record another open record still keeps dark (a nested outage)."""

    interruption_id: int
    facility: str
    members: int


class EtrOut(BaseModel):
    etr_at: datetime | None
    set_at: datetime
    set_by: str
    note: str | None


class InterruptionOut(BaseModel):
    id: int
    incident_id: int
    record_ref: str | None
    status: Literal["open", "closed", "voided"]
    kind: Literal["ongoing", "sustained", "momentary"]
    scheduled: bool
    members_notified: bool | None
    cause: str
    substation: str
    feeder: str | None
    device: str | None
    transmission_line: str | None
    start_at: datetime
    restored_at: datetime | None
    duration_minutes: float | None
    members_out: int
    extent: Literal["facility", "part"]
    members_located: int = Field(description="Members out whose service points are known.")
    members_out_now: int
    members_unlocated_now: int = Field(description="Members still out that nobody has located.")
    held_dark: list[HeldDark] = Field(
        default_factory=list,
        description=("Closed records: members still dark because an open record below (or above) keeps them out."),
    )
    member_minutes: float
    steps: list[StepOut]
    etr_at: datetime | None
    etr_history: list[EtrOut]
    location: str | None
    notes: str | None
    void_reason: str | None
    voided_at: datetime | None
    voided_by: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int


class InterruptionPage(BaseModel):
    items: list[InterruptionOut]
    total: int
    limit: int
    offset: int


class IncidentOut(BaseModel):
    id: int
    ref: str | None
    title: str
    created_at: datetime
    created_by: str
    status: Literal["open", "closed", "voided"]
    interruptions: int
    members_out_now: int
    start_at: datetime | None
    restored_at: datetime | None
    # what the rule owed (issue 16), live or imported; None until the incident is first classified
    notice_required: bool | None = Field(
        None, description="Significant: an initial notice to the executives was owed (none is sent for imports)."
    )
    report_required: bool | None = Field(
        None, description="Significant and lasted more than 24 hours: a summary report was owed (D11)."
    )
    report_due_at: datetime | None = Field(None, description="When that summary report was due (once restored).")


class AuditOut(BaseModel):
    at: datetime
    actor: str
    action: str
    before: dict | None
    after: dict | None


class OwedReportOut(BaseModel):
    incident_id: int
    ref: str | None
    due_at: datetime
    overdue: bool


class ImportReport(BaseModel):
    """What an import wrote, and what a person should look at (plain sentences in ``warnings``)."""

    incidents: int
    interruptions: int
    restoration_steps: int
    open_records: int = Field(0, description="Records imported with no restoration: they count as out now.")
    future_etrs: int = Field(0, description="Records imported with an ETR still ahead.")
    notices_required: int = Field(0, description="Imported incidents that were significant (a notice was owed).")
    reports_required: int = Field(0, description="Of them, those that required a summary report.")
    reports_due: list[OwedReportOut] = Field(
        default_factory=list, description="Summary reports the import made owed (due or just overdue)."
    )
    warnings: list[str] = Field(default_factory=list)

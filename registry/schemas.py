"""Pydantic shapes of the registry, in and out."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

PHONE_DIGITS = re.compile(r"^\+?1?(\d{10})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def normalise_phone(value: str | None) -> str | None:
    """US numbers as 512-555-0142; raises ValueError for anything that is not ten digits."""
    if value is None or not str(value).strip():
        return None
    raw = str(value).strip()
    digits = re.sub(r"[\s().\-]", "", raw)
    ext = ""
    if "x" in digits.lower():
        digits, ext = re.split(r"(?i)x", digits, maxsplit=1)
        if not ext.isdigit():
            raise ValueError(f"{raw!r} is not a phone number; write it like 512-555-0142 or 512-555-0142 x12")
        ext = f" x{ext}"
    match = PHONE_DIGITS.match(digits)
    if not match:
        raise ValueError(f"{raw!r} is not a phone number; write it like 512-555-0142")
    d = match.group(1)
    return f"{d[:3]}-{d[3:6]}-{d[6:]}{ext}"


def check_email(value: str | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    if not EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address; write it like name@example.org")
    return value.lower()


Phone = Annotated[str | None, AfterValidator(normalise_phone)]
Email = Annotated[str | None, AfterValidator(check_email)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactIn(_In):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Annotated[str, Field(max_length=120)] | None = None
    phone: Phone = None
    alt_phone: Phone = None
    email: Email = None
    around_the_clock: StrictBool = False


class EntryIn(_In):
    """A registry entry.  Give the service point by account and meter number (both must match the
    same service point), or, where only an address point is known, a feeder and the location."""

    ref: Annotated[str, Field(min_length=1, max_length=40)] | None = Field(
        None, description="The keeper's identifier; made up when omitted.")
    name: Annotated[str, Field(min_length=2, max_length=200)]
    category: str
    account_number: str | None = None
    meter_number: str | None = None
    feeder: str | None = None
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    backup_generation: StrictBool = False
    fuel_hours: Annotated[float, Field(ge=0, le=10_000)] | None = None
    priority_tier: Annotated[int, Field(strict=True, ge=1, le=3)] = 3
    notes: Annotated[str, Field(max_length=4000)] | None = None
    contacts: list[ContactIn] = []


class EntryUpdate(EntryIn):
    version: Annotated[int, Field(strict=True, ge=1)]


class ContactOut(BaseModel):
    name: str
    role: str | None
    phone: str | None
    alt_phone: str | None
    email: str | None
    around_the_clock: bool


class EntryOut(BaseModel):
    id: int
    ref: str
    name: str
    category: str
    category_label: str
    group: str
    account_number: str | None
    meter_number: str | None
    feeder: str
    substation: str
    division: str | None
    community: str | None
    county: str | None
    lon: float
    lat: float
    backup_generation: bool
    fuel_hours: float | None
    priority_tier: int
    notes: str | None
    last_verified_at: datetime | None
    last_verified_by: str | None
    review_due: date | None
    review_status: Literal["current", "due_soon", "overdue", "never_verified"]
    contacts: list[ContactOut]
    version: int


class CategoryIn(_In):
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
    label: Annotated[str, Field(min_length=2, max_length=120)]
    group: Literal["essential", "community_impact", "interruptible", "critical_care", "other"] = "other"


class CategoryOut(BaseModel):
    code: str
    label: str
    group: str


class LinkCandidate(BaseModel):
    kind: Literal["service_point", "feeder"]
    feeder: str
    account_number: str | None = None
    meter_number: str | None = None
    distance_m: float

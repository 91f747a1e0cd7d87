"""Pydantic shapes of the registry, in and out."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

from gis.ids import DbId

PHONE_DIGITS = re.compile(r"^\+?1?(\d{10})$")
EMAIL_MAX = 254  # RFC 5321's longest forward path less its angle brackets
CONTACT_EMAIL_MAX = 200  # what registry_contacts.email holds
PHONE_MAX = 40  # what the phone columns hold
MAX_CONTACTS = 50  # per registry entry: a call list, not an address book
CODE_MAX = 40  # category, feeder, account and meter codes in the facility layer and the registry


def normalise_phone(value: str | None) -> str | None:
    """US numbers as 512-555-0142; raises ValueError for anything that is not ten digits."""
    if value is None or not str(value).strip():
        return None
    raw = str(value).strip()
    if len(raw) > PHONE_MAX:
        raise ValueError(
            f"the phone number is {len(raw):,} characters long, more than {PHONE_MAX}; write it like "
            "512-555-0142 or 512-555-0142 x12"
        )
    digits = re.sub(r"[\s().\-]", "", raw)
    ext = ""
    if "x" in digits.lower():
        digits, ext = re.split(r"(?i)x", digits, maxsplit=1)
        if not ext.isdigit() or len(ext) > 10:
            raise ValueError(f"{raw!r} is not a phone number; write it like 512-555-0142 or 512-555-0142 x12")
        ext = f" x{ext}"
    match = PHONE_DIGITS.match(digits)
    if not match:
        raise ValueError(f"{raw!r} is not a phone number; write it like 512-555-0142")
    d = match.group(1)
    return f"{d[:3]}-{d[3:6]}-{d[6:]}{ext}"


class EmailError(ValueError):
    """Why an e-mail address was refused; ``kind`` is ``empty``, ``too_long`` or ``invalid`` (so that callers
    can say it in other languages) and ``shown`` the address as it may be quoted back (cut short)."""

    def __init__(self, message: str, *, kind: str, shown: str = "", limit: int = EMAIL_MAX):
        super().__init__(message)
        self.kind, self.shown, self.limit = kind, shown, limit


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def normalise_email(value: str | None, *, limit: int = EMAIL_MAX) -> str:
    """The one check of every e-mail address the service accepts (members, their alert recipients, registry
    contacts, notice recipients): syntax by ``email-validator`` (no DNS look-up), at most ``limit``
    characters, normalised (Unicode NFC, international domain names in Unicode) and in lower case.

    Raises :class:`EmailError` (a ``ValueError``) with a plain reason and no fix: each caller says the fix in
    its own words and languages.
    """
    text = str(value or "").strip()
    if not text:
        raise EmailError("the e-mail address is empty", kind="empty", limit=limit)
    if len(text) > limit:
        raise EmailError(
            f"the e-mail address is {len(text):,} characters long, more than {limit}",
            kind="too_long",
            shown=_shown(text),
            limit=limit,
        )
    try:
        address = validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as err:
        raise EmailError(
            f"{_shown(text)} is not an e-mail address ({str(err).rstrip('.')})",
            kind="invalid",
            shown=_shown(text),
            limit=limit,
        ) from None
    if len(address) > limit:
        raise EmailError(
            f"the e-mail address is {len(address):,} characters long, more than {limit}",
            kind="too_long",
            shown=_shown(text),
            limit=limit,
        )
    return address


def check_email(value: str | None) -> str | None:
    """A registry contact's e-mail (empty: none), checked by :func:`normalise_email`."""
    if value is None or not str(value).strip():
        return None
    try:
        return normalise_email(value, limit=CONTACT_EMAIL_MAX)
    except ValueError as err:
        raise ValueError(f"{err}; write it like name@example.org") from None


def _plain(check):
    """A check raising ``ValueError`` as a pydantic validator whose message is the plain reason (no "Value
    error, " before it)."""

    def validate(value):
        try:
            return check(value)
        except ValueError as err:
            raise PydanticCustomError("value_error", "{problem}", {"problem": str(err)}) from None

    return validate


EmailAddress = Annotated[str, AfterValidator(_plain(normalise_email))]
"""An e-mail address a request gives (required), checked and normalised by :func:`normalise_email`."""
Phone = Annotated[str | None, AfterValidator(_plain(normalise_phone))]
Code = Annotated[str, Field(max_length=CODE_MAX)]
Email = Annotated[str | None, AfterValidator(_plain(check_email))]


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
        None, description="The keeper's identifier; made up when omitted."
    )
    name: Annotated[str, Field(min_length=2, max_length=200)]
    category: Code
    account_number: Code | None = None
    meter_number: Code | None = None
    feeder: Code | None = None
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    backup_generation: StrictBool = False
    fuel_hours: Annotated[float, Field(ge=0, le=10_000)] | None = None
    priority_tier: Annotated[int, Field(strict=True, ge=1, le=3)] = 3
    notes: Annotated[str, Field(max_length=4000)] | None = None
    contacts: Annotated[list[ContactIn], Field(max_length=MAX_CONTACTS)] = []


class EntryUpdate(EntryIn):
    version: Annotated[DbId, Field(strict=True)]


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

"""What members send (``…In``) and are answered under /api/members, and their e-mail addresses checked."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from gis.errors import InvalidInput
from outages.members.texts import both
from registry.schemas import EmailError, normalise_email


def member_email(value: str | None, *, field: str = "email") -> str:
    """A member's (or an alert recipient's) e-mail, normalised by :func:`registry.schemas.normalise_email`;
    otherwise a bilingual :class:`InvalidInput` naming ``field``."""
    try:
        return normalise_email(value)
    except EmailError as err:
        key = {"empty": "email_empty", "too_long": "email_too_long"}.get(err.kind, "email_invalid")
        reason = str(err)[:1].upper() + str(err)[1:]
        raise InvalidInput(both(key, reason=reason, limit=err.limit, shown=err.shown), field=field) from None


class RegisterIn(BaseModel):
    email: str
    password: Annotated[str, Field(max_length=1024)]
    account_number: str
    meter_number: str
    language: str = "en"


class Answer(BaseModel):
    detail: str


class TokenIn(BaseModel):
    token: str = Field(description="the token of the link the member opened")


class LinkOutcome(BaseModel):
    """What opening an e-mailed link did: an activation (``activated``, ``already_active``) or an extra
    recipient's confirmation (``confirmed``, ``already_confirmed``); opening it twice is fine."""

    status: str
    detail: str


class EmailIn(BaseModel):
    email: str


class ResetIn(BaseModel):
    token: str
    password: Annotated[str, Field(max_length=1024)]


class MemberToken(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Alerts(BaseModel):
    outage: bool = Field(description="an outage is known")
    etr: bool = Field(description="the estimated restoration time changed")
    restored: bool = Field(description="power is restored")
    planned: bool = Field(description="a planned outage is ahead")
    crew: bool = Field(False, description="a crew arrived on site at the outage (optional: off unless chosen)")


class AlertsIn(BaseModel):
    """The alerts a member chooses for one service point; ``crew`` left out keeps its current choice (clients
    made before it existed send the first four only)."""

    outage: bool = Field(description="an outage is known")
    etr: bool = Field(description="the estimated restoration time changed")
    restored: bool = Field(description="power is restored")
    planned: bool = Field(description="a planned outage is ahead")
    crew: bool | None = Field(None, description="a crew arrived on site (optional); left out: unchanged")


class MyReport(BaseModel):
    id: int
    status: str
    created_at: datetime


class MyServicePoint(BaseModel):
    account_number: str
    meter_number: str
    status: str  # on | out | possibly_out
    outage_status: str | None = Field(
        None,
        description="While out: reported (known, nobody assigned), crew_assigned or crew_on_site, the least "
        "advanced of the records keeping it dark (D17); else null",
    )
    etr_at: datetime | None = Field(
        description="While out: the latest ETR of the records keeping it dark when every one has one; else null "
        "(being assessed)"
    )
    cause: str | None
    out_since: datetime | None
    report: MyReport | None  # the latest outage report from this service point
    alerts: Alerts


class MeOut(BaseModel):
    email: str
    language: str
    service_points: list[MyServicePoint]


class LanguageIn(BaseModel):
    language: str


class ServicePointIn(BaseModel):
    account_number: str
    meter_number: str


class RecipientIn(BaseModel):
    channel: str = Field(description="email or sms (a text message)")
    address: str = Field(description="an e-mail address, or a mobile number like 512-555-0142")
    language: str = "en"


class RecipientOut(BaseModel):
    id: int
    channel: str
    address: str
    language: str
    status: str  # pending (not confirmed yet) | confirmed | unsubscribed
    owner: bool  # the account's own e-mail


class ReportAck(BaseModel):
    """A report's answer, with what the data knows of that service point's outage (D17), nothing more."""

    id: int
    status: str = Field(description="the report's status: open (new, counts towards a probable outage) or confirmed")
    detail: str = Field(description="'English / Spanish': known (with status and ETR), new, or made before")
    hazard: str | None = Field(default=None, description="the danger the report names (wire_down or tree_on_line)")
    safety: str | None = Field(
        default=None, description="with a danger: what to do meanwhile (stay away, call 911), 'English / Spanish'"
    )
    partial_power: bool = Field(default=False, description="the report says the member has some power")
    known: bool = Field(default=False, description="an open record already keeps this service point dark")
    outage_status: str | None = Field(
        default=None,
        description="while known: reported, crew_assigned or crew_on_site, the least advanced of its records",
    )
    status_words: str | None = Field(default=None, description="while known: the status, 'English / Spanish'")
    etr_at: datetime | None = Field(
        default=None,
        description="while known: the ETR when every record keeping it dark has a plausible one; else null",
    )
    etr: str | None = Field(
        default=None,
        description="while known: the ETR in the co-op's time (CST/CDT) or 'being assessed', 'English / Spanish'",
    )
    out_since: datetime | None = Field(default=None, description="while known: since when it is dark")


HAZARD = "a danger seen: wire_down (a wire is down) or tree_on_line (a tree is on a line); else leave it out"
PARTIAL = "true when the member has some power (lights dim, some circuits out); else leave it out"


class MyReportIn(BaseModel):
    meter_number: str
    hazard: str | None = Field(None, description=HAZARD)
    partial_power: bool = Field(False, description=PARTIAL)


class AnonymousReportIn(BaseModel):
    account_number: str
    meter_number: str | None = Field(None, description="from the bill; or give phone instead")
    phone: str | None = Field(None, description="a mobile number confirmed for this account's text alerts")
    hazard: str | None = Field(None, description=HAZARD)
    partial_power: bool = Field(False, description=PARTIAL)


class UpdatesIn(BaseModel):
    """Updates about one service point's outage without an account: the same proof as a report without
    signing in, and where to send them."""

    account_number: str
    meter_number: str | None = Field(None, description="from the bill; or give phone instead")
    phone: str | None = Field(None, description="a mobile number confirmed for this account's text alerts")
    channel: str = Field(description="email or sms (a text message)")
    address: str = Field(description="an e-mail address, or a mobile number like 512-555-0142")
    language: str = Field("en", description="en or es: the language of the updates")


class UpdatesOut(BaseModel):
    channel: str
    address: str = Field(description="the address as it will be written to (normalised)")
    language: str
    status: str = Field(description="pending: nothing is sent before the confirmation link is opened")
    detail: str

"""Rule settings (environment prefix ``OUTAGES_``), read lazily, with the rule's values as defaults."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CAUSES = {
    "lightning": "Lightning",
    "wind": "Wind",
    "ice_snow": "Ice / snow",
    "flood": "Flood",
    "heat": "Heat",
    "vegetation": "Vegetation",
    "animal": "Animal",
    "equipment_failure": "Equipment failure",
    "public_vehicle": "Public / vehicle",
    "power_supply": "Power supply / transmission",
    "planned": "Planned",
    "overload": "Overload",
    "unknown": "Unknown",
}


class RuleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OUTAGES_", extra="ignore")

    timezone: str = "America/Chicago"  # the cooperative's zone (D2)
    momentary_max_minutes: float = 5.0  # D3, IEEE 1366
    retention_years: int = 5  # D13
    clock_skew_minutes: float = 5.0  # how far in the future a reported time may be
    # plausible times: nothing in the log lies before this local day (a mistyped year such as 0025 is refused)
    earliest_date: date = Field(default=date(1990, 1, 1), ge=date(1900, 1, 1))
    etr_horizon_days: float = Field(default=30.0, gt=0, le=3650)  # how far ahead an ETR (or planned work) may lie
    # significant interruptions (domain D4-D8); the rule's values are the defaults
    significant_minutes: float = 60.0  # "lasting one hour or more" (D4)
    system_share: float = 1.0  # entire system (D6)
    division_share: float = 0.5  # a major division (D6)
    community_share: float = 0.5  # a community (D6)
    members_share: float = 0.2  # 20 % of the system's members (D5)
    large_system_members: int = 200_000  # "utilities serving more than 200,000 members" (D5)
    large_system_threshold: int = 20_000  # "20,000 members" (D5)
    scheduled_unnotified_minutes: float = 240.0  # "scheduled ... lasting more than four hours" (D8)
    # members' outage reports: this many from one feeder within this window make a probable outage
    report_threshold: int = 3
    report_window_minutes: float = 30.0

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def earliest_at(self) -> datetime:
        """The earliest plausible instant (UTC): local midnight at the start of ``earliest_date``."""
        d = self.earliest_date
        return datetime(d.year, d.month, d.day, tzinfo=self.zone).astimezone(UTC)

    def latest_at(self, now: datetime) -> datetime:
        """The latest plausible instant of anything in the log at ``now``: the ETR horizon ahead (plus the
        clock-skew allowance)."""
        return now + timedelta(days=self.etr_horizon_days, minutes=self.clock_skew_minutes)

    def plausible(self, value: datetime | None, now: datetime) -> bool:
        """Whether a stored time lies in the plausible window ``[earliest_at, latest_at(now)]``."""
        return value is not None and self.earliest_at <= value <= self.latest_at(now)


@lru_cache
def get_rule_settings() -> RuleSettings:
    return RuleSettings()

"""Rule settings (environment prefix ``OUTAGES_``), read lazily, with the rule's values as defaults."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo

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


@lru_cache
def get_rule_settings() -> RuleSettings:
    return RuleSettings()

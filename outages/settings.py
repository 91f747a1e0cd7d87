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

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache
def get_rule_settings() -> RuleSettings:
    return RuleSettings()

"""Who the cooperative is and where members reach the service (prefix ``OUTAGES_`` or a ``.env`` file)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class CooperativeSettings(BaseSettings):
    """The settings the reports and the web app both need; :class:`dashboards.settings.ServiceSettings` adds
    the web app's own.  The zone is :attr:`outages.settings.RuleSettings.timezone`."""

    model_config = SettingsConfigDict(env_prefix="OUTAGES_", env_file=".env", extra="ignore")

    cooperative_name: str = "Hill Country Electric Cooperative (synthetic)"
    # where members reach this service: every link in every message is built from it, never from a request
    public_url: str = "http://127.0.0.1:8000"
    # the number members call (after 911 for a downed line): shown in the safety banner of every public page
    cooperative_phone: str = "(830) 555-0100"

    @property
    def public_base(self) -> str:
        """The public URL without a trailing slash, to which links append their path."""
        return self.public_url.rstrip("/")

"""Service settings (environment prefix ``OUTAGES_`` or a ``.env`` file), built lazily."""

from __future__ import annotations

from functools import lru_cache

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "change-me", "secret", "changeme"}


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OUTAGES_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/outages.db"
    secret_key: SecretStr = SecretStr("change-me")
    demo: bool = False
    token_minutes: int = 12 * 60  # one control-room shift
    cooperative_name: str = "Hill Country Electric Cooperative (synthetic)"
    scheduler: bool = True  # run the significance/notice scheduler and the alert worker inside the web app
    public_url: str = "http://127.0.0.1:8000"  # where members reach this service (links in their alerts)

    def refuse_unsafe_defaults(self) -> None:
        """Outside demo mode the service will not start with a placeholder secret."""
        if not self.demo and self.secret_key.get_secret_value() in PLACEHOLDER_SECRETS:
            raise SystemExit(
                "OUTAGES_SECRET_KEY is not set (or is a placeholder). Set it to a long random value, e.g. "
                "`export OUTAGES_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')`, "
                "or set OUTAGES_DEMO=true for the embedded demo only."
            )

    @property
    def signing_key(self) -> str:
        key = self.secret_key.get_secret_value()
        return key if not self.demo or key not in PLACEHOLDER_SECRETS else "demo-only-signing-key-not-for-production"


@lru_cache
def get_settings() -> ServiceSettings:
    return ServiceSettings()

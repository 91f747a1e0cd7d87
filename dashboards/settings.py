"""Service settings (environment prefix ``OUTAGES_`` or a ``.env`` file), built lazily."""

from __future__ import annotations

import ipaddress
import math
from functools import lru_cache
from urllib.parse import urlsplit

from pydantic import SecretStr, field_validator

from reports.settings import CooperativeSettings

PLACEHOLDER_SECRETS = {"", "change-me", "secret", "changeme"}
PLACEHOLDER_HOSTS = {
    "",
    "localhost",
    "127.0.0.1",
    "0.0.0.0",
    "::1",
    "example.com",
    "example.org",
    "example.net",
    "change-me",
    "changeme",
}
DEMO_HOSTS = ("127.0.0.1", "localhost")
SECRET_BYTES = 32  # least entropy of the signing key outside demo mode
_BASE64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")
_HEX = frozenset("0123456789abcdefABCDEF")


def secret_entropy_bytes(key: str) -> float:
    """A cautious estimate of a key's entropy [bytes]: its length times the bits of the smallest usual alphabet
    that holds it (hex 4, base64url 6, printable ASCII 6.5 bits a character); a key of fewer than 16 distinct
    characters counts as none (``aaaa…`` or a repeated word is no secret)."""
    if len(set(key)) < 16:
        return 0.0
    chars = set(key)
    bits = 4 if chars <= _HEX else 6 if chars <= _BASE64URL else math.log2(95)
    return len(key) * bits / 8


class ServiceSettings(CooperativeSettings):
    """The web app's settings (the same prefix and ``.env`` file); the cooperative's name and public URL come
    from :class:`reports.settings.CooperativeSettings`."""

    database_url: str = "sqlite:///var/outages.db"
    secret_key: SecretStr = SecretStr("change-me")
    demo: bool = False
    token_minutes: int = 12 * 60  # one control-room shift
    scheduler: bool = True  # run the significance/notice scheduler and the alert worker inside the web app
    # the Host names requests may carry (comma-separated); empty: the public URL's host (and, in demo mode,
    # 127.0.0.1 and localhost). Others get 400.
    allowed_hosts: str = ""
    max_json_bytes: int = 1_048_576  # the largest body a form or API call may send (413 above)
    max_upload_bytes: int = 33_554_432  # the largest file an import may upload (413 above)
    # rate limits, counted in the database (dashboards.limits): the proxies whose X-Forwarded-For is believed
    # (comma-separated addresses or networks; empty: none, the direct peer is the client), failed sign-ins per
    # account and per client a minute and the longest lock, and requests per client a minute
    trusted_proxies: str = ""
    sign_in_limit: int = 10
    sign_in_max_lock_minutes: int = 15
    member_request_limit: int = 10  # registrations with resent activations, and password-reset requests, each
    report_limit: int = 30  # outage reports without signing in (many members share a carrier's NAT in a storm)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        for entry in filter(None, (e.strip() for e in value.split(","))):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"OUTAGES_TRUSTED_PROXIES: {entry!r} is not an IP address or network. Fix: list "
                    "the proxies' addresses, e.g. 127.0.0.1,10.0.0.0/24."
                ) from None
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(
            ipaddress.ip_network(e.strip(), strict=False) for e in self.trusted_proxies.split(",") if e.strip()
        )

    @property
    def allowed_host_list(self) -> list[str]:
        hosts = [h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip()]
        if not hosts:
            hosts = [urlsplit(self.public_url).hostname or ""]
            hosts += [h for h in DEMO_HOSTS if self.demo and h not in hosts]
        return hosts

    def refuse_unsafe_defaults(self) -> None:
        """Outside demo mode the service will not start with a placeholder or short secret, nor with a
        placeholder public address (the links members receive would lead nowhere, or somewhere else)."""
        if self.demo:
            return
        if secret_entropy_bytes(self.secret_key.get_secret_value()) < SECRET_BYTES:
            raise SystemExit(
                f"OUTAGES_SECRET_KEY is not set, is a placeholder or is too short (it needs at least {SECRET_BYTES} "
                "bytes of randomness). Fix: `export OUTAGES_SECRET_KEY=$(python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')`, or set OUTAGES_DEMO=true for the embedded demo only."
            )
        url = urlsplit(self.public_url)
        if url.scheme not in ("http", "https") or (url.hostname or "") in PLACEHOLDER_HOSTS or url.query:
            raise SystemExit(
                f"OUTAGES_PUBLIC_URL is {self.public_url!r}: not set, or a placeholder. Every link members receive "
                "is built from it. Fix: set it to the address members use, e.g. "
                "`export OUTAGES_PUBLIC_URL=https://outages.your-coop.org`."
            )

    @property
    def signing_key(self) -> str:
        key = self.secret_key.get_secret_value()
        return key if not self.demo or key not in PLACEHOLDER_SECRETS else "demo-only-signing-key-not-for-production"


@lru_cache
def get_settings() -> ServiceSettings:
    return ServiceSettings()

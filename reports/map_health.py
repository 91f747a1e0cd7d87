"""Is the public outage map up? The snapshot's age and the public address's answer (issue 15), for the public
health check and for the executives' warning.

* **age**: ``as_of`` of ``<snapshot_dir>/data.json`` (the figures' time) against now; older than
  ``stale_seconds`` (or no snapshot at all) is **stale**: members see old figures (the page says how old).
* **answer**: when ``public_url`` is set (the address members reach the figures at, through the web server),
  a GET must answer 200 within :data:`PROBE_SECONDS`; otherwise the map is **down**.  Down wins over stale.
* **off**: no ``snapshot_dir`` is configured (no snapshot is written: nothing to watch).

The scheduler's tick (:func:`reports.flow.tick`) calls :func:`watch_public_map`: the first time the map is
stale or down it raises a :class:`reports.models.ServiceAlarm` (kind ``public_map``) and e-mails the executives
(the notices' recipients, over the same SMTP path) once; while the alarm is open nothing more is sent; when the
map is fine again the alarm is cleared and one "The public outage map is back" e-mail goes out.  A mail that
could not be sent leaves the alarm as it was, so the next tick tries again.  A snapshot directory created
within ``stale_seconds`` but with no figures yet (the service just started) raises no alarm.

The public health check (``/api/health``) tells only the status and the age; the probe of the public address is
made there at most every :data:`PROBE_REUSE_SECONDS` (the last answer is reused), so readers cannot make the
service hammer its own web server.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from gis.db import transaction, utcnow
from outages.formatting import format_duration, format_time
from outages.public_map import PublicMapSettings
from outages.settings import get_rule_settings
from reports.delivery import SmtpSettings, send_email
from reports.models import ServiceAlarm

log = logging.getLogger("outages.map_health")

PROBE_SECONDS = 2.0  # the public address must answer 200 within this
PROBE_REUSE_SECONDS = 30.0  # the health check reuses a probe this recent
KIND = "public_map"
Status = Literal["ok", "stale", "down", "off"]


@dataclass(frozen=True)
class MapHealth:
    """The public map's state: ``status``, the snapshot's age [s] (None: no snapshot), and for the executives
    what is wrong in plain words (``problem``; empty when ok)."""

    status: Status
    age_seconds: float | None
    problem: str = ""
    as_of: datetime | None = None
    grace: bool = False  # no snapshot yet, but its directory is new (the service just started): no alarm

    def public(self) -> dict:
        """What the public health check tells: the status and the age only."""
        return {"status": self.status, "age_seconds": None if self.age_seconds is None else round(self.age_seconds)}


def snapshot_as_of(snapshot_dir: str | Path) -> datetime | None:
    """``as_of`` of the snapshot's data.json (None: no readable snapshot)."""
    try:
        data = json.loads((Path(snapshot_dir) / "data.json").read_bytes())
        return datetime.fromisoformat(str(data["as_of"]).replace("Z", "+00:00"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


_probes: dict[str, tuple[float, str]] = {}
_probes_lock = threading.Lock()


def probe(url: str, *, reuse_seconds: float = 0.0) -> str:
    """GET ``url``: "" when it answered 200 within :data:`PROBE_SECONDS`, else what went wrong in plain words.
    An answer at most ``reuse_seconds`` old is reused."""
    with _probes_lock:
        seen = _probes.get(url)
    if seen is not None and time.monotonic() - seen[0] < reuse_seconds:
        return seen[1]
    started = time.perf_counter()
    try:
        response = httpx.get(url, timeout=PROBE_SECONDS, headers={"Accept-Encoding": "gzip"})
        took = time.perf_counter() - started
        if response.status_code != 200:
            problem = f"it answered {response.status_code} instead of 200"
        elif took > PROBE_SECONDS:
            problem = f"it took {took:.1f} s to answer (the limit is {PROBE_SECONDS:.0f} s)"
        else:
            problem = ""
    except httpx.TimeoutException:
        problem = f"it did not answer within {PROBE_SECONDS:.0f} s"
    except httpx.HTTPError as err:
        problem = f"it could not be reached ({type(err).__name__}: {err})"
    with _probes_lock:
        _probes[url] = (time.monotonic(), problem)
    return problem


def _ago(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{int(seconds)} seconds" if minutes < 2 else format_duration(timedelta(seconds=seconds))


def map_health(*, settings: PublicMapSettings, now: datetime | None = None, reuse_seconds: float = 0.0) -> MapHealth:
    """The public map's state now (see the module docstring)."""
    if not settings.snapshot_dir:
        return MapHealth("off", None)
    now = now or utcnow()
    zone = get_rule_settings().zone
    as_of = snapshot_as_of(settings.snapshot_dir)
    age = None if as_of is None else max((now - as_of).total_seconds(), 0.0)
    problem, grace = "", False
    status: Status = "ok"
    if as_of is None:
        status = "stale"
        problem = f"No figures have been written to {settings.snapshot_dir} (data.json is missing or unreadable)."
        folder = Path(settings.snapshot_dir)
        try:
            grace = now.timestamp() - folder.stat().st_mtime < settings.stale_seconds
        except OSError:
            grace = False
    elif age is not None and age > settings.stale_seconds:
        status = "stale"
        problem = (
            f"The figures members see were written at {format_time(as_of, zone)}, {_ago(age)} ago "
            f"(the limit is {_ago(settings.stale_seconds)})."
        )
    if settings.public_url:
        answer = probe(settings.public_url, reuse_seconds=reuse_seconds)
        if answer:
            status = "down"
            problem = f"The public map at {settings.public_url} is not answering: {answer}. {problem}"
            grace = False
    return MapHealth(status, age, problem.strip(), as_of, grace)


# --- the executives' warning -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlarmChange:
    """What a watch did: ``raised`` or ``cleared`` (None: nothing), and whether the e-mail went out."""

    change: Literal["raised", "cleared"] | None
    mailed: bool = False


def _raised_mail(health: MapHealth, *, now: datetime, cooperative: str) -> tuple[str, str]:
    zone = get_rule_settings().zone
    what = "not answering" if health.status == "down" else "showing old figures"
    subject = f"The public outage map is {what}"
    fix = (
        "Check the web server (nginx) that serves the map and that the address is right."
        if health.status == "down"
        else "Check that the outage service is running: it writes the map's figures after every change."
    )
    text = (
        f"{cooperative}: the public outage map is {what} since {format_time(now, zone)}.\n\n"
        f"{health.problem}\n\n"
        "Members who open the map see the last figures written, with how old they are, or nothing at all.\n"
        f"{fix}\n\n"
        "You will get one more e-mail when the map is back."
    )
    return subject, text


def _cleared_mail(alarm: ServiceAlarm, health: MapHealth, *, now: datetime, cooperative: str) -> tuple[str, str]:
    zone = get_rule_settings().zone
    age = "" if health.age_seconds is None else f" Its figures are {_ago(health.age_seconds)} old."
    text = (
        f"{cooperative}: the public outage map is back since {format_time(now, zone)}.{age}\n\n"
        f"It had been out of order since {format_time(alarm.raised_at, zone)} "
        f"({format_duration(now - alarm.raised_at)}): {alarm.detail}"
    )
    return "The public outage map is back", text


def _mail(smtp: SmtpSettings, subject: str, text: str) -> bool:
    """One message to all the executives (the notices' recipients); False when it could not be sent."""
    if not smtp.recipient_list:
        log.warning("public map: %s (no executive recipients configured: OUTAGES_SMTP_RECIPIENTS)", subject)
        return True
    try:
        send_email(smtp, to=", ".join(smtp.recipient_list), subject=subject, text=text)
    except Exception as err:  # noqa: BLE001 - any failure: the alarm stays as it was, the next tick retries
        log.warning("public map: could not e-mail the executives (%s: %s); will retry", type(err).__name__, err)
        return False
    return True


def _open_alarm(session) -> ServiceAlarm | None:
    return session.scalar(
        select(ServiceAlarm)
        .where(ServiceAlarm.kind == KIND, ServiceAlarm.cleared_at.is_(None))
        .order_by(ServiceAlarm.id.desc())
        .limit(1)
    )


def watch_public_map(
    sessions: sessionmaker,
    *,
    settings: PublicMapSettings,
    smtp: SmtpSettings,
    cooperative: str,
    now: datetime | None = None,
) -> AlarmChange:
    """Raise the ``public_map`` alarm (one e-mail) when the map is stale or down, clear it (one e-mail) when it
    is fine again; nothing while it stays as it is (see the module docstring)."""
    now = now or utcnow()
    health = map_health(settings=settings, now=now)
    if health.status == "off":
        return AlarmChange(None)
    with sessions() as session:  # read the open alarm, then mail outside any transaction: a slow or dead SMTP
        alarm = _open_alarm(session)  # server must never hold SQLite's write lock (the dispatchers wait on it)
    if alarm is None and health.status in ("stale", "down") and not health.grace:
        subject, text = _raised_mail(health, now=now, cooperative=cooperative)
        if not _mail(smtp, subject, text):
            return AlarmChange(None)
        with transaction(sessions) as writing:
            writing.add(ServiceAlarm(kind=KIND, detail=health.problem, raised_at=now))
        return AlarmChange("raised", mailed=True)
    if alarm is not None and health.status == "ok":
        subject, text = _cleared_mail(alarm, health, now=now, cooperative=cooperative)
        if not _mail(smtp, subject, text):
            return AlarmChange(None)
        with transaction(sessions) as writing:
            writing.execute(
                update(ServiceAlarm)
                .where(ServiceAlarm.id == alarm.id, ServiceAlarm.cleared_at.is_(None))
                .values(cleared_at=now)
            )
        return AlarmChange("cleared", mailed=True)
    return AlarmChange(None)

"""The embedded default's background workers: daemon threads woken by every committed change.

* the **scheduler** runs :func:`reports.flow.tick` (significance, notices, summary reports) every 30 seconds,
  and soon — at most one round per 5 seconds — after a dispatcher's change;
* the **alert worker** runs :func:`reports.member_alerts.alert_round` right after a change and keeps going
  while deliveries are waiting, so members hear within seconds and a storm never waits on the dispatcher's
  requests (nor they on it).

In production, run ``outages tick`` from cron or a systemd timer instead (or as well: the database keeps
every notice and alert exactly-once)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import sessionmaker

log = logging.getLogger("outages.scheduler")


class Worker:
    """Run ``work(sessions)`` in a loop: again at once while it reports ``more``, otherwise after ``every``
    seconds or when woken, but never two rounds within ``at_least`` seconds."""

    def __init__(
        self,
        name: str,
        sessions: sessionmaker,
        work: Callable[[sessionmaker], object],
        *,
        every: float,
        at_least: float,
    ):
        self.sessions, self.work, self.every, self.gap = sessions, work, every, at_least
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                more = getattr(self.work(self.sessions), "more", False)
            except Exception:  # noqa: BLE001 - keep the worker alive; the next round retries
                log.exception("%s round failed", self.thread.name)
                more = False
            if not more:
                self.wake.wait(self.every)
            self.wake.clear()
            self.stopping.wait(max(0.0, self.gap - (time.monotonic() - started)))

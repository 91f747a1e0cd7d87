"""The in-process scheduler of the embedded default: a daemon thread that runs :func:`reports.flow.tick`
every 30 seconds, and soon (at most one round per 5 seconds) when a dispatcher's change wakes it.  In production, run
``outages tick`` from cron or a systemd timer instead (or as well: the database keeps it exactly-once)."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.orm import sessionmaker

from reports.flow import tick

log = logging.getLogger("outages.scheduler")


class Scheduler:
    def __init__(self, sessions: sessionmaker, *, every_seconds: float = 30.0, at_least_seconds: float = 5.0):
        self.sessions, self.every, self.gap = sessions, every_seconds, at_least_seconds
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="outages-scheduler", daemon=True)

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
                tick(self.sessions)
            except Exception:  # noqa: BLE001 - keep the scheduler alive; the next round retries
                log.exception("scheduler round failed")
            self.wake.wait(self.every)
            self.wake.clear()
            # a burst of dispatcher writes wakes it often: one round per few seconds is enough
            self.stopping.wait(max(0.0, self.gap - (time.monotonic() - started)))

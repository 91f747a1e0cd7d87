"""The in-process scheduler of the embedded default: a daemon thread that runs :func:`reports.flow.tick`
every 30 seconds, and at once when a dispatcher's change wakes it.  In production, run
``outages tick`` from cron or a systemd timer instead (or as well: the database keeps it exactly-once)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import sessionmaker

from reports.flow import tick

log = logging.getLogger("outages.scheduler")


class Scheduler:
    def __init__(self, sessions: sessionmaker, *, every_seconds: float = 30.0):
        self.sessions, self.every = sessions, every_seconds
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
            try:
                tick(self.sessions)
            except Exception:  # noqa: BLE001 - keep the scheduler alive; the next round retries
                log.exception("scheduler round failed")
            self.wake.wait(self.every)
            self.wake.clear()

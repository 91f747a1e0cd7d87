"""Shared set-up for the benchmarks: a fresh database loaded with the sample facility layer."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from dashboards.migrate import seed_reference_data, upgrade
from dashboards.users import create_user
from gis.db import make_engine
from gis.files import read_facilities
from gis.service import import_facilities
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "build"


def sample_folder() -> Path:
    """The generated sample (generated on first use)."""
    if not (SAMPLE / "registry.xlsx").exists():
        subprocess.run(
            [sys.executable, "-m", "dashboards", "sample", "generate", "--out", str(SAMPLE)], check=True, cwd=ROOT
        )
    return SAMPLE


def fresh_database(url: str):
    """An empty, migrated database at ``url`` (a SQLite file is deleted first; PostGIS schema is reset)."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE EXTENSION postgis"))
    upgrade(engine)
    with Session(engine) as session, session.begin():
        seed_reference_data(session)
    return engine


def copy_database(source: Path | str, folder: Path) -> str:
    """A migrated copy of the SQLite database ``source`` in ``folder`` (its URL): SQLite's backup, consistent
    even while another process has the source open; the source is never changed."""
    path = folder / "bench.db"
    with sqlite3.connect(source) as original, sqlite3.connect(path) as copy:
        original.backup(copy)
    url = f"sqlite:///{path}"
    upgrade(make_engine(url))
    return url


def app_env(url: str) -> dict[str, str]:
    """The environment of the app and its CLI on the database at ``url``: demo accounts, no scheduler."""
    return os.environ | {
        "OUTAGES_DATABASE_URL": url,
        "OUTAGES_DEMO": "true",
        "OUTAGES_SCHEDULER": "false",
        "SPATIALITE_LIBRARY_PATH": "mod_spatialite",
    }


def serve(url: str, *, timeout: float = 60) -> tuple[subprocess.Popen, str]:
    """The app (:func:`app_env`) served by uvicorn with one worker on a free port of 127.0.0.1, and its base
    URL, once ``/api/health`` answers."""
    port, env = free_port(), app_env(url)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "dashboards.asgi:app", "--host", "127.0.0.1", "--port", str(port)]
        + ["--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    return server, base


def load_facilities(engine, path: Path | None = None) -> None:
    layers = read_facilities(path or sample_folder() / "facilities.gpkg")
    with Session(engine) as session, session.begin():
        import_facilities(session=session, layers=layers)


def add_user(engine, username: str, password: str, role: str) -> None:
    with Session(engine) as session, session.begin():
        create_user(session=session, username=username, password=password, role=role)


def postgres_url() -> str:
    """The benchmark PostGIS, started like the test suite's."""
    return subprocess.run(
        [str(ROOT / ".ci" / "postgis.sh"), "start"], check=True, capture_output=True, text=True
    ).stdout.strip()


class timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


os.environ.setdefault("OUTAGES_SECRET_KEY", "benchmark-signing-key-0123456789-0123456789")
# the servers benchmarks start run outside demo mode: a real-looking public address, and loopback allowed
os.environ.setdefault("OUTAGES_PUBLIC_URL", "https://outages.coop.example")
os.environ.setdefault("OUTAGES_ALLOWED_HOSTS", "127.0.0.1,localhost")


def app_and_watcher(env: dict[str, str], port: int) -> tuple[subprocess.Popen, subprocess.Popen]:
    """The app on ``port`` (uvicorn, one worker) and, beside it as in production, the public map's snapshot
    writer (``outages public-map watch``), both configured by ``env``."""
    app = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "dashboards.asgi:app", "--port", str(port), "--workers", "1"]
        + ["--log-level", "warning", "--no-access-log"],
        env=env,
        cwd=ROOT,
    )
    watcher = subprocess.Popen(
        [str(Path(sys.executable).with_name("outages")), "public-map", "watch", "--every", "0.5"],
        env=env,
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    return app, watcher

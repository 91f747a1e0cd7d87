"""The README's production path works as written: ``.ci/production.sh`` follows it line by line on a
throwaway PostgreSQL + PostGIS cluster of its own (role, database, extension, .env, db upgrade, admin,
facilities, registry, history, ``serve --workers 2``, health and sign-in, ``tick`` from cron's empty
environment) and checks that the usual failures are one plain sentence.  And ``serve`` hands uvicorn what
production needs: an import string (workers) and no proxy headers of its own."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dashboards.cli import app
from dashboards.settings import get_settings
from tests.helpers import free_port

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "production.sh"


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "needs root (initdb runs as the postgres user)"
    if not (
        glob.glob("/usr/lib/postgresql/*/bin/initdb") and glob.glob("/usr/share/postgresql/*/extension/postgis.control")
    ):
        return "needs PostgreSQL and PostGIS (apt-get install postgresql-15-postgis-3)"
    tools = [t for t in ("curl", "jq", "runuser", "setsid") if not shutil.which(t)]
    return f"needs {', '.join(tools)}" if tools else None


@pytest.mark.skipif(_missing() is not None, reason=_missing() or "")
@pytest.mark.skipif(
    os.environ.get("OUTAGES_TEST_DATABASE_URL", "sqlite").startswith("postgresql"),
    reason="runs in the SpatiaLite pass: it starts its own cluster, whatever the database under test",
)
def test_readme_production_path_on_a_fresh_postgis():
    # a cluster, ports and folder of this run's own, so that concurrent runs (and the test cluster) never meet
    pgdata = tempfile.mkdtemp(prefix="outages-production-pg-", dir="/tmp")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTAGES_")}
    env |= {
        "PRODUCTION_PGDATA": pgdata,
        "PRODUCTION_PGPORT": str(free_port()),
        "PRODUCTION_APP_PORT": str(free_port()),
        "PRODUCTION_WRONG_PORT": str(free_port()),
    }
    started = time.monotonic()
    try:  # about 30 s on an idle 2-core machine (most of it Python starting 15 commands)
        done = subprocess.run([str(SCRIPT)], capture_output=True, text=True, env=env, timeout=300)
    finally:
        shutil.rmtree(pgdata, ignore_errors=True)
    print(f"the production path took {time.monotonic() - started:.0f} s")
    assert done.returncode == 0, f"{done.stdout[-6000:]}\n{done.stderr[-4000:]}"
    assert "production path: every step worked" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.fixture
def served(monkeypatch, tmp_path):
    """``outages serve ARGS`` on a migrated SQLite database, with uvicorn.run recorded instead of run."""
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.setenv("OUTAGES_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("OUTAGES_PUBLIC_URL", "https://outages.example.coop")
    monkeypatch.delenv("OUTAGES_DEMO", raising=False)

    def serve(*args: str):
        get_settings.cache_clear()
        try:
            upgraded = CliRunner().invoke(app, ["db", "upgrade"], prog_name="outages")
            assert upgraded.exit_code == 0, upgraded.output
            return CliRunner().invoke(app, ["serve", *args], prog_name="outages"), calls
        finally:
            get_settings.cache_clear()

    return serve


def test_serve_hands_uvicorn_an_import_string_and_no_proxy_headers(served):
    result, calls = served("--workers", "3", "--port", "8123")
    assert result.exit_code == 0, result.output
    [(args, kwargs)] = calls
    assert args == ("dashboards.asgi:app",)  # workers > 1 need an import string
    assert kwargs["workers"] == 3 and kwargs["port"] == 8123
    # X-Forwarded-For is the app's to judge (OUTAGES_TRUSTED_PROXIES), not uvicorn's (127.0.0.1 by default)
    assert kwargs["proxy_headers"] is False


def test_serve_refuses_zero_workers(served):
    result, calls = served("--workers", "0")
    assert result.exit_code == 2 and not calls

"""The ``outages`` command line, run as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from dashboards.cli import app

COMMANDS = [[], ["db"], ["db", "upgrade"], ["db", "check"], ["users", "create-admin"], ["users", "create"],
            ["facilities", "import"], ["facilities", "export"], ["interruptions", "import"],
            ["interruptions", "export"], ["interruptions", "purge"], ["sample", "generate"], ["sample", "load"],
            ["demo-setup"], ["serve"], ["registry"], ["registry", "import"], ["registry", "export"],
            ["registry", "annex"], ["registry", "review"], ["tick"], ["reliability"], ["reliability", "indices"],
            ["reliability", "report"]]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboards", *args], capture_output=True, text=True,
                          env=os.environ | (env or {}), timeout=120)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "outages")
def test_every_command_has_help(command):
    done = CliRunner().invoke(app, [*command, "--help"], prog_name="outages")
    assert done.exit_code == 0, done.output
    assert "Usage: outages" in done.output


def test_operator_sets_up_a_database_from_files(tmp_path, facility_file):
    env = {"OUTAGES_DATABASE_URL": f"sqlite:///{tmp_path / 'ops.db'}", "OUTAGES_ADMIN_PASSWORD": "long enough pw"}
    assert run("db", "upgrade", env=env).returncode == 0
    assert run("db", "check", env=env).returncode == 0
    imported = run("facilities", "import", str(facility_file), env=env)
    assert imported.returncode == 0, imported.stderr
    assert "12,000 service points" in imported.stderr
    again = run("facilities", "import", str(facility_file), env=env)
    assert again.returncode == 1 and "already holds data" in again.stderr
    assert run("users", "create-admin", env=env).returncode == 0
    exported = run("facilities", "export", str(tmp_path / "back.gpkg"), env=env)
    assert exported.returncode == 0 and (tmp_path / "back.gpkg").exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("record_ref,feeder_id,transmission_line_id,cause,start,members_out\nX,NOPE,,wind,2024-01-01,5\n")
    refused = run("interruptions", "import", str(bad), env=env)
    assert refused.returncode == 1 and "row 2, column feeder_id" in refused.stderr


def test_service_refuses_to_start_with_default_secret(tmp_path):
    env = {"OUTAGES_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "OUTAGES_SECRET_KEY": "change-me",
           "OUTAGES_DEMO": "false"}
    done = run("serve", "--port", "8999", env=env)
    assert done.returncode != 0 and "OUTAGES_SECRET_KEY" in done.stderr

"""The ``outages`` command line, run as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from dashboards.cli import app

COMMANDS = [
    [],
    ["db"],
    ["db", "upgrade"],
    ["db", "check"],
    ["users", "create-admin"],
    ["users", "create"],
    ["facilities", "import"],
    ["facilities", "export"],
    ["interruptions", "import"],
    ["interruptions", "export"],
    ["interruptions", "purge"],
    ["sample", "generate"],
    ["sample", "load"],
    ["demo-setup"],
    ["serve"],
    ["registry"],
    ["registry", "import"],
    ["registry", "export"],
    ["registry", "annex"],
    ["registry", "review"],
    ["tick"],
    ["reliability"],
    ["reliability", "indices"],
    ["reliability", "report"],
]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboards", *args],
        capture_output=True,
        text=True,
        env=os.environ | (env or {}),
        timeout=120,
    )


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
    # the same members twice: the whole feeder out ten hours, its recloser (6,000 of them) logged again inside
    good = tmp_path / "good.csv"
    good.write_text(
        "record_ref,feeder_id,transmission_line_id,device_id,cause,start,restored_at,members_out\n"
        "A,JC-014,,,wind,2024-03-01T08:00:00-06:00,2024-03-01T18:00:00-06:00,10000\n"
        "B,JC-014,,JC-014-R1,wind,2024-03-01T09:00:00-06:00,2024-03-01T12:00:00-06:00,6000\n"
    )
    assert run("interruptions", "import", str(good), env=env).returncode == 0
    shown = run("reliability", "indices", "--start", "2024-01-01", "--end", "2025-01-01", env=env | {"COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    row = next(line for line in shown.stdout.splitlines() if "system" in line)
    # each member once (SAIFI 10,000 / 12,000, CAIFI 1, not 16,000 / 10,000); CELID: the 10,000 dark ten hours
    assert [c.strip() for c in row.split("│")[2:-1]] == [
        "12,000",
        "0.833",
        "500.0",
        "600.0",
        "0.000",
        "1.000",
        "600.0",
        "0.0000",
        "0.8333",
        "0.8333",
    ], row
    assert "CELID_s 8 h" in shown.stdout


def test_service_refuses_to_start_with_default_secret(tmp_path):
    env = {
        "OUTAGES_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "OUTAGES_SECRET_KEY": "change-me",
        "OUTAGES_DEMO": "false",
    }
    done = run("serve", "--port", "8999", env=env)
    assert done.returncode != 0 and "OUTAGES_SECRET_KEY" in done.stderr

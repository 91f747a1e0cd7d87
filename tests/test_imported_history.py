"""Imported history tells what was owed (issue 16): the same 48-hour outage of three days ago owes its summary
report whether logged live or bulk-imported, an old imported incident says a report was required and when it
was due, the import answer warns of records still open and ETRs ahead, problem lists say how many there were,
and the command line answers in plain sentences."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dashboards.cli import app as cli
from dashboards.settings import get_settings
from gis.db import utcnow
from outages.formatting import format_time
from outages.models import EtrChange, Incident, Interruption
from reports.flow import tick
from reports.models import Notice, SummaryReport
from reports.working_days import summary_report_due
from tests.helpers import CHICAGO, HEADER, upload


def row(ref: str, start, restored=None, *, feeder: str = "JC-014", members: int = 10_000, etr=None) -> str:
    """One import row (the export's columns, then the optional etr column) with local ISO times."""
    when = [t.astimezone(CHICAGO).isoformat(timespec="seconds") if t else "" for t in (start, restored, etr)]
    return f"{ref},{ref},{feeder},,,wind,false,,{when[0]},{when[1]},{members},,,,,{when[2]}"


def file(*rows: str) -> bytes:
    return "\n".join([HEADER + ",etr", *rows]).encode()


def incident(session, ref: str) -> Incident:
    found = session.scalar(select(Incident).where(Incident.ref == ref))
    assert found is not None
    return found


def test_recent_imported_48_hour_incident_owes_its_summary_report(api, session, sessions):
    now = utcnow()
    restored = now - timedelta(days=3)
    done = upload(api, file(row("PAPER-1", restored - timedelta(hours=48), restored)))
    assert done.status_code == 201, done.text
    answer = done.json()
    due = summary_report_due(restored, zone=CHICAGO)
    assert answer["notices_required"] == 1 and answer["reports_required"] == 1
    [owed] = answer["reports_due"]
    assert owed["ref"] == "PAPER-1" and owed["overdue"] is False
    assert datetime.fromisoformat(owed["due_at"]) == due
    assert f"PAPER-1 owes a summary report, due {format_time(due, CHICAGO)}" in " ".join(answer["warnings"])
    assert any("1 imported incident was significant and required an initial notice" in w for w in answer["warnings"])

    made = incident(session, "PAPER-1")
    assert (made.source, made.notice_required, made.report_required) == ("import", True, True)
    assert made.report_due_at == due
    report = session.scalar(select(SummaryReport).where(SummaryReport.incident_id == made.id))
    assert report is not None and report.due_at == due and report.filed_at is None
    listed = api("GET", "/api/summary-reports", as_="executive").json()
    assert [r["state"] for r in listed if r["incident_id"] == made.id] == ["due"]
    detail = api("GET", f"/api/incidents/{made.id}").json()
    assert detail["notice_required"] is True and detail["report_required"] is True
    assert datetime.fromisoformat(detail["report_due_at"]) == due

    # history: the scheduler sends no notice for it and makes no second report
    ticked = tick(sessions, cooperative="Test Co-op", deliver=False)
    assert made.id not in ticked.significant
    assert session.scalar(select(Notice).where(Notice.incident_id == made.id)) is None
    assert len(session.scalars(select(SummaryReport).where(SummaryReport.incident_id == made.id)).all()) == 1


def test_old_imported_incident_says_a_report_was_required_and_when(api, session):
    start = datetime(2023, 5, 1, 14, tzinfo=CHICAGO)
    restored = start + timedelta(hours=48)
    done = upload(api, file(row("OLD-1", start, restored), row("OLD-SHORT", start, start + timedelta(hours=3))))
    assert done.status_code == 201, done.text
    answer = done.json()
    assert answer["notices_required"] == 2 and answer["reports_required"] == 1 and answer["reports_due"] == []
    assert any("1 required summary report was due more than 3 working days ago" in w for w in answer["warnings"]), (
        answer["warnings"]
    )

    old, short = incident(session, "OLD-1"), incident(session, "OLD-SHORT")
    due = summary_report_due(restored, zone=CHICAGO)
    assert (old.notice_required, old.report_required, old.report_due_at) == (True, True, due)
    assert (short.notice_required, short.report_required, short.report_due_at) == (True, False, None)
    assert session.scalar(select(SummaryReport).where(SummaryReport.incident_id == old.id)) is None
    shown = {i["id"]: i for i in api("GET", "/api/incidents", params={"limit": 200}).json()["items"]}
    assert shown[old.id]["report_required"] is True and datetime.fromisoformat(shown[old.id]["report_due_at"]) == due
    assert shown[short.id]["notice_required"] is True and shown[short.id]["report_required"] is False


def test_open_record_and_future_etr_are_warned_of(api, session):
    now = utcnow()
    etr = now + timedelta(hours=3)
    rows = [
        row("OPEN-1", now - timedelta(hours=2), feeder="MF-001", members=100, etr=etr),
        row("OPEN-2", now - timedelta(hours=5), feeder="MF-001", members=50),
        row("DONE-1", now - timedelta(days=40), now - timedelta(days=40) + timedelta(minutes=30), members=20),
    ]
    done = upload(api, file(*rows))
    assert done.status_code == 201, done.text
    answer = done.json()
    assert answer["open_records"] == 2 and answer["future_etrs"] == 1
    warnings = answer["warnings"]
    assert any(w.startswith("2 records were imported open, with no restored_at: OPEN-1, OPEN-2.") for w in warnings)
    assert f"1 record has an ETR in the future: OPEN-1 ({format_time(etr, CHICAGO)})." in " ".join(warnings)
    record = session.scalar(select(Interruption).where(Interruption.record_ref == "OPEN-1"))
    assert record is not None and record.status == "open" and record.etr_at is not None
    assert abs((record.etr_at - etr).total_seconds()) < 1
    assert [c.set_by for c in session.scalars(select(EtrChange).where(EtrChange.interruption_id == record.id))] == [
        "dispatcher"
    ]


def test_etr_on_a_restored_record_is_refused(api, session):
    now = utcnow()
    before = session.scalar(select(Interruption.id).order_by(Interruption.id.desc()))
    bad = row("BAD-1", now - timedelta(days=2), now - timedelta(days=1), members=20, etr=now + timedelta(hours=1))
    refused = upload(api, file(bad))
    assert refused.status_code == 422
    body = refused.json()
    assert body["field"] == "etr" and "an ETR is given for a record that was restored" in body["detail"]
    assert body["detail"].endswith("Nothing was imported.")
    assert session.scalar(select(Interruption.id).order_by(Interruption.id.desc())) == before


@pytest.mark.parametrize(
    ("bad", "ending"), [(749, "The first 100 of 749 problems are listed"), (2, "All 2 problems are listed")]
)
def test_problem_lists_say_how_many_there_were(api, bad, ending):
    start = utcnow() - timedelta(days=10)
    rows = [
        row(f"X{n}", start, start + timedelta(hours=1), members=5).replace(",wind,", ",gremlins,") for n in range(bad)
    ]
    refused = upload(api, file(*rows))
    assert refused.status_code == 422
    body = refused.json()
    assert body["detail"].startswith("history.csv, row 2, column cause: unknown cause 'gremlins'.")
    assert body["detail"].endswith(f"{ending}; nothing was imported."), body["detail"]
    assert len(body["problems"]) == min(bad, 100)


# ------------------------------------------------------------------------------------------- command line


@pytest.fixture
def outages(monkeypatch, tmp_path):
    """Run ``outages ARGS`` in-process on a new SQLite database, as an operator would."""
    monkeypatch.setenv("OUTAGES_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)

    def run(*args: str):
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli, list(args), prog_name="outages")
        finally:
            get_settings.cache_clear()

    return run


def test_cli_import_answers_in_sentences(outages, tmp_path, facility_file):
    assert outages("db", "upgrade").exit_code == 0
    facilities = outages("facilities", "import", str(facility_file))
    assert facilities.exit_code == 0, facilities.output
    [said] = facilities.output.strip().splitlines()
    assert said.startswith("Imported 2 substations, 1 transmission line, 3 feeders, 2 devices, 5 service areas, ")
    assert "12,000 service points" in said and said.endswith(" from facilities.gpkg.")
    restored = utcnow() - timedelta(days=3)
    history = tmp_path / "paper-log.csv"
    history.write_bytes(
        file(
            row("P-1", restored - timedelta(hours=48), restored),
            row("P-2", utcnow() - timedelta(hours=2), feeder="MF-001", members=40),
        )
    )
    done = outages("interruptions", "import", str(history))
    assert done.exit_code == 0, done.output
    lines = done.output.strip().splitlines()
    assert lines[0] == "Imported 2 incidents, 2 interruption records and 1 restoration step from paper-log.csv."
    assert any(line.startswith("1 record was imported open, with no restored_at: P-2.") for line in lines), lines
    assert any(line.startswith("P-1 owes a summary report, due ") for line in lines), lines
    assert "{" not in done.output and "Traceback" not in done.output

    refused = outages("interruptions", "import", str(history))  # the same references again
    assert refused.exit_code == 1
    assert "row 2, column record_ref: record_ref 'P-1' is already used" in refused.output
    assert "{" not in refused.output and "Traceback" not in refused.output


@pytest.mark.parametrize(
    "command",
    [
        ["interruptions", "import", "missing.csv"],
        ["registry", "import", "missing.xlsx"],
        ["facilities", "import", "missing.gpkg"],
    ],
    ids=" ".join,
)
def test_cli_missing_file_is_one_sentence_and_exit_code_2(outages, command):
    done = outages(*command)
    assert done.exit_code == 2, (done.output, done.exception)
    assert done.output.strip().splitlines() == [
        f"{command[-1]}: no such file. Fix: check the name and the folder (relative paths start in "
        f"{done.output.split('start in ')[1].split(')')[0]})."
    ]
    assert "Traceback" not in done.output


def test_cli_unwritable_output_is_one_sentence(outages):
    assert outages("db", "upgrade").exit_code == 0
    done = outages("interruptions", "export", "no/such/folder/out.csv")
    assert done.exit_code == 2, done.output
    assert done.output.strip() == (
        "no/such/folder/out.csv: no such folder (no/such/folder). Fix: check the path, or make the folder first."
    )

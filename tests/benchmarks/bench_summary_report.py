"""The summary report of a storm incident with 2,000 interruption records and 10,000 restoration steps
(issue 4): Excel and PDF each generated in under 2 s.

    .venv/bin/python -m tests.benchmarks.bench_summary_report

The incident is synthetic and built in memory (the documents are what is timed); best of three runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from reports.summary_report import FacilityRow, StepRow, SummaryData, summary_html, summary_pdf, summary_workbook
from tests.benchmarks.common import timer

START = datetime(2021, 2, 15, 8, tzinfo=UTC)


def storm(records: int = 2_000, steps: int = 10_000, seed: int = 2021) -> SummaryData:
    rng = np.random.default_rng(seed)
    facilities, step_rows, out = [], [], 0
    per = np.full(records, steps // records)
    per[: steps - per.sum()] += 1
    events = []
    for i in range(records):
        start = START + timedelta(minutes=int(rng.integers(0, 600)))
        members = int(rng.integers(50, 2_000))
        cuts = np.sort(rng.choice(np.arange(1, members), size=per[i] - 1, replace=False)) if per[i] > 1 else []
        counts = np.diff(np.concatenate([[0], cuts, [members]])).astype(int)
        times = sorted(start + timedelta(minutes=int(m)) for m in rng.integers(30, 3_000, size=per[i]))
        feeder = f"F{i % 450:03d}"
        facilities.append(
            FacilityRow(
                substation=f"S{i % 110:03d}",
                feeder=feeder,
                transmission_line=None,
                device=None,
                started_at=start,
                restored_at=times[-1],
                members_affected=members,
                member_minutes=float(sum(c * (t - start).total_seconds() / 60 for c, t in zip(counts, times))),
                cause="Ice / snow",
            )
        )
        events.append((start, members))
        events += [(t, -int(c)) for t, c in zip(times, counts)]
        step_rows += [(t, feeder, int(c)) for t, c in zip(times, counts)]
    events.sort(key=lambda e: e[0])
    timeline, level = [], {}
    for at, delta in events:
        out += delta
        timeline.append((at, out))
        level[at] = out
    step_rows.sort()
    return SummaryData(
        cooperative="Hill Country Electric Cooperative (synthetic)",
        incident_id=1,
        incident_title="Winter storm",
        started_at=START,
        restored_at=max(f.restored_at for f in facilities),
        zone=ZoneInfo("America/Chicago"),
        causes=["Ice / snow"],
        location="Johnson City Division; counties: Blanco County",
        criteria=["peak …"],
        facilities=facilities,
        total_members_affected=sum(f.members_affected for f in facilities),
        peak_members_out=max(v for _, v in timeline),
        peak_at=max(timeline, key=lambda e: e[1])[0],
        steps=[StepRow(at=t, facility=f, members_restored=c, members_out_after=level[t]) for t, f, c in step_rows],
        total_member_minutes=sum(f.member_minutes for f in facilities),
        due_at=datetime(2021, 2, 24, 5, 59, tzinfo=UTC),
        timeline=timeline,
    )


def best(make, data, runs: int = 3) -> tuple[float, int]:
    times = []
    for _ in range(runs):
        with timer() as t:
            size = len(make(data))
        times.append(t.seconds)
    return min(times), size


def main() -> None:
    data = storm()
    print(f"== Summary report: {len(data.facilities):,} records, {len(data.steps):,} restoration steps")
    for name, make in (
        ("Excel (openpyxl)", summary_workbook),
        ("PDF (WeasyPrint + ReportLab)", summary_pdf),
        ("HTML", summary_html),
    ):
        seconds, size = best(make, data)
        target = "   (target < 2 s)" if name != "HTML" else ""
        print(f"  {name:28s} {seconds:6.2f} s  {size / 1e6:6.2f} MB{target}")


if __name__ == "__main__":
    main()

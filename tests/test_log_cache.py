"""The closed log kept in memory and the results kept until the log changes under them (issue 16, "indices fast at
any size"; outages.history, outages.journal): after a step, a close, a void, an edit of an old record and a bulk
import, the indices and the annual report's data equal a rebuild from the database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from outages import history, journal
from outages.models import Interruption
from outages.records_io import import_records, parse_records
from outages.reliability import annual_reliability, indices_for
from outages.schemas import CloseIn, InterruptionUpdate, RestorationCreate, VoidIn
from outages.service import add_restoration, close_interruption, update_interruption, void_interruption
from reports.headline import executive_headline, keep_warm
from tests.helpers import csv, log

CHI = ZoneInfo("America/Chicago")
TODAY = date(2026, 12, 1)
QUERIES = [
    {"start": date(2025, 1, 1), "end": date(2026, 1, 1)},
    {"start": date(2026, 1, 1), "end": date(2026, 12, 1)},
    {"start": date(2026, 1, 1), "end": date(2026, 12, 1), "group_by": "feeder"},
    {"start": date(2025, 1, 1), "end": date(2026, 1, 1), "group_by": "cause", "exclude_loss_of_supply": True},
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHI)


def closed(session, start: str, hours: float, **more) -> Interruption:
    record = log(session, start=at(start), **more)
    restored = record.start_at + timedelta(hours=hours)
    return close_interruption(
        session=session,
        interruption_id=record.id,
        data=CloseIn(version=record.version, restored_at=restored),
        actor="dispatcher",
    )


def act(session, action, record_id: int, data, **fields) -> Interruption:
    """A dispatcher's change to a record (``action`` of outages.service with its ``data`` schema)."""
    version = session.get(Interruption, record_id).version
    return action(session=session, interruption_id=record_id, data=data(version=version, **fields), actor="dispatcher")


def cached(sessions):
    """The closed log this process keeps for the test database."""
    return history._LOGS[str(sessions.kw["bind"].engine.url)]


def figures(sessions) -> list:
    """What the cached path answers: every query's table, MEDs and notes, and two annual reports' summaries."""
    with sessions() as session:
        out: list = []
        for q in QUERIES:
            r = indices_for(session=session, **q)
            out.append((r.table, r.major_event_days.days, r.notes))
        for year in (2025, 2026):
            a = annual_reliability(session=session, year=year, today=TODAY)
            out.append((a.summary, a.monthly, a.by_cause, a.worst_one_year, a.notes))
        return out


def rebuilt(sessions) -> list:
    history.forget()
    return figures(sessions)


def same(a: list, b: list) -> None:
    for x, y in zip(a, b, strict=True):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, pd.DataFrame):
                pd.testing.assert_frame_equal(u, v)
            else:
                assert u == v


@pytest.fixture
def logged(sessions):
    """Closed records in 2025 and 2026 on the tiny cooperative, and one record open now; committed."""
    history.forget()
    with sessions.begin() as s:
        old = closed(s, "2025-03-04T10:00", 5, out=1_000)
        closed(s, "2025-04-08T10:00", 4, out=6_000, cause="lightning")
        closed(s, "2025-06-10T08:00", 9.5, feeder="JC-015", out=500, cause="power_supply")
        closed(s, "2026-02-02T07:00", 3, feeder="MF-001", out=1_500)
        closed(s, "2026-05-05T12:00", 30, out=2_400)
        still_open = log(s, start=datetime.now(CHI) - timedelta(hours=3), out=2_400)
        ids = {"old": old.id, "open": still_open.id}
    yield ids
    history.forget()


def test_a_step_a_close_a_void_and_an_old_edit_keep_every_figure_exact(sessions, logged):
    before = figures(sessions)
    same(before, rebuilt(sessions))
    kept = cached(sessions)

    with sessions.begin() as s:  # a step on an open record: no closed record changes
        act(
            s,
            add_restoration,
            logged["open"],
            RestorationCreate,
            at=datetime.now(CHI) - timedelta(hours=1),
            members_restored=400,
        )
    version = kept.version
    after_step = figures(sessions)
    assert cached(sessions) is kept and kept.version == version
    same(after_step, before)

    with sessions.begin() as s:  # the close: one more closed record, reread alone
        act(s, close_interruption, logged["open"], CloseIn, restored_at=datetime.now(CHI) - timedelta(minutes=5))
    after_close = figures(sessions)
    assert cached(sessions) is kept and kept.version == version + 1
    same(after_close, rebuilt(sessions))
    kept = cached(sessions)

    with sessions.begin() as s:  # an edit of an old record: 2025 and every later T_MED history change
        act(s, update_interruption, logged["old"], InterruptionUpdate, members_out=900, start_at=at("2025-01-15T10:00"))
    after_edit = figures(sessions)
    assert cached(sessions).records["start"].is_monotonic_increasing
    assert (
        after_edit[0][0].loc[("all", "system"), "member_interruptions"]
        != before[0][0].loc[("all", "system"), "member_interruptions"]
    )
    same(after_edit, rebuilt(sessions))

    with sessions.begin() as s:  # a void
        act(s, void_interruption, logged["old"], VoidIn, reason="logged twice")
    after_void = figures(sessions)
    same(after_void, rebuilt(sessions))
    assert after_void[0][0].loc[("all", "system"), "sustained_records"] == 2


def test_a_note_is_reread_alone_and_a_bulk_import_rereads_the_log(sessions, logged, tmp_path):
    before = figures(sessions)
    kept = cached(sessions)
    with sessions.begin() as s:
        act(s, update_interruption, logged["old"], InterruptionUpdate, notes="crew found a squirrel")
    version = kept.version
    same(figures(sessions), before)  # the same figures
    assert cached(sessions) is kept and kept.version == version + 1  # a closed record's change: reread alone

    paper = csv("P1,PAPER-2025,JC-015,,,wind,false,,2025-08-01T09:00:00-05:00,2025-08-01T15:00:00-05:00,500,,,")
    with sessions.begin() as s:
        before = journal.revision(s)
        import_records(session=s, frame=parse_records(paper, "paper.csv"), actor="import")
    with sessions() as s:
        changes = journal.changes_since(s, after=before, upto=journal.revision(s)[0])
    assert journal.EVERYTHING in changes  # a bulk insert does not say which records: all are reread
    after = figures(sessions)
    assert cached(sessions) is not kept
    same(after, rebuilt(sessions))
    assert after[0][0].loc[("all", "system"), "sustained_records"] == 4


def test_a_session_with_uncommitted_writes_reads_its_own_changes(sessions, logged):
    figures(sessions)
    with sessions() as s:
        act(s, void_interruption, logged["old"], VoidIn, reason="logged twice")
        s.flush()
        assert journal.writing(s) and history.closed_log(s) is None
        mine = indices_for(session=s, **QUERIES[0])
        assert mine.table.loc[("all", "system"), "sustained_records"] == 2
        s.rollback()
    assert figures(sessions)[0][0].loc[("all", "system"), "sustained_records"] == 3


def test_a_cache_further_behind_than_the_journal_keeps_reads_everything_again(sessions, logged):
    figures(sessions)
    kept = cached(sessions)
    with sessions.begin() as s:
        act(s, close_interruption, logged["open"], CloseIn, restored_at=datetime.now(CHI) - timedelta(minutes=5))
    with sessions.begin() as s:
        assert journal.prune(s, keep=0) > 0 and journal.prune(s, keep=0) == 0
    after = figures(sessions)
    assert cached(sessions) is not kept  # the changes it missed are forgotten: read again whole
    same(after, rebuilt(sessions))


def test_the_executive_figures_are_computed_ahead(sessions, logged):
    """The reliability worker (reports.headline.keep_warm, after each commit) leaves the dashboard's year-to-date
    indices, this year's worst feeders and last year's report data ready; the dashboard then computes nothing."""
    keep_warm(sessions)
    kept = history._MEMOS[str(sessions.kw["bind"].engine.url)]
    kinds = [key[0] for key in kept]
    assert kinds.count("annual") == 1 and kinds.count("indices") >= 6  # five years to date, worst feeders, report
    with sessions() as s:
        executive_headline(session=s)
    assert len(kept) == len(kinds)  # the headline found every figure ready

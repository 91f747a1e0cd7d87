"""The interruption log's journal: which records each write changed, so that caches reread just those.

Every transaction that writes an interruption record, one of its restoration steps or one of its points (ORM
objects flushed, or Core ``insert``/``update``/``delete`` statements run through a :class:`~sqlalchemy.orm.Session`)
raises the log's revision (:class:`outages.models.LogRevision`, one row) and writes a
:class:`outages.models.LogChange` per record changed (``interruption_id`` NULL when a statement does not say
which, e.g. a bulk import: every record may have changed).  Nothing needs to call this module: the session
events below see every write.  A write made outside SQLAlchemy sessions (``sqlite3`` by hand) is not seen.

Ordering: raising the revision takes the row's lock until the transaction ends, so the transactions that write
the log commit in revision order, and a reader that sees revision N (committed) sees every change up to N
(:func:`changes_since`).  ORM writes raise it at their flush, Core statements just before the commit, so that a
long bulk import holds the lock only at its very end (PostgreSQL lets the dispatchers' writes go on meanwhile).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import cast

from sqlalchemy import CursorResult, Table, delete, event, func, insert, select, update
from sqlalchemy.orm import Session, UOWTransaction

from gis.db import utcnow
from outages.models import Interruption, InterruptionPoint, LogChange, LogRevision, RestorationStep, StepPoint

__all__ = ["EVERYTHING", "revision", "changes_since", "writing", "prune"]

EVERYTHING = None  #: the change of a statement that does not say which records it wrote
_PENDING = "outages.journal.pending"  # session.info: record ids written by Core statements, journaled at commit
_WROTE = "outages.journal.wrote"  # session.info: this transaction has written the log (not committed yet)
KEEP = 100_000  #: revisions whose changes are kept (:func:`prune`)
_TABLES = {m.__tablename__: m for m in (Interruption, RestorationStep, InterruptionPoint, StepPoint)}


def revision(session: Session) -> tuple[int, str | None]:
    """The log's committed revision as this session sees it: its number and token."""
    found = session.execute(select(LogRevision.revision, LogRevision.token).where(LogRevision.id == 1)).first()
    return (int(found[0]), found[1]) if found else (0, None)


def changes_since(session: Session, *, after: tuple[int, str | None], upto: int) -> set[int | None] | None:
    """The records changed by the revisions after ``after`` (number, token) up to ``upto`` (``EVERYTHING`` among
    them: any record); None when ``after`` is not in this log's history (a revision rolled back, a database
    restored from a backup or made anew): read everything again."""
    number, token = after
    if not number or session.scalar(select(LogChange.token).where(LogChange.revision == number).limit(1)) != token:
        return None
    rows = session.scalars(
        select(LogChange.interruption_id).where(LogChange.revision > number, LogChange.revision <= upto).distinct()
    )
    return set(rows)


def writing(session: Session) -> bool:
    """Whether this session's transaction has written to the log and not committed yet."""
    return bool(session.info.get(_WROTE) or session.info.get(_PENDING))


def prune(session: Session, *, keep: int = KEEP) -> int:
    """Forget the changes of all but the last ``keep`` revisions (a cache further behind reads everything
    again); returns how many rows went (two index look-ups when there is nothing to forget)."""
    first, last = session.execute(select(func.min(LogChange.revision), func.max(LogChange.revision))).one()
    if first is None or first > last - keep:
        return 0
    return cast(CursorResult, session.execute(delete(LogChange).where(LogChange.revision <= last - keep))).rowcount


def _write(session: Session, ids: Iterable[int | None]) -> None:
    ids = set(ids)
    if not ids:
        return
    connection = session.connection()
    token = uuid.uuid4().hex
    raised = connection.execute(
        update(LogRevision)
        .where(LogRevision.id == 1)
        .values(revision=LogRevision.revision + 1, token=token)
        .returning(LogRevision.revision)
    ).scalar()
    if raised is None:  # a database made without the migrations' first row
        raised = 1
        connection.execute(insert(LogRevision).values(id=1, revision=raised, token=token))
    session.info[_WROTE] = True
    now = utcnow()
    connection.execute(
        insert(LogChange),
        [{"revision": raised, "token": token, "interruption_id": i, "at": now} for i in sorted(ids, key=str)],
    )


def _records_of_steps(session: Session, step_ids: set[int]) -> set[int]:
    if not step_ids:
        return set()
    found = session.connection().scalars(
        select(RestorationStep.interruption_id).where(RestorationStep.id.in_(sorted(step_ids)))
    )
    return set(found)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    ids: set[int | None] = set()
    step_ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Interruption):
            ids.add(obj.id)
        elif isinstance(obj, (RestorationStep, InterruptionPoint)):
            ids.add(obj.interruption_id)
        elif isinstance(obj, StepPoint):
            step_ids.add(obj.step_id)
    _write(session, ids | _records_of_steps(session, step_ids))


@event.listens_for(Session, "do_orm_execute")
def _core_statement(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = table.name if isinstance(table, Table) else None
    if name not in _TABLES:
        return
    pending = state.session.info.setdefault(_PENDING, set())
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if isinstance(params, dict) else []
    if name == "restoration_step_points" and rows and all("step_id" in r for r in rows):
        pending.update(_records_of_steps(state.session, {r["step_id"] for r in rows}))
    elif name != "interruptions" and rows and all("interruption_id" in r for r in rows):
        pending.update(r["interruption_id"] for r in rows)
    else:
        pending.add(EVERYTHING)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _write(session, session.info.pop(_PENDING, ()))


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_over(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_WROTE, None)

"""Statements that differ between SQLite and PostgreSQL but mean the same."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_once(session: Session, model, values: dict, *, conflict: list[str]):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None when another worker (or an
    earlier run) already made it.  The database, not memory, decides who wins."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict)
    return session.execute(stmt.returning(model.id)).scalar()

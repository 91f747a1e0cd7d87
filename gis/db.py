"""Database kernel: declarative base, engines for SpatiaLite and PostGIS, sessions.

The embedded default is SQLite + SpatiaLite; production is PostgreSQL + PostGIS.
Both run the same models and migrations.  Service functions take a ``Session``
and flush; the caller (a CLI command or an API request) owns the transaction.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

# pyogrio's bundled GDAL (with its own SQLite) and shapely's GEOS must be loaded before the first
# SpatiaLite connection loads the system's: the other order crashes the interpreter ("double free").
import pyogrio  # noqa: F401
import shapely  # noqa: F401
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from gis.errors import DatabaseBusy, ReadOnlyViolation

os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """A timezone-aware timestamp stored in UTC on both databases (domain D2).

    SQLite has no zone-aware type, so values are normalised to UTC on the way in
    and marked UTC on the way out; naive datetimes are refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _on_sqlite_connect(dbapi_conn, _record):
    from geoalchemy2.admin.dialects.sqlite import load_spatialite

    dbapi_conn.execute("PRAGMA journal_mode=WAL")
    dbapi_conn.execute("PRAGMA synchronous=NORMAL")
    dbapi_conn.execute("PRAGMA busy_timeout=30000")
    load_spatialite(dbapi_conn, init_mode="WGS84", transaction=True)
    dbapi_conn.execute("PRAGMA foreign_keys=ON")


def _serialise_writers(engine: Engine, wait: float) -> None:
    """SQLite allows one writer at a time.  Queue this process's writing transactions on a lock instead
    of SQLite's busy-wait (which sleeps up to 100 ms between tries and ruins tail latency), and take
    the write lock up front (``BEGIN IMMEDIATE``) so a transaction never fails half-way on upgrade.
    Read-only transactions (:func:`make_sessionmaker` with ``read_only``) take neither: in WAL mode they
    read a snapshot while a writer works, so a long report never holds up a dispatcher.  Other processes
    still wait on ``busy_timeout``."""
    lock = threading.Lock()

    @event.listens_for(engine, "connect")
    def _manual_transactions(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # pysqlite must not BEGIN behind our back

    @event.listens_for(engine, "begin")
    def _begin(conn):
        if conn.get_execution_options().get("read_only"):
            conn.exec_driver_sql("BEGIN")  # deferred: a snapshot, no lock
            return
        if not lock.acquire(timeout=wait):
            raise DatabaseBusy(
                f"The database stayed busy for {wait:g} s. Fix: try again in a minute; if it keeps "
                "happening, look for a stuck process holding the database."
            )
        conn.info["writer"] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            conn.info.pop("writer", None)
            lock.release()
            raise

    def _end(conn, finish: str) -> None:
        # these events fire before SQLAlchemy's own COMMIT or ROLLBACK: finish here, inside the lock, so the next
        # writer's BEGIN IMMEDIATE never meets SQLite's busy wait while this one commits (and checkpoints the
        # WAL); SQLAlchemy's call then finds no transaction open and does nothing
        if conn.info.pop("writer", False):
            try:
                getattr(conn.connection.dbapi_connection, finish)()
            finally:
                lock.release()

    event.listen(engine, "commit", lambda conn: _end(conn, "commit"))
    event.listen(engine, "rollback", lambda conn: _end(conn, "rollback"))


def make_engine(url: str, *, write_wait: float = 60.0, **kwargs) -> Engine:
    """Create an engine for a ``sqlite:///`` (SpatiaLite) or ``postgresql+psycopg://`` URL; on SQLite a writing
    transaction waits at most ``write_wait`` seconds for this process's other writers (then DatabaseBusy)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _on_sqlite_connect)
        _serialise_writers(engine, write_wait)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_sessionmaker(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``read_only`` ones never take SQLite's write lock and refuse to write."""
    if not read_only:
        return sessionmaker(engine, expire_on_commit=False)
    return refuse_writes(sessionmaker(engine.execution_options(read_only=True), expire_on_commit=False))


def refuse_writes(maker: sessionmaker[Session]) -> sessionmaker[Session]:
    """Make ``maker``'s sessions fail loudly on any write (a programming error: reads must not write)."""

    @event.listens_for(maker, "before_flush")
    def _refuse(session, _context, _instances):
        if session.new or session.dirty or session.deleted:
            raise ReadOnlyViolation(
                "A read-only session was asked to write. Fix: give the route a WriteSession (dashboards.deps)."
            )

    return maker


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def is_sqlite(session_or_engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "sqlite"

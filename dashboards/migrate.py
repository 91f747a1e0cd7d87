"""Run and check migrations programmatically (used by the CLI and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy.engine import Engine

import dashboards.models  # noqa: F401  (registers every table on Base.metadata)
from gis.db import Base, UTCDateTime

MIGRATIONS = Path(__file__).with_name("migrations")
SPATIALITE_TABLES = {
    "spatialindex",
    "elementarygeometries",
    "knn",
    "knn2",
    "sql_statements_log",
    "data_licenses",
    "spatial_ref_sys_aux",
    "sqlite_sequence",
    "alembic_version",
}


def include_object(obj, name, type_, reflected, compare_to):
    """Compare only our own tables: skip those of SpatiaLite and PostGIS themselves."""
    if type_ == "table" and (name or "").lower() in SPATIALITE_TABLES:
        return False
    if type_ == "table" and reflected and compare_to is None and name not in Base.metadata.tables:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def render_item(type_, obj, autogen_context):
    """Render our zone-aware timestamp as a plain SQLAlchemy type in migration files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return alembic_helpers.render_item(type_, obj, autogen_context)


def alembic_config(url: str, connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (default: the latest)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(engine.url.render_as_string(hide_password=False), connection), revision)


def seed_reference_data(session) -> None:
    """The default cause codes and registry categories (both lists stay configurable)."""
    from outages.service import ensure_causes
    from registry.service import ensure_categories

    ensure_causes(session=session)
    ensure_categories(session=session)


def differences(engine: Engine) -> list:
    """What the models and the migrated database disagree on (empty when they agree)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object, "compare_type": True})
        return compare_metadata(context, Base.metadata)


def revisions(engine: Engine) -> tuple[str | None, str | None]:
    """The database's schema revision (None before the first upgrade) and the latest this version knows."""
    from alembic.script import ScriptDirectory

    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()

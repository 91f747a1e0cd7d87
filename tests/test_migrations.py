"""The Alembic migrations build exactly the schema the models describe, on this database."""

from sqlalchemy import inspect

from dashboards.migrate import differences


def test_models_and_migrations_agree(engine):
    assert differences(engine) == []


def test_spatial_columns_are_indexed(engine):
    inspector = inspect(engine)
    if engine.dialect.name == "sqlite":
        tables = set(inspector.get_table_names())
        assert {"idx_feeders_geom", "idx_service_points_geom"} <= tables
    else:
        names = {ix["name"] for ix in inspector.get_indexes("service_points")}
        assert "idx_service_points_geom" in names

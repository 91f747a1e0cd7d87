"""landbase and updates without an account (issue 15): the base map's roads, places and water imported with
the facility layer, alert recipients who follow one service point without a member account, a member's report
of partial power, and the alarms executives get when the public map is stale or down

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table(
        "landbase_features",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="GEOMETRY",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('road','place','water')", name=op.f("ck_landbase_features_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landbase_features")),
    )
    with op.batch_alter_table("landbase_features", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_landbase_features_kind"), ["kind"], unique=False)

    with op.batch_alter_table("alert_recipients", schema=None) as batch_op:
        batch_op.alter_column("account_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("service_point_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_alert_recipients_service_point_id"), ["service_point_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_alert_recipients_service_point_id_service_points"),
            "service_points",
            ["service_point_id"],
            ["id"],
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_alert_recipients_point_address"), ["service_point_id", "channel", "address"]
        )
        batch_op.create_check_constraint(
            op.f("ck_alert_recipients_account_or_point"), "(account_id IS NULL) <> (service_point_id IS NULL)"
        )

    with op.batch_alter_table("outage_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partial_power", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "service_alarms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('public_map')", name=op.f("ck_service_alarms_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_alarms")),
    )
    with op.batch_alter_table("service_alarms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_alarms_kind"), ["kind"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("service_alarms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_alarms_kind"))
    op.drop_table("service_alarms")
    with op.batch_alter_table("outage_reports", schema=None) as batch_op:
        batch_op.drop_column("partial_power")
    op.execute("DELETE FROM alert_recipients WHERE account_id IS NULL")
    with op.batch_alter_table("alert_recipients", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_alert_recipients_account_or_point"), type_="check")
        batch_op.drop_constraint(op.f("uq_alert_recipients_point_address"), type_="unique")
        batch_op.drop_constraint(op.f("fk_alert_recipients_service_point_id_service_points"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_alert_recipients_service_point_id"))
        batch_op.drop_column("service_point_id")
        batch_op.alter_column("account_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("landbase_features", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_landbase_features_kind"))
    op.drop_geospatial_table("landbase_features")

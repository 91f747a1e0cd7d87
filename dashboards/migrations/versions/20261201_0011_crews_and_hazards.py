"""crews and hazards: the crew roster, crews assigned to interruption records (issue 14), and the danger a
member's outage report may name (wire down, tree on line), with who marked it made safe, and the members'
optional alert when a crew is on site (member_service_points.alert_crew, off unless chosen)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


KINDS_BEFORE = "kind IN ('outage','etr','restored','planned','cancelled')"
KINDS_AFTER = "kind IN ('outage','etr','restored','planned','cancelled','crew')"  # a crew arrived on site


def _alert_kinds(allowed: str) -> None:
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_alert_events_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_alert_events_kind"), allowed)


def upgrade() -> None:
    _alert_kinds(KINDS_AFTER)
    op.create_table(
        "crews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("division_id", sa.Integer(), nullable=True),
        sa.Column("on_shift", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('line','tree','service','contractor')", name=op.f("ck_crews_kind")),
        sa.ForeignKeyConstraint(["division_id"], ["service_areas.id"], name=op.f("fk_crews_division_id_service_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crews")),
        sa.UniqueConstraint("name", name=op.f("uq_crews_name")),
    )
    op.create_table(
        "crew_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crew_id", sa.Integer(), nullable=False),
        sa.Column("interruption_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_by", sa.String(length=80), nullable=False),
        sa.Column("en_route_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("en_route_by", sa.String(length=80), nullable=True),
        sa.Column("on_site_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("on_site_by", sa.String(length=80), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=80), nullable=True),
        sa.Column("damage", sa.Text(), nullable=True),
        sa.Column("cause_code", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('dispatched','en_route','on_site','done')", name=op.f("ck_crew_assignments_status")
        ),
        sa.ForeignKeyConstraint(["cause_code"], ["causes.code"], name=op.f("fk_crew_assignments_cause_code_causes")),
        sa.ForeignKeyConstraint(["crew_id"], ["crews.id"], name=op.f("fk_crew_assignments_crew_id_crews")),
        sa.ForeignKeyConstraint(
            ["interruption_id"],
            ["interruptions.id"],
            name=op.f("fk_crew_assignments_interruption_id_interruptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crew_assignments")),
    )
    with op.batch_alter_table("crew_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crew_assignments_crew_id"), ["crew_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_crew_assignments_interruption_id"), ["interruption_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_crew_assignments_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_crew_assignments_open",
            ["crew_id", "interruption_id"],
            unique=True,
            sqlite_where=sa.text("status <> 'done'"),
            postgresql_where=sa.text("status <> 'done'"),
        )

    with op.batch_alter_table("outage_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hazard", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("hazard_cleared_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hazard_cleared_by", sa.String(length=80), nullable=True))
        batch_op.create_check_constraint(op.f("ck_outage_reports_hazard"), "hazard IN ('wire_down','tree_on_line')")

    with op.batch_alter_table("member_service_points", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alert_crew", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("member_service_points", schema=None) as batch_op:
        batch_op.drop_column("alert_crew")
    op.execute("DELETE FROM alert_events WHERE kind = 'crew'")
    _alert_kinds(KINDS_BEFORE)
    with op.batch_alter_table("outage_reports", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outage_reports_hazard"), type_="check")
        batch_op.drop_column("hazard_cleared_by")
        batch_op.drop_column("hazard_cleared_at")
        batch_op.drop_column("hazard")

    with op.batch_alter_table("crew_assignments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_crew_assignments_open",
            sqlite_where=sa.text("status <> 'done'"),
            postgresql_where=sa.text("status <> 'done'"),
        )
        batch_op.drop_index(batch_op.f("ix_crew_assignments_status"))
        batch_op.drop_index(batch_op.f("ix_crew_assignments_interruption_id"))
        batch_op.drop_index(batch_op.f("ix_crew_assignments_crew_id"))

    op.drop_table("crew_assignments")
    op.drop_table("crews")

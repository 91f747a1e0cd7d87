"""power state: which service points each record leaves dark and each step brings back (domain D15)

Records already in the log keep their meaning: a count covering its whole facility (feeder, device or the
substations a transmission line feeds) becomes extent 'facility' (everyone below it); a smaller count becomes
extent 'part' with no located service point (an unlocated count), except that members whose own outage
reports were confirmed into the record become its located points.  Existing steps stay counts.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SERVED = {
    "feeder": "SELECT count(*) FROM service_points sp WHERE sp.feeder_id = i.feeder_id",
    "line": (
        "SELECT count(*) FROM service_points sp JOIN feeders f ON f.id = sp.feeder_id "
        "JOIN transmission_line_substations t ON t.substation_id = f.substation_id "
        "WHERE t.transmission_line_id = i.transmission_line_id"
    ),
}


def upgrade() -> None:
    with op.batch_alter_table("interruptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extent", sa.String(length=10), server_default="facility", nullable=False))
        batch_op.create_check_constraint(op.f("ck_interruptions_extent"), "extent IN ('facility','part')")
    with op.batch_alter_table("restoration_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_restoration_steps_device_id_devices"), "devices", ["device_id"], ["id"]
        )
    op.create_table(
        "interruption_points",
        sa.Column("interruption_id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interruption_id"],
            ["interruptions.id"],
            name=op.f("fk_interruption_points_interruption_id_interruptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_interruption_points_service_point_id_service_points"),
        ),
        sa.PrimaryKeyConstraint("interruption_id", "service_point_id", name=op.f("pk_interruption_points")),
    )
    with op.batch_alter_table("interruption_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interruption_points_service_point_id"), ["service_point_id"], unique=False)
    op.create_table(
        "restoration_step_points",
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["restoration_steps.id"],
            name=op.f("fk_restoration_step_points_step_id_restoration_steps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_restoration_step_points_service_point_id_service_points"),
        ),
        sa.PrimaryKeyConstraint("step_id", "service_point_id", name=op.f("pk_restoration_step_points")),
    )
    op.create_table(
        "alert_event_points",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["alert_events.id"],
            name=op.f("fk_alert_event_points_event_id_alert_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "service_point_id", name=op.f("pk_alert_event_points")),
    )
    # history: a count smaller than its facility serves is a part of it, located only by confirmed reports
    # (a device record's members are those below the device: counted in Python, the tree is recursive)
    op.execute(
        "UPDATE interruptions SET extent = 'part' WHERE transmission_line_id IS NULL AND device_id IS NULL "
        f"AND members_out < ({SERVED['feeder'].replace('i.', 'interruptions.')})"
    )
    op.execute(
        "UPDATE interruptions SET extent = 'part' WHERE transmission_line_id IS NOT NULL "
        f"AND members_out < ({SERVED['line'].replace('i.', 'interruptions.')})"
    )
    conn = op.get_bind()
    devices = conn.execute(sa.text("SELECT id, upstream_device_id FROM devices")).all()
    if devices:
        children: dict[int, list[int]] = {}
        for d, u in devices:
            if u is not None:
                children.setdefault(u, []).append(d)
        own = dict(
            conn.execute(
                sa.text("SELECT device_id, count(*) FROM service_points WHERE device_id IS NOT NULL GROUP BY device_id")
            ).all()
        )

        def served(d: int) -> int:
            total, stack = 0, [d]
            while stack:
                node = stack.pop()
                total += own.get(node, 0)
                stack.extend(children.get(node, ()))
            return total

        for rid, device_id, members_out in conn.execute(
            sa.text("SELECT id, device_id, members_out FROM interruptions WHERE device_id IS NOT NULL")
        ).all():
            if members_out < served(device_id):
                conn.execute(sa.text("UPDATE interruptions SET extent = 'part' WHERE id = :i"), {"i": rid})
    op.execute(
        "INSERT INTO interruption_points (interruption_id, service_point_id) "
        "SELECT DISTINCT r.interruption_id, r.service_point_id FROM outage_reports r "
        "JOIN interruptions i ON i.id = r.interruption_id WHERE i.extent = 'part'"
    )


def downgrade() -> None:
    op.drop_table("alert_event_points")
    op.drop_table("restoration_step_points")
    with op.batch_alter_table("interruption_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interruption_points_service_point_id"))
    op.drop_table("interruption_points")
    with op.batch_alter_table("restoration_steps", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_restoration_steps_device_id_devices"), type_="foreignkey")
        batch_op.drop_column("device_id")
    with op.batch_alter_table("interruptions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_interruptions_extent"), type_="check")
        batch_op.drop_column("extent")

"""alert corrections: a voided record's members hear it was a mistake

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BEFORE = "kind IN ('outage','etr','restored','planned')"
AFTER = "kind IN ('outage','etr','restored','planned','cancelled')"


def _kinds(allowed: str) -> None:
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_alert_events_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_alert_events_kind"), allowed)


def upgrade() -> None:
    _kinds(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM alert_events WHERE kind = 'cancelled'")
    _kinds(BEFORE)

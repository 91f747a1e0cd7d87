"""the interruption log's journal and what the rule owed (issue 16): a revision raised by every transaction that
writes a record, with the records it changed (the caches of outages.history reread just those), and on each
incident whether an initial notice and a summary report were required and when that report was due (imported
history included)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    revision_table = op.create_table(
        "log_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("token", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_revision")),
    )
    op.bulk_insert(revision_table, [{"id": 1, "revision": 0, "token": uuid.uuid4().hex}])
    op.create_table(
        "log_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("interruption_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_changes")),
    )
    with op.batch_alter_table("log_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_log_changes_revision"), ["revision"], unique=False)
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_required", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("report_required", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("report_due_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("report_due_at")
        batch_op.drop_column("report_required")
        batch_op.drop_column("notice_required")
    with op.batch_alter_table("log_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_log_changes_revision"))
    op.drop_table("log_changes")
    op.drop_table("log_revision")

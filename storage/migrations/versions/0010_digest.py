"""digest: the leadership digest's schedule, and escalations of unclaimed intakes recorded as events

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("local_time", sa.String(length=5), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digest_schedule"),
    )
    op.create_table(
        "newproject_escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_newproject_escalations"),
        sa.UniqueConstraint("key", name="uq_newproject_escalations_key"),
    )
    op.create_index("ix_newproject_escalations_intake_id", "newproject_escalations", ["intake_id"], unique=False)
    op.create_index("ix_newproject_escalations_sent_at", "newproject_escalations", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_newproject_escalations_sent_at", table_name="newproject_escalations")
    op.drop_index("ix_newproject_escalations_intake_id", table_name="newproject_escalations")
    op.drop_table("newproject_escalations")
    op.drop_table("digest_schedule")

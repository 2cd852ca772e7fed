"""/newproject: intakes and their history.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "newproject_intakes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("business_case", sa.Text(), nullable=False),
        sa.Column("outcomes", sa.Text(), nullable=False),
        sa.Column("launch_date", sa.Date(), nullable=False),
        sa.Column("audiences", sa.Text(), nullable=False),
        sa.Column("data_needed", sa.Text(), nullable=False),
        sa.Column("personal_data", sa.String(length=16), nullable=False),
        sa.Column("integrations", sa.Text(), nullable=False),
        sa.Column("new_vendors", sa.Text(), nullable=False),
        sa.Column("budget", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("stakeholders", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=32), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lead_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("it_contact", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("refreshed_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_newproject_intakes"),
    )
    with op.batch_alter_table("newproject_intakes", schema=None) as batch_op:
        batch_op.create_index("ix_newproject_intakes_requested_by", ["requested_by"], unique=False)
        batch_op.create_index("ix_newproject_intakes_status", ["status"], unique=False)

    op.create_table(
        "newproject_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["newproject_intakes.id"], name="fk_newproject_events_intake_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_newproject_events"),
    )
    with op.batch_alter_table("newproject_events", schema=None) as batch_op:
        batch_op.create_index("ix_newproject_events_intake_id", ["intake_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("newproject_events", schema=None) as batch_op:
        batch_op.drop_index("ix_newproject_events_intake_id")
    op.drop_table("newproject_events")
    with op.batch_alter_table("newproject_intakes", schema=None) as batch_op:
        batch_op.drop_index("ix_newproject_intakes_status")
        batch_op.drop_index("ix_newproject_intakes_requested_by")
    op.drop_table("newproject_intakes")

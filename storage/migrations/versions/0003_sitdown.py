"""/sitdown: series, meetings, agenda items, action items, mutes, holidays

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sitdown_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("cadence", sa.String(length=16), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("nth", sa.Integer(), nullable=True),
        sa.Column("local_time", sa.String(length=5), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("lead_minutes", sa.JSON(), nullable=False),
        sa.Column("video_link", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sitdown_series"),
    )
    with op.batch_alter_table("sitdown_series", schema=None) as batch_op:
        batch_op.create_index("ix_sitdown_series_channel_id", ["channel_id"], unique=False)
        batch_op.create_index("ix_sitdown_series_status", ["status"], unique=False)

    op.create_table(
        "sitdown_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("original_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("changed_by", sa.String(length=32), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("notes_by", sa.String(length=32), nullable=True),
        sa.Column("notes_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["series_id"], ["sitdown_series.id"], name="fk_sitdown_meetings_series_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sitdown_meetings"),
        sa.UniqueConstraint("series_id", "original_start", name="uq_sitdown_meetings_occurrence"),
    )

    op.create_table(
        "sitdown_agenda_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["sitdown_meetings.id"], name="fk_sitdown_agenda_items_meeting_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sitdown_agenda_items"),
    )
    with op.batch_alter_table("sitdown_agenda_items", schema=None) as batch_op:
        batch_op.create_index("ix_sitdown_agenda_items_meeting_id", ["meeting_id"], unique=False)

    op.create_table(
        "sitdown_action_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reminder_planned", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_by", sa.String(length=32), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["series_id"], ["sitdown_series.id"], name="fk_sitdown_action_items_series_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["sitdown_meetings.id"], name="fk_sitdown_action_items_meeting_id", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sitdown_action_items"),
    )
    with op.batch_alter_table("sitdown_action_items", schema=None) as batch_op:
        batch_op.create_index("ix_sitdown_action_items_series_id", ["series_id"], unique=False)
        batch_op.create_index("ix_sitdown_action_items_owner", ["owner"], unique=False)
        batch_op.create_index("ix_sitdown_action_items_status", ["status"], unique=False)

    op.create_table(
        "sitdown_mutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("muted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"], ["sitdown_series.id"], name="fk_sitdown_mutes_series_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sitdown_mutes"),
        sa.UniqueConstraint("series_id", "user_id", name="uq_sitdown_mutes_series_user"),
    )

    op.create_table(
        "sitdown_holidays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sitdown_holidays"),
        sa.UniqueConstraint("day", name="uq_sitdown_holidays_day"),
    )


def downgrade() -> None:
    op.drop_table("sitdown_holidays")
    op.drop_table("sitdown_mutes")
    with op.batch_alter_table("sitdown_action_items", schema=None) as batch_op:
        batch_op.drop_index("ix_sitdown_action_items_status")
        batch_op.drop_index("ix_sitdown_action_items_owner")
        batch_op.drop_index("ix_sitdown_action_items_series_id")
    op.drop_table("sitdown_action_items")
    with op.batch_alter_table("sitdown_agenda_items", schema=None) as batch_op:
        batch_op.drop_index("ix_sitdown_agenda_items_meeting_id")
    op.drop_table("sitdown_agenda_items")
    op.drop_table("sitdown_meetings")
    with op.batch_alter_table("sitdown_series", schema=None) as batch_op:
        batch_op.drop_index("ix_sitdown_series_status")
        batch_op.drop_index("ix_sitdown_series_channel_id")
    op.drop_table("sitdown_series")

"""jargon watch: the channels where it is on, and which term was explained in which channel when

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jargon_watched_channels",
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("watching", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", name="pk_jargon_watched_channels"),
    )
    op.create_table(
        "jargon_watch_explained",
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("term_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("explained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "term_id", name="pk_jargon_watch_explained"),
    )


def downgrade() -> None:
    op.drop_table("jargon_watch_explained")
    op.drop_table("jargon_watched_channels")

"""/lunchlearn: sessions with capacity enforced by the database, signups and waitlist, ratings, ideas, votes.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lunchlearn_ideas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=150), nullable=False),
        sa.Column("key", sa.String(length=150), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_lunchlearn_ideas"),
        sa.UniqueConstraint("key", name="uq_lunchlearn_ideas_key"),
    )
    op.create_table(
        "lunchlearn_idea_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["lunchlearn_ideas.id"], name="fk_lunchlearn_idea_votes_idea", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lunchlearn_idea_votes"),
        sa.UniqueConstraint("idea_id", "user_id", name="uq_lunchlearn_idea_votes_idea_user"),
    )
    op.create_index("ix_lunchlearn_idea_votes_idea_id", "lunchlearn_idea_votes", ["idea_id"])
    op.create_table(
        "lunchlearn_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=150), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("presenters", sa.JSON(), nullable=False),
        sa.Column("direction", sa.String(length=32), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_by", sa.String(length=32), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("capacity >= 1", name="ck_lunchlearn_sessions_capacity"),
        sa.CheckConstraint("taken >= 0 AND taken <= capacity", name="ck_lunchlearn_sessions_taken"),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["lunchlearn_ideas.id"], name="fk_lunchlearn_sessions_idea", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lunchlearn_sessions"),
    )
    op.create_index("ix_lunchlearn_sessions_status_starts_at", "lunchlearn_sessions", ["status", "starts_at"])
    op.create_table(
        "lunchlearn_signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("signed_up_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"], ["lunchlearn_sessions.id"], name="fk_lunchlearn_signups_session", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lunchlearn_signups"),
        sa.UniqueConstraint("session_id", "user_id", name="uq_lunchlearn_signups_session_user"),
    )
    op.create_index("ix_lunchlearn_signups_session_status", "lunchlearn_signups", ["session_id", "status", "id"])
    op.create_table(
        "lunchlearn_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_lunchlearn_ratings_score"),
        sa.ForeignKeyConstraint(
            ["session_id"], ["lunchlearn_sessions.id"], name="fk_lunchlearn_ratings_session", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lunchlearn_ratings"),
        sa.UniqueConstraint("session_id", "user_id", name="uq_lunchlearn_ratings_session_user"),
    )


def downgrade() -> None:
    op.drop_table("lunchlearn_ratings")
    op.drop_index("ix_lunchlearn_signups_session_status", table_name="lunchlearn_signups")
    op.drop_table("lunchlearn_signups")
    op.drop_index("ix_lunchlearn_sessions_status_starts_at", table_name="lunchlearn_sessions")
    op.drop_table("lunchlearn_sessions")
    op.drop_index("ix_lunchlearn_idea_votes_idea_id", table_name="lunchlearn_idea_votes")
    op.drop_table("lunchlearn_idea_votes")
    op.drop_table("lunchlearn_ideas")

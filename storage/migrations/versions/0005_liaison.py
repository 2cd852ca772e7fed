"""liaison: pools, rotations, terms, term events, handover notes and cross-team intros

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "liaison_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("away_until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_liaison_members"),
        sa.UniqueConstraint("user_id", name="uq_liaison_members_user_id"),
    )
    with op.batch_alter_table("liaison_members", schema=None) as batch_op:
        batch_op.create_index("ix_liaison_members_status", ["status"], unique=False)

    op.create_table(
        "liaison_rotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("intro_weeks", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_liaison_rotations"),
    )

    op.create_table(
        "liaison_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rotation_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("marketing_user", sa.String(length=32), nullable=True),
        sa.Column("it_user", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rotation_id"], ["liaison_rotations.id"], name="fk_liaison_terms_rotation_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_liaison_terms"),
        sa.UniqueConstraint("rotation_id", "number", name="uq_liaison_terms_rotation_number"),
    )
    with op.batch_alter_table("liaison_terms", schema=None) as batch_op:
        batch_op.create_index("ix_liaison_terms_starts_at", ["starts_at"], unique=False)

    op.create_table(
        "liaison_term_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("by", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["term_id"], ["liaison_terms.id"], name="fk_liaison_term_events_term_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_liaison_term_events"),
    )
    with op.batch_alter_table("liaison_term_events", schema=None) as batch_op:
        batch_op.create_index("ix_liaison_term_events_term", ["term_id", "side"], unique=False)

    op.create_table(
        "liaison_handover_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["term_id"], ["liaison_terms.id"], name="fk_liaison_handover_notes_term_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_liaison_handover_notes"),
        sa.UniqueConstraint("term_id", "author", name="uq_liaison_handover_notes_term_author"),
    )

    op.create_table(
        "liaison_intro_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_liaison_intro_members"),
        sa.UniqueConstraint("user_id", name="uq_liaison_intro_members_user_id"),
    )

    op.create_table(
        "liaison_intro_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rotation_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("term_name", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rotation_id"], ["liaison_rotations.id"], name="fk_liaison_intro_rounds_rotation_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_liaison_intro_rounds"),
        sa.UniqueConstraint("rotation_id", "number", name="uq_liaison_intro_rounds_rotation_number"),
    )

    op.create_table(
        "liaison_intro_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("marketing_user", sa.String(length=32), nullable=False),
        sa.Column("it_user", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("prompted", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("answered_by", sa.String(length=32), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"], ["liaison_intro_rounds.id"], name="fk_liaison_intro_pairs_round_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_liaison_intro_pairs"),
    )
    with op.batch_alter_table("liaison_intro_pairs", schema=None) as batch_op:
        batch_op.create_index("ix_liaison_intro_pairs_round_id", ["round_id"], unique=False)

    op.create_table(
        "liaison_intro_sitouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["liaison_intro_rounds.id"], name="fk_liaison_intro_sitouts_round_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_liaison_intro_sitouts"),
    )
    with op.batch_alter_table("liaison_intro_sitouts", schema=None) as batch_op:
        batch_op.create_index("ix_liaison_intro_sitouts_round_id", ["round_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("liaison_intro_sitouts", schema=None) as batch_op:
        batch_op.drop_index("ix_liaison_intro_sitouts_round_id")
    op.drop_table("liaison_intro_sitouts")
    with op.batch_alter_table("liaison_intro_pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_liaison_intro_pairs_round_id")
    op.drop_table("liaison_intro_pairs")
    op.drop_table("liaison_intro_rounds")
    op.drop_table("liaison_intro_members")
    op.drop_table("liaison_handover_notes")
    with op.batch_alter_table("liaison_term_events", schema=None) as batch_op:
        batch_op.drop_index("ix_liaison_term_events_term")
    op.drop_table("liaison_term_events")
    with op.batch_alter_table("liaison_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_liaison_terms_starts_at")
    op.drop_table("liaison_terms")
    op.drop_table("liaison_rotations")
    with op.batch_alter_table("liaison_members", schema=None) as batch_op:
        batch_op.drop_index("ix_liaison_members_status")
    op.drop_table("liaison_members")

"""home: who opened the bot's Home tab, first and last (for the welcome, and whose Home to keep fresh)

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "home_visits",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("first_opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_home_visits"),
    )
    op.create_index("ix_home_visits_last_opened_at", "home_visits", ["last_opened_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_home_visits_last_opened_at", table_name="home_visits")
    op.drop_table("home_visits")

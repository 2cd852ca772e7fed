"""forget_requests: people being forgotten, so that running bots drop their buffered lookups

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forget_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forget_requests"),
    )
    op.create_index("ix_forget_requests_user_id", "forget_requests", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_forget_requests_user_id", table_name="forget_requests")
    op.drop_table("forget_requests")

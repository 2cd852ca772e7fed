"""outbox: rows that name what to render when sent, and the message a newer update replaces

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("render", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("subject", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("replaces", sa.String(length=120), nullable=True))
    op.create_index("ix_outbox_replaces", "outbox", ["replaces", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_replaces", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("replaces")
        batch.drop_column("subject")
        batch.drop_column("render")

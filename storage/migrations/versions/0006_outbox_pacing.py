"""outbox pacing: the channel each row is paced on, and when each channel may next be posted to

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PACED_METHODS = ("chat.postMessage",)  # as storage/outbox.py's PACED_METHODS when this was written


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=80), nullable=True))
        batch_op.create_index("ix_outbox_channel", ["channel", "status"], unique=False)
    op.create_table(
        "outbox_channels",
        sa.Column("channel", sa.String(length=80), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", name="pk_outbox_channels"),
    )
    _backfill_unsent_rows()


def _backfill_unsent_rows() -> None:
    """Rows still to be sent get their channel, so they are paced too; sent rows keep NULL (never claimed)."""
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer()),
        sa.column("method", sa.String()),
        sa.column("payload", sa.JSON()),
        sa.column("status", sa.String()),
        sa.column("channel", sa.String()),
    )
    connection = op.get_bind()
    unsent = connection.execute(
        sa.select(outbox.c.id, outbox.c.payload).where(
            outbox.c.status.in_(("pending", "sending")), outbox.c.method.in_(PACED_METHODS)
        )
    )
    for row_id, payload in unsent.all():
        channel = (payload or {}).get("channel")
        if channel:
            connection.execute(sa.update(outbox).where(outbox.c.id == row_id).values(channel=str(channel)[:80]))


def downgrade() -> None:
    op.drop_table("outbox_channels")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_channel")
        batch_op.drop_column("channel")

"""sit-down planning: find the series whose watermark is behind without reading every series

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_sitdown_series_planning", "sitdown_series", ["status", "planned_until"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sitdown_series_planning", table_name="sitdown_series")

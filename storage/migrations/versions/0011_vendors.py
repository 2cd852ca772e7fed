"""vendors: the register of outside tools named in intakes, and the intakes already made read into it

Revision ID: 0011
Revises: 0010

Existing intakes are read in submission order with the register's own splitting and key
(bot/vendor_rules.py): names that share a key become one entry, proposed by whoever named it first. No
"same as?" question is asked about them (their threads may be months old); IT merges by status instead.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.vendor_rules import names_in, vendor_key

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INTAKES = sa.table(
    "newproject_intakes",
    sa.column("id", sa.Integer()),
    sa.column("new_vendors", sa.Text()),
    sa.column("personal_data", sa.String()),
    sa.column("requested_by", sa.String()),
    sa.column("requested_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    vendors = op.create_table(
        "vendors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_by", sa.String(length=32), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("personal_data", sa.Boolean(), nullable=False),
        sa.Column("first_intake_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_intake_id"], ["newproject_intakes.id"], name="fk_vendors_first_intake_id", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_vendors"),
    )
    op.create_index("ix_vendors_status", "vendors", ["status"], unique=False)
    spellings = op.create_table(
        "vendor_spellings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name="fk_vendor_spellings_vendor_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_vendor_spellings"),
        sa.UniqueConstraint("key", name="uq_vendor_spellings_key"),
    )
    op.create_index("ix_vendor_spellings_vendor_id", "vendor_spellings", ["vendor_id"], unique=False)
    uses = op.create_table(
        "vendor_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["vendor_id"], ["vendors.id"], name="fk_vendor_uses_vendor_id", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["newproject_intakes.id"], name="fk_vendor_uses_intake_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_vendor_uses"),
        sa.UniqueConstraint("vendor_id", "intake_id", name="uq_vendor_uses_vendor_intake"),
    )
    op.create_index("ix_vendor_uses_intake_id", "vendor_uses", ["intake_id"], unique=False)
    op.create_table(
        "vendor_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=True),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_by", sa.String(length=32), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["newproject_intakes.id"], name="fk_vendor_questions_intake_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name="fk_vendor_questions_vendor_id", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["vendors.id"], name="fk_vendor_questions_candidate_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_vendor_questions"),
    )
    op.create_index("ix_vendor_questions_intake", "vendor_questions", ["intake_id", "status"], unique=False)
    op.create_table(
        "vendor_threads",
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("planned", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("refreshed_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["newproject_intakes.id"], name="fk_vendor_threads_intake_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("intake_id", name="pk_vendor_threads"),
    )
    op.create_index("ix_vendor_threads_planned", "vendor_threads", ["planned"], unique=False)
    read_existing_intakes(vendors, spellings, uses)


def read_existing_intakes(vendors: sa.Table, spellings: sa.Table, uses: sa.Table) -> None:
    """Each intake's names into the register, oldest intake first; a key seen before joins its entry."""
    connection = op.get_bind()
    entries: dict[str, int] = {}  # key → vendor id
    columns = (INTAKES.c.id, INTAKES.c.new_vendors, INTAKES.c.personal_data, INTAKES.c.requested_by)
    statement = sa.select(*columns, INTAKES.c.requested_at).order_by(INTAKES.c.requested_at, INTAKES.c.id)
    for intake_id, answer, personal_data, requested_by, requested_at in connection.execute(statement).all():
        for name in names_in(answer or ""):
            key = vendor_key(name)
            vendor_id = entries.get(key)
            if vendor_id is None:
                values = {
                    "name": name,
                    "status": "proposed",
                    "status_by": requested_by,
                    "status_at": requested_at,
                    "personal_data": False,
                    "first_intake_id": intake_id,
                    "requested_by": requested_by,
                    "created_at": requested_at,
                    "version": 1,
                }
                vendor_id = connection.execute(sa.insert(vendors).values(**values).returning(vendors.c.id)).scalar_one()
                connection.execute(sa.insert(spellings).values(vendor_id=vendor_id, key=key, name=name))
                entries[key] = vendor_id
            connection.execute(sa.insert(uses).values(vendor_id=vendor_id, intake_id=intake_id, name=name))
            if personal_data == "yes":
                connection.execute(sa.update(vendors).where(vendors.c.id == vendor_id).values(personal_data=True))


def downgrade() -> None:
    op.drop_index("ix_vendor_threads_planned", table_name="vendor_threads")
    op.drop_table("vendor_threads")
    op.drop_index("ix_vendor_questions_intake", table_name="vendor_questions")
    op.drop_table("vendor_questions")
    op.drop_index("ix_vendor_uses_intake_id", table_name="vendor_uses")
    op.drop_table("vendor_uses")
    op.drop_index("ix_vendor_spellings_vendor_id", table_name="vendor_spellings")
    op.drop_table("vendor_spellings")
    op.drop_index("ix_vendors_status", table_name="vendors")
    op.drop_table("vendors")

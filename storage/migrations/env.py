"""Alembic environment: the engine comes from storage.db (no alembic.ini needed).

Applying migrations needs no models: they are imported (for `target_metadata`) only when alembic compares them
with the database (autogenerate), so that a start migrating a new database does not pay for loading them in
the migrating process as well."""

from typing import Any

from alembic import context

engine = context.config.attributes["engine"]


def target_metadata() -> Any:
    options = context.config.cmd_opts
    if options is None or not getattr(options, "autogenerate", False):
        return None
    from storage.models import Base

    return Base.metadata


with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=target_metadata(), render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()

"""The migrations and the models describe one schema: a model change without its migration fails here."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import storage.digest
import storage.glossary
import storage.home
import storage.jargon_watch
import storage.liaison
import storage.lunchlearn
import storage.newproject
import storage.outbox
import storage.sending
import storage.sitdown
import storage.vendors
from storage import db
from storage.models import Base

# Imported so that Base.metadata holds every feature's tables.
FEATURE_MODULES = (
    storage.digest,
    storage.glossary,
    storage.home,
    storage.jargon_watch,
    storage.liaison,
    storage.lunchlearn,
    storage.newproject,
    storage.outbox,
    storage.sitdown,
    storage.vendors,
)


@pytest.mark.empty_database  # the real migrations, from nothing, on each database
def test_the_migrations_build_exactly_the_schema_the_models_describe(database_url: str) -> None:
    engine = db.create_engine_for(database_url)
    try:
        db.upgrade(engine)
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()

    assert differences == []

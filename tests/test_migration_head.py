"""Migrations at start: alembic runs only when a migration is pending, and then in a child process of the bot.

The head is read from the migration files without alembic (storage.migrations.head_revisions); these tests
check that reading against alembic's own, and what each kind of database gets at start.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, text

from storage import db
from storage.migrations import head_revisions, sqlite_file_pending
from tests.fake_slack import FakeSlack
from tests.slack_requests import SIGNING_SECRET

REPO_ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.empty_database  # what a start does to a database it finds empty or behind

# What a start does (bot/__main__.py: start_migrating, then start_services), in a process of its own; prints
# whether it migrated, the terms in the glossary, which of alembic and mako this process imported, and whether it
# had imported SQLAlchemy by the time the migration started.
START = """
import sys
from bot.__main__ import start_migrating, start_services
from bot.config import Settings

url = sys.argv[1]
migration = start_migrating(url)
early = "sqlalchemy" in sys.modules  # on SQLite the migration starts before this process imports SQLAlchemy
services = start_services(Settings(bot_token="xoxb-test", signing_secret="", database_url=url), migration)
services.engine.dispose()
imported = sorted({name.split(".")[0] for name in sys.modules} & {"alembic", "mako"})
print(migration is not None, services.glossary.stats().terms, imported, early)
"""


def scripts() -> ScriptDirectory:
    return ScriptDirectory(str(db.MIGRATIONS_DIR))


def applied(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(text(f"SELECT version_num FROM {db.VERSION_TABLE}")))


def python(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=120)


def count_starter_terms() -> int:
    from bot.glossary_csv import read_glossary_csv
    from bot.glossary_service import STARTER_GLOSSARY

    return len(read_glossary_csv(STARTER_GLOSSARY.read_text(encoding="utf-8")))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = db.create_engine_for(database_url)
    yield built
    built.dispose()


# --- the head, read from the files -----------------------------------------------------------------------------


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    assert head_revisions() == frozenset(scripts().get_heads())


def write_versions(folder: Path, *scripts: tuple[str, str]) -> Path:
    folder.mkdir()
    (folder / "__init__.py").write_text('revision = "not-a-migration"\n')
    for number, (revision, down) in enumerate(scripts):
        (folder / f"{number:04d}_step.py").write_text(
            f'"""step"""\n\nrevision: str = {revision}\ndown_revision: str | None = {down}\n\n\n'
            'def upgrade() -> None:\n    revision = "indented lines are not read"\n'
        )
    return folder


def test_every_branch_end_is_a_head_and_a_merge_ends_them(tmp_path: Path) -> None:
    branched = write_versions(tmp_path / "branched", ('"a"', "None"), ('"b"', '"a"'), ("'c'", "'a'"))
    merged = write_versions(tmp_path / "merged", ('"a"', "None"), ('"b"', '"a"'), ('"c"', '"a"'), ('"m"', '("b", "c")'))

    assert head_revisions(branched) == {"b", "c"}
    assert head_revisions(merged) == {"m"}


def test_a_migration_file_that_does_not_read_plainly_leaves_the_decision_to_alembic(tmp_path: Path) -> None:
    computed = write_versions(tmp_path / "computed", ('"a"', "None"), ('"b".upper()', '"a"'))
    missing = write_versions(tmp_path / "missing", ('"a"', "None"))
    (missing / "0009_other.py").write_text("def upgrade() -> None:\n    pass\n")

    assert head_revisions(computed) is None
    assert head_revisions(missing) is None


# --- what db.upgrade does with each database -------------------------------------------------------------------


def test_a_new_database_is_migrated_to_the_head_then_nothing_is_pending(engine: Engine) -> None:
    assert db.migrations_pending(engine)

    db.upgrade(engine)

    assert applied(engine) == set(scripts().get_heads())
    assert not db.migrations_pending(engine)
    db.upgrade(engine)  # again: nothing to do
    assert applied(engine) == set(scripts().get_heads())


def test_a_database_one_migration_behind_is_brought_to_the_head(engine: Engine) -> None:
    head = scripts().get_revision(scripts().get_current_head())
    assert head is not None and isinstance(head.down_revision, str)
    command.upgrade(db.alembic_config(engine), head.down_revision)
    assert db.migrations_pending(engine)

    db.upgrade(engine)

    assert applied(engine) == {head.revision}


def test_a_database_from_a_later_release_is_left_to_alembic_which_refuses_it(engine: Engine) -> None:
    db.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {db.VERSION_TABLE} SET version_num = '9999'"))

    assert db.migrations_pending(engine)
    with pytest.raises(CommandError):
        db.upgrade(engine)


def test_upgrading_a_database_at_the_head_does_not_import_alembic(engine: Engine, database_url: str) -> None:
    db.upgrade(engine)
    code = "import sys; from storage import db; db.upgrade(db.create_engine_for(sys.argv[1]))"
    code += "; print('alembic' in sys.modules)"

    result = python("-c", code, database_url)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_an_sqlite_file_is_read_for_its_revision_without_sqlalchemy(tmp_path: Path) -> None:
    """What a start on SQLite decides before it imports SQLAlchemy (storage.migrations.sqlite_file_pending)."""
    missing, empty, current = tmp_path / "missing.db", tmp_path / "empty.db", tmp_path / "current.db"
    sqlite3.connect(empty).close()
    migrated = db.create_engine_for(f"sqlite:///{current}")
    db.upgrade(migrated)
    migrated.dispose()
    later = database_from_a_later_version(tmp_path)
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("these are not the pages of an SQLite file " * 200)

    assert sqlite_file_pending(missing) is True
    assert not missing.exists(), "asking creates no file"
    assert sqlite_file_pending(empty) is True
    assert sqlite_file_pending(current) is False
    assert sqlite_file_pending(later) is True, "alembic then decides (and refuses it)"
    assert sqlite_file_pending(not_a_database) is None, "in doubt: SQLAlchemy and alembic decide"


def test_behind_is_pending_and_unreadable_migrations_leave_it_to_alembic(tmp_path: Path) -> None:
    database = tmp_path / "behind.db"
    behind = db.create_engine_for(f"sqlite:///{database}")
    head = scripts().get_revision(scripts().get_current_head())
    assert head is not None and isinstance(head.down_revision, str)
    command.upgrade(db.alembic_config(behind), head.down_revision)
    behind.dispose()
    computed = write_versions(tmp_path / "computed", ('"a"', "None"), ('"b".upper()', '"a"'))

    assert sqlite_file_pending(database) is True
    assert sqlite_file_pending(database, computed) is None


# --- the bot's start -----------------------------------------------------------------------------------------------


def test_a_start_on_a_new_database_migrates_in_a_child_process_then_loads_the_glossary(
    database_url: str, engine: Engine
) -> None:
    first = python("-c", START, database_url)
    second = python("-c", START, database_url)

    assert first.returncode == 0, first.stderr
    early = engine.dialect.name != "sqlite"
    assert first.stdout.strip() == f"True {count_starter_terms()} [] {early}", "migrated, by another process"
    assert applied(engine) == set(scripts().get_heads())
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == f"False {count_starter_terms()} [] {early}", "nothing to migrate; loaded once"


def database_from_a_later_version(folder: Path) -> Path:
    """An SQLite file a newer bot migrated: its revision (9999) is one this bot's migrations do not know."""
    database = folder / "later.db"
    engine = db.create_engine_for(f"sqlite:///{database}")
    db.upgrade(engine)
    engine.dispose()
    with sqlite3.connect(database) as connection:
        connection.execute(f"UPDATE {db.VERSION_TABLE} SET version_num = '9999'")
    return database


def test_a_migration_that_fails_stops_the_bot_with_a_nonzero_exit_naming_the_migration(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    database = database_from_a_later_version(tmp_path)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPO_ROOT),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url,  # the token is checked first; then the migration fails
        "DATABASE_URL": f"sqlite:///{database}",
    }

    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert "9999" in result.stderr, "alembic's reason, from the child process"
    assert result.stderr.splitlines()[-1].startswith("bridgebot: migrating the database failed")

"""The README's backup of SQLite, done once for real: a copy taken with SQLite's online backup (what the
`sqlite3` shell's `.backup` does) while a running bot writes, then restored: the copy opens, is whole, has the
rows, and a bot starts on it."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import make_url

from tests.conftest import poll_until
from tests.test_production_processes import (
    START_SECONDS,
    Launcher,
    launcher,  # noqa: F401  (the fixture)
)

LOOKUPS = 40


def count(path: Path, table: str) -> int:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def back_up(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy, as of one moment, while other processes go on writing."""
    with contextlib.closing(sqlite3.connect(source)) as live, contextlib.closing(sqlite3.connect(target)) as copy:
        live.backup(copy)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_backup_taken_while_the_bot_writes_restores_and_a_bot_starts_on_it(
    launcher: Launcher,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    live = Path(str(make_url(database_url).database))
    bot = launcher.start("live").wait_until_ready()
    with contextlib.closing(sqlite3.connect(live)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal", "readers never block the bot"
    before = count(live, "jargon_lookups")

    def look_up() -> None:  # each lookup is recorded: the bot writes a row per request
        for _ in range(LOOKUPS):
            assert bot.slack.command("/jargon", "SQL").status == 200

    writer = threading.Thread(target=look_up)
    writer.start()
    poll_until(lambda: count(live, "jargon_lookups") >= before + 5, timeout=START_SECONDS)
    backup = tmp_path / "backup.db"
    back_up(live, backup)
    writer.join(timeout=START_SECONDS)
    assert not writer.is_alive()
    assert bot.terminate() == 0
    written = count(live, "jargon_lookups")

    with contextlib.closing(sqlite3.connect(backup)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    backed_up = count(backup, "jargon_lookups")
    assert before + 5 <= backed_up <= written
    assert count(backup, "terms") == count(live, "terms") > 0, "the starter glossary is in the copy"

    for leftover in (live, live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm")):
        leftover.unlink(missing_ok=True)  # the restore: the bot stopped, its files replaced by the copy
    shutil.copyfile(backup, live)
    restored = launcher.start("restored").wait_until_ready()
    assert restored.slack.command("/jargon", "SQL").status == 200
    assert restored.terminate() == 0
    assert count(live, "jargon_lookups") == backed_up + 1, "the restored copy is the database the bot runs on"

"""Alembic migrations (env.py, versions/), and their head read without importing alembic.

A start whose database is already at the head skips alembic altogether (storage.db.upgrade): importing it
costs several MB that would stay in the process for good. The head is read from the `revision = "…"` and
`down_revision = …` lines of versions/*.py, so a new migration needs no other change; a test checks that
this reading agrees with alembic's.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path

VERSIONS_DIR = Path(__file__).parent / "versions"
VERSION = "alembic_version"  # alembic's version table (storage.db.VERSION_TABLE)

_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def head_revisions(versions_dir: Path = VERSIONS_DIR) -> frozenset[str] | None:
    """The revisions no other migration revises; None when a migration file does not read plainly (then the
    caller lets alembic decide)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in versions_dir.glob("*.py"):
        if script.name.startswith(("__init__", ".#")):  # as alembic skips them
            continue
        found = dict(_ASSIGNMENT.findall(script.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        if isinstance(down, str):
            down = (down,)
        if not (down is None or (isinstance(down, tuple | list) and all(isinstance(d, str) for d in down))):
            return None
        revisions.add(revision)
        revised.update(down or ())
    heads = frozenset(revisions - revised)
    return heads or None


def sqlite_file_pending(path: Path, versions_dir: Path = VERSIONS_DIR) -> bool | None:
    """Whether the SQLite file at `path` is not at the head, read with the standard library's sqlite3: a start
    on SQLite knows whether to migrate before it has imported SQLAlchemy, so the migration begins at once. A file
    that does not exist yet is pending (it is not created here); None when in doubt (the caller then asks through
    SQLAlchemy, or alembic decides)."""
    heads = head_revisions(versions_dir)
    if heads is None:
        return None
    if not path.exists():
        return True
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION,))
            if tables.fetchone() is None:
                return True
            applied = {row[0] for row in connection.execute(f"SELECT version_num FROM {VERSION}")}
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return applied != heads

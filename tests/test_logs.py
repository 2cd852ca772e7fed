"""Log lines a sender cannot forge or inflate (bot.logs): escaped, bounded, database values never quoted."""

from __future__ import annotations

import logging
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from bot.logs import LOG_FORMAT, MESSAGE_LIMIT, SafeFormatter, one_line


def formatted(message: str, *args: object, error: BaseException | None = None) -> str:
    record = logging.LogRecord("bot.test", logging.WARNING, __file__, 1, message, args, None)
    if error is not None:
        try:
            raise error
        except BaseException:
            record.exc_info = sys.exc_info()
    return SafeFormatter(LOG_FORMAT).format(record)


@given(st.text(max_size=3000))
def test_a_message_from_text_is_one_line_of_bounded_size(typed: str) -> None:
    line = formatted("looked up %s", typed)
    assert "\n" not in line and "\r" not in line and "\u2028" not in line
    assert len(line) < MESSAGE_LIMIT * 7 + 200  # each character escapes to at most 6 (\u2028)


def test_a_forged_log_line_stays_inside_its_own_line() -> None:
    line = formatted("term %s", "SQL\n2026-12-01 00:00:00 INFO bot: admin logged in")
    assert line.count("\n") == 0 and "SQL\\n2026-12-01" in line


def test_a_long_message_is_cut_and_says_how_much_was_cut() -> None:
    assert one_line("x" * 5000).endswith("… (3000 more characters)")


def test_an_exception_message_is_escaped_while_the_traceback_keeps_its_lines() -> None:
    out = formatted("listener failed", error=ValueError("bad\ninjected line"))
    assert out.splitlines()[-1] == "ValueError: bad\\ninjected line"
    assert out.splitlines()[1] == "Traceback (most recent call last):"


def test_a_database_error_logs_its_first_line_never_the_statement_or_values() -> None:
    engine = create_engine("sqlite://", hide_parameters=True)
    typed = "".join(["some", "one's ", "secret"])  # not spelled out here: the traceback quotes this file's lines
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (name TEXT UNIQUE)"))
        connection.execute(text("INSERT INTO t VALUES (:name)"), {"name": typed})
    with pytest.raises(IntegrityError) as caught, engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (:name)"), {"name": typed})
    out = formatted("save failed", error=caught.value)
    assert typed not in out and "[SQL" not in out
    assert out.splitlines()[-1] == "IntegrityError: (sqlite3.IntegrityError) UNIQUE constraint failed: t.name"

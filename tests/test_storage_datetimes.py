"""Datetimes are stored as aware UTC on both databases; SQLite's text must sort and compare as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import DateTime, select
from sqlalchemy.dialects import sqlite

from storage import db
from storage.models import OutboxMessage, UTCDateTime

SQLITE = sqlite.dialect()
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
AWARE = st.datetimes(datetime(1970, 1, 2), datetime(2999, 12, 30), timezones=OFFSETS)


def stored_text(value: datetime) -> Any:
    return UTCDateTime().bind_processor(SQLITE)(value)


@given(AWARE)
def test_sqlite_text_is_the_text_sqlalchemys_datetime_stores_for_the_utc_moment(value: datetime) -> None:
    generic = DateTime(timezone=True).dialect_impl(SQLITE).bind_processor(SQLITE)

    assert stored_text(value) == generic(value.astimezone(UTC).replace(tzinfo=None))


@given(AWARE, AWARE)
def test_sqlite_text_sorts_as_the_moments_do(first: datetime, second: datetime) -> None:
    assert (stored_text(first) < stored_text(second)) == (first < second)
    assert (stored_text(first) == stored_text(second)) == (first == second)


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        stored_text(datetime(2026, 11, 23, 9, 0))


def test_what_is_stored_comes_back_as_the_same_aware_utc_moment(database_url: str) -> None:
    engine = db.create_engine_for(database_url)
    db.upgrade(engine)
    paris = timezone(timedelta(hours=1))
    moments = [datetime(2026, 11, 23, 10, 0, tzinfo=paris), datetime(2026, 11, 23, 9, 0, 0, 1, tzinfo=UTC)]
    try:
        with db.make_session_factory(engine).begin() as session:
            for number, moment in enumerate(moments):
                session.add(
                    OutboxMessage(
                        key=f"k{number}",
                        method="chat.postMessage",
                        payload={},
                        status="pending",
                        due_at=moment,
                        next_attempt_at=moment,
                        created_at=moment,
                        attempts=0,
                    )
                )
        with db.make_session_factory(engine)() as session:
            due = list(session.scalars(select(OutboxMessage.due_at).order_by(OutboxMessage.due_at)))
            exact = session.scalar(select(OutboxMessage.key).where(OutboxMessage.due_at == moments[0]))
    finally:
        engine.dispose()

    assert due == [datetime(2026, 11, 23, 9, 0, tzinfo=UTC), datetime(2026, 11, 23, 9, 0, 0, 1, tzinfo=UTC)]
    assert all(moment.tzinfo is UTC for moment in due)
    assert exact == "k0"

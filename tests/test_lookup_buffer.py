"""Lookups are buffered in memory and written in batches; a forgotten person's are purged from running bots too."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.glossary_lookups import LookupBuffer, purge_lookups_of
from bot.services import Services
from storage.models import ForgetRequest, JargonLookup
from tests.conftest import TEST_START, RunningBot, poll_until, wait_for


def rows(services: Services) -> list[tuple[str, str]]:
    with services.sessions() as session:
        return sorted(
            (user, text) for user, text in session.execute(select(JargonLookup.user_id, JargonLookup.query_text))
        )


def forget_requests(services: Services) -> list[str]:
    with services.sessions() as session:
        return list(session.scalars(select(ForgetRequest.user_id)))


def look_up(bot: RunningBot, *lookups: tuple[str, str]) -> None:
    for user, text in lookups:
        assert bot.slack.command("/jargon", text, user=user).status == 200
    wait_for(lambda: True)


def test_lookups_wait_in_memory_until_a_flush_writes_them_all_at_once(running_bot: RunningBot) -> None:
    bot = running_bot
    look_up(bot, ("UALICE", "SQL"), ("UBOB", "flibbertigibbet"))

    assert rows(bot.services) == []
    assert bot.services.glossary.lookups.flush() == 2
    assert rows(bot.services) == [("UALICE", "SQL"), ("UBOB", "flibbertigibbet")]
    assert bot.services.glossary.lookups.flush() == 0, "nothing twice"
    assert rows(bot.services) == [("UALICE", "SQL"), ("UBOB", "flibbertigibbet")]


def test_the_stats_read_this_bots_buffered_lookups(running_bot: RunningBot) -> None:
    look_up(running_bot, ("UALICE", "SQL"), ("UBOB", "SQL"))

    stats = running_bot.slack.command("/jargon", "stats")

    assert "2× *SQL*" in stats.text


def test_purging_a_person_drops_their_buffered_and_written_lookups_and_keeps_the_others(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    look_up(bot, ("UALICE", "SQL"), ("UBOB", "SQL"))
    bot.services.glossary.lookups.flush()
    look_up(bot, ("UALICE", "MQL"), ("UBOB", "CTR"), ("UALICE", "flibbertigibbet"))
    requests_seen: list[list[str]] = []

    def two_flush_intervals(seconds: float) -> None:  # the running bot flushes meanwhile, as its thread would
        assert seconds == 2.0
        requests_seen.append(forget_requests(bot.services))
        bot.services.glossary.lookups.flush()
        look_up(bot, ("UBOB", "ROI"))  # others' lookups go on being recorded

    purge_lookups_of(bot.services.engine, "UALICE", sleep=two_flush_intervals)
    bot.services.glossary.lookups.flush()

    assert requests_seen == [["UALICE"]]
    assert rows(bot.services) == [("UBOB", "CTR"), ("UBOB", "ROI"), ("UBOB", "SQL")]
    assert forget_requests(bot.services) == [], "the request is removed once every bot has flushed past it"


def test_a_purge_deletes_rows_a_flush_wrote_without_seeing_the_request(running_bot: RunningBot) -> None:
    bot = running_bot
    look_up(bot, ("UALICE", "SQL"), ("UBOB", "SQL"))

    # The flush that began before the request (here: runs just after, its read of forget_requests already made).
    purge_lookups_of(bot.services.sessions, "UALICE", 0.0, sleep=lambda _: None)
    assert rows(bot.services) == []
    buffer = bot.services.glossary.lookups
    buffer.flush()
    purge_lookups_of(bot.services.sessions, "UALICE", 0.0, sleep=lambda _: None)

    assert rows(bot.services) == [("UBOB", "SQL")]
    assert forget_requests(bot.services) == []


def test_a_full_buffer_is_written_at_once(services: Services) -> None:
    buffer = LookupBuffer(services.sessions, services.clock, max_rows=3)
    buffer.record("SQL", None, "UALICE")
    buffer.record("SQL", None, "UBOB")
    assert rows(services) == []

    buffer.record("SQL", None, "UCAROL")

    assert rows(services) == [("UALICE", "SQL"), ("UBOB", "SQL"), ("UCAROL", "SQL")]
    assert buffer.waiting() == 0


def test_a_failed_flush_keeps_the_newest_rows_for_the_next_one_up_to_the_bound(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    buffer = LookupBuffer(services.sessions, services.clock, max_rows=3)
    buffer.record("one", None, "UALICE")
    buffer.record("two", None, "UALICE")
    real_work = buffer.work

    def unreachable(*_args: Any) -> Any:
        raise ConnectionError("the database is away")

    monkeypatch.setattr(buffer, "work", unreachable)
    with pytest.raises(ConnectionError):
        buffer.flush()
    buffer.record("three", None, "UALICE")  # full: flushes at once, fails again, and says so in the log
    buffer.record("four", None, "UALICE")
    assert buffer.waiting() == 3 and "1 dropped" in caplog.text and "flush failed (ConnectionError)" in caplog.text

    monkeypatch.setattr(buffer, "work", real_work)
    buffer.stop()  # the clean stop's last flush

    assert rows(services) == [("UALICE", "four"), ("UALICE", "three"), ("UALICE", "two")]


def test_the_flusher_thread_writes_by_itself(services: Services) -> None:
    buffer = LookupBuffer(services.sessions, services.clock, flush_seconds=0.05)
    buffer.start()
    try:
        buffer.record("SQL", None, "UALICE", at=TEST_START - timedelta(minutes=1))
        poll_until(lambda: rows(services))
    finally:
        buffer.stop()

    with services.sessions() as session:
        written = session.execute(select(JargonLookup.user_id, JargonLookup.looked_up_at)).one()
    assert tuple(written) == ("UALICE", TEST_START - timedelta(minutes=1))


def test_stop_ends_the_flusher_thread_and_writes_what_waits(services: Services) -> None:
    buffer = LookupBuffer(services.sessions, services.clock, flush_seconds=3600)
    buffer.start()
    buffer.record("SQL", None, "UALICE")

    buffer.stop()

    assert rows(services) == [("UALICE", "SQL")]
    assert not [thread for thread in threading.enumerate() if thread.name == "lookup-flusher"]

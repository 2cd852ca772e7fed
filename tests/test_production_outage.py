"""The database goes away while the bot runs, then comes back.

How it goes away, honestly for each engine:
- PostgreSQL: the bot reaches the server through a TCP proxy the test controls; cutting it closes every open
  connection and refuses new ones, as a network partition or a restarting server would.
- SQLite: the folder holding the database file is moved away and the pooled connections are dropped, so the
  next connection cannot open the file (an unmounted volume). SQLite cannot lose an already open file, so the
  pool is emptied by hand: what is exercised is "connections cannot be opened".
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, select

from bot.config import Settings
from bot.glossary import TermEntry
from bot.notify import Outgoing, enqueue
from bot.scheduler import dispatch_safely
from bot.server import DATABASE_OUTAGE
from bot.services import Services
from storage.models import JargonLookup
from storage.outbox import OutboxRepository
from tests.conftest import FakeClock, RunningBot, make_settings, wait_for
from tests.fake_slack import FakeSlack, view_problems


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a PostgreSQL server until cut."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.down = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for end in (source, target):
            _close(end)

    def cut(self) -> None:
        self.down = True
        with self._lock:
            for end in self._sockets:
                _close(end)
            self._sockets.clear()

    def restore(self) -> None:
        self.down = False

    def close(self) -> None:
        self.cut()
        self._listener.close()


def _close(end: socket.socket) -> None:
    with contextlib.suppress(OSError):
        end.shutdown(socket.SHUT_RDWR)
    end.close()


class Outage:
    """The bot's DATABASE_URL, and cut()/restore() to take the database away and give it back."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        url = make_url(database_url)
        self.proxy: TcpProxy | None = None
        self.services: Services | None = None
        if url.get_backend_name() == "sqlite":
            self.volume, self.away = tmp_path / "volume", tmp_path / "volume-away"
            self.url = f"sqlite:///{self.volume / 'bridgebot.db'}"
        else:
            self.proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
            self.url = url.set(host="127.0.0.1", port=self.proxy.port).render_as_string(hide_password=False)

    def cut(self) -> None:
        if self.proxy is not None:
            self.proxy.cut()
            return
        self.volume.rename(self.away)
        assert self.services is not None
        self.services.engine.dispose()

    def restore(self) -> None:
        if self.proxy is not None:
            self.proxy.restore()
            return
        self.away.rename(self.volume)


@pytest.fixture
def outage(database_url: str, tmp_path: Path) -> Iterator[Outage]:
    built = Outage(database_url, tmp_path)
    yield built
    if built.proxy is not None:
        built.proxy.close()


@pytest.fixture
def settings(fake_slack: FakeSlack, outage: Outage) -> Settings:
    """Overrides conftest's: the bot reaches its database through what the outage controls."""
    return make_settings(fake_slack, outage.url)


@pytest.fixture
def bot(running_bot: RunningBot, outage: Outage) -> RunningBot:
    outage.services = running_bot.services
    return running_bot


def health(bot: RunningBot) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{bot.url}/healthz", timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_healthz_says_503_while_the_database_is_away_and_200_once_it_is_back(bot: RunningBot, outage: Outage) -> None:
    assert health(bot)[0] == 200

    outage.cut()
    status, body = health(bot)
    outage.restore()

    assert (status, body["ok"]) == (503, False)
    assert body["database"].startswith("unreachable")
    assert health(bot) == (200, {"ok": True, "database": "reachable", "sending": "on"})


def test_a_command_during_the_outage_is_answered_try_again_in_a_moment_not_a_500(
    bot: RunningBot, outage: Outage
) -> None:
    outage.cut()
    reply = bot.slack.command("/jargon", "stats")
    outage.restore()

    assert reply.status == 200, "Slack shows a 500 as 'dispatch_failed'"
    assert reply.body == {"response_type": "ephemeral", "text": DATABASE_OUTAGE}
    again = bot.slack.command("/jargon", "stats")
    assert again.status == 200
    assert DATABASE_OUTAGE not in again.text
    assert "terms" in again.text.lower()


def test_a_form_submitted_during_the_outage_gets_a_notice_on_top_so_the_input_is_kept(
    bot: RunningBot, outage: Outage
) -> None:
    bot.slack.command("/jargon", "add Bounce rate")
    view = wait_for(lambda: bot.fake.calls_to("views.open"))[-1]["view"]
    form = {
        "name": "Bounce rate",
        "side_1": ("select", "marketing"),
        "definition_1": "The share of visitors who leave after seeing one page.",
    }

    outage.cut()
    reply = bot.slack.submit(view, form)
    outage.restore()

    assert reply.status == 200
    assert reply.body["response_action"] == "push", "pushed on top: closing it goes back to the filled-in form"
    assert not view_problems("views.push", reply.body["view"])
    assert DATABASE_OUTAGE in reply.text
    assert bot.slack.submit(view, form).body.get("response_action") == "update", "saved once the database is back"


def test_a_button_whose_work_after_the_ack_fails_on_the_database_says_try_again_through_response_url(
    bot: RunningBot, outage: Outage
) -> None:
    outage.cut()
    reply = bot.slack.action("jargon_request", "flibbertigibbet")  # acknowledged at once, then writes the request
    follow_ups = wait_for(lambda: [c for c in bot.fake.calls_to("response_url") if c.get("text") == DATABASE_OUTAGE])
    outage.restore()

    assert reply.status == 200
    assert follow_ups[0]["response_type"] == "ephemeral"


def test_a_lookup_during_the_outage_is_answered_from_memory_and_recorded_once_the_database_is_back(
    bot: RunningBot, outage: Outage
) -> None:
    entry = bot.services.glossary.lookup("SQL")
    assert isinstance(entry, TermEntry)

    outage.cut()
    bot.slack.action(f"jargon_show:{entry.id}", str(entry.id))  # answers from memory, buffers the lookup
    shown = wait_for(lambda: bot.fake.calls_to("response_url"))
    outage.restore()
    bot.services.glossary.lookups.flush()

    assert [call.get("text") for call in shown] != [DATABASE_OUTAGE]
    assert "Structured Query Language" in str(shown[0]["blocks"])
    with bot.services.sessions() as session:
        assert session.scalars(select(JargonLookup.term_id)).all() == [entry.id]


def put(services: Services, clock: FakeClock, key: str) -> None:
    with services.sessions.begin() as session:
        enqueue(session, Outgoing(key, {"channel": "CJOINT", "text": key}), clock())


def test_the_dispatcher_logs_the_outage_and_sends_on_the_next_tick(
    bot: RunningBot, outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    put(bot.services, bot.clock, "during-outage")
    outage.cut()

    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        dispatch_safely(bot.services.dispatcher)  # what the scheduler runs every 5 s: it must not raise

    assert bot.fake.calls_to("chat.postMessage") == []
    assert any("retrying on the next tick" in record.getMessage() for record in caplog.records)
    outage.restore()
    dispatch_safely(bot.services.dispatcher)
    assert [call["text"] for call in bot.fake.calls_to("chat.postMessage")] == ["during-outage"]
    with bot.services.sessions() as session:
        row = OutboxRepository(session).get("during-outage")
        assert row is not None and row.status == "sent"


def test_an_outage_between_sending_and_marking_resends_only_that_message_once_its_lease_ends(
    bot: RunningBot, outage: Outage
) -> None:
    for key, channel in (("first", "C0001"), ("second", "C0002"), ("third", "C0003")):
        with bot.services.sessions.begin() as session:
            enqueue(session, Outgoing(key, {"channel": channel, "text": key}), bot.clock())

    def answer_then_lose_the_database(body: dict[str, Any]) -> dict[str, Any]:
        if body["text"] == "second":
            outage.cut()  # Slack has the message; the dispatcher cannot record it
        return {"ok": True, "channel": body["channel"], "ts": "1700000000.000001"}

    bot.fake.answers["chat.postMessage"] = answer_then_lose_the_database
    dispatch_safely(bot.services.dispatcher)
    outage.restore()
    bot.fake.answers.pop("chat.postMessage")
    dispatch_safely(bot.services.dispatcher)
    assert sent_texts(bot) == ["first", "second"], "the rows claimed by the failed pass wait for their lease"

    bot.clock.advance(seconds=bot.services.settings.outbox_lease_seconds + 1)
    dispatch_safely(bot.services.dispatcher)

    assert sorted(sent_texts(bot)) == ["first", "second", "second", "third"], "one duplicate: the unrecorded send"
    with bot.services.sessions() as session:
        assert sorted(r.key for r in OutboxRepository(session).by_status("sent")) == ["first", "second", "third"]


def sent_texts(bot: RunningBot) -> list[str]:
    return [call["text"] for call in bot.fake.calls_to("chat.postMessage")]

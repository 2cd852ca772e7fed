"""`python -m bot` as real processes in HTTP mode: a database missing at start, SIGTERM, two replicas on one
PostgreSQL schema, and SIGKILL in the middle of dispatching.

Each process talks to the fake Slack started by the test. Where the test must catch a process at a precise
moment (mid-send), the fake holds that one answer until the test releases it, so nothing depends on timing:
waits are bounded polls, never timed assertions.
"""

from __future__ import annotations

import inspect
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import SLACK_TIMEOUT_SECONDS
from bot.notify import Dispatcher, Outgoing, enqueue
from storage import db
from storage.models import JargonLookup, OutboxMessage, Term
from tests.conftest import ADMIN, IT_CHANNEL, JOINT_CHANNEL, MARKETING_CHANNEL, poll_until
from tests.fake_slack import FakeSlack
from tests.slack_requests import SIGNING_SECRET, SlackSender

REPO_ROOT = Path(__file__).resolve().parents[1]
POST = "chat.postMessage"
START_SECONDS = 60.0
HOLD_SECONDS = SLACK_TIMEOUT_SECONDS - 2
postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_environment(home: Path, **settings: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "PYTHONPATH": str(REPO_ROOT),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "IT_INTAKE_CHANNEL": IT_CHANNEL,
        "MARKETING_CHANNEL": MARKETING_CHANNEL,
        "JOINT_CHANNEL": JOINT_CHANNEL,
        "BOT_ADMINS": ADMIN,
        **settings,
    }


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    port: int
    log_file: Path
    slack: SlackSender

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")

    def healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the bot exited with {self.process.returncode} before it was ready:\n{self.log()}")
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def wait_until_ready(self) -> BotProcess:
        poll_until(self.healthy, timeout=START_SECONDS)
        return self

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=START_SECONDS)


class Launcher:
    """Starts `python -m bot` processes against the fake and the test's database; kills leftovers at teardown."""

    def __init__(self, fake: FakeSlack, database_url: str, home: Path) -> None:
        self.fake, self.database_url, self.home = fake, database_url, home
        self.started: list[BotProcess] = []

    def start(self, name: str, **settings: str) -> BotProcess:
        port = free_port()
        env = bot_environment(
            self.home, SLACK_API_URL=self.fake.base_url, DATABASE_URL=self.database_url, PORT=str(port), **settings
        )
        log_file = self.home / f"{name}.log"
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot"], cwd=self.home, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        started = BotProcess(process, port, log_file, SlackSender(f"http://127.0.0.1:{port}/slack/events", self.fake))
        self.started.append(started)
        return started

    def kill_leftovers(self) -> None:
        for started in self.started:
            if started.process.poll() is None:
                started.process.kill()
                started.process.wait(timeout=30)


@pytest.fixture
def launcher(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[Launcher]:
    built = Launcher(fake_slack, database_url, tmp_path)
    yield built
    built.kill_leftovers()  # before the database fixture drops the schema


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """The test's own view of the database the processes use (migrated, so rows can be written first)."""
    engine = db.create_engine_for(database_url)
    db.upgrade(engine)
    yield db.make_session_factory(engine)
    engine.dispose()


def write_due_messages(sessions: sessionmaker[Session], prefix: str, count: int, channels: int) -> list[str]:
    """`count` messages due now, spread over `channels` channels (the dispatcher posts to each at most once a
    second, so the spread decides how many go out per pass)."""
    keys = [f"{prefix}:{number:03d}" for number in range(count)]
    now = datetime.now(UTC)
    with sessions.begin() as session:
        for number, key in enumerate(keys):
            enqueue(session, Outgoing(key, {"channel": f"C{number % channels:04d}", "text": key}), now)
    return keys


def statuses(sessions: sessionmaker[Session], keys: list[str]) -> dict[str, str]:
    with sessions() as session:
        rows = session.execute(select(OutboxMessage.key, OutboxMessage.status).where(OutboxMessage.key.in_(keys)))
        return {key: status for key, status in rows}


def claimed_at_least_once(sessions: sessionmaker[Session], keys: list[str]) -> int:
    with sessions() as session:
        return int(
            session.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.key.in_(keys), OutboxMessage.attempts > 0)
            )
            or 0
        )


def all_sent(sessions: sessionmaker[Session], keys: list[str]) -> bool:
    return set(statuses(sessions, keys).values()) == {"sent"}


def received(fake: FakeSlack, prefix: str) -> Counter[str]:
    return Counter(call["text"] for call in fake.calls_to(POST) if str(call.get("text", "")).startswith(prefix))


class HeldSlack:
    """An answer for the fake that holds the calls chosen by `hold` until `release` is set, so a test can act
    (signal, kill) while a bot process is waiting for Slack in the middle of a call. A call is held at most
    HOLD_SECONDS, short of the bot's own time-out: a call the bot gave up on but Slack carried out would be a
    duplicate the test did not mean to make. `overheld` tells whether that limit, not the test, released one."""

    def __init__(
        self,
        hold: Callable[[int, dict[str, Any]], bool],
        answer: Callable[[dict[str, Any]], dict[str, Any]],
        release: threading.Event | None = None,
    ) -> None:
        self.hold, self.answer = hold, answer
        self.release = release or threading.Event()
        self.held = 0  # calls waiting right now
        self.overheld = False
        self._calls = 0
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._calls += 1
            hold = not self.release.is_set() and self.hold(self._calls, body)
            self.held += hold
        if hold:
            if not self.release.wait(HOLD_SECONDS):
                self.overheld = True
            with self._lock:
                self.held -= 1
        return self.answer(body)


def posted(body: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "channel": body.get("channel"), "ts": "1700000000.000100"}


# --- the database is missing at start ------------------------------------------------------------------------


def test_an_unreachable_database_at_start_is_one_line_naming_database_url_and_a_nonzero_exit(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    closed = free_port()  # nothing listens there
    url = f"postgresql://bridgebot:s3cret@127.0.0.1:{closed}/bridgebot"
    env = bot_environment(tmp_path, DATABASE_URL=url, SLACK_API_URL=fake_slack.base_url)  # the token is checked first

    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert "DATABASE_URL" in lines[0]
    assert f"127.0.0.1:{closed}" in lines[0]
    assert "s3cret" not in lines[0], "the password is not printed"
    assert "Traceback" not in result.stderr


# --- SIGTERM -----------------------------------------------------------------------------------------------------


def test_sigterm_finishes_the_work_in_flight_then_exits_0(
    launcher: Launcher, sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    keys = write_due_messages(sessions, "sigterm", 20, channels=10)  # a pass sends one per channel: 10
    refusal = {"ok": False, "error": "expired_trigger_id"}
    held = HeldSlack(lambda _number, body: body.get("text") == keys[0], posted)
    fake_slack.answers[POST] = held  # one message of the pass waits for Slack, and so does the form
    fake_slack.answers["views.open"] = HeldSlack(lambda _number, _body: True, lambda _body: refusal, held.release)
    bot = launcher.start("sigterm").wait_until_ready()

    ack = bot.slack.command("/jargon", "add")  # acknowledged at once; opening the form is done afterwards
    poll_until(lambda: fake_slack.calls_to("views.open") and held.held, timeout=START_SECONDS)
    bot.process.send_signal(signal.SIGTERM)
    held.release.set()
    exit_code = bot.process.wait(timeout=START_SECONDS)

    assert not held.overheld, "the signal came while the dispatch and the form were waiting for Slack"
    assert ack.status == 200
    assert exit_code == 0, bot.log()
    log = bot.log()
    assert "bridgebot stopped cleanly (SIGTERM)" in log
    assert "Traceback" not in log
    follow_up = [call["text"] for call in fake_slack.calls_to("response_url")]
    assert any("didn't let me open the form" in text for text in follow_up), "the work after the ack finished"
    outcome = statuses(sessions, keys)
    sent = [key for key in keys if outcome[key] == "sent"]
    assert set(outcome.values()) == {"sent", "pending"}, "every row claimed was sent and marked; none left mid-send"
    assert keys[0] in sent
    assert received(fake_slack, "sigterm") == Counter(sent), "what was marked sent is exactly what Slack got"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", bot.port), timeout=5).close()


def test_sigterm_writes_the_lookups_still_buffered(launcher: Launcher, sessions: sessionmaker[Session]) -> None:
    bot = launcher.start("lookups", LOOKUP_FLUSH_SECONDS="3600").wait_until_ready()  # no flush but the last
    for user in ("UALICE", "UBOB"):
        assert bot.slack.command("/jargon", "SQL", user=user).status == 200

    with sessions() as session:
        assert session.scalar(select(func.count(JargonLookup.id))) == 0, "buffered, not yet written"
    assert bot.terminate() == 0, bot.log()

    with sessions() as session:
        assert sorted(session.scalars(select(JargonLookup.user_id))) == ["UALICE", "UBOB"]


# --- two replicas ---------------------------------------------------------------------------------------------


@postgres_only
def test_two_replicas_on_one_postgresql_schema_send_every_message_exactly_once(
    launcher: Launcher, sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    keys = write_due_messages(sessions, "replicas", 200, channels=100)
    held = HeldSlack(lambda _number, _body: True, posted)
    fake_slack.answers[POST] = held  # every send waits until both replicas have claimed a batch

    first, second = launcher.start("replica-1"), launcher.start("replica-2")
    first.wait_until_ready()
    second.wait_until_ready()
    both_claimed = poll_until(lambda: claimed_at_least_once(sessions, keys) >= 100, timeout=START_SECONDS)
    held.release.set()
    poll_until(lambda: all_sent(sessions, keys), timeout=START_SECONDS)
    exit_codes = (first.terminate(), second.terminate())

    assert both_claimed, "a replica claims 50 at a time and cannot claim again while its batch is held"
    assert exit_codes == (0, 0), first.log() + second.log()
    counts = received(fake_slack, "replicas")
    assert set(counts) == set(keys), "nothing lost"
    assert [key for key, times in counts.items() if times > 1] == [], "nothing sent twice"
    assert sum(counts.values()) == 200


@postgres_only
@pytest.mark.empty_database
def test_replicas_starting_together_on_an_empty_database_take_turns(launcher: Launcher, database_url: str) -> None:
    first, second = launcher.start("fresh-1"), launcher.start("fresh-2")

    first.wait_until_ready()
    second.wait_until_ready()

    engine = db.create_engine_for(database_url)
    with Session(engine) as session:
        terms = session.scalar(select(func.count(Term.id)))
    engine.dispose()
    assert terms and terms == count_starter_terms(), "the starter glossary was loaded once, not twice"
    assert (first.terminate(), second.terminate()) == (0, 0)


def count_starter_terms() -> int:
    from bot.glossary_csv import read_glossary_csv
    from bot.glossary_service import STARTER_GLOSSARY

    return len(read_glossary_csv(STARTER_GLOSSARY.read_text(encoding="utf-8")))


# --- SIGKILL mid-dispatch ----------------------------------------------------------------------------------------


def lanes(channels: int) -> int:
    """How many rows the dispatcher `python -m bot` builds sends at once when a pass spans `channels` channels:
    one, unless it is configured with several workers and the pass spans at least `parallel_from` channels."""
    defaults = {name: parameter.default for name, parameter in inspect.signature(Dispatcher).parameters.items()}
    workers, parallel_from = defaults["workers"], defaults["parallel_from"]
    return min(workers, channels) if workers > 1 and channels >= parallel_from else 1


@postgres_only
@pytest.mark.parametrize("channels", [3, 12])
def test_sigkill_mid_send_loses_nothing_and_resends_only_the_messages_in_flight(
    launcher: Launcher, sessions: sessionmaker[Session], fake_slack: FakeSlack, channels: int
) -> None:
    """The bound: a sender marks each row right after Slack answers it, before its next send on that lane, so a
    killed process leaves at most one row sent-but-unmarked per lane (one lane unless the dispatcher has
    several workers). Only those are sent twice, once more each; nothing is lost."""
    in_flight = lanes(channels)
    keys = write_due_messages(sessions, "sigkill", max(12, 3 * channels), channels=channels)  # a few per channel
    held = HeldSlack(lambda number, _body: number > 4, posted)  # four messages go through, then Slack hangs
    fake_slack.answers[POST] = held
    lease = {"OUTBOX_LEASE_SECONDS": "3"}  # a dead sender's rows are reclaimed after 3 s instead of 2 minutes

    doomed = launcher.start("killed", **lease)
    poll_until(lambda: held.held == in_flight, timeout=START_SECONDS)
    doomed.process.kill()
    doomed.process.wait(timeout=START_SECONDS)
    held.release.set()
    sent_before_kill = set(received(fake_slack, "sigkill"))
    marked_at_kill = {key for key, status in statuses(sessions, keys).items() if status == "sent"}
    in_flight_at_kill = sent_before_kill - marked_at_kill

    restarted = launcher.start("restarted", **lease).wait_until_ready()
    poll_until(lambda: all_sent(sessions, keys), timeout=START_SECONDS)
    assert restarted.terminate() == 0, restarted.log()

    counts = received(fake_slack, "sigkill")
    assert not held.overheld, "the process was killed while its messages were waiting for Slack"
    assert set(counts) == set(keys), "nothing lost"
    assert len(marked_at_kill) == 4
    assert len(in_flight_at_kill) == in_flight
    assert {key for key, times in counts.items() if times > 1} == in_flight_at_kill, "only those are sent twice"
    assert max(counts.values()) == 2

"""Fixtures: a database per test (SQLite always, PostgreSQL when a server answers), the fake Slack Web API,
a movable clock, and the real app served over HTTP on a free port."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, inspect, make_url, text
from sqlalchemy.pool import NullPool

from bot.app import build_services, create_app, health_check
from bot.config import Settings
from bot.health import Readiness
from bot.server import make_http_server, wsgi_app
from bot.services import Services
from handlers import features, slack_calls
from storage import db
from storage.models import Base
from tests.fake_clock import FakeClock
from tests.fake_slack import FakeSlack
from tests.slack_requests import SIGNING_SECRET, SlackSender

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("BRIDGEBOT_REQUIRE_POSTGRES") == "1"

# No deadline on property tests: a time limit is a timed assertion, and CI's machine is shared (speed is bench/'s).
hypothesis_settings.register_profile("bridgebot", deadline=None)
hypothesis_settings.load_profile("bridgebot")

TEST_START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the tests' clock starts here; templates are made then
IT_CHANNEL, MARKETING_CHANNEL, JOINT_CHANNEL = "CITINTAKE", "CMARKETING", "CJOINT"
ADMIN = "UADMIN"
IT_PERSON = "UIVAN"  # a member of the IT intake channel, where they are one (see it_bot)


def move_clock_instead_of_sleeping(services: Services, clock: FakeClock) -> list[float]:
    """The dispatcher's waits for a paced channel move the clock instead of sleeping; returns them as made."""
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds=seconds)

    services.dispatcher.sleep = wait
    services.dispatcher.pause = wait
    return waits


def _postgres_available() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 2})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:
        return f"no PostgreSQL answers at {POSTGRES_URL}: {type(error).__name__}"


_POSTGRES_PROBLEM: str | None = None
_POSTGRES_PROBED = False


def postgres_problem() -> str | None:
    global _POSTGRES_PROBLEM, _POSTGRES_PROBED
    if not _POSTGRES_PROBED:
        _POSTGRES_PROBLEM, _POSTGRES_PROBED = _postgres_available(), True
    return _POSTGRES_PROBLEM


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own for each test: migrated to the head, copied from a template migrated once per run
    (with the starter glossary when the test runs the bot, as the bot loads it at start). A test marked
    `empty_database` gets one with nothing in it, for what the migrations themselves do."""
    empty = request.node.get_closest_marker("empty_database") is not None
    kind = None if empty else ("glossary" if "running_bot" in request.fixturenames else "migrated")
    if request.param == "sqlite":
        path = tmp_path / "bridgebot.db"
        if kind is not None:
            shutil.copyfile(_sqlite_template(kind), path)
        yield f"sqlite:///{path}"
        return
    problem = postgres_problem()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"BRIDGEBOT_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)
    if kind is None:
        name = f"{_run_prefix()}{uuid.uuid4().hex[:10]}"
        _postgres_admin(f'CREATE DATABASE "{name}"')
        try:
            yield _postgres_url_of(name)
        finally:
            _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    yield _postgres_work_database().reset_to(kind)


# --- templates: migrate once per run (per xdist worker), copy per test -------------------------------------------

_SQLITE_TEMPLATES: dict[str, Path] = {}
POSTGRES_TEST_PREFIX = "bbt_"


def _fill_template(url: str, kind: str) -> None:
    """What every start does to a new database: migrate it and, for the bot, load the starter glossary."""
    built = build_services(
        Settings(bot_token="xoxb-test", signing_secret="", database_url=url), clock=lambda: TEST_START
    )
    try:
        if kind == "glossary":
            built.glossary.load_starter_glossary_if_empty()
    finally:
        built.engine.dispose()


def _sqlite_template(kind: str) -> Path:
    if kind not in _SQLITE_TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="bridgebot-templates-"))
        path = folder / f"{kind}.db"
        _fill_template(f"sqlite:///{path}", kind)
        with contextlib.closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        _SQLITE_TEMPLATES[kind] = path
    return _SQLITE_TEMPLATES[kind]


def sqlite_as_a_start_leaves_it(path: Path) -> str:
    """An SQLite file at `path` as a first start leaves it (migrated, the starter glossary loaded), and its URL:
    for process tests about something else than a first start, which then skip the migration child."""
    shutil.copyfile(_sqlite_template("glossary"), path)
    return f"sqlite:///{path}"


def _run_prefix() -> str:
    """Names of this process's databases: the pid tells a later run which ones a dead run left behind."""
    return f"{POSTGRES_TEST_PREFIX}{os.getpid()}_"


def _postgres_url_of(name: str) -> str:
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _postgres_admin(statement: str) -> list[Any]:
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            result = connection.execute(text(statement))
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


class PostgresWorkDatabase:
    """This process's PostgreSQL database, migrated once, and put back before each test as a start leaves it.

    Cloning a database per test (CREATE DATABASE … TEMPLATE) costs 0.13 to 0.5 s here, as PostgreSQL copies and
    fsyncs the whole catalog; putting one database back (delete every row, copy in the rows the template had,
    restart the id sequences) is one round trip of about 20 ms. The rows a start leaves (after the migrations,
    and after loading the starter glossary) are kept in schemas of their own, one per kind."""

    def __init__(self) -> None:
        self.name = f"{_run_prefix()}work"
        self.url = _postgres_url_of(self.name)
        _postgres_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        _postgres_admin(f'CREATE DATABASE "{self.name}"')
        self._tables = [table.name for table in Base.metadata.sorted_tables]  # parents before children
        self._reset: dict[str, str] = {}
        engine = db.create_engine_for(self.url)
        try:
            db.upgrade(engine)
            self._check_tables(engine)
            self._keep_rows(engine, "migrated")
            _fill_template(self.url, "glossary")  # what a start does: the starter glossary
            self._keep_rows(engine, "glossary")
        finally:
            engine.dispose()

    def _check_tables(self, engine: Engine) -> None:
        found = set(inspect(engine).get_table_names()) - {db.VERSION_TABLE}
        if found != set(self._tables):
            raise AssertionError(
                f"the models and the migrated database name different tables: {found ^ set(self._tables)}"
            )

    def _keep_rows(self, engine: Engine, kind: str) -> None:
        schema = f"rows_{kind}"
        statements = ["BEGIN;"]
        statements += [f'DELETE FROM public."{table}";' for table in reversed(self._tables)]
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            for table in self._tables:
                if connection.execute(text(f'SELECT EXISTS (SELECT 1 FROM public."{table}")')).scalar():
                    connection.execute(text(f'CREATE TABLE "{schema}"."{table}" AS SELECT * FROM public."{table}"'))
                    statements.append(f'INSERT INTO public."{table}" SELECT * FROM "{schema}"."{table}";')
            sequences = connection.execute(
                text(
                    "SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) "
                    "FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL"
                )
            ).all()
        statements += [
            f'SELECT setval(\'{sequence}\', COALESCE((SELECT max("{column}") FROM public."{table}"), 0) + 1, false);'
            for table, column, sequence in sequences
        ]
        statements.append("COMMIT;")
        self._reset[kind] = "".join(statements)

    def reset_to(self, kind: str) -> str:
        """The database as a start leaves it; whatever the last test left connected to it is disconnected."""
        with psycopg.connect(_libpq_url(self.url), autocommit=True) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            connection.execute(self._reset[kind].encode())
        return self.url


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


_POSTGRES_WORK: list[PostgresWorkDatabase] = []


def _postgres_work_database() -> PostgresWorkDatabase:
    if not _POSTGRES_WORK:
        _drop_databases_of_dead_runs()
        _POSTGRES_WORK.append(PostgresWorkDatabase())
    return _POSTGRES_WORK[0]


def _drop_databases_of_dead_runs() -> None:
    names = _postgres_admin(f"SELECT datname FROM pg_database WHERE datname LIKE '{POSTGRES_TEST_PREFIX}%'")
    for (name,) in names:
        pid = name[len(POSTGRES_TEST_PREFIX) :].split("_", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pytest_sessionfinish(session: pytest.Session) -> None:
    for work in _POSTGRES_WORK:
        with contextlib.suppress(Exception):
            _postgres_admin(f'DROP DATABASE IF EXISTS "{work.name}" WITH (FORCE)')
    for path in _SQLITE_TEMPLATES.values():
        shutil.rmtree(path.parent, ignore_errors=True)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(TEST_START)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()
    assert not fake.problems, "the bot sent what Slack would reject:\n" + "\n".join(fake.problems)
    assert fake.allow_throttling or not fake.throttled, "the bot went over Slack's rate tiers:\n" + "\n".join(
        fake.throttled
    )


def make_settings(fake: FakeSlack, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": "xoxb-test",
        "signing_secret": SIGNING_SECRET,
        "api_url": fake.base_url,
        "database_url": database_url,
        "it_intake_channel": IT_CHANNEL,
        "marketing_channel": MARKETING_CHANNEL,
        "joint_channel": JOINT_CHANNEL,
        "admins": frozenset({ADMIN}),
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class RunningBot:
    services: Services
    slack: SlackSender
    fake: FakeSlack
    clock: FakeClock
    url: str

    def dispatch(self) -> Any:
        return self.services.dispatcher.run_once()


@pytest.fixture
def settings(fake_slack: FakeSlack, database_url: str) -> Settings:
    return make_settings(fake_slack, database_url)


@pytest.fixture
def services(settings: Settings, clock: FakeClock, fake_slack: FakeSlack) -> Iterator[Services]:
    built = build_services(settings, clock=clock)
    # A wait for a paced channel counts in the dispatcher's pace clock whether or not time passes (bot.notify's
    # _PaceClock), so the tests' dispatcher does not sleep it in real time; tests of pacing set their own.
    built.dispatcher.sleep = built.dispatcher.pause = fake_slack.skip
    yield built
    built.engine.dispose()


@contextlib.contextmanager
def restarted(settings: Settings, clock: FakeClock) -> Iterator[Services]:
    """The bot started again on the same database (as after a restart, or a second replica), for the `with`."""
    again = build_services(settings, clock=clock)
    try:
        yield again
    finally:
        again.engine.dispose()


def assert_fields(row: Any, **expected: Any) -> None:
    """The named attributes of `row` (a model or a view) are the values given."""
    assert {name: getattr(row, name) for name in expected} == expected


SETTLE_SECONDS = 10.0


class AfterAckWork(ThreadPoolExecutor):
    """Bolt's listener executor, counting what it was given: Bolt submits a listener before it answers the
    request, so once the answer is back, `settle()` waits for exactly the work that request started."""

    def __init__(self) -> None:
        super().__init__(max_workers=5, thread_name_prefix="bolt-listener")
        self._pending = 0
        self._changed = threading.Condition()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._changed:
            self._pending += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._one_done)
        return future

    def _one_done(self, _future: Future[Any]) -> None:
        with self._changed:
            self._pending -= 1
            self._changed.notify_all()

    def settle(self, timeout: float = SETTLE_SECONDS) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._pending == 0, timeout=timeout):
                raise AssertionError(f"the bot's after-ack work was still running after {timeout} s")


_AFTER_ACK: list[AfterAckWork] = []  # the running bot's, while one runs


@pytest.fixture(autouse=True)
def no_real_spacing_between_group_dms(monkeypatch: pytest.MonkeyPatch) -> None:
    """The intro group DMs are spaced 1.2 s for Slack's Tier 3 (tests/test_slack_calls.py checks that); the other
    tests need not sleep it in real time."""
    monkeypatch.setattr(slack_calls, "OPEN_SPACING_SECONDS", 0.0)


@pytest.fixture
def running_bot(services: Services, fake_slack: FakeSlack, clock: FakeClock) -> Iterator[RunningBot]:
    """The real app on a free port, with the starter glossary loaded: what Slack would talk to."""
    services.glossary.load_starter_glossary_if_empty()
    after_ack = AfterAckWork()
    app = create_app(services, listener_executor=after_ack)
    server = make_http_server(
        wsgi_app(app, Readiness(health_check(services)), signing_secret=SIGNING_SECRET), "127.0.0.1", 0
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    fake_slack.reset()
    _AFTER_ACK.append(after_ack)
    try:
        yield RunningBot(services, SlackSender(f"{base}/slack/events", fake_slack), fake_slack, clock, base)
    finally:
        _AFTER_ACK.remove(after_ack)
        server.shutdown()
        server.server_close()
        # Work Bolt runs after the acknowledgement (e.g. recording a lookup) must end before the database goes away.
        after_ack.shutdown(wait=True)


@pytest.fixture
def it_bot(running_bot: RunningBot) -> RunningBot:
    """The running bot, with IT_PERSON a member of the IT intake channel (whose members decide intakes)."""
    running_bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    return running_bot


def bot_with_only_home_section(section: Any) -> Any:
    """A `bot` fixture for a module: the running bot with only `section` on Home (handlers/features.py registers
    every section and its listeners; the app reads them when it is built, so the patch comes first)."""

    @pytest.fixture
    def bot(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, database_url: str) -> RunningBot:
        """(database_url is named so that pytest knows this fixture runs on each database.)"""
        monkeypatch.setattr(features, "HOME_SECTIONS", (section,))
        running: RunningBot = request.getfixturevalue("running_bot")
        return running

    return bot


def wait_for(predicate: Any, timeout: float = SETTLE_SECONDS) -> Any:
    """What the bot does after acknowledging (respond, record) runs on Bolt's thread pool: wait until that
    work has finished (an event, not a poll), then the predicate must hold."""
    if not _AFTER_ACK:
        raise AssertionError("wait_for waits on a running bot's after-ack work; use poll_until for a process")
    _AFTER_ACK[-1].settle(timeout)
    result = predicate()
    if not result:
        raise AssertionError("the bot finished its after-ack work, and what the test waited for did not happen")
    return result


def poll_until(predicate: Any, timeout: float = 5.0, interval: float = 0.02) -> Any:
    """For what no event announces (another process, the kernel closing a port): check until true."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(interval)

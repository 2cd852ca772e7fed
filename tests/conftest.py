"""Fixtures: a database per test (SQLite always, PostgreSQL when a server answers), the fake Slack Web API,
a movable clock, and the real app served over HTTP on a free port."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.app import Services, build_services, create_app
from bot.config import Settings
from bot.server import make_http_server, wsgi_app
from storage import db
from tests.fake_slack import FakeSlack
from tests.slack_requests import SIGNING_SECRET, SlackSender

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("BRIDGEBOT_REQUIRE_POSTGRES") == "1"

IT_CHANNEL, MARKETING_CHANNEL, JOINT_CHANNEL = "CITINTAKE", "CMARKETING", "CJOINT"
ADMIN = "UADMIN"


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def move_clock_instead_of_sleeping(services: Services, clock: FakeClock) -> list[float]:
    """The dispatcher's waits for a paced channel move the clock instead of sleeping; returns them as made."""
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds=seconds)

    services.dispatcher.sleep = wait
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
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bridgebot.db'}"
        return
    problem = postgres_problem()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"BRIDGEBOT_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()
    assert not fake.problems, "the bot sent what Slack would reject:\n" + "\n".join(fake.problems)


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
def services(settings: Settings, clock: FakeClock) -> Iterator[Services]:
    built = build_services(settings, clock=clock)
    yield built
    built.engine.dispose()


@pytest.fixture
def running_bot(services: Services, fake_slack: FakeSlack, clock: FakeClock) -> Iterator[RunningBot]:
    """The real app on a free port, with the starter glossary loaded: what Slack would talk to."""
    services.glossary.load_starter_glossary_if_empty()
    app = create_app(services)
    server = make_http_server(wsgi_app(app, lambda: db.ping(services.engine)), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    fake_slack.reset()
    yield RunningBot(services, SlackSender(f"{base}/slack/events", fake_slack), fake_slack, clock, base)
    server.shutdown()
    server.server_close()
    # Work Bolt runs after the acknowledgement (e.g. recording a lookup) must end before the database goes away.
    app.listener_runner.listener_executor.shutdown(wait=True)


def wait_for(predicate: Any, timeout: float = 5.0) -> Any:
    """Work done after the acknowledgement (respond, record) finishes on Bolt's thread pool: poll for it."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the bot")
        time.sleep(0.02)

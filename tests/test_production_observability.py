"""What the people who run the bot read: LOG_FORMAT=json gives only JSON lines (the bot's, the libraries', the
migration child's, a start-up error's), a line per request, and Prometheus metrics on METRICS_PORT.

The bot runs as `python -m bot` against the fake Slack, as in tests/test_production_processes.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from sqlalchemy import select

from bot.notify import Outgoing, enqueue
from storage import db
from storage.models import OutboxMessage
from tests.conftest import poll_until
from tests.fake_slack import FakeSlack
from tests.test_migration_head import database_from_a_later_version
from tests.test_production_processes import (
    POST,
    START_SECONDS,
    BotProcess,
    Launcher,
    bot_environment,
    free_port,
    launcher,  # noqa: F401  (the fixture)
)

SECRET_TEXT = "zebrafish-42"  # what a person typed: it must appear in no log line and no metric
FAMILIES = {
    "bridgebot_request_duration_seconds",
    "bridgebot_outbox_rows",
    "bridgebot_outbox_send_failures",
    "bridgebot_outbox_dispatch_lag_seconds",
    "bridgebot_planner_duration_seconds",
    "bridgebot_database_up",
}


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line parsed as one JSON object with time, level, logger and message; fails on any other line."""
    records = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
        assert isinstance(record, dict), line
        assert {"time", "level", "logger", "message"} <= record.keys(), line
        datetime.fromisoformat(record["time"])
        records.append(record)
    return records


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def scrape(url: str) -> dict[str, list[Sample]]:
    status, text = get(f"{url}/metrics")
    assert status == 200
    assert not re.search(r'"[UW][A-Z0-9]{2,}"', text), "no user id in any label"
    assert SECRET_TEXT not in text
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def value(samples: list[Sample], name: str, **labels: str) -> float:
    return sum(s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def write_due(database_url: str, *keys_and_channels: tuple[str, str]) -> None:
    engine = db.create_engine_for(database_url)
    try:
        with db.make_session_factory(engine).begin() as session:
            for key, channel in keys_and_channels:
                enqueue(session, Outgoing(key, {"channel": channel, "text": key}), datetime.now(UTC))
    finally:
        engine.dispose()


def final_states(database_url: str, keys: list[str]) -> dict[str, str]:
    engine = db.create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(OutboxMessage.key, OutboxMessage.status).where(OutboxMessage.key.in_(keys))
            )
            return {key: status for key, status in rows if status in ("sent", "failed")}
    finally:
        engine.dispose()


@pytest.mark.empty_database  # a fresh database: the migration child process logs too
def test_json_logs_and_metrics_from_a_running_bot(launcher: Launcher, database_url: str) -> None:  # noqa: F811
    metrics_port = free_port()
    bot: BotProcess = launcher.start(
        "observed", LOG_FORMAT="json", LOG_LEVEL="DEBUG", METRICS_PORT=str(metrics_port)
    ).wait_until_ready()
    metrics_url = f"http://127.0.0.1:{metrics_port}"

    reply = bot.slack.command("/jargon", SECRET_TEXT)
    launcher.fake.fail_next(POST, error="channel_not_found")  # the first post fails for good
    write_due(database_url, ("observed:1", "C0FIRST"), ("observed:2", "C0SECOND"))
    poll_until(lambda: len(final_states(database_url, ["observed:1", "observed:2"])) == 2, timeout=START_SECONDS)
    families = poll_until(
        lambda: (found := scrape(metrics_url))["bridgebot_planner_duration_seconds"] and found, timeout=START_SECONDS
    )
    health = get(f"{metrics_url}/healthz")
    assert bot.terminate() == 0

    assert reply.status == 200
    assert families.keys() >= FAMILIES
    requests = families["bridgebot_request_duration_seconds"]
    assert value(requests, "bridgebot_request_duration_seconds_count", kind="command /jargon", outcome="ok") == 1
    rows = families["bridgebot_outbox_rows"]
    assert value(rows, "bridgebot_outbox_rows", state="sent") == 1
    assert value(rows, "bridgebot_outbox_rows", state="failed") == 1
    failures = families["bridgebot_outbox_send_failures"]
    assert value(failures, "bridgebot_outbox_send_failures_total", error="channel_not_found", final="true") == 1
    assert value(families["bridgebot_outbox_dispatch_lag_seconds"], "bridgebot_outbox_dispatch_lag_seconds_count") == 1
    assert value(families["bridgebot_database_up"], "bridgebot_database_up") == 1
    assert {s.labels["planner"] for s in families["bridgebot_planner_duration_seconds"]} == {
        "NewProjectService",
        "SitdownService",
        "LunchLearnService",
        "LiaisonService",
        "VendorService",
        "DigestService",
    }
    assert health[0] == 200 and json.loads(health[1])["ok"] is True

    log = bot.log()
    records = json_lines(log)
    assert SECRET_TEXT not in log and "xoxb-test" not in log, "never what people typed, never a token"
    messages = [record["message"] for record in records]
    assert "migrating the database: python -m bot db upgrade" in messages
    assert "database is up to date" in messages, "the migration child's own line, in JSON too"
    assert any(message.startswith("bridgebot ") and ": HTTP on http://" in message for message in messages)
    [request] = [record for record in records if record["logger"] == "bot.requests"]
    assert request["level"] == "INFO"
    assert request["request_kind"] == "command /jargon"
    assert (request["user_id"], request["team_id"], request["outcome"], request["status"]) == (
        "UALICE",
        "T0001",
        "ok",
        200,
    )
    assert isinstance(request["latency_ms"], float)
    assert "bridgebot stopped cleanly" in messages[-1]


def run_bot(home: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = bot_environment(home, **{"SLACK_API_URL": "http://127.0.0.1:9/", **settings})  # unreachable unless given
    return subprocess.run([sys.executable, "-m", "bot"], cwd=home, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"METRICS_PORT": "3000", "PORT": "3000"}, "METRICS_PORT"),
        ({"METRICS_PORT": "99999"}, "METRICS_PORT"),
    ],
)
def test_a_bad_setting_in_json_is_one_json_line_naming_it(tmp_path: Path, settings: dict[str, str], named: str) -> None:
    result = run_bot(tmp_path, LOG_FORMAT="json", **settings)

    assert result.returncode == 2
    assert result.stdout == ""
    [record] = json_lines(result.stderr)
    assert record["level"] == "ERROR" and named in record["message"]


def test_a_bad_log_format_is_one_plain_line_naming_it(tmp_path: Path) -> None:
    result = run_bot(tmp_path, LOG_FORMAT="xml")

    assert result.returncode == 2
    assert result.stderr.splitlines() == ["bridgebot: LOG_FORMAT must be text or json (or unset for text), not 'xml'."]


def test_a_failed_migration_in_json_is_json_lines_only_even_the_childs_traceback(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    database = database_from_a_later_version(tmp_path)

    result = run_bot(  # Slack answers auth.test (the start asks it first); the migration then fails
        tmp_path, LOG_FORMAT="json", DATABASE_URL=f"sqlite:///{database}", SLACK_API_URL=fake_slack.base_url
    )

    assert result.returncode == 2
    records = json_lines(result.stderr)
    assert any("9999" in record.get("exception", "") for record in records), "alembic's reason, from the child"
    assert records[-1]["message"].startswith("migrating the database failed")

"""The request log line and the metrics port, in process: what each request's line holds, in text and JSON,
and what the metrics port answers (its /healthz is Socket Mode's, which serves nothing on PORT)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_bolt import BoltRequest

from bot import metrics
from bot.app import create_app
from bot.config import ConfigError, settings_from
from bot.health import Readiness
from bot.logs import LOG_FORMAT, JsonFormatter, SafeFormatter
from bot.metrics_server import PrometheusMetrics, serve_metrics
from bot.services import Services
from handlers.observed import request_kind
from tests.conftest import RunningBot, wait_for
from tests.test_production_observability import get

TYPED = "kiwi <!channel> secret"


def request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "bot.requests"]


def test_a_handled_command_is_one_info_line_with_its_kind_ids_latency_and_outcome(
    running_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        reply = running_bot.slack.command("/jargon", TYPED, user="UBOB")
        wait_for(lambda: True)

    assert reply.status == 200
    [record] = request_records(caplog)
    assert record.levelno == logging.INFO
    fields = record.__dict__["fields"]
    assert {k: fields[k] for k in ("request_kind", "user_id", "team_id", "outcome", "status")} == {
        "request_kind": "command /jargon",
        "user_id": "UBOB",
        "team_id": "T0001",
        "outcome": "ok",
        "status": 200,
    }
    assert fields["latency_ms"] >= 0
    text_line = SafeFormatter(LOG_FORMAT).format(record)
    json_line = json.loads(JsonFormatter().format(record))
    assert "command /jargon from UBOB in T0001: ok (200)" in text_line
    assert json_line["request_kind"] == "command /jargon" and json_line["logger"] == "bot.requests"
    assert "kiwi" not in text_line and "kiwi" not in json.dumps(json_line), "never what the person typed"


def test_a_listener_that_fails_before_acknowledging_is_logged_with_the_outcome_error(
    running_bot: RunningBot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(running_bot.services.glossary, "lookup", broken)
    with caplog.at_level(logging.INFO):
        running_bot.slack.command("/jargon", "SQL")
        wait_for(lambda: True)

    [record] = request_records(caplog)
    assert record.__dict__["fields"]["outcome"] == "error"


def test_a_socket_mode_request_the_envelope_refuses_is_logged_with_the_outcome_refused(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(services, token_verification=False)
    body = {"command": "/jargon", "text": "SQL", "user_id": 42, "team_id": "T0001", "channel_id": "CGENERAL"}

    with caplog.at_level(logging.INFO):
        response = app.dispatch(BoltRequest(body=body, mode="socket_mode"))  # as Socket Mode hands it over

    assert response.status == 200, "a slash command is told, with a 200, that nothing went through"
    [record] = request_records(caplog)
    assert record.__dict__["fields"]["outcome"] == "refused"


def test_an_event_and_an_interaction_are_named_by_their_type() -> None:
    assert request_kind({"type": "event_callback", "event": {"type": "app_home_opened"}}) == "event app_home_opened"
    assert request_kind({"type": "block_actions", "actions": [{"action_id": "jargon_show:12"}]}) == "block_actions"
    assert request_kind({"command": "/Jargon; DROP"}) == "command other", "a bounded set of names"
    assert request_kind("not a dict") == "other"


class Health:
    def __init__(self) -> None:
        self.failing = False

    def __call__(self) -> None:
        if self.failing:
            raise ConnectionError("database down")


@pytest.fixture
def metrics_port() -> Iterator[tuple[str, Health, Callable[[], dict[str, int]]]]:
    health, counts = Health(), {"pending": 2, "sent": 5}

    def outbox_counts() -> dict[str, int]:
        health()
        return counts

    server = serve_metrics("127.0.0.1", 0, readiness=Readiness(health), outbox_counts=outbox_counts)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", health, outbox_counts
    finally:
        server.shutdown()
        metrics.use(metrics.Metrics())  # the no-op hooks again, for the other tests


def test_the_metrics_port_serves_healthz_and_says_when_the_database_is_down(
    metrics_port: tuple[str, Health, Any],
) -> None:
    url, health, _ = metrics_port
    assert isinstance(metrics.current, PrometheusMetrics)

    ok_status, ok_body = get(f"{url}/healthz")
    up = get(f"{url}/metrics")[1]
    health.failing = True
    down_status, down_body = get(f"{url}/healthz")
    down = get(f"{url}/metrics")[1]

    assert (ok_status, json.loads(ok_body)["ok"]) == (200, True)
    assert "bridgebot_database_up 1.0" in up and 'bridgebot_outbox_rows{state="sent"} 5.0' in up
    assert 'bridgebot_outbox_rows{state="failed"} 0.0' in up, "every state, even when none is in it"
    assert (down_status, json.loads(down_body)["ok"]) == (503, False)
    assert "bridgebot_database_up 0.0" in down and "bridgebot_outbox_rows{" not in down
    assert get(f"{url}/slack/events")[0] == 404, "Slack's path is never served here"


def test_a_label_from_outside_the_bounded_set_is_other(metrics_port: tuple[str, Health, Any]) -> None:
    url, _, _ = metrics_port
    metrics.current.send_failed("x" * 200, final=False)
    metrics.current.request_handled("command /jargon", "ok", 0.01)

    text = get(f"{url}/metrics")[1]

    assert 'bridgebot_outbox_send_failures_total{error="other",final="false"} 1.0' in text
    assert 'kind="command /jargon",outcome="ok"' in text


MINIMAL = {"SLACK_BOT_TOKEN": "xoxb-1-abc", "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef"}


def test_logs_are_text_at_info_and_metrics_off_unless_set() -> None:
    settings = settings_from(MINIMAL)
    assert (settings.log_level, settings.log_format, settings.metrics_port) == ("INFO", "text", None)
    chosen = settings_from({**MINIMAL, "LOG_LEVEL": "debug", "LOG_FORMAT": "JSON", "METRICS_PORT": "9100"})
    assert (chosen.log_level, chosen.log_format, chosen.metrics_port) == ("DEBUG", "json", 9100)


def test_in_socket_mode_the_metrics_port_may_be_the_unused_port() -> None:
    socket_mode = {**MINIMAL, "SLACK_APP_TOKEN": "xapp-1-A1-xyz", "METRICS_PORT": "3000"}
    assert settings_from(socket_mode).metrics_port == 3000
    with pytest.raises(ConfigError, match="METRICS_PORT must differ from PORT"):
        settings_from({**MINIMAL, "METRICS_PORT": "3000"})

"""Socket Mode in one process (bot.socket_mode): "connected" and ready only once Slack said hello; a refused app
token stops the start; an unreachable Slack is retried and said once per report period; a lost connection is
noticed and re-made. The WebSocket is tests/fake_socket_mode.py, handed out by the fake Web API."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from slack_bolt import App
from slack_sdk import WebClient

from bot.config import ConfigError
from bot.health import Readiness
from bot.socket_mode import SocketModeLink
from tests.conftest import poll_until
from tests.fake_slack import FakeSlack
from tests.fake_socket_mode import FakeSocketMode


@pytest.fixture
def socket_mode() -> Iterator[FakeSocketMode]:
    endpoint = FakeSocketMode().start()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def readiness() -> Readiness:
    return Readiness()


@pytest.fixture
def link(fake_slack: FakeSlack, readiness: Readiness) -> Iterator[SocketModeLink]:
    client = WebClient(token="xoxb-test", base_url=fake_slack.base_url)
    app = App(signing_secret="socket-mode", client=client, token_verification_enabled=False)
    built = SocketModeLink(
        app, "xapp-test", readiness, api_url=fake_slack.base_url, retry_seconds=0.2, hello_seconds=1.0, ping_seconds=1.0
    )
    yield built
    built.close()


def polled(link: SocketModeLink, until: object) -> None:
    def step() -> bool:
        link.poll()
        return bool(until() if callable(until) else until)

    poll_until(step, timeout=20)


def bot_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "bot"]


def test_connected_and_ready_only_after_slack_said_hello(
    link: SocketModeLink, socket_mode: FakeSocketMode, fake_slack: FakeSlack, readiness: Readiness, caplog
) -> None:
    caplog.set_level(logging.INFO)
    before = readiness.report()
    socket_mode.serve_through(fake_slack)

    polled(link, lambda: link.connected)

    assert not before.ready and before.checks["slack"] == "connecting"
    assert before.reasons == ("not connected to Slack in Socket Mode yet",)
    assert readiness.report().ready and readiness.report().checks["slack"] == "connected"
    assert bot_lines(caplog) == ["connected in Socket Mode: Slack said hello"]
    assert len(fake_slack.calls_to("apps.connections.open")) == 1


def test_a_socket_that_never_says_hello_is_never_connected(
    link: SocketModeLink, fake_slack: FakeSlack, readiness: Readiness, caplog
) -> None:
    caplog.set_level(logging.INFO)
    silent = FakeSocketMode(hello=False).start()
    silent.serve_through(fake_slack)
    try:
        polled(link, lambda: link.attempts >= 2)
    finally:
        silent.stop()

    assert silent.handshakes >= 2, "the WebSocket opened each time"
    assert not link.connected and not readiness.report().ready
    lines = bot_lines(caplog)
    assert not any("connected" in line for line in lines), lines
    assert len(lines) == 1, "one line per report period, however many attempts"
    assert "said no hello" in lines[0] and "retrying every" in lines[0]


def test_an_unreachable_websocket_is_retried_and_said_once_a_period(
    link: SocketModeLink, fake_slack: FakeSlack, readiness: Readiness, caplog
) -> None:
    caplog.set_level(logging.INFO)
    closed = FakeSocketMode().start()
    url = closed.url
    closed.stop()  # nothing listens there now
    fake_slack.answers["apps.connections.open"] = {"ok": True, "url": url}

    polled(link, lambda: link.attempts >= 3)

    lines = bot_lines(caplog)
    assert len(lines) == 1, lines
    assert "Slack is unreachable" in lines[0] and "cannot open the WebSocket" in lines[0]
    assert not any("connected" in line for line in lines)
    health = readiness.report()
    assert not health.ready and health.checks["slack"] == "unreachable"
    assert "cannot open the WebSocket" in health.reasons[0]
    client_records = [r for r in caplog.records if r.name.startswith("slack_sdk.socket_mode")]
    assert client_records == [], "the client's own lines during an outage are summed up, not repeated"


def test_an_unreachable_web_api_names_apps_connections_open(
    link: SocketModeLink, fake_slack: FakeSlack, readiness: Readiness, caplog
) -> None:
    caplog.set_level(logging.INFO)
    fake_slack.fail_next("apps.connections.open", status=500, error="internal_error", times=100)

    polled(link, lambda: link.attempts >= 2)

    [line] = bot_lines(caplog)
    assert f"apps.connections.open at {fake_slack.base_url} answered internal_error" in line
    assert not readiness.report().ready


@pytest.mark.parametrize("error", ["invalid_auth", "not_authed", "account_inactive", "token_revoked"])
def test_a_refused_app_token_stops_the_start_naming_slack_app_token(
    link: SocketModeLink, fake_slack: FakeSlack, error: str
) -> None:
    fake_slack.fail_next("apps.connections.open", error=error)

    with pytest.raises(ConfigError) as refused:
        polled(link, False)

    assert str(refused.value).startswith(f"SLACK_APP_TOKEN was refused by Slack ({error})")
    assert "\n" not in str(refused.value)


def test_a_lost_connection_is_not_ready_until_slack_says_hello_again(
    link: SocketModeLink, socket_mode: FakeSocketMode, fake_slack: FakeSlack, readiness: Readiness, caplog
) -> None:
    caplog.set_level(logging.INFO)
    socket_mode.serve_through(fake_slack)
    polled(link, lambda: link.connected)

    socket_mode.drop_all()
    polled(link, lambda: not link.connected)
    lost = readiness.report()
    polled(link, lambda: link.connected)

    assert not lost.ready and lost.checks["slack"] in ("reconnecting", "unreachable")
    assert readiness.report().ready
    lines = bot_lines(caplog)
    assert lines[0] == "connected in Socket Mode: Slack said hello"
    assert "lost the Socket Mode connection to Slack; reconnecting" in lines
    assert lines[-1].startswith("reconnected in Socket Mode: Slack said hello")
    assert socket_mode.handshakes == 2

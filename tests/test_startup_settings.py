"""Start-up that tells the truth, in-process: the settings it refuses (each one line naming the setting), the
summary line and the warnings it gives, and what it says when Slack refuses the bot token or cannot be reached."""

from __future__ import annotations

import errno
import json
import re
import socket
from pathlib import Path

import pytest
from sqlalchemy import make_url

from bot.app import web_client
from bot.config import DEFAULT_SQLITE_URL, ConfigError, Settings, settings_from, sqlite_file_of
from bot.health import Readiness
from bot.startup import Identity, StartFailed, bind_failure, channel_warnings, shown_database, summary, who_am_i
from tests.conftest import make_settings
from tests.fake_slack import FakeSlack
from tests.test_config_and_cli import MINIMAL, config_error

REPO_ROOT = Path(__file__).resolve().parents[1]


def example_env() -> dict[str, str]:
    """.env.example as an admin who copied it and filled in nothing has it."""
    values = {}
    for line in (REPO_ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


# --- placeholders and Socket Mode --------------------------------------------------------------------------------


def test_the_bot_token_placeholder_from_env_example_is_named_as_such() -> None:
    message = config_error(example_env())

    assert message.startswith("SLACK_BOT_TOKEN is still the placeholder from .env.example (xoxb-your-bot-token)")


def test_the_signing_secret_placeholder_is_named_as_such_in_http_mode() -> None:
    message = config_error({**example_env(), "SLACK_BOT_TOKEN": "xoxb-1-abc"})

    assert message.startswith("SLACK_SIGNING_SECRET is still the placeholder from .env.example")


@pytest.mark.parametrize("value", ["xoxb-your-token-here", "xapp-YOUR_APP_TOKEN"])
def test_a_value_shaped_like_a_placeholder_is_one_too(value: str) -> None:
    name = "SLACK_BOT_TOKEN" if value.startswith("xoxb") else "SLACK_APP_TOKEN"

    assert "placeholder" in config_error({**MINIMAL, name: value})


def test_socket_mode_needs_no_signing_secret_even_when_the_placeholder_is_left() -> None:
    env = {**example_env(), "SLACK_BOT_TOKEN": "xoxb-1-abc", "SLACK_APP_TOKEN": "xapp-1-A1-xyz"}

    settings = settings_from(env)

    assert settings.socket_mode and settings.signing_secret == ""


# --- DATABASE_URL and HOST -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("postgresql://bot:pw@db:54x2/bridgebot", "the port, after the host and a colon, must be a number"),
        ("postgresql://bot:pw@db:70000/bridgebot", "port must be between 1 and 65535, not 70000"),
        ("postgresql://bot:pw@db:5432", "names no database"),
        ("postgresql://bot:pw@db:5432/", "names no database"),
        ("postgresql://bot:pa#ss@db/bridgebot", "unencoded '#' in its password"),
        ("sqlite:///no/such/folder/bridgebot.db", "a folder that does not exist"),
    ],
)
def test_a_database_url_that_would_surprise_is_one_line(value: str, expected: str) -> None:
    message = config_error({**MINIMAL, "DATABASE_URL": value})

    assert message.startswith("DATABASE_URL")
    assert expected in message
    assert "pw" not in message.replace("pwd", "")


def test_a_database_url_in_an_existing_folder_or_encoded_is_accepted(tmp_path: Path) -> None:
    for value in (f"sqlite:///{tmp_path}/bot.db", "postgresql://bot:pa%23ss@db:5432/bridgebot", "sqlite://"):
        assert settings_from({**MINIMAL, "DATABASE_URL": value}).database_url == value


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (None, "data/bridgebot.db"),
        ("sqlite:///data/other.db", "data/other.db"),
        ("sqlite:////srv/bot/bridgebot.db", "/srv/bot/bridgebot.db"),
        ("sqlite+pysqlite:///bot.db", "bot.db"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///bot.db?timeout=5", None),  # a query, or percent-encoding: SQLAlchemy's reading, not this one
        ("sqlite:///b%C3%B6t.db", None),
        ("postgresql://bot@db/bridgebot", None),
    ],
)
def test_the_sqlite_file_a_database_url_names_is_read_as_sqlalchemy_reads_it(value: str | None, path: str) -> None:
    assert sqlite_file_of(value) == (Path(path) if path else None)
    if path:
        assert make_url(value or DEFAULT_SQLITE_URL).database == path


@pytest.mark.parametrize(
    ("value", "host"), [(None, "0.0.0.0"), ("127.0.0.1", "127.0.0.1"), ("[::1]", "::1"), ("bot.lan", "bot.lan")]
)
def test_host_chooses_the_bind_address(value: str | None, host: str) -> None:
    env = MINIMAL if value is None else {**MINIMAL, "HOST": value}

    assert settings_from(env).host == host


@pytest.mark.parametrize("value", ["http://0.0.0.0", "0.0.0.0:3000", "my host"])
def test_a_malformed_host_is_one_line(value: str) -> None:
    assert config_error({**MINIMAL, "HOST": value}).startswith("HOST must be the address to listen on")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (errno.EADDRINUSE, "PORT 3000 on HOST 0.0.0.0 is already in use"),
        (errno.EADDRNOTAVAIL, "HOST 0.0.0.0 is not an address of this machine"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_a_port_that_cannot_be_listened_on_names_port_and_host(code: int, expected: str) -> None:
    error = bind_failure(OSError(code, "refused"), settings_from(MINIMAL))

    assert isinstance(error, ConfigError) and expected in str(error)


def test_a_host_name_that_does_not_resolve_is_named() -> None:
    error = bind_failure(socket.gaierror(-2, "Name or service not known"), settings_from(MINIMAL))

    assert str(error).startswith("HOST 0.0.0.0 cannot be resolved")


# --- what the start says ------------------------------------------------------------------------------------------

IDENTITY = Identity(bot_name="bridgebot", bot_user_id="UBOT", team_name="Example", team_id="T0001")


def test_the_summary_names_the_mode_the_bot_the_workspace_and_the_database_without_its_password() -> None:
    settings = Settings(
        bot_token="xoxb-1", signing_secret="", app_token="xapp-1", database_url="postgresql://bot:s3cret@db/bridgebot"
    )

    line = summary(settings, IDENTITY)

    assert "Socket Mode" in line
    assert "@bridgebot (UBOT) in the workspace Example (T0001)" in line
    assert "database postgresql://bot:***@db/bridgebot" in line
    assert "s3cret" not in line


def test_the_summary_in_http_mode_says_where_it_listens() -> None:
    line = summary(Settings(bot_token="xoxb-1", signing_secret="ab"), IDENTITY, listening="http://127.0.0.1:3000/x")

    assert "HTTP on http://127.0.0.1:3000/x" in line
    assert "database sqlite:///data/bridgebot.db (the default)" in line
    assert shown_database(None) in line


def test_one_warning_per_empty_channel_setting_saying_what_it_disables(fake_slack: FakeSlack) -> None:
    settings = make_settings(fake_slack, "sqlite://", marketing_channel=None, joint_channel=None)

    warnings = channel_warnings(settings)

    assert [warning.split(" ")[0] for warning in warnings] == ["MARKETING_CHANNEL", "JOINT_CHANNEL"]
    assert "/lunchlearn cannot announce sessions" in warnings[1]
    assert channel_warnings(make_settings(fake_slack, "sqlite://")) == []


# --- auth.test at the start ----------------------------------------------------------------------------------------


def test_auth_test_tells_who_the_bot_is(fake_slack: FakeSlack) -> None:
    settings = make_settings(fake_slack, "sqlite://")

    assert who_am_i(web_client(settings), settings) == IDENTITY


@pytest.mark.parametrize("code", ["invalid_auth", "not_authed", "account_inactive", "token_revoked"])
def test_a_refused_bot_token_is_one_line_naming_slack_bot_token(fake_slack: FakeSlack, code: str) -> None:
    settings = make_settings(fake_slack, "sqlite://")
    fake_slack.fail_next("auth.test", error=code)

    with pytest.raises(ConfigError) as refused:
        who_am_i(web_client(settings), settings)

    assert str(refused.value).startswith(f"SLACK_BOT_TOKEN was refused by Slack ({code})")


def test_another_failure_of_auth_test_names_auth_test_and_its_url(fake_slack: FakeSlack) -> None:
    settings = make_settings(fake_slack, "sqlite://")
    fake_slack.fail_next("auth.test", status=503, error="service_unavailable", times=3)

    with pytest.raises(StartFailed) as failed:
        who_am_i(web_client(settings), settings)

    assert str(failed.value).startswith(f"Slack's auth.test at {fake_slack.base_url} answered service_unavailable")


def test_no_network_names_auth_test_at_slacks_own_url_when_slack_api_url_is_unset(monkeypatch) -> None:
    settings = Settings(bot_token="xoxb-1", signing_secret="ab")
    client = web_client(settings)

    def unreachable(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENETUNREACH, "Network is unreachable")

    monkeypatch.setattr(client, "auth_test", unreachable)

    with pytest.raises(StartFailed) as failed:
        who_am_i(client, settings)

    assert str(failed.value) == (
        "cannot reach Slack's auth.test at https://slack.com/api/ (Slack's own; SLACK_API_URL is unset): "
        "Network is unreachable. Check the network and SLACK_API_URL."
    )


def test_every_setting_is_in_env_example_and_the_readme() -> None:
    names = set(re.findall(r'get\("([A-Z_]+)"\)', (REPO_ROOT / "bot" / "config.py").read_text(encoding="utf-8")))
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")

    assert {"HOST", "PORT", "DATABASE_URL"} <= names
    assert names - set(example_env()) == set()
    assert {name for name in names if f"| `{name}` |" not in readme} == set()


# --- readiness ---------------------------------------------------------------------------------------------------


def test_readiness_says_every_reason_it_is_not_ready_and_nothing_more_once_ready() -> None:
    def database_away() -> None:
        raise ConnectionRefusedError("no")

    readiness = Readiness(database_away)
    readiness.not_ready("slack", "unreachable", "Slack is unreachable in Socket Mode: the WebSocket refused")
    away = readiness.report()
    healthy = Readiness()
    healthy.ready("slack", "connected")

    assert away.status.startswith("503") and json.loads(away.body()) == {
        "ok": False,
        "database": "unreachable: ConnectionRefusedError",
        "slack": "unreachable",
        "reasons": [
            "the database at DATABASE_URL does not answer (ConnectionRefusedError)",
            "Slack is unreachable in Socket Mode: the WebSocket refused",
        ],
    }
    assert healthy.report().status == "200 OK"
    assert json.loads(healthy.report().body()) == {"ok": True, "slack": "connected"}

"""Start-up that tells the truth, as real `python -m bot` processes with a controlled environment: each bad
setting and each refused token is one line and exit 2, without a traceback; the summary line; HOST; Socket
Mode against a fake Slack that is unreachable, refuses the app token, or says hello."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.__main__ import ADMIN_COMMANDS
from tests.conftest import poll_until, sqlite_as_a_start_leaves_it
from tests.fake_slack import FakeSlack
from tests.fake_socket_mode import FakeSocketMode
from tests.test_config_and_cli import REPO_ROOT, cli
from tests.test_production_processes import START_SECONDS, bot_environment, free_port

SECRET = "0123456789abcdef0123456789abcdef"


def one_line_exit_2(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("bridgebot: ")
    return lines[0]


# --- settings: one line each, before anything is created ----------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"DATABASE_URL": "postgresql://bot:pw@127.0.0.1:54x2/bridgebot"}, "DATABASE_URL is malformed: the port"),
        ({"DATABASE_URL": "postgresql://bot:pw@127.0.0.1:5432"}, "DATABASE_URL names no database"),
        ({"DATABASE_URL": "postgresql://bot:pa#ss@127.0.0.1/bridgebot"}, "unencoded '#' in its password"),
        ({"DATABASE_URL": "sqlite:///nowhere/bridgebot.db"}, "a folder that does not exist"),
        ({"HOST": "0.0.0.0:3000"}, "HOST must be the address to listen on"),
        ({"SLACK_BOT_TOKEN": "xoxb-your-bot-token"}, "SLACK_BOT_TOKEN is still the placeholder from .env.example"),
    ],
)
def test_each_bad_setting_is_one_line_and_exit_2(tmp_path: Path, settings: dict[str, str], expected: str) -> None:
    line = one_line_exit_2(cli(tmp_path, **{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": SECRET, **settings}))

    assert expected in line
    assert not (tmp_path / "data").exists() and not (tmp_path / "nowhere").exists(), "nothing was created"


def test_the_readmes_first_command_with_env_example_copied_names_the_placeholder(tmp_path: Path) -> None:
    shutil.copy(REPO_ROOT / ".env.example", tmp_path / ".env")  # what `cp -n .env.example .env` did

    line = one_line_exit_2(cli(tmp_path))

    assert line.startswith("bridgebot: SLACK_BOT_TOKEN is still the placeholder from .env.example")


# --- Slack refuses the bot token, or cannot be reached ---------------------------------------------------------


def test_a_refused_bot_token_is_one_line_naming_it_and_creates_nothing(tmp_path: Path, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("auth.test", error="invalid_auth")

    result = cli(tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake_slack.base_url)

    line = one_line_exit_2(result)
    assert line.startswith("bridgebot: SLACK_BOT_TOKEN was refused by Slack (invalid_auth)")
    assert not (tmp_path / "data").exists()


def test_no_slack_to_reach_names_auth_test_at_the_configured_url(tmp_path: Path) -> None:
    api_url = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there

    result = cli(tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api_url)

    line = one_line_exit_2(result)
    assert f"cannot reach Slack's auth.test at {api_url}: Connection refused" in line
    assert "PORT" not in line


def test_a_database_that_cannot_be_reached_is_one_line_naming_it(tmp_path: Path, fake_slack: FakeSlack) -> None:
    unreachable = f"postgresql://bot:secret@127.0.0.1:{free_port()}/bridgebot"  # nothing listens there

    result = cli(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake_slack.base_url,
        DATABASE_URL=unreachable,
    )

    line = one_line_exit_2(result)
    assert line.startswith("bridgebot: cannot reach the database at DATABASE_URL (postgresql://bot:***@127.0.0.1:")
    assert "secret" not in line


# --- the bot running: summary, HOST, a port in use --------------------------------------------------------------


class Bot:
    def __init__(self, home: Path, fake: FakeSlack, **settings: str) -> None:
        self.port = int(settings.pop("PORT", free_port()))
        database = sqlite_as_a_start_leaves_it(home / "bot.db")  # these tests are about the start's other parts
        env = bot_environment(home, SLACK_API_URL=fake.base_url, DATABASE_URL=database, PORT=str(self.port), **settings)
        self.log_file = home / "bot.log"
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot"], cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")

    def says(self, text: str) -> bool:
        if self.process.poll() is not None and text not in self.log():
            raise AssertionError(f"exited with {self.process.returncode}:\n{self.log()}")
        return text in self.log()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=START_SECONDS)


@pytest.fixture
def bots(tmp_path: Path, fake_slack: FakeSlack) -> Iterator[list[Bot]]:
    started: list[Bot] = []
    yield started
    for bot in started:
        if bot.process.poll() is None:
            bot.process.kill()
            bot.process.wait(timeout=30)


def start(bots: list[Bot], home: Path, fake: FakeSlack, **settings: str) -> Bot:
    bot = Bot(home, fake, **settings)
    bots.append(bot)
    return bot


def answers_healthz(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def test_http_mode_binds_host_and_says_one_summary_line_and_a_warning_per_empty_channel(
    bots: list[Bot], tmp_path: Path, fake_slack: FakeSlack
) -> None:
    bot = start(bots, tmp_path, fake_slack, HOST="127.0.0.2", MARKETING_CHANNEL="")

    poll_until(lambda: bot.says("HTTP on"), timeout=START_SECONDS)
    reachable = answers_healthz("127.0.0.2", bot.port)
    elsewhere = answers_healthz("127.0.0.1", bot.port)
    assert bot.stop() == 0

    assert reachable and not elsewhere, "HOST chose the one address listened on"
    log = bot.log()
    [summary] = [line for line in log.splitlines() if "HTTP on" in line]
    assert f"HTTP on http://127.0.0.2:{bot.port}/slack/events" in summary
    assert "as @bridgebot (UBOT) in the workspace Example (T0001)" in summary
    assert f"database sqlite:///{tmp_path}/bot.db" in summary
    warnings = [line for line in log.splitlines() if " WARNING bot: " in line]
    assert len(warnings) == 1 and "MARKETING_CHANNEL is empty: " in warnings[0]
    assert fake_slack.methods().count("auth.test") == 1, "Bolt reuses the start's answer"


def test_a_port_in_use_is_one_line_naming_port_and_host(bots: list[Bot], tmp_path: Path, fake_slack: FakeSlack) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        bot = start(bots, tmp_path, fake_slack, HOST="127.0.0.1", PORT=str(port))
        exit_code = bot.process.wait(timeout=START_SECONDS)

    assert exit_code == 2
    last = bot.log().splitlines()[-1]
    assert last == f"bridgebot: PORT {port} on HOST 127.0.0.1 is already in use by another process: " + (
        "stop it, or choose another PORT."
    )
    assert "Traceback" not in bot.log()


# --- Socket Mode ------------------------------------------------------------------------------------------------------

CONNECTED = re.compile(r"\bconnected\b", re.IGNORECASE)


def socket_mode_settings() -> dict[str, str]:
    return {"SLACK_APP_TOKEN": "xapp-1-A1-test", "SLACK_SIGNING_SECRET": ""}


def test_socket_mode_with_slack_unreachable_never_says_connected(
    bots: list[Bot], tmp_path: Path, fake_slack: FakeSlack
) -> None:
    fake_slack.answers["apps.connections.open"] = {"ok": True, "url": f"ws://127.0.0.1:{free_port()}/link"}
    bot = start(bots, tmp_path, fake_slack, **socket_mode_settings())

    poll_until(lambda: bot.says("Slack is unreachable"), timeout=START_SECONDS)
    assert bot.stop() == 0

    log = bot.log()
    assert "Socket Mode, as @bridgebot (UBOT) in the workspace Example (T0001)" in log
    assert [line for line in log.splitlines() if CONNECTED.search(line)] == []
    [unreachable] = [line for line in log.splitlines() if "Slack is unreachable" in line]
    assert "cannot open the WebSocket Slack gave" in unreachable and "retrying every 10 s" in unreachable
    assert "Traceback" not in log


def test_socket_mode_with_a_refused_app_token_is_one_line_naming_it_and_exit_2(
    bots: list[Bot], tmp_path: Path, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("apps.connections.open", error="invalid_auth")
    bot = start(bots, tmp_path, fake_slack, **socket_mode_settings())

    assert bot.process.wait(timeout=START_SECONDS) == 2
    log = bot.log()
    assert log.splitlines()[-1].startswith("bridgebot: SLACK_APP_TOKEN was refused by Slack (invalid_auth)")
    assert "Traceback" not in log
    assert [line for line in log.splitlines() if CONNECTED.search(line)] == []


def test_socket_mode_says_connected_once_slack_said_hello(
    bots: list[Bot], tmp_path: Path, fake_slack: FakeSlack
) -> None:
    endpoint = FakeSocketMode().start()
    endpoint.serve_through(fake_slack)
    try:
        bot = start(bots, tmp_path, fake_slack, **socket_mode_settings())
        poll_until(lambda: bot.says("connected in Socket Mode: Slack said hello"), timeout=START_SECONDS)
        assert bot.stop() == 0
    finally:
        endpoint.stop()

    log = bot.log()
    assert log.index("Socket Mode, as @bridgebot") < log.index("connected in Socket Mode: Slack said hello")
    assert [line for line in log.splitlines() if CONNECTED.search(line)] == [
        line for line in log.splitlines() if line.endswith("connected in Socket Mode: Slack said hello")
    ]
    assert endpoint.handshakes == 1


# --- --version, --help and the README's admin commands -------------------------------------------------------------


def test_version_is_the_package_version(tmp_path: Path) -> None:
    result = cli(tmp_path, "--version")

    assert result.returncode == 0
    assert result.stdout.strip() == f"bridgebot {version('bridgebot')}"


def readme_admin_commands() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Admin commands", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]


def test_help_lists_every_admin_command_the_readme_gives(tmp_path: Path) -> None:
    result = cli(tmp_path, "--help")

    assert result.returncode == 0
    for usage, _what in ADMIN_COMMANDS:
        assert f"python -m bot {usage}" in result.stdout
    for command in readme_admin_commands():
        usage = re.sub(r"\S+\.csv$", "FILE", command.removeprefix(".venv/bin/python -m bot "))
        assert f"python -m bot {usage}" in result.stdout, command


def test_the_readmes_admin_commands_work_as_written(tmp_path: Path) -> None:
    commands = readme_admin_commands()
    assert commands and all(command.startswith(".venv/bin/python -m bot ") for command in commands), commands

    for command in commands:
        arguments = command.removeprefix(".venv/bin/python -m bot ").split()
        result = cli(tmp_path, *arguments, DATABASE_URL=f"sqlite:///{tmp_path}/admin.db")
        assert result.returncode == 0, f"{command}: {result.stderr}"
    assert (tmp_path / "glossary.csv").read_text(encoding="utf-8").startswith("term,aliases")

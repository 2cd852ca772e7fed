"""What the start tells the admin: whether Slack knows the token, who the bot is in which workspace, what the
settings leave out. A start that cannot go on says so in one line (StartFailed, ConfigError), never a traceback."""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any
from urllib.error import URLError

from bot.config import DEFAULT_SQLITE_URL, ConfigError, Settings

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_sdk import WebClient

log = logging.getLogger("bot")

SLACK_DEFAULT_API_URL = "https://slack.com/api/"
CLIENT_LOGGER = "slack_sdk.web.base_client"
# What Slack answers when it does not accept a token: the admin must change a setting, retrying cannot help.
REFUSED_TOKEN = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
APP_TOKEN_REFUSALS = REFUSED_TOKEN | {"not_allowed_token_type", "missing_scope"}

# An empty channel setting, and what goes without it.
CHANNEL_GAPS = {
    "IT_INTAKE_CHANNEL": "/newproject intakes and requests for IT terms go to JOINT_CHANNEL, where only BOT_ADMINS "
    "decide intakes",
    "MARKETING_CHANNEL": "requests for marketing terms go to JOINT_CHANNEL, and /liaison setup offers no marketing "
    "channel for announcements",
    "JOINT_CHANNEL": "/lunchlearn cannot announce sessions or ideas, sit-downs have no default channel, and glossary "
    "requests have no fallback channel",
}


class StartFailed(Exception):
    """The start cannot go on; the message is one line saying what failed."""


def bridgebot_version() -> str:
    try:
        return version("bridgebot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


@dataclass(frozen=True)
class Identity:
    """Who Slack says the bot is: auth.test's answer."""

    bot_name: str
    bot_user_id: str
    team_name: str
    team_id: str
    answer: Any = field(default=None, compare=False, repr=False)  # the SlackResponse, for Bolt

    @classmethod
    def of(cls, answer: Mapping[str, Any], response: Any = None) -> Identity:
        return cls(
            bot_name=str(answer.get("user") or "?"),
            bot_user_id=str(answer.get("user_id") or "?"),
            team_name=str(answer.get("team") or "?"),
            team_id=str(answer.get("team_id") or "?"),
            answer=response,
        )


def api_url_shown(settings: Settings) -> str:
    return settings.api_url or f"{SLACK_DEFAULT_API_URL} (Slack's own; SLACK_API_URL is unset)"


START_TIMEOUT_SECONDS = 10


def start_client(settings: Settings) -> WebClient:
    """The start's own Web API client (auth.test): slack_sdk's, honouring SLACK_API_URL, one retry on a connection
    error; it loads none of the bot's code."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

    options: dict[str, Any] = {"token": settings.bot_token, "timeout": START_TIMEOUT_SECONDS}
    if settings.api_url:
        options["base_url"] = settings.api_url
    return WebClient(retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)], **options)


def who_am_i(client: WebClient, settings: Settings) -> Identity:
    """auth.test: the bot token is checked before anything else starts. A refused token names SLACK_BOT_TOKEN; no
    network names the URL that could not be reached."""
    from slack_sdk.errors import SlackApiError

    where = f"Slack's auth.test at {api_url_shown(settings)}"
    try:
        with quiet(CLIENT_LOGGER):  # it logs each failed try and retry; the failure is said once, below
            response = client.auth_test()
    except SlackApiError as error:
        code = str(error.response.get("error") or f"HTTP {error.response.status_code}")
        if code in REFUSED_TOKEN:
            raise ConfigError(
                f"SLACK_BOT_TOKEN was refused by Slack ({code}): copy the Bot User OAuth Token (xoxb-…) again from "
                "OAuth & Permissions, and reinstall the app if it was revoked."
            ) from None
        raise StartFailed(f"{where} answered {code}; the bot did not start (try again in a moment).") from None
    except (URLError, OSError) as error:
        raise StartFailed(f"cannot reach {where}: {reason_of(error)}. Check the network and SLACK_API_URL.") from None
    return Identity.of(response.data if isinstance(response.data, dict) else {}, response)


@contextmanager
def quiet(name: str) -> Iterator[None]:
    """Silence one logger for the start's own calls (nothing else runs yet)."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def reason_of(error: BaseException) -> str:
    """The innermost readable reason of a network error (urllib wraps the socket's)."""
    reason = getattr(error, "reason", None)
    if isinstance(reason, BaseException):
        return reason_of(reason)
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(reason or error) or type(error).__name__


def reuse_identity(app: App, identity: Identity) -> None:
    """Bolt asks auth.test itself at its first request when it was built without checking the token: hand it the
    answer the start already has (if Bolt's insides ever differ, it simply asks, as before)."""
    from slack_bolt.middleware.authorization import SingleTeamAuthorization

    for middleware in getattr(app, "_middleware_list", []):
        if isinstance(middleware, SingleTeamAuthorization) and identity.answer is not None:
            middleware.auth_test_result = identity.answer


def shown_database(raw: str | None) -> str:
    """DATABASE_URL with its password hidden; the default when unset."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    if not raw:
        return f"{DEFAULT_SQLITE_URL} (the default)"
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "malformed"


def summary(settings: Settings, identity: Identity, *, listening: str | None = None) -> str:
    """The one line that says what started: mode, who in which workspace, which database."""
    mode = f"HTTP on {listening}" if listening else "Socket Mode"
    return (
        f"bridgebot {bridgebot_version()}: {mode}, as @{identity.bot_name} ({identity.bot_user_id}) in the workspace "
        f"{identity.team_name} ({identity.team_id}); database {shown_database(settings.database_url)}"
    )


def channel_warnings(settings: Settings) -> list[str]:
    values = {
        "IT_INTAKE_CHANNEL": settings.it_intake_channel,
        "MARKETING_CHANNEL": settings.marketing_channel,
        "JOINT_CHANNEL": settings.joint_channel,
    }
    return [f"{name} is empty: {gap}" for name, gap in CHANNEL_GAPS.items() if not values[name]]


def announce(settings: Settings, identity: Identity, *, listening: str | None = None) -> None:
    log.info("%s", summary(settings, identity, listening=listening))
    for warning in channel_warnings(settings):
        log.warning("%s", warning)


def bind_failure(error: OSError, settings: Settings) -> Exception:
    """Why HOST:PORT could not be listened on, naming the settings; other errors pass through unchanged."""
    where = f"PORT {settings.port} on HOST {settings.host}"
    if error.errno == errno.EADDRINUSE:
        return ConfigError(f"{where} is already in use by another process: stop it, or choose another PORT.")
    if error.errno == errno.EADDRNOTAVAIL:
        return ConfigError(f"HOST {settings.host} is not an address of this machine: choose one it has (or 0.0.0.0).")
    if error.errno == errno.EACCES:
        return ConfigError(f"{where}: permission denied (ports under 1024 need privileges); choose another PORT.")
    if isinstance(error, socket.gaierror):
        return ConfigError(f"HOST {settings.host} cannot be resolved to an address: {error.strerror or error}.")
    return error

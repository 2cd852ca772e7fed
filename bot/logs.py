"""Log lines a sender cannot forge or inflate: control characters escaped, each record bounded in size.

Text from Slack (a term, a channel name, an error Slack or the database quotes back) may hold newlines, which
would start a log line of the sender's choosing, or megabytes. Every record goes through this formatter: its
message and the message of its exception are escaped (`\\n` stays visible as the two characters `\\n`) and cut,
while the traceback's own frames, which are the bot's code, keep their lines.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

MESSAGE_LIMIT = 2000
TRACEBACK_LIMIT = 8000
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def one_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Text safe on one log line: control characters escaped, cut to `limit` with the length cut said."""
    cut = text[:limit]
    escaped = _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), cut)
    return escaped if len(text) <= limit else f"{escaped}… ({len(text) - limit} more characters)"


class SafeFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: ExcInfo) -> str:
        kind, error, tb = ei
        if kind is None or error is None:
            return ""
        frames = "".join(traceback.format_tb(tb)) if tb is not None else ""
        return f"Traceback (most recent call last):\n{frames[-TRACEBACK_LIMIT:]}{kind.__name__}: {describe(error)}"


def describe(error: BaseException) -> str:
    """An error's message for the log. A database error's first line only: the lines after it quote the
    statement, and the driver's DETAIL quotes the values (people's text) that broke a constraint."""
    if hasattr(error, "orig") and hasattr(error, "statement"):
        return one_line(str(error).split("\n", 1)[0])
    return one_line(str(error))


class JsonFormatter(SafeFormatter):
    """LOG_FORMAT=json: one JSON object a line (time, level, logger, message; a request's line adds its `fields`),
    escaped and cut as the text lines are; a traceback is the object's `exception`, inside the same line."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.getMessage())
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.message,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update({key: value for key, value in fields.items() if key not in line})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


# Libraries whose DEBUG lines quote what people wrote (slack_sdk's the messages it sends, Bolt's the payloads it
# received; Bolt sets its loggers' levels itself): LOG_LEVEL=DEBUG is the bot's own debugging, not theirs.
TALKATIVE = ("slack_sdk", "slack_bolt", "urllib3")


def _not_talkative_debug(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.INFO or not record.name.startswith(TALKATIVE)


_format = "text"


def configure(level: int | str = logging.INFO, log_format: str = "text") -> None:
    """Every line of the process through one handler: the bot's, the libraries' (Bolt, slack_sdk, waitress,
    SQLAlchemy, Alembic all propagate to the root), Python's warnings, and in JSON even a crash's traceback."""
    global _format
    _format = log_format
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else SafeFormatter(LOG_FORMAT))
    handler.addFilter(_not_talkative_debug)
    logging.basicConfig(level=level, handlers=[handler])  # as basicConfig does: nothing if the root has handlers
    logging.captureWarnings(True)
    if log_format == "json":
        sys.excepthook = _log_uncaught
        threading.excepthook = lambda hook: _log_uncaught(hook.exc_type, hook.exc_value, hook.exc_traceback)


def _log_uncaught(kind: type[BaseException], error: BaseException | None, tb: TracebackType | None) -> None:
    if error is not None:
        logging.getLogger("bot").critical("uncaught %s", kind.__name__, exc_info=(kind, error, tb))


def error_line(message: str) -> None:
    """A start-up error (a bad setting, a failed migration): `bridgebot: …` on stderr, or in JSON a log record."""
    if _format == "json":
        logging.getLogger("bot").error(message)
    else:
        print(f"bridgebot: {message}", file=sys.stderr)


def report(message: str) -> None:
    """What an admin command did: a line on stdout, or in JSON a log record like every other line."""
    if _format == "json":
        logging.getLogger("bot").info(message)
    else:
        print(message)


def environment() -> dict[str, str]:
    """What a child process (the migration) needs to log as this one does."""
    return {"LOG_FORMAT": _format, "LOG_LEVEL": logging.getLevelName(logging.getLogger().level)}

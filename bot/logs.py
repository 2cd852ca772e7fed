"""Log lines a sender cannot forge or inflate: control characters escaped, each record bounded in size.

Text from Slack (a term, a channel name, an error Slack or the database quotes back) may hold newlines, which
would start a log line of the sender's choosing, or megabytes. Every record goes through this formatter: its
message and the message of its exception are escaped (`\\n` stays visible as the two characters `\\n`) and cut,
while the traceback's own frames, which are the bot's code, keep their lines.
"""

from __future__ import annotations

import logging
import re
import traceback
from types import TracebackType

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


def configure(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter(LOG_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])  # as basicConfig does: nothing if the root has handlers

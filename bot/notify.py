"""The outbox: everything the bot says on its own is written as a row first, then sent by the dispatcher.

Services call `enqueue` inside their own transaction, so the message exists exactly when the change that
caused it does. The dispatcher (woken by the scheduler) claims due rows, sends them and records the result.
Short in-call retries (connection errors, a 500) are slack_sdk's retry handlers; longer waits (429's
Retry-After, repeated 5xx) are stored on the row, so nothing sleeps and other channels keep flowing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from storage.outbox import OutboxRepository

log = logging.getLogger(__name__)

RETRYABLE_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})


@dataclass(frozen=True)
class Outgoing:
    key: str
    payload: dict[str, Any]
    method: str = "chat.postMessage"
    due_at: datetime | None = None
    expire_at: datetime | None = None


def enqueue(session: Session, message: Outgoing, now: datetime) -> bool:
    """Write the message in the caller's transaction; a second enqueue with the same key is a no-op."""
    return OutboxRepository(session).add_if_absent(
        key=message.key,
        method=message.method,
        payload=message.payload,
        due_at=message.due_at or now,
        expire_at=message.expire_at,
        now=now,
    )


@dataclass
class DispatchReport:
    sent: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_base: timedelta = timedelta(seconds=15)
    backoff_cap: timedelta = timedelta(minutes=15)
    late_after: timedelta = timedelta(minutes=1)

    def backoff(self, attempts: int) -> timedelta:
        return min(self.backoff_base * (2 ** max(attempts - 1, 0)), self.backoff_cap)


class Dispatcher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        client: WebClient,
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        batch_size: int = 50,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.batch_size = batch_size
        self.lease = lease
        self.wake: Callable[[], None] = lambda: None

    def wake_soon(self) -> None:
        """Ask the scheduler to dispatch now (late-bound: the scheduler sets `wake` after services exist)."""
        self.wake()

    def run_once(self) -> DispatchReport:
        report = DispatchReport()
        for message in self._claim():
            self._deliver(message, report)
        return report

    def _claim(self) -> list[dict[str, Any]]:
        now = self.clock()
        with self.sessions.begin() as session:
            rows = OutboxRepository(session).claim_due(now=now, lease_until=now + self.lease, limit=self.batch_size)
            return [
                {
                    "id": r.id,
                    "key": r.key,
                    "method": r.method,
                    "payload": r.payload,
                    "due_at": r.due_at,
                    "expire_at": r.expire_at,
                    "attempts": r.attempts,
                }
                for r in rows
            ]

    def _deliver(self, message: dict[str, Any], report: DispatchReport) -> None:
        now = self.clock()
        if message["expire_at"] is not None and now > message["expire_at"]:
            self._finish(
                message["id"],
                "skipped",
                f"not sent: its moment passed ({message['due_at']:%Y-%m-%d %H:%M} UTC)",
            )
            report.skipped.append(message["key"])
            return
        try:
            response = self.client.api_call(message["method"], json=message["payload"])
        except SlackApiError as error:
            self._handle_api_error(message, error, report)
            return
        except Exception as error:  # a timeout or a broken connection after slack_sdk's own retries
            self._retry_or_fail(
                message, f"{type(error).__name__}: {error}", self.policy.backoff(message["attempts"]), report
            )
            return
        late = now - message["due_at"] > self.policy.late_after
        with self.sessions.begin() as session:
            OutboxRepository(session).mark_sent(
                message["id"], now=now, late=late, channel=response.get("channel"), ts=response.get("ts")
            )
        report.sent.append(message["key"])

    def _handle_api_error(self, message: dict[str, Any], error: SlackApiError, report: DispatchReport) -> None:
        status = error.response.status_code
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        description = f"HTTP {status}: {code or 'no error code'}"
        if status == 429:
            retry_after = _retry_after_seconds(error.response.headers)
            self._retry_or_fail(message, description, timedelta(seconds=retry_after), report)
        elif status >= 500 or code in RETRYABLE_ERRORS:
            self._retry_or_fail(message, description, self.policy.backoff(message["attempts"]), report)
        else:
            self._finish(message["id"], "failed", description)
            report.failed.append(message["key"])
            log.warning("outbox %s failed for good: %s", message["key"], description)

    def _retry_or_fail(self, message: dict[str, Any], error: str, wait: timedelta, report: DispatchReport) -> None:
        if message["attempts"] >= self.policy.max_attempts:
            self._finish(message["id"], "failed", f"gave up after {message['attempts']} attempts; last: {error}")
            report.failed.append(message["key"])
            log.warning("outbox %s failed after %s attempts: %s", message["key"], message["attempts"], error)
            return
        with self.sessions.begin() as session:
            OutboxRepository(session).mark_retry(message["id"], at=self.clock() + wait, error=error)
        report.retried.append(message["key"])

    def _finish(self, row_id: int, status: str, error: str) -> None:
        with self.sessions.begin() as session:
            OutboxRepository(session).mark_final(row_id, status=status, error=error)


def _retry_after_seconds(headers: dict[str, Any]) -> int:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(int(float(raw)), 1)
            except ValueError:
                break
    return 30

"""Readiness: whether this process can do its work right now and, when not, why. GET /healthz answers it.

A plain object any server can ask: bot.server serves it on the HTTP port; in Socket Mode, where Slack does not post
to the bot, whatever serves HTTP beside it (a metrics port) can serve `health_app(readiness)` the same way.
Parts of the process report themselves (Socket Mode: "slack"); the database is asked at each request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

HEALTH_PATH = "/healthz"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Health:
    ready: bool
    checks: dict[str, Any]  # part -> its state in a few words: {"database": "reachable", "slack": "connected"}
    reasons: tuple[str, ...]  # why not ready, one sentence a part; empty when ready

    @property
    def status(self) -> str:
        return "200 OK" if self.ready else "503 Service Unavailable"

    def body(self) -> bytes:
        """{"ok": true, "database": "reachable"}; when not ready, also "reasons": the sentences saying why."""
        reasons = {"reasons": list(self.reasons)} if self.reasons else {}
        return json.dumps({"ok": self.ready, **self.checks, **reasons}).encode()


class Readiness:
    """Ready when the database answers and every part that reported itself is ready. Thread-safe: the Socket
    Mode supervisor writes, request threads read."""

    def __init__(self, database: Callable[[], dict[str, Any] | None] | None = None) -> None:
        self._database = database  # raises when the database cannot be reached; what it returns joins the checks
        self._parts: dict[str, tuple[str, str | None]] = {}  # part -> (state, why not ready or None)
        self._lock = threading.Lock()

    def ready(self, part: str, state: str) -> None:
        with self._lock:
            self._parts[part] = (state, None)

    def not_ready(self, part: str, state: str, reason: str) -> None:
        with self._lock:
            self._parts[part] = (state, reason)

    def report(self) -> Health:
        checks: dict[str, Any] = {}
        reasons: list[str] = []
        if self._database is not None:
            try:
                more = self._database()
                checks["database"] = "reachable"
                checks.update(more or {})
            except Exception as error:
                checks["database"] = f"unreachable: {type(error).__name__}"
                reasons.append(f"the database at DATABASE_URL does not answer ({type(error).__name__})")
        with self._lock:
            parts = dict(self._parts)
        for part, (state, reason) in parts.items():
            checks[part] = state
            if reason is not None:
                reasons.append(reason)
        return Health(not reasons, checks, tuple(reasons))


def health_app(readiness: Readiness) -> WsgiApp:
    """GET /healthz as a WSGI app (anything else: 404)."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != HEALTH_PATH or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        health = readiness.report()
        start_response(health.status, [("Content-Type", "application/json")])
        return [health.body()]

    return application

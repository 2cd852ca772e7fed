"""Socket Mode that tells the truth: "connected" only once Slack said hello on the WebSocket.

slack_sdk's client logs "A new session has been established" even when the WebSocket failed to open, and
reconnects on its own every ping interval, logging each failure. Here its own reconnecting is off and one
supervisor, polled by the main loop, connects and reconnects instead: a refused app token stops the start (one
line, exit 2); while Slack cannot be reached it retries every RETRY_SECONDS and says so once a minute, with what
is retried; readiness ("slack") says connected only between a hello and the loss of that connection.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from bot.config import ConfigError
from bot.health import Readiness
from bot.startup import APP_TOKEN_REFUSALS, reason_of

if TYPE_CHECKING:
    from slack_bolt import App

log = logging.getLogger("bot")

RETRY_SECONDS = 10.0
REPORT_SECONDS = 60.0
HELLO_SECONDS = 15.0  # Slack says hello right after the handshake; a socket silent this long is not Slack's
PING_SECONDS = 10.0  # how often the client pings Slack, which is how a dropped connection is noticed (Bolt's default)
CLIENT_LOGGER = "slack_sdk.socket_mode.builtin.client"  # the name slack_sdk's client logs under by default
PART = "slack"


class SocketModeLink:
    def __init__(
        self,
        app: App,
        app_token: str,
        readiness: Readiness,
        *,
        api_url: str,
        retry_seconds: float = RETRY_SECONDS,
        report_seconds: float = REPORT_SECONDS,
        hello_seconds: float = HELLO_SECONDS,
        ping_seconds: float = PING_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        self.readiness, self.api_url, self.clock = readiness, api_url, clock
        self.retry_seconds, self.report_seconds, self.hello_seconds = retry_seconds, report_seconds, hello_seconds
        self.connected = False
        self.attempts = 0  # failed attempts since the last hello
        self._ever_connected = False
        self._hello = threading.Event()
        self._socket_error: str | None = None
        self._opened_at: float | None = None  # the WebSocket opened at, while waiting for hello
        self._next_attempt = clock()
        self._last_report: float | None = None
        logger = logging.getLogger(CLIENT_LOGGER)
        logger.addFilter(self._client_record_shown)
        self._logger = logger
        self.handler = SocketModeHandler(
            app, app_token, logger=logger, auto_reconnect_enabled=False, ping_interval=ping_seconds
        )
        self.client: Any = self.handler.client
        self.client.on_message_listeners.append(self._on_message)
        self.client.on_error_listeners.append(self._on_error)
        readiness.not_ready(PART, "connecting", "not connected to Slack in Socket Mode yet")

    # --- the client's threads -------------------------------------------------------------------------------

    def _on_message(self, raw: str) -> None:
        if '"hello"' not in raw[:64]:
            return
        try:
            said_hello = json.loads(raw).get("type") == "hello"
        except (ValueError, AttributeError):
            return
        if said_hello:
            self._hello.set()

    def _on_error(self, error: Exception) -> None:
        self._socket_error = reason_of(error)

    def _client_record_shown(self, record: logging.LogRecord) -> bool:
        """While connected, the client's warnings and errors (a listener failed, the connection broke) are shown;
        its routine lines, and everything during an outage (the supervisor sums those up), are not."""
        return self.connected and record.levelno >= logging.WARNING

    # --- the main loop ----------------------------------------------------------------------------------------

    def poll(self) -> None:
        """One step: notice a hello or a lost connection, give up on a silent socket, attempt when due."""
        now = self.clock()
        open_now = bool(self.client.is_connected())
        if self._hello.is_set() and open_now:
            if not self.connected:
                self._connected()
            return
        if self.connected:
            self.connected = False
            log.warning("lost the Socket Mode connection to Slack; reconnecting")
            self.readiness.not_ready(PART, "reconnecting", "lost the Socket Mode connection to Slack; reconnecting")
            self._next_attempt = now
        if self._opened_at is not None and open_now:
            if now - self._opened_at < self.hello_seconds:
                return
            self._failed(f"the WebSocket opened but Slack said no hello within {self.hello_seconds:.0f} s", now)
            self.client.disconnect()
            return
        if now >= self._next_attempt:
            self._attempt(now)

    def close(self) -> None:
        self.connected = False
        self.handler.close()
        self._logger.removeFilter(self._client_record_shown)

    def _connected(self) -> None:
        self.connected, self._opened_at, self._last_report = True, None, None
        if self._ever_connected:
            log.info("reconnected in Socket Mode: Slack said hello (after %s failed attempts)", self.attempts)
        else:
            log.info("connected in Socket Mode: Slack said hello")
        self._ever_connected, self.attempts = True, 0
        self.readiness.ready(PART, "connected")

    def _attempt(self, now: float) -> None:
        from slack_sdk.errors import SlackApiError

        self._hello.clear()
        self._socket_error = None
        self._opened_at = None
        where = f"apps.connections.open at {self.api_url}"
        try:
            self.client.connect_to_new_endpoint(force=True)
        except SlackApiError as error:
            code = str(error.response.get("error") or f"HTTP {error.response.status_code}")
            if code in APP_TOKEN_REFUSALS:
                raise ConfigError(app_token_refused(code)) from None
            self._failed(f"{where} answered {code}", now)
            return
        except Exception as error:  # the network, or an answer without a URL: retried, summed up once a minute
            self._failed(f"cannot reach {where}: {reason_of(error)}", now)
            return
        if self.client.is_connected():
            self._opened_at = now
        else:
            host = urlparse(str(self.client.wss_uri or "")).netloc or "?"
            self._failed(f"cannot open the WebSocket Slack gave ({host}): {self._socket_error or 'refused'}", now)

    def _failed(self, what: str, now: float) -> None:
        self._opened_at = None
        self.attempts += 1
        self._next_attempt = now + self.retry_seconds
        self.readiness.not_ready(PART, "unreachable", f"Slack is unreachable in Socket Mode: {what}")
        if self._last_report is None or now - self._last_report >= self.report_seconds:
            self._last_report = now
            log.warning(
                "Socket Mode: Slack is unreachable (%s); retrying every %.0f s, %s failed attempt%s so far",
                what,
                self.retry_seconds,
                self.attempts,
                "" if self.attempts == 1 else "s",
            )


def app_token_refused(code: str) -> str:
    if code == "missing_scope":
        return (
            "SLACK_APP_TOKEN lacks the connections:write scope: create an app-level token with it "
            "(Basic Information → App-Level Tokens)."
        )
    return (
        f"SLACK_APP_TOKEN was refused by Slack ({code}): copy the app-level token (xapp-…) again from Basic "
        "Information → App-Level Tokens."
    )

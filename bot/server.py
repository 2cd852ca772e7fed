"""HTTP mode: Bolt's WSGI adapter at /slack/events plus GET /healthz (bot.health), served by waitress.

waitress is a production WSGI server (pure Python, threaded) that runs inside this process, so the
APScheduler dispatcher shares it. It has no graceful stop of its own, so `HttpServer` drives its event
loop: stopping closes the listening socket at once (a load balancer sees the replica go), lets the
requests in flight finish and their answers reach the client, then closes the idle connections.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, cast

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from bot.health import HEALTH_PATH, Readiness, WsgiApp, health_app
from handlers.border import verified_only

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HTTP_THREADS = 16  # Bolt holds a request's thread until the listener acks (at most 3 s)
DRAIN_SECONDS = 25.0  # under the usual 30 s between SIGTERM and SIGKILL
POLL_SECONDS = 0.2
# How long a thread may hold the GIL while another waits for it (CPython's default: 5 ms). The event loop thread
# reads, parses and writes every request and waits for the GIL after each of those calls while the request
# threads run Python; at 5 ms that wait, not the work, set the pace under load (bench/load.py --lookups).
SWITCH_INTERVAL_SECONDS = 0.001

DATABASE_OUTAGE = "⚠️ I can't reach my database right now, so nothing was changed. Please try again in a moment."


def wsgi_app(app: App, readiness: Readiness, *, signing_secret: str) -> WsgiApp:
    """/healthz (bot.health), and Bolt at /slack/events behind the border: only signed, well-formed requests reach
    Bolt."""
    slack = verified_only(SlackRequestHandler(app, path=EVENTS_PATH), signing_secret)
    health = health_app(readiness)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            return health(environ, start_response)
        return slack(environ, start_response)

    return application


# --- the database going away while a listener runs ---------------------------------------------------------


def is_database_outage(error: BaseException) -> bool:
    """The database could not be reached or dropped the connection: worth "try again", not a bug report."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def database_outage_response(body: dict[str, Any]) -> BoltResponse:
    return failure_response(body, DATABASE_OUTAGE)


def failure_response(body: dict[str, Any], text: str) -> BoltResponse:
    """What to acknowledge when a listener failed before acknowledging: a 200 Slack shows, never a 500
    ("dispatch_failed"). A form gets a small modal pushed on top, so closing it keeps the input."""
    if body.get("type") == "view_submission":
        notice = {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Try again in a moment"},
            "close": {"type": "plain_text", "text": "Back to the form"},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
        return _json_response({"response_action": "push", "view": notice})
    if body.get("command"):
        return _json_response({"response_type": "ephemeral", "text": text})
    return BoltResponse(status=200, body="")


def _json_response(payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})


# --- the server ---------------------------------------------------------------------------------------------


class HttpServer:
    """waitress with the small API the tests and `python -m bot` use (as socketserver's): serve_forever(),
    shutdown() (graceful: blocks until drained), server_close(), server_address; plus request_stop(), which
    only asks (safe in a signal handler)."""

    def __init__(
        self,
        application: WsgiApp,
        host: str,
        port: int,
        *,
        threads: int = HTTP_THREADS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._poll_seconds = poll_seconds
        self._map: dict[int, Any] = {}
        server = create_server(
            application, map=self._map, host=host, port=port, threads=threads, ident="bridgebot", asyncore_use_poll=True
        )
        assert isinstance(server, BaseWSGIServer), "one listening socket"
        _make_wake_up_safe(server.trigger)
        # Any: this drives waitress attributes its stubs get wrong (active_channels is a dict) or leave out.
        self._server = cast(Any, server)
        self.server_address: tuple[str, int] = (str(self._server.effective_host), int(self._server.effective_port))
        self._stop_requested = False  # a plain flag: set from a signal handler
        self._stopped = threading.Event()
        self._stopped.set()
        self._closed = False

    def serve_forever(self) -> None:
        self._stopped.clear()
        try:
            while not self._stop_requested:
                wasyncore.loop(timeout=self._poll_seconds, map=self._map, use_poll=True, count=1)
            self._drain()
        finally:
            self.server_close()
            self._stopped.set()

    def request_stop(self) -> None:
        """Only sets a flag, so a signal handler may call it; the event loop sees it within POLL_SECONDS."""
        self._stop_requested = True

    def shutdown(self) -> None:
        self.request_stop()
        self._server.pull_trigger()  # wakes the event loop at once (takes a lock: never from a signal handler)
        self._stopped.wait()

    def server_close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        wasyncore.close_all(self._map)

    def in_flight(self) -> int:
        """Requests received and not yet fully answered (being served, queued, or their answer unsent)."""
        return sum(1 for channel in list(self._server.active_channels.values()) if _busy(channel))

    def _drain(self) -> None:
        wasyncore.dispatcher.close(self._server)  # stop listening: new connections are refused from now on
        deadline = time.monotonic() + DRAIN_SECONDS
        while True:
            for channel in list(self._server.active_channels.values()):
                if not _busy(channel):
                    channel.will_close = True  # idle keep-alive connection: close it, take nothing more on it
            waiting = self.in_flight()
            if not waiting:
                return
            if time.monotonic() > deadline:
                log.warning("stopping with %s request(s) unanswered after %.0f s", waiting, DRAIN_SECONDS)
                return
            wasyncore.loop(timeout=self._poll_seconds, map=self._map, use_poll=True, count=1)


def _make_wake_up_safe(trigger: Any) -> None:
    """Make waking waitress's event loop safe at any moment, even while or after the serving thread closes it.

    waitress wakes its loop by writing a byte to a pipe (its "trigger"); `shutdown()` and waitress's own worker
    threads write to it from other threads, while the serving thread closes it when it stops. Unguarded, a write
    that loses that race fails with EBADF or, worse, lands in whatever file has reused the descriptor since.
    One lock around the write and the close, and no write once closed, removes the race at its root."""
    pull, close = getattr(trigger, "_physical_pull", None), getattr(trigger, "_close", None)
    if pull is None or close is None or not hasattr(trigger, "_fds"):
        raise RuntimeError("this waitress has a wake-up trigger bot.server does not know; pin waitress<4")
    lock = threading.Lock()

    def guarded_pull() -> None:
        with lock:
            if trigger._fds:  # emptied by _close()
                pull()

    def guarded_close() -> None:
        with lock:
            close()

    trigger._physical_pull = guarded_pull
    trigger._close = guarded_close


def _busy(channel: Any) -> bool:
    return bool(channel.requests or channel.total_outbufs_len or channel.request is not None)


def share_the_gil_for_serving() -> None:
    """For a process that serves requests: the event loop thread gets the GIL back within a millisecond."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


def make_http_server(application: WsgiApp, host: str, port: int, *, threads: int = HTTP_THREADS) -> HttpServer:
    return HttpServer(application, host, port, threads=threads)

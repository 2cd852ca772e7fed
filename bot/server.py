"""HTTP mode: Bolt's WSGI adapter at /slack/events plus GET /healthz, on a threaded WSGI server."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wsgi_app(app: App, health_check: Callable[[], None]) -> WsgiApp:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            return _health(health_check, start_response)
        return slack(environ, start_response)

    return application


def _health(health_check: Callable[[], None], start_response: Callable[..., Any]) -> Iterable[bytes]:
    try:
        health_check()
        status, body = "200 OK", {"ok": True, "database": "reachable"}
    except Exception as error:
        status, body = "503 Service Unavailable", {"ok": False, "database": f"unreachable: {type(error).__name__}"}
    start_response(status, [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


def make_http_server(application: WsgiApp, host: str, port: int) -> WSGIServer:
    return make_server(host, port, application, server_class=ThreadingWSGIServer, handler_class=QuietHandler)

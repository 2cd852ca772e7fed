"""The HTTP border in front of Bolt: a request is Slack's, and well formed, before anything reads it.

Bolt parses the body when it builds its request object, before its own signature check runs; a body that does
not parse (a timestamp that is not a number, a `payload` that is not a JSON object, bytes that are not UTF-8)
then failed with a 500, and the error handler replied to whatever `response_url` the unsigned body named. So
this WSGI layer checks, on the raw bytes and in this order, before Bolt sees anything:

- size: more than `MAX_BODY_BYTES` → 413 (Slack's requests are a few kilobytes; at most some tens);
- signature and timestamp (Slack's v0 scheme, five minutes of skew) → 401 for any failure;
- the verified body decodes as Bolt will decode it, into a JSON object whose envelope is well formed
  (handlers.envelope: Bolt reads user, team and actions as it builds its request) → 400 otherwise, or for a
  slash command a 200 that says nothing went through.

A refused request has no effect at all: no row, no Web API call, no outbound request. It is logged as one
short line (reason, size, remote address), never its body or headers.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from handlers.envelope import NOT_WELL_FORMED, Malformed, check

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
MAX_SKEW_SECONDS = 300  # Slack's own advice: refuse a timestamp more than five minutes away
_TIMESTAMP_DIGITS = 12  # a Unix time in seconds has 10 digits until the year 2286

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Refusal(Exception):
    def __init__(self, status: str, reason: str, *, command: bool = False) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.command = command  # a signed slash command: Slack shows our answer, so it says what happened


def verified_only(
    slack: WsgiApp, signing_secret: str, *, clock: Callable[[], float] = time.time, max_bytes: int = MAX_BODY_BYTES
) -> WsgiApp:
    """Wrap Bolt's WSGI app so that it only ever sees signed, well-formed requests."""
    secret = signing_secret.encode()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return slack(environ, start_response)  # Bolt answers anything but a POST with 404, reading nothing
        size = 0
        try:
            raw = _read_body(environ, max_bytes)
            size = len(raw)
            _check_signature(environ, raw, secret, clock())
            _check_decodes(raw, environ.get("CONTENT_TYPE"))
        except Refusal as refusal:
            size = size or _declared_length(environ)
            log.warning("refused a request: %s (%d bytes, from %s)", refusal.reason, size, _remote(environ))
            if refusal.command:
                return _json(start_response, "200 OK", {"response_type": "ephemeral", "text": NOT_WELL_FORMED})
            return _json(start_response, refusal.status, {"ok": False, "error": refusal.reason})
        environ = {**environ, "wsgi.input": io.BytesIO(raw), "CONTENT_LENGTH": str(len(raw))}
        return slack(environ, start_response)

    return application


def _read_body(environ: dict[str, Any], max_bytes: int) -> bytes:
    declared = _declared_length(environ)
    if declared > max_bytes:
        raise Refusal("413 Payload Too Large", "body over the size limit")
    stream = environ.get("wsgi.input")
    raw = stream.read(declared if declared else max_bytes + 1) if stream is not None else b""
    if len(raw) > max_bytes:
        raise Refusal("413 Payload Too Large", "body over the size limit")
    return bytes(raw)


def _declared_length(environ: dict[str, Any]) -> int:
    try:
        return max(int(environ.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _check_signature(environ: dict[str, Any], raw: bytes, secret: bytes, now: float) -> None:
    timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
    signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
    if not signature or not timestamp:
        raise Refusal("401 Unauthorized", "not signed")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _TIMESTAMP_DIGITS):
        raise Refusal("401 Unauthorized", "timestamp is not a number")
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        raise Refusal("401 Unauthorized", "timestamp too far from now")
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Refusal("401 Unauthorized", "bad signature")


def _check_decodes(raw: bytes, content_type: str | None) -> None:
    """The body decodes the way Bolt will decode it (slack_bolt.request.internals.parse_body), to an object, and
    a form without `payload` parses strictly: stricter than Bolt, which would read `[1, 2]` as one empty field."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal("400 Bad Request", "body is not UTF-8") from None
    if not text:
        raise Refusal("400 Bad Request", "empty body")
    try:
        if content_type == "application/json" or text.startswith("{"):
            decoded: Any = json.loads(text)
        elif "payload" in text:
            payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
            decoded = json.loads(payload) if payload is not None else {}
        else:
            decoded = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
    except (ValueError, RecursionError):
        raise Refusal("400 Bad Request", "body does not decode") from None
    if not isinstance(decoded, dict):
        raise Refusal("400 Bad Request", "body is not an object")
    try:
        check(decoded)  # Bolt reads user, team, channel and actions while it builds its request: before middleware
    except Malformed as problem:
        raise Refusal("400 Bad Request", f"malformed envelope: {problem}", command="command" in decoded) from None


def _remote(environ: dict[str, Any]) -> str:
    address = str(environ.get("REMOTE_ADDR") or "unknown")
    return address[:64].encode("ascii", "backslashreplace").decode("ascii")


def _json(start_response: Callable[..., Any], status: str, answer: dict[str, Any]) -> Iterable[bytes]:
    body = json.dumps(answer).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]

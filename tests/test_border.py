"""The border in front of Bolt, over real HTTP: what is not Slack's, or not well formed, changes nothing and
reaches no one (no row written, no Web API call, no request to any host but Slack's)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import SORRY
from storage.models import Base
from tests.conftest import RunningBot, wait_for
from tests.slack_requests import SIGNING_SECRET


class ElsewhereHost:
    """A host that is not Slack's: any request reaching it is a request the bot must never have made."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                host.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *_args: Any) -> None:
                pass

        # 127.0.0.2: on the loopback, but another origin than the fake Slack's 127.0.0.1.
        self.server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.005,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.2:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def elsewhere() -> Iterator[ElsewhereHost]:
    host = ElsewhereHost()
    yield host
    host.stop()


def every_row(bot: RunningBot) -> dict[str, int]:
    with bot.services.sessions() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def post_raw(bot: RunningBot, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(f"{bot.url}/slack/events", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def signed_headers(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    """Slack's v0 signature over the raw bytes (slack_sdk's helper decodes them as UTF-8 first)."""
    timestamp = str(int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


def command_body(response_url: str, text: str = "SQL") -> bytes:
    return urlencode(
        {
            "command": "/jargon",
            "text": text,
            "user_id": "UALICE",
            "channel_id": "CGENERAL",
            "team_id": "T0001",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    ).encode()


def assert_no_effect(bot: RunningBot, before: dict[str, int], elsewhere: ElsewhereHost) -> None:
    assert every_row(bot) == before, "a refused request wrote rows"
    assert elsewhere.hits == [], "the bot sent a request to a host that is not Slack's"
    assert bot.fake.calls == [], "a refused request reached the Web API or a response_url"


UNSIGNED_CASES = {
    "timestamp is not a number": {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
    "no signature": {"X-Slack-Request-Timestamp": str(int(time.time()))},
    "wrong signature": {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64},
    "an old timestamp": {"X-Slack-Request-Timestamp": "1000000000", "X-Slack-Signature": "v0=" + "0" * 64},
    "a huge timestamp": {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=00"},
    "nothing": {},
}


@pytest.mark.parametrize("case", list(UNSIGNED_CASES))
def test_an_unsigned_request_gets_401_and_reaches_no_one(
    running_bot: RunningBot, elsewhere: ElsewhereHost, case: str
) -> None:
    before = every_row(running_bot)
    for body in (command_body(elsewhere.url), b"\xff\xfe not utf-8", b"payload=[1]", b"payload=%7Bbroken"):
        headers = {"Content-Type": "application/x-www-form-urlencoded", **UNSIGNED_CASES[case]}
        status, _ = post_raw(running_bot, body, headers)
        assert status == 401, (case, body)
    wait_for(lambda: True)  # had anything started after an acknowledgement, it has finished
    assert_no_effect(running_bot, before, elsewhere)


SIGNED_UNDECODABLE = {
    "payload is a list": b"payload=%5B1%5D",
    "payload is null": b"payload=null",
    "payload is a number": b"payload=7",
    "payload is broken JSON": b"payload=%7B%22type%22%3A",
    "not UTF-8": b"command=/jargon&text=\xff\xfe",
    "a JSON body that is a list": b"[1, 2]",
    "a JSON body that is broken": b"{broken",
    "empty": b"",
}


@pytest.mark.parametrize("case", list(SIGNED_UNDECODABLE))
def test_a_signed_body_that_does_not_decode_gets_400_and_changes_nothing(
    running_bot: RunningBot, elsewhere: ElsewhereHost, case: str
) -> None:
    before = every_row(running_bot)
    body = SIGNED_UNDECODABLE[case]
    status, answer = post_raw(running_bot, body, signed_headers(body))
    assert status == 400, answer
    assert_no_effect(running_bot, before, elsewhere)


@pytest.mark.parametrize("signed", [False, True])
def test_a_body_over_the_size_cap_gets_413(running_bot: RunningBot, elsewhere: ElsewhereHost, signed: bool) -> None:
    before = every_row(running_bot)
    body = command_body(elsewhere.url, text="x" * 1_100_000)
    headers = signed_headers(body) if signed else {"Content-Type": "application/x-www-form-urlencoded"}
    status, _ = post_raw(running_bot, body, headers)
    assert status == 413
    assert_no_effect(running_bot, before, elsewhere)


def test_a_refusal_is_logged_as_one_short_line_without_the_body(
    running_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    body = b"text=" + b"A" * 500_000 + b"%0A2026-12-01 INFO forged: everything is fine\n"
    with caplog.at_level(logging.INFO):
        status, _ = post_raw(running_bot, body, {"X-Slack-Request-Timestamp": "forged", "X-Slack-Signature": "v0"})
    assert status == 401
    lines = [record.getMessage() for record in caplog.records]
    refusals = [line for line in lines if line.startswith("refused a request")]
    assert len(refusals) == 1, lines
    assert len(refusals[0]) < 120 and "\n" not in refusals[0] and "forged" not in refusals[0]
    assert all("AAAA" not in line and "forged" not in line for line in lines)


def test_a_signed_response_url_that_is_not_slacks_is_never_called(
    running_bot: RunningBot, elsewhere: ElsewhereHost, caplog: pytest.LogCaptureFixture
) -> None:
    body = command_body(elsewhere.url, text="SQL")
    with caplog.at_level(logging.WARNING):
        status, _ = post_raw(running_bot, body, signed_headers(body))
        wait_for(lambda: True)  # the lookup's after-ack work (it answers through respond) has finished
    assert status == 200
    assert elsewhere.hits == []
    assert any("response_url: it does not point at Slack" in r.getMessage() for r in caplog.records)


def test_a_failure_is_apologised_for_and_the_apology_goes_only_to_slack(
    running_bot: RunningBot, elsewhere: ElsewhereHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(running_bot.services.glossary, "lookup", broken)  # fails before acknowledging
    body = command_body(elsewhere.url, text="SQL")
    status, answer = post_raw(running_bot, body, signed_headers(body))
    assert (status, json.loads(answer)["text"]) == (200, SORRY)

    monkeypatch.undo()
    monkeypatch.setattr(running_bot.services.glossary, "record_lookup", broken)  # fails after acknowledging
    for url, reaches in ((elsewhere.url, False), (running_bot.fake.response_url("apology"), True)):
        body = command_body(url, text="SQL")
        status, _ = post_raw(running_bot, body, signed_headers(body))
        wait_for(lambda: True)
        assert status == 200
        assert bool(running_bot.fake.calls_to("response_url")) is reaches
    assert elsewhere.hits == []


# --- generated garbage ---------------------------------------------------------------------------------------

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["type", "user", "team", "channel", "actions", "view", "trigger_id", "response_url", "command", "text"]
)


@st.composite
def payload_shapes(draw: st.DrawFn, response_url: str) -> bytes:
    """Bodies shaped like Slack's, with any field of any type, and outright garbage."""
    kind = draw(st.sampled_from(["payload", "form", "json", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    shape: dict[str, Any] = {
        "type": draw(st.sampled_from(["block_actions", "view_submission", "shortcut", "event_callback", "x"])),
        "response_url": response_url,
    }
    shape.update(draw(st.dictionaries(FIELDS, JSONISH, max_size=6)))
    if kind == "json":
        return json.dumps(shape).encode()
    if kind == "payload":
        return urlencode({"payload": json.dumps(draw(st.one_of(st.just(shape), JSONISH)))}).encode()
    form = {key: json.dumps(value) if not isinstance(value, str) else value for key, value in shape.items()}
    form.setdefault("command", draw(st.sampled_from(["/jargon", "/sitdown", "/nothing"])))
    return urlencode(form).encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_garbage_never_gets_a_5xx_and_a_refusal_changes_nothing(
    running_bot: RunningBot, elsewhere: ElsewhereHost, data: st.DataObject
) -> None:
    body = data.draw(payload_shapes(elsewhere.url))
    signed = data.draw(st.booleans())
    content_type = data.draw(st.sampled_from(["application/x-www-form-urlencoded", "application/json"]))
    if signed:
        headers = signed_headers(body, content_type)
    else:
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": data.draw(st.text(max_size=12).map(lambda t: t.encode().hex()[:20] or "0")),
            "X-Slack-Signature": data.draw(st.text(max_size=70).map(lambda t: t.encode().hex()[:80])),
        }
    before = every_row(running_bot)
    running_bot.fake.reset()

    status, _ = post_raw(running_bot, body, headers)
    wait_for(lambda: True)

    assert status < 500, body
    assert elsewhere.hits == [], body
    if not 200 <= status < 300:
        assert every_row(running_bot) == before, body
        assert [c.method for c in running_bot.fake.calls if c.method != "auth.test"] == [], body
    if not signed:
        assert status == 401

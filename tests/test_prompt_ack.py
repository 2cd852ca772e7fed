"""Slack gets its answer as soon as a listener acknowledges, while the listener goes on (handlers/prompt_ack.py).

Real HTTP, signed requests, a Bolt app built the way bot.app builds the bot's (PromptApp, PromptExecutor), with
listeners that hold what they do after acknowledging until the test lets them go: had the answer waited for the
listener, or had the listener run on the request's thread, the test would wait for an answer that never comes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from slack_bolt import Ack
from slack_bolt.listener import thread_runner
from slack_sdk import WebClient

from bot.health import Readiness
from bot.server import make_http_server, wsgi_app
from handlers.prompt_ack import PromptAck, PromptApp, PromptExecutor, ack_encoded, encoded_answer
from tests.fake_slack import FakeSlack
from tests.slack_requests import SIGNING_SECRET, SlackSender

HELD_SECONDS = 20  # how long a listener waits for the test at most: a failing test fails, it does not hang


@dataclass
class Held:
    acknowledged: threading.Event
    release: threading.Event
    finished: threading.Event


@pytest.fixture
def held() -> Held:
    return Held(threading.Event(), threading.Event(), threading.Event())


@pytest.fixture
def sender(held: Held, fake_slack: FakeSlack) -> Iterator[SlackSender]:
    pool = ThreadPoolExecutor(max_workers=2)
    app = PromptApp(
        signing_secret=SIGNING_SECRET,
        client=WebClient(token="xoxb-test", base_url=fake_slack.base_url),
        token_verification_enabled=False,
        listener_executor=PromptExecutor(pool),
    )

    @app.command("/hold")
    def hold(ack: Ack, command: dict[str, Any]) -> None:
        ack(f"got {command['text']}")
        held.acknowledged.set()
        held.release.wait(HELD_SECONDS)
        held.finished.set()

    @app.command("/slow")
    def slow(ack: Ack) -> None:
        time.sleep(0.05)  # long enough that Bolt's runner, on its own, would be polling for the acknowledgement
        ack("at last")

    @app.command("/fail")
    def fail(ack: Ack) -> None:
        raise RuntimeError("before acknowledging")

    @app.command("/encoded")
    def encoded(ack: Ack) -> None:
        ack_encoded(ack, encoded_answer({"text": "kept", "blocks": [{"type": "divider"}]}))

    server = make_http_server(wsgi_app(app, Readiness(), signing_secret=SIGNING_SECRET), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SlackSender(f"http://127.0.0.1:{server.server_address[1]}/slack/events", fake_slack)
    finally:
        held.release.set()
        server.shutdown()
        server.server_close()
        pool.shutdown(wait=True)


def test_the_answer_arrives_while_the_listener_still_works(sender: SlackSender, held: Held) -> None:
    reply = sender.command("/hold", "this")

    assert (reply.status, reply.raw) == (200, "got this")
    assert held.acknowledged.is_set() and not held.finished.is_set()  # the work after the ack still runs
    held.release.set()
    assert held.finished.wait(HELD_SECONDS)


def test_bolt_is_not_left_polling_for_the_acknowledgement(sender: SlackSender, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bolt's runner sleeps 10 ms at a time until `ack.response` is set; with the executor's wait it never has to."""
    polls: list[float] = []
    monkeypatch.setattr(thread_runner, "time", SimpleNamespace(time=time.time, sleep=polls.append))

    reply = sender.command("/slow")

    assert (reply.status, reply.raw, polls) == (200, "at last", [])


def test_a_listener_that_fails_before_acknowledging_is_answered_with_the_failure(sender: SlackSender) -> None:
    reply = sender.command("/fail")

    assert reply.status == 500


def test_an_answer_kept_encoded_is_the_one_bolt_would_send(sender: SlackSender) -> None:
    reply = sender.command("/encoded")

    assert reply.status == 200
    assert reply.body == {"text": "kept", "blocks": [{"type": "divider"}]}


def test_outside_a_request_the_executor_only_runs_the_work() -> None:
    done: Future[str] = PromptExecutor(ThreadPoolExecutor(max_workers=1)).submit(lambda: "ran")

    assert done.result(timeout=HELD_SECONDS) == "ran"


def test_the_acknowledgement_is_signalled_however_bolt_sets_it() -> None:
    """Bolt's `ack()` sets the response; its error path assigns one. Either wakes the waiting request."""
    by_call, by_assignment = PromptAck(), PromptAck()
    by_call("ok")
    by_assignment.response = Ack()("failed")

    assert by_call.acknowledged.is_set() and by_assignment.acknowledged.is_set()
    assert not PromptAck().acknowledged.is_set()

"""Answer Slack the moment a listener acknowledges, instead of at Bolt's next 10 ms poll.

Bolt (with `process_before_response=False`, right for a long-running server) hands the listener to its executor
and then polls `ack.response` every 10 ms until the listener has acknowledged. Nearly every acknowledgement of
ours takes well under a millisecond, so most requests sat in that sleep: a lookup's answer took 11 ms where the
work took under one, and a request's server thread was held as long.

Two pieces remove the wait without changing what runs where:
- `PromptApp.dispatch` gives each request an `Ack` that signals an event when its response is set (by `ack()`,
  or by Bolt's error path, which assigns it);
- `PromptExecutor.submit`, which Bolt calls from the request's thread right before it starts polling, returns
  once that event is set or the listener has finished (or after the listener's ack timeout): Bolt's first poll
  then finds the acknowledgement and answers at once. The listener still runs on the executor's threads, so what
  it does after acknowledging (a views.open, a post) still does not hold up the answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.context.ack import Ack

ACK_WAIT_SECONDS = 3.0  # Bolt's default ack timeout: it polls no longer than that either
LISTENER_THREADS = 5  # Bolt's default executor size


class PromptAck(Ack):
    """Bolt's `Ack`, which also sets `acknowledged` whenever a response is given."""

    def __init__(self) -> None:
        self.acknowledged = threading.Event()
        super().__init__()

    @property
    def response(self) -> BoltResponse | None:
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        self._response = value
        if value is not None:
            self.acknowledged.set()


_request = threading.local()  # the PromptAck of the request this thread is dispatching, if any


class PromptApp(App):
    def dispatch(self, req: BoltRequest) -> BoltResponse:
        ack = PromptAck()
        req.context["ack"] = ack
        _request.ack = ack
        try:
            return super().dispatch(req)
        finally:
            _request.ack = None


class PromptExecutor(Executor):
    """Runs listeners on `inner` (Bolt's default pool unless given); `submit` returns once the request being
    dispatched on the calling thread has its acknowledgement, or the listener is done."""

    def __init__(self, inner: Executor | None = None, *, wait_seconds: float = ACK_WAIT_SECONDS) -> None:
        self.inner = inner or ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="bolt-listener")
        self._wait_seconds = wait_seconds

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = self.inner.submit(fn, *args, **kwargs)
        ack: PromptAck | None = getattr(_request, "ack", None)
        if ack is not None:
            future.add_done_callback(lambda _done: ack.acknowledged.set())
            ack.acknowledged.wait(self._wait_seconds)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def encoded_answer(message: dict[str, Any]) -> str:
    """The body Bolt's `ack(**message)` would send, encoded: for an answer given many times over, kept encoded."""
    ack = Ack()
    ack(**message)
    assert ack.response is not None
    return ack.response.body


def ack_encoded(ack: Ack, encoded: str) -> None:
    """Acknowledge with a body `encoded_answer` made: what `ack(**message)` does, without encoding it again."""
    ack.response = BoltResponse(status=200, body=encoded)

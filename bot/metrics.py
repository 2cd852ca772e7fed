"""What the bot measures, as hooks its parts call: no-ops unless METRICS_PORT is set, when `python -m bot` puts
Prometheus's in their place (bot/metrics_server.py; prometheus_client is imported only then)."""

from __future__ import annotations


class Metrics:
    """The hooks, doing nothing. Labels are short bounded names: never a user id, a channel or anyone's text."""

    def request_handled(self, kind: str, outcome: str, seconds: float) -> None:
        """A request Bolt acknowledged (kind: handlers.observed.request_kind), and how long that took."""

    def send_failed(self, error: str, *, final: bool) -> None:
        """An outbox send that failed: Slack's error code or the exception's name; final when given up."""

    def message_sent(self, lag_seconds: float) -> None:
        """An outbox row was sent, `lag_seconds` after it was due."""

    def planner_ran(self, planner: str, seconds: float) -> None:
        """One feature planner's run (every minute), failed or not."""


current = Metrics()


def use(metrics: Metrics) -> None:
    global current
    current = metrics

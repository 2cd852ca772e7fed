"""One log line and one measurement per request Bolt handles, in HTTP and Socket Mode alike (both adapters
call `App.dispatch`, so that is where it is taken).

The line names the request's kind, who sent it (user and team ids), how long the acknowledgement took and its
outcome; never what anyone wrote, nor a token. What a listener does after acknowledging is not in the latency:
Slack waits for the acknowledgement only. A listener that fails after acknowledging logs its own failure.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from slack_bolt import BoltRequest, BoltResponse

from bot import metrics
from handlers.prompt_ack import PromptApp

log = logging.getLogger("bot.requests")

FAILURE = "bridgebot_failure"  # set in the request's context by the error handler: "error" or "database_outage"
_NAME = re.compile(r"/?[a-z][a-z0-9_.-]{0,39}")
_OUTCOME_BY_STATUS = {400: "refused", 401: "unauthorized", 404: "unhandled"}


class ObservedApp(PromptApp):
    def dispatch(self, req: BoltRequest) -> BoltResponse:
        started = time.perf_counter()
        response = super().dispatch(req)
        seconds = time.perf_counter() - started
        kind, outcome = request_kind(req.body), request_outcome(req, response)
        metrics.current.request_handled(kind, outcome, seconds)
        fields = {
            "request_kind": kind,
            "user_id": req.context.user_id,
            "team_id": req.context.team_id,
            "latency_ms": round(seconds * 1000, 1),
            "outcome": outcome,
            "status": response.status,
        }
        log.info(
            "%s from %s in %s: %s (%s) in %.0f ms",
            kind,
            fields["user_id"] or "no user",
            fields["team_id"] or "no team",
            outcome,
            response.status,
            seconds * 1000,
            extra={"fields": fields},
        )
        return response


def request_kind(body: Any) -> str:
    """'command /jargon', 'event app_home_opened', or the interaction's type ('block_actions', …): a short,
    bounded set of names (action ids, which hold object ids, are left out), fit for a metric's label."""
    if not isinstance(body, dict):
        return "other"
    if isinstance(body.get("command"), str):
        return f"command {_name(body['command'])}"
    if body.get("type") == "event_callback" and isinstance(body.get("event"), dict):
        return f"event {_name(body['event'].get('type'))}"
    return _name(body.get("type"))


def request_outcome(req: BoltRequest, response: BoltResponse) -> str:
    failure = req.context.get(FAILURE)
    if isinstance(failure, str):
        return failure
    if response.status >= 500:
        return "error"
    return _OUTCOME_BY_STATUS.get(response.status, "ok" if response.status < 400 else "refused")


def _name(value: Any) -> str:
    return value if isinstance(value, str) and _NAME.fullmatch(value) else "other"

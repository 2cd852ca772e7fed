"""Sends the app the shortcuts Slack would: signed `message_action` (a message's shortcut) and `shortcut` (a
global one) payloads, over real HTTP, through tests/slack_requests.py's SlackSender (its `post`, and its
trigger_ids, which the fake Slack lets open one view within 3 s)."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from tests.slack_requests import Reply, SlackSender

MESSAGE_TS = "1700000000.000100"
PERMALINK = "https://example.slack.com/archives/CGENERAL/p1700000000000100"


def _start(slack: SlackSender, kind: str, callback_id: str, user: str) -> dict[str, Any]:
    """What a shortcut payload starts with: who clicked, where, and a fresh trigger_id."""
    return {
        "type": kind,
        "token": "legacy",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": "T0001", "domain": "example"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0001"},
        "api_app_id": "A0001",
        "callback_id": callback_id,
        "trigger_id": slack._next("trigger."),
        "is_enterprise_install": False,
        "enterprise": None,
    }


def message_shortcut(
    slack: SlackSender,
    callback_id: str,
    text: str,
    *,
    user: str = "UALICE",
    channel: str = "CGENERAL",
    author: str = "UBOB",
    ts: str = MESSAGE_TS,
) -> Reply:
    """A message shortcut clicked on a message `author` posted in `channel` (`text` as Slack sends it: encoded,
    `&lt;` for a typed `<`), with a response_url of the fake Slack."""
    payload = {
        **_start(slack, "message_action", callback_id, user),
        "channel": {"id": channel, "name": "general"},
        "message_ts": ts,
        "message": {"type": "message", "user": author, "ts": ts, "text": text, "team": "T0001"},
        "response_url": slack.fake.response_url(slack._next("shortcut")),
    }
    return slack.post(urlencode({"payload": json.dumps(payload)}))


def global_shortcut(slack: SlackSender, callback_id: str, *, user: str = "UALICE") -> Reply:
    """A global shortcut (from the composer or search): no channel, no message, no response_url."""
    return slack.post(urlencode({"payload": json.dumps(_start(slack, "shortcut", callback_id, user))}))


def answer_permalinks(slack: SlackSender, link: str = PERMALINK) -> None:
    """chat.getPermalink answers `link` (the fake Slack answers a bare `ok` to methods it does not model)."""
    slack.fake.answers["chat.getPermalink"] = {"ok": True, "channel": "CGENERAL", "permalink": link}

"""Sends the app what Slack would: signed slash commands, block_actions and view_submission, over real HTTP."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.fake_slack import FakeSlack, message_problems, view_problems
from tests.slack_rules import errors_problems, strict_view_problems

SIGNING_SECRET = "0123456789abcdef0123456789abcdef"


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    raw: str

    @property
    def text(self) -> str:
        """Every mrkdwn/plain text of the reply, joined: handy for `in` assertions."""
        return "\n".join(_texts(self.body))

    @property
    def action_elements(self) -> list[dict[str, Any]]:
        """The elements (buttons and the like) of the reply's actions blocks, in order."""
        return [e for b in self.body.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["text"]] if isinstance(value.get("text"), str) else []
        return found + [t for k, v in value.items() if k != "text" or not isinstance(v, str) for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


class SlackSender:
    def __init__(self, url: str, fake: FakeSlack, secret: str = SIGNING_SECRET) -> None:
        self.url = url
        self.fake = fake
        self.verifier = SignatureVerifier(secret)
        self._counter = 0

    def post(self, body: str, content_type: str = "application/x-www-form-urlencoded", *, sign: bool = True) -> Reply:
        timestamp = str(int(time.time()))
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp}
        if sign:
            headers["X-Slack-Signature"] = self.verifier.generate_signature(timestamp=timestamp, body=body)
        request = urllib.request.Request(self.url, data=body.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read().decode(), error.code
        parsed = json.loads(raw) if raw.startswith("{") else {}
        return Reply(status, parsed, raw)

    def _next(self, prefix: str) -> str:
        self._counter += 1
        name = f"{prefix}{self._counter}"
        if prefix == "trigger.":
            self.fake.issue_trigger(name)
        return name

    def _interaction(self, kind: str, user: str) -> dict[str, Any]:
        """What every interaction payload (block_actions, view_submission) starts with."""
        return {
            "type": kind,
            "team": {"id": "T0001"},
            "user": {"id": user, "username": user.lower(), "team_id": "T0001"},
            "api_app_id": "A0001",
            "token": "legacy",
            "trigger_id": self._next("trigger."),
        }

    def command(self, command: str, text: str = "", *, user: str = "UALICE", channel: str = "CGENERAL") -> Reply:
        body = {
            "token": "legacy",
            "team_id": "T0001",
            "team_domain": "example",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0001",
            "response_url": self.fake.response_url(self._next("cmd")),
            "trigger_id": self._next("trigger."),
        }
        reply = self.post(urlencode(body))
        self._check_reply(reply)
        return reply

    def action(
        self,
        action_id: str,
        value: str = "",
        *,
        user: str = "UALICE",
        channel: str = "CGENERAL",
        message_ts: str = "1700000000.000001",
        block_id: str = "b",
    ) -> Reply:
        payload = {
            **self._interaction("block_actions", user),
            "channel": {"id": channel, "name": "general"},
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "message": {"ts": message_ts, "text": "", "blocks": []},
            "response_url": self.fake.response_url(self._next("act")),
            "actions": [
                {"type": "button", "action_id": action_id, "block_id": block_id, "value": value, "action_ts": "1"}
            ],
        }
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def event(self, event: dict[str, Any]) -> Reply:
        """An Events API callback, as Slack sends it (JSON, signed)."""
        body = {
            "token": "legacy",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": self._next("Ev"),
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": True}],
        }
        return self.post(json.dumps(body), content_type="application/json")

    def open_home(self, user: str = "UALICE") -> Reply:
        return self.event({"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home"})

    def home_action(self, action_id: str, value: str = "", *, user: str = "UALICE", block_id: str = "b") -> Reply:
        """A button clicked in the user's Home tab: block_actions from a view, with no response_url."""
        payload = {
            **self._interaction("block_actions", user),
            "container": {"type": "view", "view_id": "VHOME"},
            "view": {"id": "VHOME", "type": "home", "blocks": [], "private_metadata": "", "callback_id": ""},
            "actions": [
                {"type": "button", "action_id": action_id, "block_id": block_id, "value": value, "action_ts": "1"}
            ],
        }
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def submit(self, view: dict[str, Any], values: dict[str, Any], *, user: str = "UALICE") -> Reply:
        """Submit a view the app opened, with form values {block_id: text, ('select', value), or a raw element
        state from one of the helpers below (date, time, user, users, checkboxes, number, select_many)}."""
        state: dict[str, Any] = {}
        for block_id, value in values.items():
            if isinstance(value, dict):
                element = {k: v for k, v in value.items() if k != "action_id"}
                state[block_id] = {value.get("action_id", "value"): element}
            elif isinstance(value, tuple):
                option = {"text": {"type": "plain_text", "text": value[1]}, "value": value[1]} if value[1] else None
                state[block_id] = {"value": {"type": "static_select", "selected_option": option}}
            else:
                state[block_id] = {"value": {"type": "plain_text_input", "value": value or None}}
        payload = {
            **self._interaction("view_submission", user),
            "view": {
                **view,
                "id": "V0001",
                "team_id": "T0001",
                "state": {"values": state},
                "hash": "h",
            },
        }
        reply = self.post(urlencode({"payload": json.dumps(payload)}))
        if reply.body.get("response_action") == "update":
            self.fake.problems.extend(view_problems("view_submission update", reply.body.get("view")))
            self.fake.problems.extend(strict_view_problems(reply.body.get("view"), "view_submission update"))
        self.fake.problems.extend(errors_problems(view, reply.body))
        return reply

    def _check_reply(self, reply: Reply) -> None:
        """The acknowledgement body is a message Slack renders: hold it to the same rules as the Web API."""
        if reply.body.get("blocks") or reply.body.get("text"):
            self.fake.problems.extend(message_problems("response_url", reply.body))


# --- element states for SlackSender.submit (action_id "value" unless given) ---------------------------------


def date(value: str | None, action_id: str = "value") -> dict[str, Any]:
    return {"action_id": action_id, "type": "datepicker", "selected_date": value}


def time_of_day(value: str | None, action_id: str = "value") -> dict[str, Any]:
    return {"action_id": action_id, "type": "timepicker", "selected_time": value}


def user(value: str | None, action_id: str = "value") -> dict[str, Any]:
    return {"action_id": action_id, "type": "users_select", "selected_user": value}


def users(values: list[str], action_id: str = "value") -> dict[str, Any]:
    return {"action_id": action_id, "type": "multi_users_select", "selected_users": values}


def channel(value: str | None, action_id: str = "value") -> dict[str, Any]:
    return {"action_id": action_id, "type": "conversations_select", "selected_conversation": value}


def number(value: str | None, action_id: str = "value") -> dict[str, Any]:
    return {"action_id": action_id, "type": "number_input", "value": value}


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def checkboxes(values: list[str], action_id: str = "value") -> dict[str, Any]:
    return {"action_id": action_id, "type": "checkboxes", "selected_options": [_option(v) for v in values]}


def select_many(values: list[str], action_id: str = "value") -> dict[str, Any]:
    return {"action_id": action_id, "type": "multi_static_select", "selected_options": [_option(v) for v in values]}

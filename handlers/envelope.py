"""The envelope of every request, checked once before any feature sees it (HTTP and Socket Mode alike).

A signed request is Slack's, but what it carries is a claim: ids, picker values, dates and button values are
checked for their shape here, text is cleaned of what the database cannot store (NUL, lone surrogates), and
`response_url` is honoured only when it points at Slack. A request that fails gets a 200 (a slash command: a
line saying nothing went through) or a 400, and no listener runs. Features then re-check against the database
whatever the shape cannot tell (that the id exists, that its state allows the action, that the person may).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from handlers.blocks import unseal
from handlers.observed import FAILURE

log = logging.getLogger(__name__)

SLACK_HOOKS = "https://hooks.slack.com/"
SLACK_FILES = "https://files.slack.com/"  # where files.getUploadURLExternal's upload_url points
NOT_WELL_FORMED = "⚠️ That request was not well formed, so nothing was changed."

USER_ID = re.compile(r"[UWB][A-Z0-9]{2,20}")
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,20}")
TEAM_ID = re.compile(r"[TE][A-Z0-9]{2,20}")
USERGROUP_ID = re.compile(r"S[A-Z0-9]{2,20}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TIME = re.compile(r"\d{2}:\d{2}")
ID_TEXT = 255  # trigger ids, callback ids, action ids, block ids: Slack's are far shorter
VALUE_TEXT = 2000  # a button's value (Slack's limit)
TEXT_LIMIT = 40_000  # any string in a request: Slack's own largest (a message's text)

# Picker element type → (the state field holding its choice, the id syntax that choice must have).
PICKERS: dict[str, tuple[str, re.Pattern[str]]] = {
    "users_select": ("selected_user", USER_ID),
    "multi_users_select": ("selected_users", USER_ID),
    "conversations_select": ("selected_conversation", CHANNEL_ID),
    "multi_conversations_select": ("selected_conversations", CHANNEL_ID),
    "channels_select": ("selected_channel", CHANNEL_ID),
    "multi_channels_select": ("selected_channels", CHANNEL_ID),
}
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class Malformed(ValueError):
    """The envelope is not what Slack sends; `field` says where, for the log (never the value)."""


def is_slack_url(url: Any, *, also_allowed: str | None = None) -> bool:
    """A response_url the bot may post to: Slack's hooks host, or the origin the Web API is pointed at
    (SLACK_API_URL, which is how the tests' fake Slack is reached)."""
    if not isinstance(url, str) or len(url) > 2000:
        return False
    if url.startswith(SLACK_HOOKS):
        return True
    if also_allowed:
        allowed, given = _origin(also_allowed), urlsplit(url)
        return (given.scheme, given.netloc) == allowed and bool(allowed[1])
    return False


@lru_cache(maxsize=8)
def _origin(url: str) -> tuple[str, str]:
    """SLACK_API_URL's scheme and host: the same one or two settings, asked about at every request."""
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def is_slack_upload_url(url: Any, *, also_allowed: str | None = None) -> bool:
    """An upload URL the bot may send a file's bytes to: Slack's files host, or SLACK_API_URL's origin."""
    if isinstance(url, str) and url.startswith(SLACK_FILES) and len(url) <= 2000:
        return True
    return is_slack_url(url, also_allowed=also_allowed) and not url.startswith(SLACK_HOOKS)


class EnvelopeCheck(Middleware):
    """A Bolt global middleware checking the envelope (see the module's docstring). A Middleware object, not a
    function: for a function Bolt first builds every argument it might want (the action, the view…) from the
    body, and a malformed body fails right there, before any check could run."""

    def __init__(self, api_url: str | None) -> None:
        self.api_url = api_url

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        body = req.body
        try:
            if not isinstance(body, dict):
                raise Malformed("body")
            clean_strings(body)
            check(body)
        except Malformed as problem:
            log.warning("refused a malformed %s request: %s", _kind(body), problem)
            req.context[FAILURE] = "refused"  # the request's outcome, even when the refusal is a 200
            return _refusal(body)
        _guard_response_url(req, self.api_url)
        return next()


def clean_strings(value: Any, depth: int = 0) -> Any:
    """Remove, in place, what PostgreSQL cannot store in text (NUL) or UTF-8 cannot encode (lone surrogates)."""
    if depth > 40:
        raise Malformed("nesting")
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                value[key] = _clean(item)
            else:
                clean_strings(item, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                value[index] = _clean(item)
            else:
                clean_strings(item, depth + 1)
    return value


def _clean(text: str) -> str:
    if len(text) > TEXT_LIMIT:
        raise Malformed("a string over Slack's largest size")
    return _UNSTORABLE.sub("", text) if _UNSTORABLE.search(text) else text


_OBJECTS = ("user", "team", "channel", "enterprise", "container", "view", "message", "event", "organization")
_STRINGS = ("user_id", "team_id", "channel_id", "enterprise_id", "trigger_id", "response_url", "api_app_id", "token")


def _check_common(body: dict[str, Any]) -> None:
    """What Bolt itself reads from any request while it builds its request and context: the right types."""
    for name in _OBJECTS:
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, str) and name in ("user", "team", "channel", "enterprise"):
            continue
        if not isinstance(value, dict) or not isinstance(value.get("id", ""), str | type(None)):
            raise Malformed(name)
    for name in _STRINGS:
        if body.get(name) is not None and not isinstance(body[name], str):
            raise Malformed(name)
    authorizations = body.get("authorizations")
    if authorizations is not None and (
        not isinstance(authorizations, list) or not all(isinstance(a, dict) for a in authorizations)
    ):
        raise Malformed("authorizations")
    if body.get("actions") is not None and not isinstance(body["actions"], list):
        raise Malformed("actions")
    if body.get("is_enterprise_install") is not None and not isinstance(body["is_enterprise_install"], bool | str):
        raise Malformed("is_enterprise_install")


def check(body: dict[str, Any]) -> None:
    _check_common(body)
    kind = body.get("type")
    if "command" in body and kind is None:
        _check_command(body)
    elif kind == "block_actions":
        _check_user(body.get("user"))
        _optional(body, "trigger_id", ID_TEXT)
        _check_team(body.get("team"))
        _check_channel(body.get("channel"))
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            raise Malformed("actions")
        for action in actions:
            _check_action(action)
        if body.get("view") is not None:
            _check_view(body["view"])
    elif kind in ("view_submission", "view_closed"):
        _check_user(body.get("user"))
        _check_team(body.get("team"))
        _check_view(body.get("view"), submitted=kind == "view_submission")
    elif kind in ("shortcut", "message_action"):
        _check_user(body.get("user"))
        _check_team(body.get("team"))
        _text(body, "callback_id", ID_TEXT)
        _optional(body, "trigger_id", ID_TEXT)
        if kind == "message_action":
            _check_channel(body.get("channel"))
            if not isinstance(body.get("message"), dict):
                raise Malformed("message")
    elif kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise Malformed("event")
        for field in ("user", "channel"):
            if event.get(field) is not None and not isinstance(event[field], str | dict):
                raise Malformed(f"event.{field}")
    elif kind in ("url_verification", "app_rate_limited"):
        return
    elif kind is not None and not isinstance(kind, str):
        raise Malformed("type")


def _check_command(body: dict[str, Any]) -> None:
    _text(body, "command", 64)
    _text(body, "text", TEXT_LIMIT, allow_missing=True)
    _id(body.get("user_id"), USER_ID, "user_id")
    _id(body.get("channel_id"), CHANNEL_ID, "channel_id")
    if body.get("team_id") is not None:
        _id(body["team_id"], TEAM_ID, "team_id")
    _optional(body, "trigger_id", ID_TEXT)


def _check_user(user: Any) -> None:
    if not isinstance(user, dict):
        raise Malformed("user")
    _id(user.get("id"), USER_ID, "user.id")


def _check_team(team: Any) -> None:
    if team is None:
        return
    if not isinstance(team, dict):
        raise Malformed("team")
    if team.get("id") is not None:
        _id(team["id"], TEAM_ID, "team.id")


def _check_channel(channel: Any) -> None:
    if channel is None:
        return
    if not isinstance(channel, dict):
        raise Malformed("channel")
    _id(channel.get("id"), CHANNEL_ID, "channel.id")


def _check_action(action: Any) -> None:
    if not isinstance(action, dict):
        raise Malformed("action")
    _text(action, "action_id", ID_TEXT)
    _optional(action, "block_id", ID_TEXT)
    _optional(action, "value", VALUE_TEXT)
    _check_choice(action, "action")


def _check_view(view: Any, *, submitted: bool = False) -> None:
    if not isinstance(view, dict):
        raise Malformed("view")
    _optional(view, "callback_id", ID_TEXT)
    _optional(view, "private_metadata", 3000)
    metadata = unseal(view.get("private_metadata") or "")
    if metadata is None:
        raise Malformed("view.private_metadata is not sealed by this bot")
    view["private_metadata"] = metadata  # what the form was built with, for the features to read
    _optional(view, "id", ID_TEXT)
    state = view.get("state")
    if state is None and not submitted:
        return
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict):
        raise Malformed("view.state.values")
    for block_id, block in values.items():
        if not isinstance(block, dict) or len(block_id) > ID_TEXT:
            raise Malformed("view.state block")
        for element in block.values():
            if not isinstance(element, dict):
                raise Malformed("view.state element")
            _check_choice(element, "view.state element")


def _check_choice(element: dict[str, Any], where: str) -> None:
    """A picker's choice has the syntax of what it picks; a date and a time are real ones; a value is text."""
    kind = element.get("type")
    if kind is not None and not isinstance(kind, str):
        raise Malformed(f"{where}.type")
    if kind in PICKERS:
        field, syntax = PICKERS[kind]
        chosen = element.get(field)
        for one in chosen if isinstance(chosen, list) else [chosen]:
            if one is not None:
                _id(one, syntax, f"{where}.{field}")
    if element.get("value") is not None and not isinstance(element["value"], str):
        raise Malformed(f"{where}.value")
    for field in ("selected_option", "initial_option"):
        option = element.get(field)
        if option is not None and (not isinstance(option, dict) or not isinstance(option.get("value"), str)):
            raise Malformed(f"{where}.{field}")
    options = element.get("selected_options")
    if options is not None and (
        not isinstance(options, list)
        or not all(isinstance(o, dict) and isinstance(o.get("value"), str) for o in options)
    ):
        raise Malformed(f"{where}.selected_options")
    chosen_date = element.get("selected_date")
    if chosen_date is not None and not _is_date(chosen_date):
        raise Malformed(f"{where}.selected_date")
    chosen_time = element.get("selected_time")
    if chosen_time is not None and not (
        isinstance(chosen_time, str) and TIME.fullmatch(chosen_time) and chosen_time < "24" and chosen_time[3] < "6"
    ):
        raise Malformed(f"{where}.selected_time")


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _id(value: Any, syntax: re.Pattern[str], field: str) -> None:
    if not isinstance(value, str) or not syntax.fullmatch(value):
        raise Malformed(field)


def _text(body: dict[str, Any], field: str, limit: int, *, allow_missing: bool = False) -> None:
    value = body.get(field)
    if value is None and allow_missing:
        return
    if not isinstance(value, str) or len(value) > limit:
        raise Malformed(field)


def _optional(body: dict[str, Any], field: str, limit: int) -> None:
    _text(body, field, limit, allow_missing=True)


def _kind(body: Any) -> str:
    if not isinstance(body, dict):
        return "non-object"
    kind = body.get("type")
    if isinstance(kind, str) and len(kind) <= 40 and kind.replace("_", "").isalnum():
        return kind
    return "slash command" if "command" in body else "unknown"


def _refusal(body: Any) -> BoltResponse:
    if isinstance(body, dict) and "command" in body and body.get("type") is None:
        answer = json.dumps({"response_type": "ephemeral", "text": NOT_WELL_FORMED})
        return BoltResponse(status=200, body=answer, headers={"content-type": "application/json"})
    return BoltResponse(status=400, body="")


def _dropped_respond(*_args: Any, **_kwargs: Any) -> None:
    """Stands in for `respond` when the request's response_url is not Slack's: nothing is sent."""


def _guard_response_url(req: BoltRequest, api_url: str | None) -> None:
    url = req.context.get("response_url")
    if url is not None and not is_slack_url(url, also_allowed=api_url):
        log.warning("dropped the request's response_url: it does not point at Slack")
        req.context["response_url"] = None
        req.context["respond"] = _dropped_respond

"""What real Slack refuses that slack_sdk's Block Kit models let through, and Slack's per-method rate tiers.

The fake Slack (tests/fake_slack.py) runs these over every message and view it is sent; each problem found is
recorded, and the test fixture fails the test at teardown. Limits from Slack's Block Kit reference.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from typing import Any

OPTION_TEXT = 75
OPTION_VALUE = 150
FIELD_TEXT = 2000
CONTEXT_TEXT = 2000
INPUT_MAX_LENGTH = 3000
SECTION_TEXT = 3000

# Calls a minute each method may make (Slack's rate tiers: Tier 2 = 20, Tier 3 = 50, Tier 4 = 100).
TIERS = {
    "chat.update": 50,
    "chat.postEphemeral": 100,
    "chat.getPermalink": 100,
    "conversations.open": 50,
    "conversations.members": 100,
    "conversations.info": 50,
    "usergroups.users.list": 20,
    "usergroups.users.update": 20,
    "users.info": 100,
    "views.open": 100,
    "views.push": 100,
    "views.update": 100,
    "views.publish": 100,
    "files.getUploadURLExternal": 20,
    "files.completeUploadExternal": 20,
}
WINDOW_SECONDS = 60.0


def _length(text: str) -> int:
    """Slack does not say whether its limits count code points or UTF-16 units: the larger of the two."""
    return max(len(text), len(text.encode("utf-16-le")) // 2)


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("text") or "")
    return str(value or "")


def _elements(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if isinstance(block.get("accessory"), dict):
        yield block["accessory"]
    if isinstance(block.get("element"), dict):
        yield block["element"]
    for element in block.get("elements") or []:
        if isinstance(element, dict):
            yield element


def _options(element: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from element.get("options") or []
    for group in element.get("option_groups") or []:
        yield from group.get("options") or []
    for name in ("initial_option",):
        if isinstance(element.get(name), dict):
            yield element[name]
    yield from element.get("initial_options") or []


def strict_block_problems(blocks: Any, where: str) -> list[str]:
    """Problems in a list of blocks that Slack refuses and slack_sdk's models do not catch."""
    if not isinstance(blocks, list):
        return []
    problems: list[str] = []
    block_ids: set[str] = set()
    for number, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        at = f"{where}: block {number}"
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in block_ids:
                problems.append(f"{at}: block_id {block_id!r} used twice")
            block_ids.add(block_id)
        if block.get("type") == "section" and _length(_text(block.get("text"))) > SECTION_TEXT:
            problems.append(f"{at}: section text over {SECTION_TEXT}")
        for field in block.get("fields") or []:
            if _length(_text(field)) > FIELD_TEXT:
                problems.append(f"{at}: a fields item over {FIELD_TEXT}")
        if block.get("type") == "context":
            for element in block.get("elements") or []:
                if isinstance(element, dict) and _length(_text(element)) > CONTEXT_TEXT:
                    problems.append(f"{at}: context text over {CONTEXT_TEXT}")
        action_ids: set[str] = set()
        for element in _elements(block):
            action_id = element.get("action_id")
            if action_id is not None:
                if action_id in action_ids:
                    problems.append(f"{at}: action_id {action_id!r} used twice in one block")
                action_ids.add(action_id)
            for option in _options(element):
                if _length(_text(option.get("text"))) > OPTION_TEXT:
                    problems.append(f"{at}: option text over {OPTION_TEXT}")
                if len(str(option.get("value") or "")) > OPTION_VALUE:
                    problems.append(f"{at}: option value over {OPTION_VALUE}")
            if element.get("type") == "plain_text_input":
                limit = element.get("max_length")
                if isinstance(limit, int) and limit > INPUT_MAX_LENGTH:
                    problems.append(f"{at}: plain_text_input max_length {limit} over {INPUT_MAX_LENGTH}")
                initial = element.get("initial_value")
                if isinstance(initial, str) and isinstance(limit, int) and _length(initial) > limit:
                    problems.append(f"{at}: initial_value ({_length(initial)}) longer than its max_length ({limit})")
    return problems


def strict_view_problems(view: Any, where: str) -> list[str]:
    if not isinstance(view, dict):
        return []
    problems = strict_block_problems(view.get("blocks"), where)
    has_inputs = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
    if view.get("type") == "modal" and has_inputs and not view.get("submit"):
        problems.append(f"{where}: a modal with input blocks but no submit button")
    return problems


def input_block_ids(view: dict[str, Any]) -> set[str]:
    return {b["block_id"] for b in view.get("blocks") or [] if b.get("type") == "input" and b.get("block_id")}


def errors_problems(view: dict[str, Any], answer: dict[str, Any]) -> list[str]:
    """`response_action: errors` whose keys name no input block of the submitted view: Slack refuses it."""
    if answer.get("response_action") != "errors":
        return []
    unknown = set(answer.get("errors") or {}) - input_block_ids(view)
    return [f"response_action errors name no input block: {sorted(unknown)}"] if unknown else []


class RateTiers:
    """Slack's per-method limits over a sliding minute: `retry_after()` says how long a call over its tier waits
    (None when it is within it). Time is the fake's: the test's clock, or real time plus the waits skipped."""

    def __init__(self, limits: dict[str, int] | None = None) -> None:
        self.limits = dict(TIERS if limits is None else limits)
        self._calls: dict[str, deque[float]] = {}

    def retry_after(self, method: str, now: float) -> int | None:
        limit = self.limits.get(method)
        if limit is None:
            return None
        calls = self._calls.setdefault(method, deque())
        while calls and now - calls[0] >= WINDOW_SECONDS:
            calls.popleft()
        if len(calls) >= limit:
            return max(math.ceil(WINDOW_SECONDS - (now - calls[0])), 1)
        calls.append(now)
        return None

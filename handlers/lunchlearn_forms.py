"""Lunch-and-learn modals: the views the bot opens, and reading what people submit in them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.lunchlearn_rules import (
    DIRECTIONS,
    DURATIONS,
    MAX_ABSTRACT,
    MAX_CAPACITY,
    MAX_COMMENT,
    MAX_PLACE,
    MAX_PRESENTERS,
    MAX_TOPIC,
    SessionDraft,
    SessionView,
    parse_capacity,
)
from handlers import blocks as bk
from handlers.lunchlearn_messages import session_details, topic_of

DEFAULT_CAPACITY = "20"
DEFAULT_DURATION = "60"


def session_modal(
    *, topic: str = "", presenters_chosen: Sequence[str] = (), idea_id: int | None = None
) -> dict[str, Any]:
    presenters: bk.Block = {
        "type": "input",
        "block_id": "presenters",
        "label": bk.plain("Presenter(s)"),
        "element": {
            "type": "multi_users_select",
            "action_id": "value",
            "max_selected_items": MAX_PRESENTERS,
            **({"initial_users": list(presenters_chosen[:MAX_PRESENTERS])} if presenters_chosen else {}),
        },
    }
    starts_at: bk.Block = {
        "type": "input",
        "block_id": "starts_at",
        "label": bk.plain("Date and time"),
        "hint": bk.plain("In your own time zone: everyone sees it in theirs."),
        "element": {"type": "datetimepicker", "action_id": "value"},
    }
    capacity: bk.Block = {
        "type": "input",
        "block_id": "capacity",
        "label": bk.plain("Capacity (seats)"),
        "hint": bk.plain("When it is full, new signups join a waitlist and move up when someone withdraws."),
        "element": {
            "type": "number_input",
            "action_id": "value",
            "is_decimal_allowed": False,
            "min_value": "1",
            "max_value": str(MAX_CAPACITY),
            "initial_value": DEFAULT_CAPACITY,
        },
    }
    blocks = [
        bk.text_input("topic", "Topic", initial=topic, max_length=MAX_TOPIC),
        bk.text_input("abstract", "Short abstract", multiline=True, optional=True, max_length=MAX_ABSTRACT),
        presenters,
        bk.select_input("direction", "Who teaches whom?", list(DIRECTIONS.items())),
        starts_at,
        bk.select_input(
            "duration", "Duration", [(str(m), f"{m} minutes") for m in DURATIONS], initial=DEFAULT_DURATION
        ),
        bk.text_input("place", "Place or video link", max_length=MAX_PLACE, placeholder="Room 4.12, or a Meet link"),
        capacity,
    ]
    metadata = json.dumps({"idea_id": idea_id})
    return bk.modal("lunchlearn_session", "Plan a lunch & learn", blocks, submit="Announce", metadata=metadata)


def created_modal(session: SessionView) -> dict[str, Any]:
    blocks = [
        bk.section(
            f"✅ Announced in {bk.channel(session.channel_id)}. People can sign up there or with `/lunchlearn list`."
        ),
        *session_details(session),
        bk.context(f"Cancel it with `/lunchlearn cancel {session.id}` if plans change."),
    ]
    return bk.modal("lunchlearn_created", "Lunch & learn", blocks)


def comment_modal(session: SessionView) -> dict[str, Any]:
    blocks = [
        bk.section(f"What should the presenters of {topic_of(session)} know?"),
        bk.text_input("comment", "Comment", multiline=True, max_length=MAX_COMMENT),
    ]
    return bk.modal("lunchlearn_comment", "Your feedback", blocks, submit="Send", metadata=str(session.id))


def _element(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    return values.get(block_id, {}).get("value", {}) or {}


def draft_from(values: dict[str, Any]) -> SessionDraft:
    moment = _element(values, "starts_at").get("selected_date_time")
    duration = bk.input_value(values, "duration")
    return SessionDraft(
        topic=bk.input_value(values, "topic"),
        abstract=bk.input_value(values, "abstract"),
        presenters=tuple(dict.fromkeys(_element(values, "presenters").get("selected_users") or [])),
        direction=bk.input_value(values, "direction"),
        starts_at=_moment(moment),
        duration_minutes=int(duration) if duration.isdigit() else None,
        place=bk.input_value(values, "place"),
        capacity=parse_capacity(str(_element(values, "capacity").get("value") or "")),
    )


def _moment(selected: Any) -> datetime | None:
    """The datetimepicker's UNIX time as an aware UTC datetime."""
    return datetime.fromtimestamp(int(selected), UTC) if str(selected or "").isdigit() else None

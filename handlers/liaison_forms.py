"""/liaison's modals, and reading what their submissions hold."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.liaison_rules import (
    MAX_INTRO_WEEKS,
    MAX_LENGTH,
    MAX_NOTE,
)
from bot.liaison_views import RotationView, TermView
from handlers import blocks as bk
from handlers.liaison_messages import span

# --- forms -------------------------------------------------------------------------------------------------------


def setup_modal(rotation: RotationView | None, tz: str, channels: Sequence[str], today: date) -> dict[str, Any]:
    plan = rotation.plan if rotation else None
    start = plan.start if plan and plan.start >= today else today
    number: bk.Block = {
        "type": "input",
        "block_id": "length",
        "label": bk.plain("Term length"),
        "element": {
            "type": "number_input",
            "action_id": "value",
            "is_decimal_allowed": False,
            "initial_value": str(plan.length if plan else 3),
            "min_value": "1",
            "max_value": str(MAX_LENGTH["weeks"]),
        },
        "optional": False,
    }
    conversations: bk.Block = {
        "type": "input",
        "block_id": "channels",
        "label": bk.plain("Announce new liaisons in"),
        "element": {"type": "multi_conversations_select", "action_id": "value", "max_selected_items": 5},
        "optional": False,
    }
    initial = list(rotation.channels) if rotation else [c for c in channels if c]
    if initial:
        conversations["element"]["initial_conversations"] = initial[:5]
    blocks = [
        bk.section("Each term has one marketing and one IT liaison, picked fairly: whoever served least recently."),
        number,
        bk.select_input(
            "unit", "Unit", [("months", "Months"), ("weeks", "Weeks")], initial=plan.unit if plan else "months"
        ),
        {
            "type": "input",
            "block_id": "start",
            "label": bk.plain("First term starts on"),
            "element": {"type": "datepicker", "action_id": "value", "initial_date": start.isoformat()},
            "optional": False,
        },
        bk.text_input("tz", "Time zone", initial=plan.tz if plan else tz, max_length=64, hint="e.g. Europe/London"),
        conversations,
        {
            "type": "input",
            "block_id": "intros",
            "label": bk.plain("Cross-team intros every … weeks (0: none)"),
            "element": {
                "type": "number_input",
                "action_id": "value",
                "is_decimal_allowed": False,
                "initial_value": str(rotation.intro_weeks if rotation else 0),
                "min_value": "0",
                "max_value": str(MAX_INTRO_WEEKS),
            },
            "hint": bk.plain("Each opted-in marketing person meets an IT person in a group DM.", 2000),
            "optional": True,
        },
        bk.context("Pings go out at 9:00 in this time zone. Saving replaces the current rotation from its start date."),
    ]
    return bk.modal("liaison_setup", "Liaison rotation", blocks, submit="Save")


def note_modal(term: TermView, existing: str) -> dict[str, Any]:
    blocks = [
        bk.section(f"Your liaison term {span(term)}. What should the next pair know?"),
        bk.text_input(
            "note",
            "Handover note",
            initial=existing,
            multiline=True,
            max_length=MAX_NOTE,
            placeholder="Open threads, people to know, recurring meetings, what worked…",
        ),
    ]
    return bk.modal("liaison_note", "Handover note", blocks, submit="Save", metadata=json.dumps({"term_id": term.id}))


def element_state(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    state = values.get(block_id, {}).get("value", {})
    return state if isinstance(state, dict) else {}

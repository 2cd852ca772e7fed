"""/newproject's modals, and reading what their submissions hold."""

from __future__ import annotations

import functools
import json
from datetime import date
from typing import Any

from bot.newproject_rules import (
    BUDGET_CHOICES,
    MAX_NAME,
    MAX_NOTE,
    MAX_TEXT,
    PERSONAL_DATA_CHOICES,
    Intake,
    IntakeDraft,
)
from handlers import blocks as bk
from handlers.newproject_messages import COMMAND, flags_line, user_text


def _input(block_id: str, label: str, element: bk.Block, *, optional: bool = False, hint: str = "") -> bk.Block:
    block: bk.Block = {
        "type": "input",
        "block_id": block_id,
        "label": bk.plain(label, 2000),
        "element": {"action_id": "value", **element},
        "optional": optional,
    }
    if hint:
        block["hint"] = bk.plain(hint, 2000)
    return block


def intake_modal(user_id: str, short_notice_days: int, *, business_case: str = "", name: str = "") -> dict[str, Any]:
    """The intake form, the business case prefilled when given (a message sent to IT with a shortcut), the name
    when typed after the command (`/newproject Spring webinar`); the caller keeps them within their limits."""

    long_text = functools.partial(bk.text_input, multiline=True, optional=True, max_length=MAX_TEXT)

    blocks = [
        bk.section("The earlier IT hears about it, the more they can help. Rough answers are fine."),
        bk.text_input("name", "Project name", initial=name, max_length=MAX_NAME, placeholder="Spring loyalty campaign"),
        long_text(
            "business_case",
            "Business case",
            placeholder="Why does the business want this?",
            optional=False,
            initial=business_case,
        ),
        long_text("outcomes", "Desired outcomes (measurable)", placeholder="+15% repeat purchases by June"),
        _input(
            "launch_date",
            "Target launch date",
            {"type": "datepicker", "placeholder": bk.plain("Pick a date")},
            hint=f"Fewer than {short_notice_days} days away is short notice for IT; a best guess is fine.",
        ),
        long_text("audiences", "Audiences and channels", placeholder="Existing customers; email, Instagram"),
        long_text("data_needed", "Customer data needed", placeholder="Which data, and where it lives if you know"),
        bk.select_input("personal_data", "Does that data include personal data?", list(PERSONAL_DATA_CHOICES.items())),
        long_text("integrations", "Systems it must integrate with", placeholder="CRM, web shop, analytics…"),
        long_text(
            "new_vendors",
            "Any new external tools, vendors or agencies?",
            placeholder="Name them, even free or trial ones; 'none' if none",
            hint="Anything IT hasn't set up for you: new SaaS sign-ups, plugins, agencies. Asking early beats "
            "finding out at launch.",
        ),
        bk.select_input("budget", "Budget range", list(BUDGET_CHOICES.items()), optional=True),
        _input("owner", "Marketing owner", {"type": "users_select", "initial_user": user_id}),
        _input("stakeholders", "Other stakeholders", {"type": "multi_users_select"}, optional=True),
    ]
    return bk.modal("newproject_intake", "Tell IT about a project", blocks, submit="Send to IT")


def submitted_modal(intake: Intake, found: list[str], channel: str) -> dict[str, Any]:
    blocks = [
        bk.section(
            f"📨 *{user_text(intake.name, 200)}* is on its way to IT in {bk.channel(channel)} "
            f"(intake #{intake.id}). I'll DM you as soon as someone picks it up or asks a question."
        ),
        bk.section(f"Lead time: *{intake.lead_days} days* before launch · {flags_line(found)}"),
        bk.context(f"Follow it with `{COMMAND} status {intake.id}`"),
    ]
    return bk.modal("newproject_submitted", "Sent to IT", blocks)


def note_modal(callback_id: str, title: str, intro: str, label: str, intake_id: int) -> dict[str, Any]:
    blocks = [
        bk.section(intro),
        bk.text_input("note", label, multiline=True, max_length=MAX_NOTE),
    ]
    return bk.modal(callback_id, title, blocks, submit="Send", metadata=json.dumps({"intake_id": intake_id}))


# --- reading the forms ---------------------------------------------------------------------------------------


def _element(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    element = values.get(block_id, {}).get("value")
    return element if isinstance(element, dict) else {}


def _date(values: dict[str, Any], block_id: str) -> date | None:
    try:
        return date.fromisoformat(_element(values, block_id).get("selected_date") or "")
    except ValueError:
        return None


def draft_from(values: dict[str, Any], user_id: str) -> IntakeDraft:
    def text(block_id: str) -> str:
        return bk.input_value(values, block_id)

    stakeholders = _element(values, "stakeholders").get("selected_users") or []
    return IntakeDraft(
        name=text("name"),
        business_case=text("business_case"),
        launch_date=_date(values, "launch_date"),
        outcomes=text("outcomes"),
        audiences=text("audiences"),
        data_needed=text("data_needed"),
        personal_data=text("personal_data"),
        integrations=text("integrations"),
        new_vendors=text("new_vendors"),
        budget=text("budget"),
        owner=_element(values, "owner").get("selected_user") or user_id,
        stakeholders=tuple(dict.fromkeys(str(u) for u in stakeholders)),
    )


def metadata_id(view: dict[str, Any]) -> int:
    try:
        return int(json.loads(view.get("private_metadata") or "{}").get("intake_id") or 0)
    except (TypeError, ValueError):
        return 0

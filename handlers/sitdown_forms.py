"""/sitdown's modals, and reading what their submissions hold."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.sitdown_rules import (
    CATEGORY_LABELS,
    DURATION_CHOICES,
    LEAD_CHOICES,
    MAX_ACTION,
    MAX_AGENDA,
    MAX_LINK,
    MAX_NOTES,
    MAX_TITLE,
    ORDINALS,
    WEEKDAY_NAMES,
    Cadence,
    Occurrence,
    SeriesDraft,
)
from bot.sitdown_views import MeetingView, SeriesView
from handlers import blocks as bk
from handlers.sitdown_messages import series_line, when
from handlers.zones import zone_select

CADENCE_LABELS = {
    Cadence.WEEKLY: "Every week",
    Cadence.BIWEEKLY: "Every 2 weeks",
    Cadence.MONTHLY: "Monthly, on the Nth weekday",
}


# --- forms -------------------------------------------------------------------------------------------------------


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": bk.plain(text, 75), "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = "") -> bk.Block:
    block: bk.Block = {
        "type": "input",
        "block_id": block_id,
        "label": bk.plain(label, 2000),
        "element": {**element, "action_id": "value"},
        "optional": optional,
    }
    if hint:
        block["hint"] = bk.plain(hint, 2000)
    return block


def series_modal(*, channel_id: str, zone: str, today: date) -> dict[str, Any]:
    conversation: dict[str, Any] = {"type": "conversations_select"}
    if re.fullmatch(r"[CG][A-Z0-9]+", channel_id):
        conversation["initial_conversation"] = channel_id
    leads = [_option(str(minutes), label) for minutes, label in LEAD_CHOICES.items()]
    blocks = [
        bk.text_input("title", "Title", max_length=MAX_TITLE, placeholder="Marketing × IT weekly sit-down"),
        _input("channel", "Channel", conversation, hint="Reminders, agenda and follow-ups are posted here."),
        bk.select_input("cadence", "How often", [(c.value, label) for c, label in CADENCE_LABELS.items()]),
        bk.select_input("weekday", "Day of the week", [(day, day) for day in WEEKDAY_NAMES], initial="Tuesday"),
        bk.select_input(
            "nth",
            "Which week of the month (monthly only)",
            [(str(n), f"The {word} one") for n, word in ORDINALS.items()],
            optional=True,
        ),
        _input("time", "Time", {"type": "timepicker", "initial_time": "10:00"}),
        zone_select("zone", "Time zone", zone),
        bk.select_input("duration", "Length", [(str(m), f"{m} minutes") for m in DURATION_CHOICES], initial="30"),
        _input(
            "leads",
            "Reminders in the channel",
            {
                "type": "multi_static_select",
                "options": leads,
                "initial_options": [o for o in leads if o["value"] in ("1440", "15")],
            },
        ),
        _input(
            "starts_on",
            "First meeting on or after",
            {"type": "datepicker", "initial_date": today.isoformat()},
            optional=True,
        ),
        bk.text_input("video_link", "Video link", optional=True, max_length=MAX_LINK, placeholder="https://…"),
    ]
    return bk.modal("sitdown_new", "New sit-down", blocks, submit="Create")


def agenda_modal(series: SeriesView, upcoming: Occurrence | None) -> dict[str, Any]:
    next_text = f"Next meeting: {when(upcoming.start)}" if upcoming else "No upcoming meeting."
    blocks = [
        bk.section(f"{series_line(series)}\n{next_text}"),
        bk.text_input("text", "Agenda item", multiline=True, max_length=MAX_AGENDA),
    ]
    return bk.modal("sitdown_agenda", "Add agenda item", blocks, submit="Add", metadata=str(series.id))


MOVE_FORM = "sitdown_move"


def move_modal(series: SeriesView, upcoming: list[Occurrence]) -> dict[str, Any]:
    """*Move a meeting…*: which of the next meetings (by its first schedule, in UTC), and the new day and time in
    the series' own time zone."""
    options = []
    for occurrence in upcoming:
        local = series.recurrence.local(occurrence.start)
        moved = " (moved)" if occurrence.status == "moved" else ""
        options.append((f"{occurrence.original:%Y-%m-%dT%H:%M}", f"{local:%a %d %b %Y, %H:%M}{moved}"))
    first = series.recurrence.local(upcoming[0].start) if upcoming else None
    blocks = [
        bk.section(f"{series_line(series)}\nTimes are in the series' time zone, {bk.escape(series.recurrence.zone)}."),
        bk.select_input("meeting", "Which meeting", options, initial=options[0][0] if options else None),
        _input("day", "New day", {"type": "datepicker", **({"initial_date": f"{first:%Y-%m-%d}"} if first else {})}),
        _input("time", "New time", {"type": "timepicker", "initial_time": f"{first:%H:%M}" if first else "10:00"}),
    ]
    return bk.modal(MOVE_FORM, "Move a meeting", blocks, submit="Move", metadata=str(series.id))


def action_modal(series: SeriesView, meeting: MeetingView) -> dict[str, Any]:
    blocks = [
        bk.section(f"Follow-up of *{bk.escape(series.title)}* of {when(meeting.start)}"),
        bk.text_input("text", "What needs doing", multiline=True, max_length=MAX_ACTION),
        _input("owner", "Owner", {"type": "users_select"}),
        _input("due_on", "Due date", {"type": "datepicker"}),
        bk.select_input("category", "Category", [(c.value, label) for c, label in CATEGORY_LABELS.items()]),
    ]
    return bk.modal("sitdown_action", "Add action item", blocks, submit="Add", metadata=str(meeting.id))


def notes_modal(series: SeriesView, meeting: MeetingView) -> dict[str, Any]:
    blocks = [
        bk.section(f"Notes of *{bk.escape(series.title)}* of {when(meeting.start)}"),
        bk.text_input("notes", "Notes", multiline=True, max_length=MAX_NOTES, initial=meeting.notes or ""),
    ]
    return bk.modal("sitdown_notes", "Meeting notes", blocks, submit="Save", metadata=str(meeting.id))


def done_modal(title: str, text: str) -> dict[str, Any]:
    return bk.modal(f"{title.lower().replace(' ', '_')}_done", title, [bk.section(text)])


def element_value(values: dict[str, Any], block_id: str) -> Any:
    """What a view_submission state holds for one input, whatever its element type."""
    element = values.get(block_id, {}).get("value", {})
    kind = element.get("type")
    if kind == "static_select":
        return (element.get("selected_option") or {}).get("value", "")
    if kind == "multi_static_select":
        return [option.get("value", "") for option in element.get("selected_options") or []]
    picked = {
        "datepicker": "selected_date",
        "timepicker": "selected_time",
        "users_select": "selected_user",
        "conversations_select": "selected_conversation",
    }
    if kind in picked:
        return element.get(picked[kind]) or ""
    return (element.get("value") or "").strip()


def draft_from(values: dict[str, Any]) -> SeriesDraft:
    return SeriesDraft(
        title=element_value(values, "title"),
        channel_id=element_value(values, "channel"),
        cadence=element_value(values, "cadence"),
        weekday=element_value(values, "weekday"),
        nth=element_value(values, "nth"),
        at=element_value(values, "time"),
        zone=element_value(values, "zone"),
        duration=element_value(values, "duration"),
        leads=tuple(element_value(values, "leads") or ()),
        starts_on=element_value(values, "starts_on"),
        video_link=element_value(values, "video_link"),
    )

"""The sit-down section of Home ("My Bridgebot"): my next sit-downs and my open action items, with buttons.

Every button is the one the feature's messages carry (same action_id, same value), so a click in Home runs
the usual listener in handlers/sitdown.py; what it answers becomes the notice of a re-published Home.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.services import Services
from bot.sitdown_views import ActionItemView, PersonalSitdowns, SeriesForPerson, SeriesView
from handlers import blocks as bk
from handlers.sitdown_messages import CATEGORY_ICONS, calendar_button, day_text, manage_buttons, when

__all__ = ["section"]

Block = dict[str, Any]

MAX_BLOCKS = 20  # this section's share of Home (Slack allows 100 for the whole page)
MAX_SERIES = 4  # series kept (two blocks each) when action items want the room
AGENDA_SHOWN = 3  # agenda items quoted per series
AGENDA_ITEM_CUT = 150  # characters of each quoted agenda item, escaped (`/sitdown agenda` has them whole)
MORE_COMMANDS = "`/sitdown list` / `/sitdown actions mine` shows them all."


def section(services: Services, user_id: str) -> list[Block]:
    """My next sit-downs, then my open action items; [] when the person has neither."""
    mine = services.sitdown.concerning(user_id, detailed=MAX_BLOCKS // 2)
    if not mine.series_total and not mine.actions:
        return []
    admin = services.settings.is_admin(user_id)
    return home_blocks(mine, services.clock(), manages=lambda series: admin or series.owner == user_id)


def home_blocks(
    mine: PersonalSitdowns, now: datetime, *, manages: Callable[[SeriesView], bool] = lambda _series: False
) -> list[Block]:
    """The section within MAX_BLOCKS: the series first (two blocks each), then the action items (one each),
    and a last line saying how many were left out and which commands show them."""
    room = MAX_BLOCKS - 1  # the "and N more" line
    headings = int(bool(mine.series)) + int(bool(mine.actions))
    for_actions = min(len(mine.actions), room - headings - 2 * MAX_SERIES)  # what is left to MAX_SERIES series
    series = mine.series[: max((room - headings - for_actions) // 2, 0)]
    actions = mine.actions[: max(room - headings - 2 * len(series), 0)]
    blocks: list[Block] = []
    if series:
        blocks.append(bk.section("*🤝 My next sit-downs*"))
        for one in series:
            blocks += series_blocks(one, manages=manages(one.series))
    if actions:
        blocks.append(bk.section("*📌 My open action items*"))
        blocks += [action_block(item, now) for item in actions]
    hidden_series = mine.series_total - len(series)
    hidden_actions = len(mine.actions) - len(actions)
    if hidden_series or hidden_actions:
        blocks.append(bk.context(more_line(hidden_series, hidden_actions)))
    return blocks


def series_blocks(one: SeriesForPerson, *, manages: bool = False) -> list[Block]:
    """The series, its next meeting and agenda, and its buttons: the series' own (skip, move, pause, cancel) for
    its owner and bot admins."""
    series = one.series
    lines = [f"*{bk.escape(series.title)}* · in {bk.channel(series.channel_id)}"]
    if series.status == "paused":
        lines.append("⏸️ _Paused_: no meetings or reminders until it's resumed.")
    elif one.next is None:
        lines.append("No upcoming meeting.")
    else:
        moved = " _(moved from its usual time)_" if one.next.status == "moved" else ""
        lines.append(f"Next: {when(one.next.start)}{moved} · {series.duration_minutes} min")
    if one.next is not None and series.status != "paused":
        lines += agenda_lines(one)
    if one.muted:
        lines.append("🔕 _Muted for you_")
    mute = (
        bk.button("Unmute", "sitdown_unmute", str(series.id))
        if one.muted
        else bk.button("Mute", "sitdown_mute", str(series.id))
    )
    buttons = [bk.button("Add agenda item", "sitdown_add_agenda", str(series.id), style="primary"), mute]
    buttons.append(calendar_button(series.id))
    if manages:
        buttons += manage_buttons(series, one.next)
    return [bk.section("\n".join(lines)), bk.actions(buttons)]


def agenda_lines(one: SeriesForPerson) -> list[str]:
    agenda = one.agenda
    if not agenda:
        return ["_Nothing on the agenda yet._"]
    count = f"{len(agenda)} item" if len(agenda) == 1 else f"{len(agenda)} items"
    lines = [f"Agenda so far ({count}):"]
    lines += [f"• {bk.truncate(bk.escape(item.text), AGENDA_ITEM_CUT)}" for item in agenda[:AGENDA_SHOWN]]
    if len(agenda) > AGENDA_SHOWN:
        lines.append(f"_…and {len(agenda) - AGENDA_SHOWN} more: `/sitdown agenda` in its channel shows them._")
    return lines


def action_block(item: ActionItemView, now: datetime) -> Block:
    icon = CATEGORY_ICONS.get(item.category, "•")
    overdue = " · ⚠️ _overdue_" if item.due_on < _today_in(item.zone, now) else ""
    text = f"{icon} {bk.escape(item.text)}\nDue {day_text(item.due_on)}{overdue} · _{bk.escape(item.series_title)}_"
    done = bk.button("Done", f"sitdown_done:{item.id}", str(item.id), style="primary")
    return bk.section(text, accessory=done)


def more_line(series: int, actions: int) -> str:
    parts = []
    if series:
        parts.append(f"{series} more sit-down" + ("s" if series != 1 else ""))
    if actions:
        parts.append(f"{actions} more action item" + ("s" if actions != 1 else ""))
    return f"…and {' and '.join(parts)}: {MORE_COMMANDS}"


def _today_in(zone: str, now: datetime) -> date:
    try:
        return now.astimezone(ZoneInfo(zone)).date()
    except (ValueError, KeyError):  # a zone no longer known: the date in UTC
        return now.date()

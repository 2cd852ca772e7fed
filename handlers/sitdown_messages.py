"""/sitdown's Block Kit: the answers the listeners give and what the bot says on its own (SitdownMessages)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.sitdown import Reminder, SeriesChange, SeriesSummary
from bot.sitdown_rules import (
    CATEGORY_LABELS,
    Category,
    Occurrence,
    describe_lead,
)
from bot.sitdown_views import ActionItemView, AgendaItemView, HolidayView, MeetingView, SeriesView
from handlers import blocks as bk
from handlers.confirm import Ask

CATEGORY_ICONS = {Category.IMMEDIATE.value: "⚡", Category.LONG_TERM.value: "🔭"}
INTRO = (
    "🤝 *Sit-downs*: regular meetings of marketing and IT, on time, with an agenda both sides wrote and "
    "action items nobody forgets. Only a series' owner or a bot admin can change it."
)
REFUSED = "Only the series' owner or a bot admin can change it, sorry. Ask them, or start your own: `/sitdown new`."
GONE = "That sit-down doesn't exist (or was cancelled). See them all with `/sitdown list`."


# --- rendering -------------------------------------------------------------------------------------------------


def when(moment: datetime) -> str:
    """A date and time each reader sees in their own time zone."""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"


def day_text(day: date) -> str:
    return f"{day:%a %d %b %Y}"


def error_message(text: str) -> dict[str, Any]:
    return bk.message([bk.section(text)], bk.truncate(text, 150), text_is_mrkdwn=True)


def series_line(series: SeriesView) -> str:
    return f"*#{series.id} {bk.escape(series.title)}* — {bk.escape(series.recurrence.describe())}"


CANCEL_SERIES = Ask("sitdown_cancel_yes", "Yes, cancel it", "Cancel this sit-down?")
PAUSE_SERIES = Ask("sitdown_pause_yes", "Yes, pause it", "Pause this sit-down?")
SKIP_MEETING = "sitdown_skip_meeting"  # value `<series id>:<its local date>`: the meeting the message shows
MOVE_MEETING = "sitdown_move_meeting"  # opens the form: which of the next meetings, and when instead
RESUME_SERIES = "sitdown_resume"


def manage_buttons(series: SeriesView, upcoming: Occurrence | None) -> list[bk.Block]:
    """What the series' owner or a bot admin does to it, on the series itself (the use cases check who again):
    skip `upcoming` (the meeting shown), move one, pause or resume, cancel. Public ones ask first."""
    where = bk.channel(series.channel_id)
    if series.status == "paused":
        return [bk.button("Resume", RESUME_SERIES, str(series.id), style="primary")]
    buttons = []
    if upcoming is not None:
        local = series.recurrence.local(upcoming.start)
        dialog = bk.confirm_dialog(
            "Skip this meeting?",
            f"The meeting of {day_text(local.date())} at {local:%H:%M} is called off and I tell {where}; "
            "its agenda carries over to the next one.",
            "Skip it",
            "Keep it",
        )
        value = f"{series.id}:{series.recurrence.local(upcoming.original).date().isoformat()}"
        buttons.append(bk.button("Skip this meeting", SKIP_MEETING, value, confirm=dialog))
    pause = f"No meetings or reminders until it's resumed; I tell {where}."
    cancel = f"Its meetings end for good: no more reminders, and I tell {where}."
    return [
        *buttons,
        bk.button("Move a meeting…", MOVE_MEETING, str(series.id)),
        PAUSE_SERIES.button("Pause", str(series.id), pause),
        CANCEL_SERIES.button("Cancel the series", str(series.id), cancel),
    ]


def cancel_step(series: SeriesView) -> dict[str, Any]:
    """`/sitdown cancel <id>` asks first: the series is cancelled when its "Yes" is clicked."""
    warning = (
        f"Its meetings end for good: no more reminders, and I tell {bk.channel(series.channel_id)}. "
        f"To stop them for a while instead: `/sitdown pause {series.id}`."
    )
    return CANCEL_SERIES.step(f"Cancel {series_line(series)}?", warning, str(series.id))


def summary_blocks(summary: SeriesSummary) -> list[bk.Block]:
    series = summary.series
    state = {"paused": " · ⏸️ _paused_", "active": ""}.get(series.status, "")
    upcoming = f"next: {when(summary.next.start)}" if summary.next else "no upcoming meeting"
    if series.status == "paused":
        upcoming = "no reminders while paused"
    muted = " · 🔕 muted for you" if summary.muted else ""
    text = f"{series_line(series)}{state}\nin {bk.channel(series.channel_id)} · {upcoming}{muted}"
    credit = (
        f"Owner {bk.user(series.owner)} · created by {bk.user(series.created_by)} on {bk.slack_date(series.created_at)}"
    )
    button = bk.button("Add to calendar", f"sitdown_calendar:{series.id}", str(series.id))
    return [bk.section(text, accessory=button), bk.context(credit)]


LISTED = 20  # sit-downs shown in full in the list (two blocks each)


def list_message(summaries: Sequence[SeriesSummary]) -> dict[str, Any]:
    if not summaries:
        return error_message("No sit-downs yet. Start one with `/sitdown new`.")
    blocks: list[bk.Block] = [bk.header("Sit-downs")]
    for summary in summaries[:LISTED]:
        blocks += summary_blocks(summary)
    if len(summaries) > LISTED:  # the others in short, one line each
        lines = [f"{series_line(s.series)} · in {bk.channel(s.series.channel_id)}" for s in summaries[LISTED:]]
        room = bk.MESSAGE_BLOCK_LIMIT - len(blocks) - 1
        blocks += bk.long_sections(lines, room=room, left_out=lambda count: f"…and {count} more sit-downs.")
    blocks.append(bk.context("Change one with `/sitdown skip|move|pause|resume|cancel <id>`."))
    return bk.message(blocks, bk.plural(len(summaries), "sit-down"))


def person(user_id: str, quiet: frozenset[str] = frozenset()) -> str:
    """A mention, except for people who muted the series: a mention would notify them."""
    return "a teammate who muted this series" if user_id in quiet else bk.user(user_id)


AGENDA_EMPTY = "_Nothing on the agenda yet: add an item!_"
AGENDA_HINT = "Add an item with `/sitdown agenda <text>`, e.g. `/sitdown agenda Review the Q3 launch plan`."
ANSWER_PAGES = 5  # the answer, then at most 4 more through the response_url (Slack takes 5 in 30 minutes)


def agenda_line(item: AgendaItemView, quiet: frozenset[str] = frozenset()) -> str:
    if item.source == "person":
        who = f"by {person(item.added_by, quiet)}"
    elif re.fullmatch(r"[UW][A-Z0-9]+", item.added_by):
        who = f"from {person(item.added_by, quiet)}, added automatically"
    else:
        who = "added automatically"
    return f"• {bk.escape(item.text)} _({who})_"


def agenda_blocks(
    heading: str, agenda: Sequence[AgendaItemView], rooms: Sequence[int], left_out: str, quiet: frozenset[str]
) -> list[list[bk.Block]]:
    """The agenda, every item whole, over section blocks (pages of `rooms[n]` blocks); when even that is not
    enough, a last line: how many items are left out, then `left_out` (where to read them)."""
    if not agenda:
        return [[bk.section(f"{heading}\n{AGENDA_EMPTY}")]]
    lines = [heading, *(agenda_line(item, quiet) for item in agenda)]
    return bk.section_pages(lines, rooms, lambda count: f"…and {count} more agenda items{left_out}")


def agenda_messages(
    series: SeriesView, occurrence: Occurrence, agenda: Sequence[AgendaItemView]
) -> list[dict[str, Any]]:
    """`/sitdown agenda`'s answer: the agenda whole, over more messages when one cannot hold it."""
    heading = f"*Agenda of {bk.escape(series.title)}*, {when(occurrence.start)}"
    rooms = [bk.MESSAGE_BLOCK_LIMIT - 1] * ANSWER_PAGES
    pages = agenda_blocks(heading, agenda, rooms, ", more than Slack lets me show in one answer.", frozenset())
    pages[-1].append(bk.context(AGENDA_HINT))
    return [bk.message(page, f"Agenda of {series.title}") for page in pages]


def action_line(item: ActionItemView, *, with_series: bool = False, quiet: frozenset[str] = frozenset()) -> str:
    icon = CATEGORY_ICONS.get(item.category, "•")
    where = f" · _{bk.escape(item.series_title)}_" if with_series else ""
    text = bk.escape(item.text)
    return f"{icon} {text} — {person(item.owner, quiet)}, due {day_text(item.due_on)}{where}"


ACTIONS_SHOWN = 15  # in a reminder; `/sitdown actions` lists them all


def actions_blocks(items: Sequence[ActionItemView], room: int, quiet: frozenset[str] = frozenset()) -> list[bk.Block]:
    lines = ["*Action items still open*", *(action_line(item, quiet=quiet) for item in items[:ACTIONS_SHOWN])]
    if len(items) > ACTIONS_SHOWN:
        lines.append(f"…and {len(items) - ACTIONS_SHOWN} more (`/sitdown actions`)")

    def left_out(count: int) -> str:  # `count` lines not shown: items, and the "…and more" line if there is one
        shown = max(len(lines) - count - 1, 0)  # less the heading
        return f"…and {len(items) - shown} more (`/sitdown actions`)"

    return bk.long_sections(lines, room=room, left_out=left_out)


def calendar_button(series_id: int) -> bk.Block:
    return bk.button("Add to calendar", f"sitdown_calendar:{series_id}", str(series_id))


def actions_message(items: Sequence[ActionItemView], mine: bool) -> dict[str, Any]:
    if not items:
        text = "You have no open action items. 🎉" if mine else "No open action items. 🎉"
        return error_message(text)
    title = "Your open action items" if mine else "Open action items"
    blocks: list[bk.Block] = [bk.header(title)]
    for item in items[:20]:
        done = bk.button("Done", f"sitdown_done:{item.id}", str(item.id), style="primary")
        blocks.append(bk.section(action_line(item, with_series=True), accessory=done))
        blocks.append(
            bk.context(
                f"{CATEGORY_LABELS[Category(item.category)]} · added by {bk.user(item.created_by)} "
                f"on {bk.slack_date(item.created_at)}"
            )
        )
    if len(items) > 20:
        blocks.append(bk.context(f"…and {len(items) - 20} more."))
    return bk.message(blocks, bk.plural(len(items), "open action item"))


def holidays_message(holidays: Sequence[HolidayView]) -> dict[str, Any]:
    if not holidays:
        return error_message("No company holidays yet. Bot admins add them with `/sitdown holiday add YYYY-MM-DD`.")
    lines = [
        "*Company holidays*: sit-downs those days are skipped.",
        *(f"• *{day_text(h.day)}* — {bk.escape(h.name)} _(added by {bk.user(h.added_by)})_" for h in holidays),
    ]
    blocks = bk.long_sections(lines, room=bk.MESSAGE_BLOCK_LIMIT, left_out=lambda count: f"…and {count} more holidays.")
    return bk.message(blocks, "Holidays")


class SitdownMessages:
    """What the bot says on its own about sit-downs (see bot.sitdown.SitdownMessages)."""

    def reminder(self, reminder: Reminder) -> dict[str, Any]:
        series, occurrence = reminder.series, reminder.occurrence
        title = bk.escape(series.title)
        lead = describe_lead(reminder.lead_minutes)
        moved = " _(moved from its usual time)_" if occurrence.status == "moved" else ""
        details = f"⏰ *{title}* starts in {lead}: {when(occurrence.start)}{moved} · {series.duration_minutes} min"
        if series.video_link:
            details += f"\n🎥 <{series.video_link}|Join the call>"
        after: list[bk.Block] = []
        if reminder.heads_up:
            after.append(bk.context("Heads-up: " + " ".join(bk.user(u) for u in reminder.heads_up[:30])))
        buttons = [
            bk.button("Add agenda item", "sitdown_add_agenda", str(series.id), style="primary"),
            bk.button("Mute this series for me", "sitdown_mute", str(series.id)),
            calendar_button(series.id),
        ]
        after.append(bk.actions(buttons))
        after += [bk.context("For the series' owner and bot admins:"), bk.actions(manage_buttons(series, occurrence))]
        room = bk.MESSAGE_BLOCK_LIMIT - 1 - len(after)
        actions = (
            actions_blocks(reminder.open_actions, min(room // 4, 10), reminder.muted) if reminder.open_actions else []
        )
        (agenda,) = agenda_blocks(
            "*Agenda so far*",
            reminder.agenda,
            [room - len(actions)],
            ": `/sitdown agenda` in this channel shows them all.",
            reminder.muted,
        )
        blocks = [bk.section(details), *agenda, *actions, *after]
        text = f"{series.title} starts in {lead}"
        return {"channel": series.channel_id, **bk.message(blocks, text)}

    def holiday_notice(self, series: SeriesView, occurrence: Occurrence, holiday: str) -> dict[str, Any]:
        text = (
            f"🏖️ No *{bk.escape(series.title)}* on {when(occurrence.start)}: it's a company holiday "
            f"({bk.escape(holiday)}). The agenda carries over to the next one."
        )
        return {"channel": series.channel_id, **bk.message([bk.section(text)], f"No {series.title}: holiday")}

    def followup(self, series: SeriesView, meeting: MeetingView) -> dict[str, Any]:
        text = (
            f"📝 *{bk.escape(series.title)}* just ended. How did it go? Add the notes, and an action item for each "
            "follow-up: who owns it, when it's due, and whether it's *immediate* (training, fixes, best practices) "
            "or *long-term* (research and development, roadmap)."
        )
        buttons = [
            bk.button("Add action item", "sitdown_add_action", str(meeting.id), style="primary"),
            bk.button("Add notes", "sitdown_add_notes", str(meeting.id)),
        ]
        blocks = [bk.section(text), bk.actions(buttons)]
        return {"channel": series.channel_id, **bk.message(blocks, f"{series.title} ended: notes and action items?")}

    def action_due(self, item: ActionItemView) -> dict[str, Any]:
        text = f"📌 Due today, from *{bk.escape(item.series_title)}*:\n{action_line(item)}"
        done = bk.button("Done", f"sitdown_done:{item.id}", str(item.id), style="primary")
        blocks = [bk.section(text, accessory=done), bk.context("Mute the series' DMs with `/sitdown mute`.")]
        return {"channel": item.owner, **bk.message(blocks, f"Action item due today: {item.text}")}

    def action_assigned(self, item: ActionItemView) -> dict[str, Any]:
        text = (
            f"📌 {bk.user(item.created_by)} gave you an action item from *{bk.escape(item.series_title)}*:\n"
            f"{action_line(item)}\nI'll remind you on the due date."
        )
        done = bk.button("Done", f"sitdown_done:{item.id}", str(item.id), style="primary")
        return {
            "channel": item.owner,
            **bk.message([bk.section(text, accessory=done)], f"New action item: {item.text}"),
        }

    def series_changed(self, change: SeriesChange) -> dict[str, Any]:
        series, by = change.series, bk.user(change.by)
        title = f"*{bk.escape(series.title)}*"
        texts = {
            "paused": f"⏸️ {by} paused {title}: no reminders until it's resumed.",
            "resumed": f"▶️ {by} resumed {title}: {bk.escape(series.recurrence.describe())}.",
            "cancelled": f"🛑 {by} cancelled {title}. Thanks for all the sit-downs!",
        }
        if change.kind == "created":
            return self._created(change)
        if change.occurrence is not None and change.kind == "back_on":
            text = f"📅 {by} removed the company holiday: {title} of {when(change.occurrence.start)} happens after all."
        elif change.occurrence is not None and change.kind == "skipped":
            text = f"⏭️ {by} skipped {title} of {when(change.occurrence.start)}. See you at the next one."
        elif change.occurrence is not None and change.new_start is not None:
            text = f"📆 {by} moved {title} from {when(change.occurrence.start)} to {when(change.new_start)}."
        else:
            text = texts[change.kind]
        return {"channel": series.channel_id, **bk.message([bk.section(text)], f"{series.title} {change.kind}")}

    def _created(self, change: SeriesChange) -> dict[str, Any]:
        series = change.series
        first = f" The first one is {when(change.occurrence.start)}." if change.occurrence else ""
        text = (
            f"🤝 {bk.user(change.by)} set up *{bk.escape(series.title)}*: "
            f"{bk.escape(series.recurrence.describe())}, {series.duration_minutes} minutes.{first}\n"
            "Add agenda items with `/sitdown agenda <text>` here; I'll post reminders with the agenda."
        )
        blocks = [bk.section(text, accessory=calendar_button(series.id))]
        blocks += [bk.context("For its owner and bot admins:"), bk.actions(manage_buttons(series, change.occurrence))]
        return {"channel": series.channel_id, **bk.message(blocks, f"New sit-down: {series.title}")}

    def notes_shared(self, series: SeriesView, meeting: MeetingView) -> dict[str, Any]:
        intro = (
            f"🗒️ Notes of *{bk.escape(series.title)}* of {when(meeting.start)}, by {bk.user(meeting.notes_by or '')}:"
        )
        rest = (
            "…the notes are longer than Slack lets me show here: *Add notes* on the follow-up message shows them whole."
        )
        notes = bk.long_text(bk.escape(meeting.notes or ""), room=bk.MESSAGE_BLOCK_LIMIT - 1, rest=rest)
        blocks = [bk.section(intro), *notes]
        return {"channel": series.channel_id, **bk.message(blocks, f"Notes of {series.title}")}

    def undeliverable(self, series: SeriesView, channel: str, error: str) -> dict[str, Any]:
        text = (
            f"⚠️ Slack refused my message about *{bk.escape(series.title)}* in {bk.channel(channel)} "
            f"(`{bk.escape(bk.truncate(error, 200))}`), so the channel missed it. If I'm not in that channel, "
            "please invite me there (`/invite @Bridgebot`); reminders after that will go through."
        )
        return {"channel": series.owner, **bk.message([bk.section(text)], text, text_is_mrkdwn=True)}


def mute_message(series: SeriesView, muted: bool) -> dict[str, Any]:
    if muted:
        text = f"🔕 Muted {series_line(series)} for you: no pings or DMs from it. Only you see this."
        button = bk.button("Unmute", "sitdown_unmute", str(series.id))
    else:
        text = f"🔔 {series_line(series)} is unmuted for you: you'll hear from it again."
        button = bk.button("Mute again", "sitdown_mute", str(series.id))
    return bk.message([bk.section(text), bk.actions([button])], "Muted" if muted else "Unmuted")

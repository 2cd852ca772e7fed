"""/sitdown: parse what Slack sends, call the sit-down service, render Block Kit."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.outcomes import DraftRejected, NotAllowed, NotFound, Rejected
from bot.services import Services
from bot.sitdown import Reminder, SeriesChange, SeriesSummary
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
    Category,
    Occurrence,
    SeriesDraft,
    describe_lead,
    parse_day,
    parse_time_of_day,
)
from bot.sitdown_views import ActionItemView, AgendaItemView, HolidayView, MeetingView, SeriesView
from handlers import answers
from handlers import blocks as bk
from handlers.commands import CommandTable, Invocation, Subcommand

log = logging.getLogger(__name__)

COMMAND = "/sitdown"
DEFAULT_ZONE = "Europe/London"
MAX_COMMAND_TEXT = 600
CADENCE_LABELS = {
    Cadence.WEEKLY: "Every week",
    Cadence.BIWEEKLY: "Every 2 weeks",
    Cadence.MONTHLY: "Monthly, on the Nth weekday",
}
CATEGORY_ICONS = {Category.IMMEDIATE.value: "⚡", Category.LONG_TERM.value: "🔭"}

INTRO = (
    "🤝 *Sit-downs*: regular meetings of marketing and IT, on time, with an agenda both sides wrote and "
    "action items nobody forgets. Only a series' owner or a bot admin can change it."
)


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


def list_message(summaries: Sequence[SeriesSummary]) -> dict[str, Any]:
    if not summaries:
        return error_message("No sit-downs yet. Start one with `/sitdown new`.")
    blocks: list[bk.Block] = [bk.header("Sit-downs")]
    for summary in summaries[:20]:
        blocks += summary_blocks(summary)
    blocks.append(bk.context("Change one with `/sitdown skip|move|pause|resume|cancel <id>`."))
    return bk.message(blocks, f"{len(summaries)} sit-down(s)")


def person(user_id: str, quiet: frozenset[str] = frozenset()) -> str:
    """A mention, except for people who muted the series: a mention would notify them."""
    return "a teammate who muted this series" if user_id in quiet else bk.user(user_id)


def agenda_lines(agenda: Sequence[AgendaItemView], quiet: frozenset[str] = frozenset()) -> str:
    if not agenda:
        return "_Nothing on the agenda yet: add an item!_"
    lines = []
    for item in agenda[:25]:
        if item.source == "person":
            who = f"by {person(item.added_by, quiet)}"
        elif re.fullmatch(r"[UW][A-Z0-9]+", item.added_by):
            who = f"from {person(item.added_by, quiet)}, added automatically"
        else:
            who = "added automatically"
        lines.append(f"• {bk.escape(bk.truncate(item.text, 300))} _({who})_")
    if len(agenda) > 25:
        lines.append(f"…and {len(agenda) - 25} more")
    return "\n".join(lines)


def action_line(item: ActionItemView, *, with_series: bool = False, quiet: frozenset[str] = frozenset()) -> str:
    icon = CATEGORY_ICONS.get(item.category, "•")
    where = f" · _{bk.escape(item.series_title)}_" if with_series else ""
    text = bk.escape(bk.truncate(item.text, 200))
    return f"{icon} {text} — {person(item.owner, quiet)}, due {day_text(item.due_on)}{where}"


def actions_lines(items: Sequence[ActionItemView], quiet: frozenset[str] = frozenset()) -> str:
    shown = "\n".join(action_line(item, quiet=quiet) for item in items[:15])
    return shown + (f"\n…and {len(items) - 15} more (`/sitdown actions`)" if len(items) > 15 else "")


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
    return bk.message(blocks, f"{len(items)} open action item(s)")


def holidays_message(holidays: Sequence[HolidayView]) -> dict[str, Any]:
    if not holidays:
        return error_message("No company holidays yet. Bot admins add them with `/sitdown holiday add YYYY-MM-DD`.")
    lines = "\n".join(
        f"• *{day_text(h.day)}* — {bk.escape(h.name)} _(added by {bk.user(h.added_by)})_" for h in holidays[:60]
    )
    return bk.message([bk.section(f"*Company holidays*: sit-downs those days are skipped.\n{lines}")], "Holidays")


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
        blocks: list[bk.Block] = [
            bk.section(details),
            bk.section(f"*Agenda so far*\n{agenda_lines(reminder.agenda, reminder.muted)}"),
        ]
        if reminder.open_actions:
            blocks.append(
                bk.section(f"*Action items still open*\n{actions_lines(reminder.open_actions, reminder.muted)}")
            )
        if reminder.heads_up:
            blocks.append(bk.context("Heads-up: " + " ".join(bk.user(u) for u in reminder.heads_up[:30])))
        buttons = [
            bk.button("Add agenda item", "sitdown_add_agenda", str(series.id), style="primary"),
            bk.button("Mute this series for me", "sitdown_mute", str(series.id)),
            calendar_button(series.id),
        ]
        blocks.append(bk.actions(buttons))
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
        return {"channel": series.channel_id, **bk.message(blocks, f"New sit-down: {series.title}")}

    def notes_shared(self, series: SeriesView, meeting: MeetingView) -> dict[str, Any]:
        intro = (
            f"🗒️ Notes of *{bk.escape(series.title)}* of {when(meeting.start)}, by {bk.user(meeting.notes_by or '')}:"
        )
        blocks = [bk.section(intro), bk.section(bk.escape(meeting.notes or ""))]
        return {"channel": series.channel_id, **bk.message(blocks, f"Notes of {series.title}")}

    def undeliverable(self, series: SeriesView, channel: str, error: str) -> dict[str, Any]:
        text = (
            f"⚠️ Slack refused my message about *{bk.escape(series.title)}* in {bk.channel(channel)} "
            f"(`{bk.escape(bk.truncate(error, 200))}`), so the channel missed it. If I'm not in that channel, "
            "please invite me there (`/invite @Bridgebot`); reminders after that will go through."
        )
        return {"channel": series.owner, **bk.message([bk.section(text)], text, text_is_mrkdwn=True)}


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
        bk.text_input("zone", "Time zone", initial=zone, max_length=64, hint="An IANA name, e.g. America/New_York."),
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


# --- listeners ---------------------------------------------------------------------------------------------------


def _series_id(text: str) -> int | None:
    match = re.fullmatch(r"#?(\d{1,9})", text.strip())
    return int(match.group(1)) if match else None


REFUSED = "Only the series' owner or a bot admin can change it, sorry. Ask them, or start your own: `/sitdown new`."
GONE = "That sit-down doesn't exist (or was cancelled). See them all with `/sitdown list`."


class SitdownListeners:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.sitdown = services.sitdown
        self.commands = self._commands()

    # --- the command ---

    def _commands(self) -> CommandTable:
        def change(run: Invocation) -> None:
            run.answer(self._change(run.word, run.rest, run.user_id))

        def mute(run: Invocation) -> None:
            run.answer(self._mute(run.word, run.rest, run.user_id))

        rows = [
            Subcommand("new", "set up a recurring sit-down between marketing and IT (opens a form)", self._new),
            Subcommand("list", "every sit-down: when, where, the next meeting", self._list),
            Subcommand(
                "agenda <text>",
                "add an item to the next sit-down of this channel (`agenda` alone shows it)",
                lambda run: run.answer(self._agenda(run.rest, run.user_id, run.channel_id)),
            ),
            Subcommand(
                "actions [mine]", "open action items (yours only with `mine`), with *Done* buttons", self._actions
            ),
            Subcommand("skip <id> [YYYY-MM-DD]", "skip one meeting (the next one, or the one on that date)", change),
            Subcommand(
                "move <id> <YYYY-MM-DD> <HH:MM>",
                "move the next meeting to another day and time (the series' time zone)",
                change,
            ),
            Subcommand("pause <id>", "stop a series' reminders for a while", change),
            Subcommand("resume <id>", "restart a paused series", change),
            Subcommand("cancel <id>", "end the series", change),
            Subcommand("mute <id>", "stop the pings and DMs of one series, for you only", mute),
            Subcommand("unmute <id>", "hear from a muted series again", mute),
            Subcommand(
                "calendar <id>",
                "get an .ics file for Outlook or Google Calendar",
                lambda run: self._calendar_command(run.ack, run.client, run.respond, run.rest, run.user_id),
            ),
            Subcommand(
                "holiday add <YYYY-MM-DD> [name]",
                "a company holiday: meetings that day are skipped (bot admins); also `holiday list`, "
                "`holiday remove <YYYY-MM-DD>`",
                lambda run: run.answer(self._holiday(run.rest, run.user_id)),
            ),
            Subcommand("help", "this message", lambda run: run.answer(self.commands.help_message())),
        ]
        return CommandTable(COMMAND, INTRO, rows, max_text=MAX_COMMAND_TEXT)

    def _new(self, run: Invocation) -> None:
        run.ack()
        self._open_new(run.client, run.respond, run.command, run.user_id, run.channel_id)

    def _list(self, run: Invocation) -> None:
        if run.rest:
            self.commands.unknown(run)
            return
        run.answer(list_message(self.sitdown.summaries(run.user_id)))

    def _actions(self, run: Invocation) -> None:
        if run.rest.lower() not in ("", "mine"):
            self.commands.unknown(run)
            return
        mine = run.rest.lower() == "mine"
        run.answer(actions_message(self.sitdown.open_actions(run.user_id if mine else None), mine))

    def _calendar_command(self, ack: Ack, client: WebClient, respond: Respond, rest: str, user_id: str) -> None:
        series_id = _series_id(rest)
        if series_id is None:
            ack(**error_message("Usage: `/sitdown calendar <id>`. The ids are in `/sitdown list`."))
            return
        ack(**error_message("📅 Sending you the calendar file in a direct message…"))
        self._send_calendar(client, respond, series_id, user_id)

    def _open_new(
        self, client: WebClient, respond: Respond, command: dict[str, Any], user_id: str, channel_id: str
    ) -> None:
        zone = DEFAULT_ZONE
        try:
            profile: dict[str, Any] = client.users_info(user=user_id).get("user") or {}
            zone = profile.get("tz") or DEFAULT_ZONE
        except SlackApiError as error:
            log.info("users.info failed, defaulting the zone: %s", error.response.get("error"))
        today = self.sitdown.clock().date()
        bk.open_modal(
            client, respond, command["trigger_id"], series_modal(channel_id=channel_id, zone=zone, today=today)
        )

    def _agenda(self, text: str, user_id: str, channel_id: str) -> dict[str, Any]:
        if not text:
            return self._show_agenda(channel_id)
        try:
            placed = self.sitdown.add_agenda_in_channel(text, by=user_id, channel=channel_id)
        except Rejected as problem:
            return error_message(bk.escape(str(problem)))
        if placed is None:
            return error_message(
                "There's no active sit-down in this channel. Run this in the channel of one (see `/sitdown list`), "
                "or use the *Add agenda item* button on its reminder."
            )
        return error_message(
            f"📝 Added to the agenda of *{bk.escape(placed.title)}* of {when(placed.starts_at)}:\n“{bk.escape(text)}”"
        )

    def _show_agenda(self, channel_id: str) -> dict[str, Any]:
        upcoming = self.sitdown.next_agenda_in_channel(channel_id)
        if upcoming is None:
            return error_message("There's no active sit-down in this channel. See them all with `/sitdown list`.")
        series = upcoming.series
        blocks = [
            bk.section(f"*Agenda of {bk.escape(series.title)}*, {when(upcoming.occurrence.start)}"),
            bk.section(agenda_lines(upcoming.items)),
            bk.context("Add an item with `/sitdown agenda <text>`, e.g. `/sitdown agenda Review the Q3 launch plan`."),
        ]
        return bk.message(blocks, f"Agenda of {series.title}")

    def _change(self, sub: str, rest: str, user_id: str) -> dict[str, Any]:
        parts = rest.split()
        series_id = _series_id(parts[0]) if parts else None
        usage = {
            "skip": "`/sitdown skip <id> [YYYY-MM-DD]`",
            "move": "`/sitdown move <id> <YYYY-MM-DD> <HH:MM>`",
        }.get(sub, f"`/sitdown {sub} <id>`")
        expected = {"skip": (1, 2), "move": (3, 3)}.get(sub, (1, 1))
        if series_id is None or not expected[0] <= len(parts) <= expected[1]:
            return error_message(f"Usage: {usage}. The ids are in `/sitdown list`.")
        try:
            return self._apply_change(sub, series_id, parts[1:], user_id)
        except NotFound:
            return error_message(GONE)
        except NotAllowed:
            return error_message(REFUSED)
        except Rejected as problem:
            return error_message(bk.escape(str(problem)))

    def _apply_change(self, sub: str, series_id: int, args: list[str], user_id: str) -> dict[str, Any]:
        if sub == "skip":
            day = parse_day(args[0]) if args else None
            skipped = self.sitdown.skip(series_id, day, by=user_id)
            return error_message(f"⏭️ Skipped the meeting of {when(skipped.start)}. I've told the channel.")
        if sub == "move":
            day, at = parse_day(args[0]), parse_time_of_day(args[1])
            old, new = self.sitdown.move(series_id, day, at, by=user_id)
            return error_message(f"📆 Moved the meeting of {when(old.start)} to {when(new)}. I've told the channel.")
        changed = {"pause": self.sitdown.pause, "resume": self.sitdown.resume, "cancel": self.sitdown.cancel}[sub](
            series_id, by=user_id
        )
        done = {"pause": "⏸️ Paused", "resume": "▶️ Resumed", "cancel": "🛑 Cancelled"}[sub]
        return error_message(f"{done} {series_line(changed)}. I've told the channel.")

    def _mute(self, sub: str, rest: str, user_id: str) -> dict[str, Any]:
        series_id = _series_id(rest)
        if series_id is None:
            return error_message(f"Usage: `/sitdown {sub} <id>`. The ids are in `/sitdown list`.")
        try:
            return mute_message(*self._toggle_mute(sub == "mute", series_id, user_id))
        except NotFound:
            return error_message(GONE)

    def _toggle_mute(self, mute: bool, series_id: int, user_id: str) -> tuple[SeriesView, bool]:
        if mute:
            return self.sitdown.mute(series_id, user_id), True
        return self.sitdown.unmute(series_id, user_id), False

    def _holiday(self, rest: str, user_id: str) -> dict[str, Any]:
        verb, _, args = rest.partition(" ")
        verb, args = verb.lower(), args.strip()
        if verb == "list" and not args:
            return holidays_message(self.sitdown.holidays())
        if verb not in ("add", "remove") or not args:
            return error_message(
                "Usage: `/sitdown holiday add <YYYY-MM-DD> [name]`, `holiday list`, `holiday remove <date>`."
            )
        day_text_typed, _, name = args.partition(" ")
        try:
            day = parse_day(day_text_typed)
            if verb == "add":
                added = self.sitdown.add_holiday(day, name, by=user_id)
                if not added:
                    return error_message(f"{day_text(day)} is already a company holiday.")
                return error_message(f"🏖️ {day_text(day)} is now a company holiday: sit-downs that day are skipped.")
            removed = self.sitdown.remove_holiday(day, by=user_id)
        except NotAllowed:
            return error_message("Only bot admins can change the company holidays, sorry.")
        except Rejected as problem:
            return error_message(bk.escape(str(problem)))
        if removed is None:
            return error_message(f"{day_text(day)} isn't a company holiday.")
        return error_message(f"Removed {day_text(day)} ({bk.escape(removed.name)}): sit-downs that day happen again.")

    def _send_calendar(self, client: WebClient, respond: Respond, series_id: int, user_id: str) -> None:
        try:
            series, content = self.sitdown.calendar_file(series_id)
        except NotFound:
            respond(**error_message(GONE), replace_original=False)
            return
        try:
            dm = client.conversations_open(users=user_id)["channel"]["id"]
            client.files_upload_v2(
                channel=dm,
                content=content,
                filename=f"sitdown-{series.id}.ics",
                title=f"{series.title} (calendar)",
                initial_comment=f"📅 *{bk.escape(series.title)}*, {bk.escape(series.recurrence.describe())}. "
                "Open the file to add the whole series to Outlook or Google Calendar.",
            )
        except SlackApiError as error:
            log.warning("calendar upload failed: %s", error.response.get("error"))
            text = "⚠️ Slack didn't take the calendar file just now. Please try again."
            respond(**error_message(text), replace_original=False)  # never over a reminder the channel shares

    # --- buttons ---

    def on_add_agenda(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        series = self.sitdown.series(bk.row_id(action.get("value")))
        if series is None or series.status == "cancelled":
            respond(**error_message(GONE), replace_original=False)
            return
        bk.open_modal(client, respond, body["trigger_id"], agenda_modal(series, self.sitdown.next_meeting(series.id)))

    def on_mute(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        mute = action["action_id"] == "sitdown_mute"
        try:
            series, muted = self._toggle_mute(mute, bk.row_id(action.get("value")), body["user"]["id"])
        except NotFound:
            respond(**error_message(GONE), replace_original=False)
            return
        respond(**mute_message(series, muted), replace_original=False)

    def on_calendar(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        self._send_calendar(client, respond, bk.row_id(action.get("value")), body["user"]["id"])

    def on_add_action(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        found = self.sitdown.meeting(bk.row_id(action.get("value")))
        if found is None or found[0].status == "cancelled":
            respond(**error_message(GONE), replace_original=False)
            return
        bk.open_modal(client, respond, body["trigger_id"], action_modal(*found))

    def on_add_notes(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        found = self.sitdown.meeting(bk.row_id(action.get("value")))
        if found is None:
            respond(**error_message(GONE), replace_original=False)
            return
        bk.open_modal(client, respond, body["trigger_id"], notes_modal(*found))

    def on_done(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            outcome = self.sitdown.complete_action(bk.row_id(action.get("value")), by=body["user"]["id"])
        except NotFound:
            respond(**error_message(answers.gone("action item")), replace_original=False)
            return
        except NotAllowed:
            text = "Only the item's owner, whoever added it, the series' owner or a bot admin can close it."
            respond(**error_message(text), replace_original=False)
            return
        item = outcome.item
        if not outcome.changed:
            text = f"Already done: {bk.user(item.done_by or '')} closed it. {action_line(item)}"
        else:
            text = f"✅ Done: {action_line(item)}"
        respond(**error_message(text), replace_original=False)

    # --- forms ---

    def on_new_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        draft = draft_from(view.get("state", {}).get("values", {}))
        try:
            series = self.sitdown.create_series(draft, by=body["user"]["id"])
        except DraftRejected as rejected:
            ack(response_action="errors", errors=rejected.errors)
            return
        upcoming = self.sitdown.next_meeting(series.id)
        first = f"The first meeting is {when(upcoming.start)}." if upcoming else ""
        text = (
            f"✅ Created {series_line(series)} in {bk.channel(series.channel_id)}. {first}\n"
            "Reminders will be posted there. Add agenda items with `/sitdown agenda <text>` in that channel. "
            "Make sure I'm in the channel (`/invite @Bridgebot`)."
        )
        ack(response_action="update", view=done_modal("Sit-down created", text))

    def on_agenda_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = element_value(view.get("state", {}).get("values", {}), "text")
        try:
            placed = self.sitdown.add_agenda_to_series(
                bk.row_id(view.get("private_metadata")), text, by=body["user"]["id"]
            )
        except NotFound:
            ack(response_action="errors", errors={"text": answers.changed_meanwhile("sit-down")})
            return
        except Rejected as problem:
            ack(response_action="errors", errors={"text": str(problem)})
            return
        done = f"📝 Added to *{bk.escape(placed.title)}* of {when(placed.starts_at)}:\n“{bk.escape(text)}”"
        ack(response_action="update", view=done_modal("Agenda", done))

    def on_action_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view.get("state", {}).get("values", {})
        due_text = element_value(values, "due_on")
        try:
            due_on = date.fromisoformat(due_text) if due_text else None
            item = self.sitdown.add_action(
                bk.row_id(view.get("private_metadata")),
                text=element_value(values, "text"),
                owner=element_value(values, "owner"),
                due_on=due_on,
                category=element_value(values, "category"),
                by=body["user"]["id"],
            )
        except ValueError:
            ack(response_action="errors", errors={"due_on": "Pick a date from the calendar."})
            return
        except DraftRejected as rejected:
            ack(response_action="errors", errors=rejected.errors)
            return
        except NotFound:
            ack(response_action="errors", errors={"text": answers.changed_meanwhile("sit-down")})
            return
        text = f"✅ Added: {action_line(item)}\n{bk.user(item.owner)} will be reminded on the due date."
        ack(response_action="update", view=done_modal("Action item", text))

    def on_notes_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        notes = element_value(view.get("state", {}).get("values", {}), "notes")
        try:
            self.sitdown.save_notes(bk.row_id(view.get("private_metadata")), notes, by=body["user"]["id"])
        except NotFound:
            ack(response_action="errors", errors={"notes": answers.gone("meeting")})
            return
        except Rejected as problem:
            ack(response_action="errors", errors={"notes": str(problem)})
            return
        ack(response_action="update", view=done_modal("Meeting notes", "✅ Notes saved. Thank you!"))


def mute_message(series: SeriesView, muted: bool) -> dict[str, Any]:
    if muted:
        text = f"🔕 Muted {series_line(series)} for you: no pings or DMs from it. Only you see this."
        button = bk.button("Unmute", "sitdown_unmute", str(series.id))
    else:
        text = f"🔔 {series_line(series)} is unmuted for you: you'll hear from it again."
        button = bk.button("Mute again", "sitdown_mute", str(series.id))
    return bk.message([bk.section(text), bk.actions([button])], "Muted" if muted else "Unmuted")


def register(app: App, services: Services) -> None:
    listeners = SitdownListeners(services)
    app.command(COMMAND)(listeners.commands.handle)
    app.action("sitdown_add_agenda")(listeners.on_add_agenda)
    app.action(re.compile(r"^sitdown_(mute|unmute)$"))(listeners.on_mute)
    app.action(re.compile(r"^sitdown_calendar:\d+$"))(listeners.on_calendar)
    app.action("sitdown_add_action")(listeners.on_add_action)
    app.action("sitdown_add_notes")(listeners.on_add_notes)
    app.action(re.compile(r"^sitdown_done:\d+$"))(listeners.on_done)
    app.view("sitdown_new")(listeners.on_new_submit)
    app.view("sitdown_agenda")(listeners.on_agenda_submit)
    app.view("sitdown_action")(listeners.on_action_submit)
    app.view("sitdown_notes")(listeners.on_notes_submit)

"""/sitdown: parse what Slack sends, call the sit-down service, answer.

The Block Kit lives in handlers.sitdown_messages, the modals in handlers.sitdown_forms.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.outcomes import DraftRejected, NotAllowed, NotFound, Rejected
from bot.services import Services
from bot.sitdown_rules import (
    parse_day,
    parse_time_of_day,
)
from bot.sitdown_views import MeetingView, SeriesView
from bot.typed_dates import leading_day
from handlers import answers, menus, objects, slack_calls
from handlers import blocks as bk
from handlers.commands import CommandTable, Invocation, Subcommand
from handlers.sitdown_calendar import send_calendar
from handlers.sitdown_forms import (
    action_modal,
    agenda_modal,
    done_modal,
    draft_from,
    element_value,
    notes_modal,
    series_modal,
)
from handlers.sitdown_messages import (
    CANCEL_SERIES,
    GONE,
    INTRO,
    REFUSED,
    SitdownMessages,
    action_line,
    actions_message,
    agenda_messages,
    cancel_step,
    day_text,
    error_message,
    holidays_message,
    list_message,
    mute_message,
    series_line,
    when,
)

__all__ = ["SitdownListeners", "SitdownMessages", "register"]


COMMAND = "/sitdown"
DEFAULT_ZONE = "Europe/London"
MAX_COMMAND_TEXT = 600


# --- listeners ---------------------------------------------------------------------------------------------------


def _series_id(text: str) -> int | None:
    match = re.fullmatch(r"#?(\d{1,9})", text.strip())
    return int(match.group(1)) if match else None


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
                self._agenda_command,
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
            Subcommand("cancel <id>", "end the series (I ask first)", change),
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
        return CommandTable(COMMAND, INTRO, rows, max_text=MAX_COMMAND_TEXT, menu=menus.sitdown)

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
        send_calendar(self.sitdown, client, respond, series_id, user_id)

    def _open_new(
        self, client: WebClient, respond: Respond, command: dict[str, Any], user_id: str, channel_id: str
    ) -> None:
        zone = slack_calls.time_zone(client, user_id, DEFAULT_ZONE)  # bounded: the trigger lives 3 s
        today = self.sitdown.clock().date()
        bk.open_modal(
            client, respond, command["trigger_id"], series_modal(channel_id=channel_id, zone=zone, today=today)
        )

    def _agenda_command(self, run: Invocation) -> None:
        if run.rest:
            run.answer(self._agenda(run.rest, run.user_id, run.channel_id))
            return
        upcoming = self.sitdown.next_agenda_in_channel(run.channel_id)
        if upcoming is None:
            run.answer(error_message("There's no active sit-down in this channel. See them all with `/sitdown list`."))
            return
        first, *more = agenda_messages(upcoming.series, upcoming.occurrence, upcoming.items)
        if not more:
            run.answer(first)
            return
        run.ack()  # then every part through the response_url, in order (an answer could arrive after them)
        for part in (first, *more):
            run.respond(**part, response_type="ephemeral", replace_original=False)

    def _agenda(self, text: str, user_id: str, channel_id: str) -> dict[str, Any]:
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

    def _change(self, sub: str, rest: str, user_id: str) -> dict[str, Any]:
        parts = rest.split()
        series_id = _series_id(parts[0]) if parts else None
        usage = {
            "skip": "`/sitdown skip <id> [YYYY-MM-DD]`",
            "move": "`/sitdown move <id> <YYYY-MM-DD> <HH:MM>`",
        }.get(sub, f"`/sitdown {sub} <id>`")
        expected = {"skip": (1, 5), "move": (3, 7)}.get(sub, (1, 1))  # a date can be words: `Dec 17, 2026`
        if series_id is None or not expected[0] <= len(parts) <= expected[1]:
            return error_message(f"Usage: {usage}. The ids are in `/sitdown list`.")
        if sub == "skip" and len(parts) > 1:
            parts = [parts[0], " ".join(parts[1:])]
        elif sub == "move":
            parts = [parts[0], " ".join(parts[1:-1]), parts[-1]]
        if sub == "cancel":  # asks first; cancel_series cancels when its "Yes" is clicked
            return self._guarded(lambda: self._ask_cancel(series_id, user_id))
        return self.change_now(sub, series_id, parts[1:], user_id)

    def _ask_cancel(self, series_id: int, user_id: str) -> dict[str, Any]:
        """The confirm step, unless the use case would refuse already (it checks again on "Yes")."""
        series = self.sitdown.series(series_id)
        if series is None or series.status == "cancelled":
            raise NotFound()
        if user_id != series.owner and not self.services.settings.is_admin(user_id):
            raise NotAllowed()
        return cancel_step(series)

    def cancel_series(self, series_id: int, user_id: str) -> dict[str, Any]:
        """*Yes, cancel it*: the use case checks again who may, and that the series still runs."""
        return self.change_now("cancel", series_id, [], user_id)

    def change_now(self, sub: str, series_id: int, args: list[str], user_id: str) -> dict[str, Any]:
        """skip/move/pause/resume/cancel, typed or clicked: the answer, whatever the use case decided."""
        return self._guarded(lambda: self._apply_change(sub, series_id, args, user_id))

    @staticmethod
    def _guarded(change: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            return change()
        except NotFound:
            return error_message(GONE)
        except NotAllowed:
            return error_message(REFUSED)
        except Rejected as problem:
            return error_message(bk.escape(str(problem)))

    def _apply_change(self, sub: str, series_id: int, args: list[str], user_id: str) -> dict[str, Any]:
        today = self.sitdown.clock().date()
        read = answers.read_as(args[0], parse_day(args[0], today)) if args else ""
        if sub == "skip":
            skipped = self.sitdown.skip(series_id, parse_day(args[0], today) if args else None, by=user_id)
            return error_message(f"⏭️ Skipped the meeting of {when(skipped.start)}.{read} I've told the channel.")
        if sub == "move":
            day, at = parse_day(args[0], today), parse_time_of_day(args[1])
            old, new = self.sitdown.move(series_id, day, at, by=user_id)
            return error_message(
                f"📆 Moved the meeting of {when(old.start)} to {when(new)}.{read} I've told the channel."
            )
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
        found = leading_day(args, self.sitdown.clock().date())
        day_text_typed, name = (found[1], found[2]) if found else args.partition(" ")[::2]
        try:
            day = parse_day(day_text_typed, self.sitdown.clock().date())
            if verb == "add":
                added = self.sitdown.add_holiday(day, name, by=user_id)
                if not added:
                    return error_message(f"{day_text(day)} is already a company holiday.")
                read = answers.read_as(day_text_typed, day)
                return error_message(
                    f"🏖️ {day_text(day)} is now a company holiday{read}: sit-downs that day are skipped."
                )
            removed = self.sitdown.remove_holiday(day, by=user_id)
        except NotAllowed:
            return error_message("Only bot admins can change the company holidays, sorry.")
        except Rejected as problem:
            return error_message(bk.escape(str(problem)))
        if removed is None:
            return error_message(f"{day_text(day)} isn't a company holiday.")
        return error_message(f"Removed {day_text(day)} ({bk.escape(removed.name)}): sit-downs that day happen again.")

    # --- buttons ---

    def running_series(self, series_id: int) -> SeriesView | None:
        series = self.sitdown.series(series_id)
        return None if series is None or series.status == "cancelled" else series

    def running_meeting(self, meeting_id: int) -> tuple[SeriesView, MeetingView] | None:
        found = self.sitdown.meeting(meeting_id)
        return None if found is None or found[0].status == "cancelled" else found

    def on_mute(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        mute = action["action_id"] == "sitdown_mute"
        toggle = objects.attempted(
            ack,
            action,
            respond,
            lambda series_id: self._toggle_mute(mute, series_id, body["user"]["id"]),
            NotFound,
            lambda _gone: error_message(GONE),
        )
        if toggle is not None:
            respond(**mute_message(*toggle), replace_original=False)

    def on_calendar(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        send_calendar(self.sitdown, client, respond, bk.row_id(action.get("value")), body["user"]["id"])

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
        respond(**error_message(text), replace_original=bk.in_direct_message(body))  # a DM becomes its outcome

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


def register(app: App, services: Services) -> None:
    listeners = SitdownListeners(services)
    listeners.commands.register(app)
    next_agenda = listeners.sitdown.next_meeting
    app.action("sitdown_add_agenda")(
        objects.opens_form(listeners.running_series, GONE, lambda series: agenda_modal(series, next_agenda(series.id)))
    )
    app.action(re.compile(r"^sitdown_(mute|unmute)$"))(listeners.on_mute)
    app.action(re.compile(r"^sitdown_calendar:\d+$"))(listeners.on_calendar)
    app.action("sitdown_add_action")(objects.opens_form(listeners.running_meeting, GONE, lambda m: action_modal(*m)))
    app.action("sitdown_add_notes")(objects.opens_form(listeners.sitdown.meeting, GONE, lambda m: notes_modal(*m)))
    app.action(re.compile(r"^sitdown_done:\d+$"))(listeners.on_done)
    CANCEL_SERIES.register(app, listeners.cancel_series)
    app.view("sitdown_new")(listeners.on_new_submit)
    app.view("sitdown_agenda")(listeners.on_agenda_submit)
    app.view("sitdown_action")(listeners.on_action_submit)
    app.view("sitdown_notes")(listeners.on_notes_submit)

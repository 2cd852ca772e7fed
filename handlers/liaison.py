"""/liaison: parse what Slack sends, call the liaison service, render Block Kit."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.liaison import BOT, Overview, Preview, Refused
from bot.liaison_rules import (
    INTRO_FOLLOW_UP,
    MAX_INTRO_WEEKS,
    MAX_LENGTH,
    MAX_NOTE,
    SIDE_LABELS,
    SIDES,
    RotationDraft,
    SwapChange,
    parse_day,
)
from bot.liaison_views import IntroPairView, IntroStats, NoteView, RotationView, TermView
from bot.services import Services
from handlers import answers
from handlers import blocks as bk
from handlers.commands import CommandTable, Invocation, Subcommand

log = logging.getLogger(__name__)

COMMAND = "/liaison"
MAX_COMMAND = 300
SIDE_ICONS = {"marketing": "📣", "it": "🛠️"}
SIDE_WORDS = {"marketing": "marketing", "mkt": "marketing", "it": "it", "tech": "it"}


REFUSALS = {
    "admins_only": "Only bot admins can do that, sorry. Ask one of them (BOT_ADMINS) if it needs doing.",
    "unknown_side": "Pick a side: `/liaison join marketing` or `/liaison join it`.",
    "not_in_pool": "You're not in a liaison pool. Join with `/liaison join marketing` or `/liaison join it`.",
    "away_in_past": "That date has already passed: give the last day you'll be away (YYYY-MM-DD).",
    "swap_not_yours": "You can hand over your own turn (`/liaison swap @you @colleague`); only admins swap others.",
    "swap_same_person": "Those are the same person: name who hands over and who takes it.",
    "swap_no_turn": "That person has no current or upcoming turn to hand over.",
    "swap_other_side": "The colleague taking over must be in the same side's pool.",
    "swap_taker_away": "That colleague is away then, so they can't take the turn.",
    "nothing_to_skip": "There's no upcoming pick to skip yet (picks are made two weeks before a term starts).",
    "term_gone": "That term is over or was replaced by a new rotation, so there's nothing to do.",
    "not_your_term": "You don't hold a seat in that term (it may have been swapped to someone else).",
    "intro_side_needed": "Which team are you on? `/liaison intros on marketing` or `/liaison intros on it`.",
    "intro_gone": answers.gone("intro"),
    "not_your_intro": "That intro is between two other people, so I left it alone.",
    "no_replacement": "There's nobody else available on that side, so I kept things as they were. "
    "Ask a colleague to `/liaison join`, or an admin.",
}


# --- rendering -----------------------------------------------------------------------------------------------


def refusal_message(refused: Refused) -> dict[str, Any]:
    text = REFUSALS.get(refused.reason, "I couldn't do that, and nothing was changed.")
    side = refused.details.get("side")
    if side in SIDE_LABELS:
        text += f" (side: {SIDE_LABELS[side]})"
    return bk.answer(text)


def seat(term: TermView | Preview, side: str) -> str:
    user_id = term.liaisons.get(side)
    who = bk.user(user_id) if user_id else f"_nobody yet_ (`/liaison join {side}`)"
    return f"{SIDE_ICONS[side]} {SIDE_LABELS[side]}: {who}"


def pair_line(term: TermView | Preview) -> str:
    return " · ".join(seat(term, side) for side in SIDES)


def span(term: TermView | Preview) -> str:
    return f"{bk.slack_date(term.starts_at)} → {bk.slack_date(term.ends_at)}"


def term_buttons(term: TermView) -> bk.Block:
    dialog = bk.confirm_dialog(
        "Pass this turn on?", "The next person in line will be asked instead; you keep your place.", "Swap me"
    )
    return bk.actions(
        [
            bk.button("Accept", "liaison_accept", str(term.id), style="primary"),
            bk.button("Can't — swap me", "liaison_decline", str(term.id), style="danger", confirm=dialog),
        ]
    )


def partner_text(term: TermView, side: str) -> str:
    other = "it" if side == "marketing" else "marketing"
    partner = term.liaisons.get(other)
    return f"your {SIDE_LABELS[other]} counterpart is {bk.user(partner)}" if partner else "the other seat is open"


def who_message(overview: Overview) -> dict[str, Any]:
    if overview.rotation is None:
        return bk.answer("No liaison rotation yet. A bot admin can set one up with `/liaison setup`.")
    term = overview.current
    if term is None:
        first = f"The rotation ({overview.rotation.plan.describe()} terms) starts "
        first += f"{bk.slack_date(overview.rotation.plan.term_starts_at(0))}. See who's up with `/liaison next`."
        return bk.answer(first)
    blocks = [
        bk.section(f"*Current liaisons*\n{pair_line(term)}"),
        bk.context(f"Since {bk.slack_date(term.starts_at)}, until {bk.slack_date(term.ends_at)}"),
        rotation_context(overview.rotation),
    ]
    return bk.message(blocks, "Current liaisons")


def rotation_context(rotation: RotationView) -> bk.Block:
    channels = ", ".join(bk.channel(c) for c in rotation.channels)
    intros = f"cross-team intros every {rotation.intro_weeks} week(s)" if rotation.intro_weeks else "no intros"
    return bk.context(
        f"Terms of {rotation.plan.describe()}, announced in {channels}; {intros}. "
        f"Set up by {bk.user(rotation.created_by)} on {bk.slack_date(rotation.created_at)}."
    )


def next_message(preview: Preview | None) -> dict[str, Any]:
    if preview is None:
        return bk.answer("No liaison rotation yet. A bot admin can set one up with `/liaison setup`.")
    heading = "*Next liaisons*" if preview.planned else "*Next liaisons* (if the pick were made today)"
    blocks = [bk.section(f"{heading}\n{pair_line(preview)}"), bk.context(f"Term: {span(preview)}")]
    if not preview.planned:
        blocks.append(bk.context("The pick is made two weeks before the term starts: whoever served least recently."))
    return bk.message(blocks, "Next liaisons")


def history_message(terms: Sequence[TermView]) -> dict[str, Any]:
    if not terms:
        return bk.answer("No liaison terms have started yet.")
    lines = [f"• {span(term)}: {pair_line(term)}" for term in terms]
    return bk.message([bk.section("*Liaison history* (latest first)\n" + "\n".join(lines))], "Liaison history")


def pool_message(pools: dict[str, list[str]], away: dict[str, date | None]) -> dict[str, Any]:
    fields = []
    for side in SIDES:
        lines = []
        for user_id in pools[side]:
            until = away.get(user_id)
            lines.append(bk.user(user_id) + (f" (away through {until.isoformat()})" if until else ""))
        fields.append(f"*{SIDE_ICONS[side]} {SIDE_LABELS[side]}* ({len(lines)})\n" + ("\n".join(lines) or "_empty_"))
    blocks = [
        bk.section("*Liaison pools*, in the order people will be picked:"),
        bk.fields_section(fields),
        bk.context("Join with `/liaison join marketing` or `/liaison join it`."),
    ]
    return bk.message(blocks, "Liaison pools")


def stats_message(stats: IntroStats) -> dict[str, Any]:
    if not stats.pairs:
        text = "No cross-team intros yet. Opt in with `/liaison intros on`; admins set how often in `/liaison setup`."
        return bk.answer(text)
    answered = stats.met + stats.not_yet
    rate = f"{round(100 * stats.met / stats.pairs)}%"
    blocks = [
        bk.header("Cross-team intros"),
        bk.fields_section(
            [
                f"*Rounds*\n{stats.rounds}",
                f"*Intros*\n{stats.pairs}",
                f"*Met*\n{stats.met} ({rate})",
                f"*Not yet / no answer*\n{stats.not_yet} / {stats.pairs - answered}",
            ]
        ),
        bk.context(
            f"Opted in: {stats.opted_in.get('marketing', 0)} in marketing, {stats.opted_in.get('it', 0)} in IT."
        ),
    ]
    return bk.message(blocks, f"Cross-team intros: {stats.met} of {stats.pairs} met")


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


def note_blocks(notes: Sequence[NoteView]) -> list[bk.Block]:
    blocks = []
    for note in notes[:10]:
        quoted = "\n".join("> " + line for line in bk.escape(note.text).splitlines() if line.strip())
        heading = f"*Handover from {bk.user(note.author)}* ({SIDE_LABELS.get(note.side, note.side)}), "
        blocks.append(bk.section(f"{heading}{bk.slack_date(note.written_at)}:\n{quoted}"))
    return blocks


class LiaisonMessages:
    """What the bot says on its own about the rotation (see bot.liaison.LiaisonMessages)."""

    def incoming(self, user_id: str, term: TermView, side: str) -> dict[str, Any]:
        blocks = [
            bk.section(
                f"👋 You're up next as *{SIDE_LABELS[side]} liaison*, {span(term)}; {partner_text(term, side)}. "
                "You'll be the first port of call for the other team's questions."
            ),
            term_buttons(term),
            bk.context(
                "Can't do it? Press *Can't — swap me* and the next person in line is asked; you keep your place."
            ),
        ]
        return {"channel": user_id, **bk.message(blocks, f"You're the next {SIDE_LABELS[side]} liaison")}

    def handed_turn(self, user_id: str, term: TermView, side: str, giver: str, by: str) -> dict[str, Any]:
        who = bk.user(giver) + (f" (via {bk.user(by)})" if by != giver else "")
        blocks = [
            bk.section(
                f"🔁 {who} handed you a turn as *{SIDE_LABELS[side]} liaison*, {span(term)}; "
                f"{partner_text(term, side)}."
            ),
            term_buttons(term),
        ]
        return {"channel": user_id, **bk.message(blocks, f"You're now {SIDE_LABELS[side]} liaison")}

    def handover_ask(self, user_id: str, term: TermView, successor: TermView | None) -> dict[str, Any]:
        taking_over = ""
        if successor is not None:
            names = [bk.user(u) for u in successor.liaisons.values() if u]
            taking_over = f" for {' and '.join(names)}" if names else ""
        blocks = [
            bk.section(
                f"✍️ Your liaison term ends {bk.slack_date(term.ends_at)}. "
                f"Would you leave a short handover note{taking_over}? It reaches them on their first day."
            ),
            bk.actions([bk.button("Write handover note", "liaison_note", str(term.id), style="primary")]),
        ]
        return {"channel": user_id, **bk.message(blocks, "Time for a liaison handover note")}

    def welcome(self, user_id: str, term: TermView, notes: Sequence[NoteView]) -> dict[str, Any]:
        side = term.slots.side_of(user_id) or "marketing"
        blocks = [
            bk.section(
                f"🎉 Your term as *{SIDE_LABELS[side]} liaison* starts now, {span(term)}; {partner_text(term, side)}."
            )
        ]
        blocks += note_blocks(notes) or [bk.context("No handover note was left for you this time.")]
        return {"channel": user_id, **bk.message(blocks, "Your liaison term starts")}

    def announcement(self, channel: str, term: TermView) -> dict[str, Any]:
        blocks = [
            bk.section(f"🤝 *New marketing–IT liaisons*, {span(term)}:\n{pair_line(term)}"),
            bk.context("Questions for the other team? Start with them. `/liaison who` shows the current pair."),
        ]
        return {"channel": channel, **bk.message(blocks, "New marketing–IT liaisons")}

    def checkin(self, user_id: str, term: TermView) -> dict[str, Any]:
        side = term.slots.side_of(user_id) or "marketing"
        blocks = [
            bk.section(
                f"⏱️ Half-way through your term as {SIDE_LABELS[side]} liaison (until {bk.slack_date(term.ends_at)}). "
                f"How is it going? A good moment for a coffee: {partner_text(term, side)}."
            )
        ]
        return {"channel": user_id, **bk.message(blocks, "Liaison check-in")}

    def late_note(self, user_id: str, note: NoteView) -> dict[str, Any]:
        return {"channel": user_id, **bk.message(note_blocks([note]), "A liaison handover note for you")}

    def turn_removed(self, user_id: str, term: TermView, side: str, by: str) -> dict[str, Any]:
        why = "you're no longer in the team's Slack user group" if by == BOT else f"{bk.user(by)} changed the rotation"
        text = (
            f"🔁 You're no longer the *{SIDE_LABELS[side]} liaison* for {span(term)}: {why}. "
            "You keep your place in the queue. `/liaison who` and `/liaison next` show who's on."
        )
        return {"channel": user_id, **bk.message([bk.section(text)], f"Your {SIDE_LABELS[side]} liaison turn moved")}

    def intro_prompt(self, channel: str, pair: IntroPairView) -> dict[str, Any]:
        blocks = [
            bk.section(
                f"👋 {bk.user(pair.marketing_user)} (marketing), meet {bk.user(pair.it_user)} (IT)! "
                "This round's cross-team intro: find 20 minutes for a coffee or a call this week."
            )
        ]
        if pair.term_name:
            term = bk.escape(pair.term_name)
            blocks.append(
                bk.section(
                    f"🗣️ *Term of the week: {term}*. Explain to each other what it means on your side, "
                    f"then compare with `/jargon {term}`."
                )
            )
        blocks.append(bk.context(f"I'll check in {INTRO_FOLLOW_UP.days} days from now. `/liaison intros off` to stop."))
        return {"channel": channel, **bk.message(blocks, "Your cross-team intro")}

    def intro_sitout(self, user_id: str) -> dict[str, Any]:
        text = (
            "🪑 The teams are uneven this round, so you sit this cross-team intro out. "
            "You'll be first in line next round."
        )
        return {"channel": user_id, **bk.message([bk.section(text)], "You sit out this intro round")}

    def intro_follow_up(self, channel: str, pair: IntroPairView) -> dict[str, Any]:
        blocks = [
            bk.section(f"☕ Did {bk.user(pair.marketing_user)} and {bk.user(pair.it_user)} manage to meet?"),
            bk.actions(
                [
                    bk.button("We met", "liaison_intro_met", str(pair.id), style="primary"),
                    bk.button("Not yet", "liaison_intro_not_yet", str(pair.id)),
                ]
            ),
        ]
        return {"channel": channel, **bk.message(blocks, "Did your cross-team intro happen?")}


# --- listeners -----------------------------------------------------------------------------------------------


class LiaisonListeners:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.liaison = services.liaison
        self.commands = self._commands()

    def _commands(self) -> CommandTable:
        def plain(answer: Callable[[], dict[str, Any]]) -> Callable[[Invocation], None]:
            return lambda run: run.answer(answer())

        def mentions(run: Invocation) -> list[str]:
            return bk.mentioned_users(run.command.get("text", "") or "")

        rows = [
            Subcommand(
                "join marketing|it",
                "join your side's pool of possible liaisons",
                lambda run: run.answer(self._join(run.user_id, run.rest)),
            ),
            Subcommand(
                "leave",
                "leave the pool (your upcoming turn goes to the next person)",
                lambda run: run.answer(self._leave(run.user_id)),
                takes_nothing=True,
            ),
            Subcommand(
                "away YYYY-MM-DD",
                "out of the picks through that date (vacation, leave…); `away off` when back early",
                lambda run: run.answer(self._away(run.user_id, run.rest)),
                needs_text=True,
            ),
            Subcommand(
                "who", "the current liaison pair, since when and until when", plain(self._who), takes_nothing=True
            ),
            Subcommand("next", "who is up next", plain(self._next), takes_nothing=True),
            Subcommand("history", "past and current pairs", plain(self._history), takes_nothing=True),
            Subcommand(
                "pool", "who is in each pool, in the order they'll be picked", plain(self._pool), takes_nothing=True
            ),
            Subcommand(
                "swap @a @b",
                "hand your turn (@a) to a willing colleague on your side (@b); admins can swap anyone",
                lambda run: run.answer(self._swap(run.user_id, mentions(run))),
            ),
            Subcommand(
                "skip [@person]",
                "admins: pick again for the next term (or only that person's seat)",
                lambda run: run.answer(self._skip(run.user_id, mentions(run))),
            ),
            Subcommand(
                "intros on [marketing|it]",
                "be paired now and then with someone from the other team; `intros off` to stop",
                lambda run: run.answer(self._intros(run.user_id, run.rest)),
                needs_text=True,
            ),
            Subcommand("stats", "how many cross-team intros actually met", plain(self._stats), takes_nothing=True),
            Subcommand(
                "setup",
                "admins: term length, start date, announcement channels and intro rounds",
                lambda run: self._setup(run.ack, run.client, run.respond, run.command),
                takes_nothing=True,
            ),
            Subcommand("help", "this message", lambda run: run.answer(self.commands.help_message())),
        ]
        return CommandTable(
            COMMAND,
            "🤝 *Liaisons*: one marketing and one IT person each term, who learn the other side from the inside.",
            rows,
            max_text=MAX_COMMAND,
            too_long=lambda length: bk.answer(f"That's much longer than any `/liaison` command ({length} characters)."),
        )

    def _who(self) -> dict[str, Any]:
        return who_message(self.liaison.overview())

    def _next(self) -> dict[str, Any]:
        return next_message(self.liaison.next_term())

    def _history(self) -> dict[str, Any]:
        return history_message(self.liaison.history())

    def _pool(self) -> dict[str, Any]:
        overview = self.liaison.overview()
        away = {m.user_id: m.away_until for members in self.liaison.pools().values() for m in members}
        return pool_message(overview.queue, away)

    def _stats(self) -> dict[str, Any]:
        return stats_message(self.liaison.intro_stats())

    def _intros(self, user_id: str, rest: str) -> dict[str, Any]:
        word, _, side_text = rest.lower().partition(" ")
        if word == "off" and not side_text:
            if not self.liaison.intros_opt_out(user_id):
                return bk.answer("You weren't signed up for cross-team intros, so nothing changed.")
            return bk.answer("✅ You're out of cross-team intros. `/liaison intros on` brings you back.")
        side = SIDE_WORDS.get(side_text.strip()) if side_text else None
        if word != "on" or (side_text and side is None):
            sub = self.commands.find("intros")
            assert sub is not None
            return self.commands.help_message(f"{self.commands.usage_of(sub)} needs a little more: {sub.help}.")
        try:
            chosen = self.liaison.intros_opt_in(user_id, side)
        except Refused as refused:
            return refusal_message(refused)
        return bk.answer(
            f"✅ You're in for cross-team intros as {SIDE_LABELS[chosen]}: each round you'll meet someone from "
            "the other team in a group DM. `/liaison intros off` to stop."
        )

    def _join(self, user_id: str, rest: str) -> dict[str, Any]:
        side = SIDE_WORDS.get(rest.lower())
        if side is None:
            return refusal_message(Refused("unknown_side"))
        outcome = self.liaison.join(user_id, side)
        label = SIDE_LABELS[side]
        if outcome.already:
            return bk.answer(f"You're already in the {label} pool.")
        if outcome.previous_side:
            moved = f"Moved you from the {SIDE_LABELS[outcome.previous_side]} pool to the {label} pool."
            return bk.answer(f"✅ {moved} Any upcoming turn on your old side went to the next person.")
        return bk.answer(f"✅ You're in the {label} pool. Whoever served least recently is picked first.")

    def _leave(self, user_id: str) -> dict[str, Any]:
        if not self.liaison.leave(user_id):
            return bk.answer("You weren't in a liaison pool, so nothing changed.")
        return bk.answer(
            "👋 You've left the liaison pool. Upcoming turns went to the next person; a term you're serving now "
            "stays yours (an admin can `/liaison swap` it). Rejoin any time with `/liaison join`."
        )

    def _away(self, user_id: str, rest: str) -> dict[str, Any]:
        if rest.lower() in ("off", "back", "none"):
            until = None
        else:
            until = parse_day(rest)
            if until is None:
                shown = bk.escape(bk.truncate(rest, 60))
                return bk.answer(
                    f"I couldn't read *{shown}* as a date. Use YYYY-MM-DD, e.g. `/liaison away 2027-01-15`."
                )
        try:
            outcome = self.liaison.set_away(user_id, until)
        except Refused as refused:
            return refusal_message(refused)
        if until is None:
            return bk.answer("✅ Welcome back: you're in the picks again.")
        text = f"✅ You're out of the picks through {until.isoformat()}; you keep your place in the queue."
        for term in outcome.passed_on:
            text += f"\n🔁 Your turn {span(term)} went to the next person in line: {pair_line(term)}."
        for term in outcome.still_held:
            text += (
                f"\n⚠️ You're already picked for the term {span(term)}: use *Can't — swap me* in my DM, "
                "or `/liaison swap @you @colleague`."
            )
        return bk.answer(text)

    def _swap(self, user_id: str, mentioned: list[str]) -> dict[str, Any]:
        if len(mentioned) == 1:
            giver, taker = user_id, mentioned[0]
        elif len(mentioned) == 2:
            giver, taker = mentioned
        else:
            return bk.answer("Name who hands over and who takes it: `/liaison swap @a @b` (or `swap @b` for you).")
        try:
            changes = self.liaison.swap(giver, taker, by=user_id)
        except Refused as refused:
            return refusal_message(refused)
        return bk.answer(swap_summary(changes))

    def _skip(self, user_id: str, mentioned: list[str]) -> dict[str, Any]:
        if len(mentioned) > 1:
            return bk.answer("Skip one person at a time: `/liaison skip @person`, or `/liaison skip` for both.")
        try:
            term = self.liaison.skip(by=user_id, target=mentioned[0] if mentioned else None)
        except Refused as refused:
            return refusal_message(refused)
        return bk.answer(f"⏭️ Picked again for {span(term)}: {pair_line(term)}. The skipped keep their place.")

    def _setup(self, ack: Ack, client: WebClient, respond: Respond, command: dict[str, Any]) -> None:
        user_id = command["user_id"]
        if not self.services.settings.is_admin(user_id):
            ack(**refusal_message(Refused("admins_only")))
            return
        ack()
        settings = self.services.settings
        channels = [settings.marketing_channel or "", settings.it_intake_channel or ""]
        today = self.services.clock().date()
        view = setup_modal(self.liaison.rotation(), _user_zone(client, user_id), channels, today)
        bk.open_modal(client, respond, command["trigger_id"], view)

    # --- buttons ---

    def on_accept(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            term = self.liaison.accept(bk.row_id(action.get("value")), body["user"]["id"])
        except Refused as refused:
            respond(**refusal_message(refused), replace_original=False)
            return
        text = f"✅ Thank you! You're liaison {span(term)}: {pair_line(term)}. I'll ping you when it starts."
        respond(**bk.answer(text), replace_original=True)

    def on_decline(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            term = self.liaison.decline(bk.row_id(action.get("value")), body["user"]["id"])
        except Refused as refused:
            respond(**refusal_message(refused), replace_original=False)
            return
        text = f"👍 No problem: I've asked the next person in line. You keep your place. Now: {pair_line(term)}"
        respond(**bk.answer(text), replace_original=True)

    def on_note_button(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user_id = body["user"]["id"]
        try:
            term = self.liaison.note_term(bk.row_id(action.get("value")), user_id)
        except Refused as refused:
            respond(**refusal_message(refused), replace_original=False)
            return
        bk.open_modal(
            client, respond, body["trigger_id"], note_modal(term, self.liaison.existing_note(term.id, user_id))
        )

    def on_intro_answer(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        met = action.get("action_id") == "liaison_intro_met"
        try:
            pair = self.liaison.record_intro(bk.row_id(action.get("value")), body["user"]["id"], met=met)
        except Refused as refused:
            respond(**refusal_message(refused), replace_original=False)
            return
        if met:
            text = f"🎉 Lovely: {bk.user(pair.marketing_user)} and {bk.user(pair.it_user)} met. Thanks for saying!"
        else:
            text = "👍 No rush: there's still time this round. Thanks for letting me know."
        respond(**bk.answer(text), replace_original=met)

    # --- forms ---

    def on_setup(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view.get("state", {}).get("values", {})
        draft = RotationDraft(
            start=parse_day(_state(values, "start").get("selected_date") or ""),
            length_text=str(_state(values, "length").get("value") or ""),
            unit=bk.input_value(values, "unit"),
            tz=bk.input_value(values, "tz"),
            channels=tuple(_state(values, "channels").get("selected_conversations") or ()),
            intro_weeks_text=str(_state(values, "intros").get("value") or ""),
        )
        try:
            outcome = self.liaison.configure(draft, by=body["user"]["id"])
        except Refused as refused:
            ack(response_action="errors", errors={"start": REFUSALS[refused.reason]})
            return
        if outcome.errors:
            ack(response_action="errors", errors=outcome.errors)
            return
        rotation = self.liaison.rotation()
        assert rotation is not None
        blocks = [
            bk.section(
                f"✅ Saved: terms of {rotation.plan.describe()} from {bk.slack_date(rotation.plan.term_starts_at(0))}. "
                "Each pair is picked two weeks before their term and asked to accept by DM."
            ),
            rotation_context(rotation),
        ]
        ack(response_action="update", view=bk.modal("liaison_saved", "Liaison rotation", blocks))

    def on_note(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            metadata = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            metadata = {}
        text = (_state(view.get("state", {}).get("values", {}), "note").get("value") or "").strip()
        try:
            term, problem = self.liaison.save_note(bk.row_id(metadata.get("term_id")), body["user"]["id"], text)
        except Refused as refused:
            ack(response_action="errors", errors={"note": REFUSALS[refused.reason]})
            return
        if problem:
            ack(response_action="errors", errors={"note": problem})
            return
        quoted = "\n".join("> " + line for line in bk.escape(text).splitlines() if line.strip())
        saved = [
            bk.section("✅ Thanks! Your handover note reaches the next pair on their first day."),
            bk.section(quoted),
            bk.context(f"For the term after {span(term)}. Edit it from the same button until then."),
        ]
        ack(response_action="update", view=bk.modal("liaison_note_saved", "Handover note", saved))


def swap_summary(changes: Sequence[SwapChange]) -> str:
    first = changes[0]
    text = f"🔁 Done: {bk.user(first.new)} takes {bk.user(first.old or '')}'s {SIDE_LABELS[first.side]} turn"
    if len(changes) > 1:
        text += f", and {bk.user(changes[1].new)} takes {bk.user(changes[1].old or '')}'s later turn in exchange"
    return text + ". I've let them know by DM."


def _state(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    state = values.get(block_id, {}).get("value", {})
    return state if isinstance(state, dict) else {}


def _user_zone(client: WebClient, user_id: str) -> str:
    try:
        return str(client.users_info(user=user_id)["user"].get("tz") or "UTC")
    except (SlackApiError, KeyError, TypeError):
        log.info("could not read %s's time zone; defaulting to UTC", user_id)
        return "UTC"


def _group_reader(client: WebClient) -> Any:
    def read(group: str) -> list[str]:
        return list(client.usergroups_users_list(usergroup=group).get("users") or [])

    return read


def _conversation_opener(client: WebClient) -> Any:
    def open_group(users: Sequence[str]) -> str:
        return str(client.conversations_open(users=",".join(users))["channel"]["id"])

    return open_group


def _term_picker(services: Services) -> Any:
    def pick(rng: random.Random) -> str | None:
        entry = services.glossary.index().pick_random(rng)
        return entry.name if entry else None

    return pick


def register(app: App, services: Services) -> None:
    listeners = LiaisonListeners(services)
    services.liaison.set_group_reader(_group_reader(services.client))
    services.liaison.set_conversation_opener(_conversation_opener(services.client))
    services.liaison.set_term_picker(_term_picker(services))
    app.command(COMMAND)(listeners.commands.handle)
    app.action("liaison_accept")(listeners.on_accept)
    app.action("liaison_decline")(listeners.on_decline)
    app.action("liaison_note")(listeners.on_note_button)
    app.action("liaison_intro_met")(listeners.on_intro_answer)
    app.action("liaison_intro_not_yet")(listeners.on_intro_answer)
    app.view("liaison_setup")(listeners.on_setup)
    app.view("liaison_note")(listeners.on_note)

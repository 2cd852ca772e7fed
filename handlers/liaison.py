"""/liaison: parse what Slack sends, call the liaison service, answer.

The Block Kit lives in handlers.liaison_messages, the modals in handlers.liaison_forms.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.liaison import Refused
from bot.liaison_rules import (
    SIDE_LABELS,
    RotationDraft,
    local_date,
    parse_day,
)
from bot.services import Services
from bot.typed_dates import is_iso, read_day
from handlers import answers, menus, objects, slack_calls
from handlers import blocks as bk
from handlers.commands import CommandTable, Invocation, Subcommand
from handlers.liaison_forms import element_state, note_modal, setup_modal
from handlers.liaison_home import AWAY_ACTION, AWAY_FORM, BACK_ACTION, away_modal
from handlers.liaison_messages import (
    LEAVE_POOL,
    REFUSALS,
    LiaisonMessages,
    history_message,
    leave_step,
    next_message,
    pair_line,
    pool_message,
    refusal_message,
    rotation_context,
    span,
    stats_message,
    swap_summary,
    who_message,
)

__all__ = ["LiaisonListeners", "LiaisonMessages", "register", "setup_form"]


log = logging.getLogger(__name__)

COMMAND = "/liaison"
MAX_COMMAND = 300
SIDE_WORDS = {"marketing": "marketing", "mkt": "marketing", "it": "it", "tech": "it"}
NOT_IN_POOL = "You weren't in a liaison pool, so nothing changed."


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
                "leave the pool (your upcoming turn goes to the next person; I ask first)",
                lambda run: run.answer(self._ask_leave(run.user_id)),
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
            menu=menus.liaison,
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

    def _ask_leave(self, user_id: str) -> dict[str, Any]:
        """The confirm step, unless there is no pool to leave (`leave` does it on "Yes", and checks again)."""
        member = self.liaison.member(user_id)
        return bk.answer(NOT_IN_POOL) if member is None else leave_step(member)

    def leave(self, _row_id: int, user_id: str) -> dict[str, Any]:
        """*Yes, leave the pool*: only the clicker leaves, whatever the button names."""
        if not self.liaison.leave(user_id):
            return bk.answer(NOT_IN_POOL)
        return bk.answer(
            "👋 You've left the liaison pool. Upcoming turns went to the next person; a term you're serving now "
            "stays yours (an admin can `/liaison swap` it). Rejoin any time with `/liaison join`."
        )

    def _away(self, user_id: str, rest: str) -> dict[str, Any]:
        if rest.lower() in ("off", "back", "none"):
            until = None
        else:
            until = parse_day(rest) or read_day(rest, self.liaison.clock().date())
            if until is None:
                shown = bk.escape(bk.truncate(rest, 60))
                return bk.answer(
                    f"I couldn't read *{shown}* as a date. Use YYYY-MM-DD, 15 Jan or 1/15, "
                    "e.g. `/liaison away 2027-01-15`."
                )
        try:
            answer = self._away_answer(user_id, until)
            if until is not None and not is_iso(rest):  # the reading, as the person can check it
                answer = bk.answer(f"{answers.read_as(rest, until).strip()}\n{answer['text']}")
            return answer
        except Refused as refused:
            return refusal_message(refused)

    def _away_answer(self, user_id: str, until: date | None) -> dict[str, Any]:
        """Away through `until` (None: back), and what that changed; raises Refused."""
        outcome = self.liaison.set_away(user_id, until)
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
        bk.open_modal(client, respond, command["trigger_id"], setup_form(self.services, client, user_id))

    # --- buttons ---

    def on_accept(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        self._answer_turn(ack, action, body, respond, accepted=True)

    def on_decline(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        self._answer_turn(ack, action, body, respond, accepted=False)

    def _answer_turn(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond, *, accepted: bool
    ) -> None:
        """Accept / Can't — swap me, on the invitation: it becomes the outcome (a refusal goes below it)."""
        answer = self.liaison.accept if accepted else self.liaison.decline
        user_id = body["user"]["id"]
        term = objects.attempted(
            ack, action, respond, lambda term_id: answer(term_id, user_id), Refused, refusal_message
        )
        if term is None:
            return
        if accepted:
            text = f"✅ Thank you! You're liaison {span(term)}: {pair_line(term)}. I'll ping you when it starts."
        else:
            text = f"👍 No problem: I've asked the next person in line. You keep your place. Now: {pair_line(term)}"
        respond(**bk.answer(text), replace_original=True)

    def on_note_button(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        user_id = body["user"]["id"]
        note_term = self.liaison.note_term
        term = objects.attempted(
            ack, action, respond, lambda term_id: note_term(term_id, user_id), Refused, refusal_message
        )
        if term is None:
            return
        bk.open_modal(
            client, respond, body["trigger_id"], note_modal(term, self.liaison.existing_note(term.id, user_id))
        )

    def on_intro_answer(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        met = action.get("action_id") == "liaison_intro_met"
        user_id = body["user"]["id"]
        record = self.liaison.record_intro
        pair = objects.attempted(
            ack, action, respond, lambda pair_id: record(pair_id, user_id, met=met), Refused, refusal_message
        )
        if pair is None:
            return
        if met:
            text = f"🎉 Lovely: {bk.user(pair.marketing_user)} and {bk.user(pair.it_user)} met. Thanks for saying!"
        else:
            text = "👍 No rush: there's still time this round. Thanks for letting me know."
        respond(**bk.answer(text), replace_original=met)

    def on_home_away(self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """*Away…* in Home: the form with a date picker (a click comes with a trigger_id)."""
        ack()
        member = self.liaison.member(body["user"]["id"])
        if member is None:
            respond(**refusal_message(Refused("not_in_pool")), replace_original=False)
            return
        rotation = self.liaison.rotation()  # away days are read in the rotation's time zone
        today = local_date(self.services.clock(), rotation.plan.tz if rotation else "UTC")
        bk.open_modal(client, respond, body["trigger_id"], away_modal(today, member.away_until))

    def on_home_back(self, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        """*I'm back* in Home: `/liaison away off`."""
        ack()
        try:
            answer = self._away_answer(body["user"]["id"], None)
        except Refused as refused:
            answer = refusal_message(refused)
        respond(**answer, replace_original=False)

    # --- forms ---

    def on_home_away_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        chosen = element_state(view.get("state", {}).get("values", {}), "until").get("selected_date")
        until = parse_day(chosen or "")
        if until is None:
            ack(response_action="errors", errors={"until": "Pick the last day you'll be away."})
            return
        try:
            answer = self._away_answer(body["user"]["id"], until)
        except Refused as refused:
            ack(response_action="errors", errors={"until": REFUSALS.get(refused.reason, "Nothing was changed.")})
            return
        ack(response_action="update", view=bk.modal("liaison_home_away_done", "Away", answer["blocks"]))

    def on_setup(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view.get("state", {}).get("values", {})
        draft = RotationDraft(
            start=parse_day(element_state(values, "start").get("selected_date") or ""),
            length_text=str(element_state(values, "length").get("value") or ""),
            unit=bk.input_value(values, "unit"),
            tz=bk.input_value(values, "tz"),
            channels=tuple(element_state(values, "channels").get("selected_conversations") or ()),
            intro_weeks_text=str(element_state(values, "intros").get("value") or ""),
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
        text = (element_state(view.get("state", {}).get("values", {}), "note").get("value") or "").strip()
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


def setup_form(services: Services, client: WebClient, user_id: str) -> dict[str, Any]:
    """The rotation's setup form, filled with the current rotation: what `/liaison setup` opens (Home's admin
    section opens it too). Only for bot admins: the caller checks."""
    settings = services.settings
    channels = [settings.marketing_channel or "", settings.it_intake_channel or ""]
    today = services.clock().date()
    return setup_modal(services.liaison.rotation(), slack_calls.time_zone(client, user_id, "UTC"), channels, today)


def _term_picker(services: Services) -> Any:
    def pick(rng: random.Random) -> str | None:
        entry = services.glossary.index().pick_random(rng)
        return entry.name if entry else None

    return pick


def register(app: App, services: Services) -> None:
    listeners = LiaisonListeners(services)
    services.liaison.set_group_reader(slack_calls.group_members(services.client))
    services.liaison.set_conversation_opener(slack_calls.ConversationOpener(services.client))
    services.liaison.set_term_picker(_term_picker(services))
    services.liaison.liaison_group.check = slack_calls.group_problem(services.client)
    listeners.commands.register(app)
    app.action("liaison_accept")(listeners.on_accept)
    app.action("liaison_decline")(listeners.on_decline)
    app.action("liaison_note")(listeners.on_note_button)
    app.action("liaison_intro_met")(listeners.on_intro_answer)
    app.action("liaison_intro_not_yet")(listeners.on_intro_answer)
    app.action(AWAY_ACTION)(listeners.on_home_away)
    app.action(BACK_ACTION)(listeners.on_home_back)
    LEAVE_POOL.register(app, listeners.leave)
    app.view(AWAY_FORM)(listeners.on_home_away_submit)
    app.view("liaison_setup")(listeners.on_setup)
    app.view("liaison_note")(listeners.on_note)

"""/jargon: parse what Slack sends, call the glossary service, answer.

The Block Kit lives in handlers.jargon_messages, the term modal in handlers.jargon_forms.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.glossary import (
    MAX_QUERY,
    SIDES,
    TermEntry,
)
from bot.outcomes import DraftRejected, NoChannelConfigured, NotAllowed
from bot.services import Services
from handlers import answers, jargon_watch, menus, objects
from handlers import blocks as bk
from handlers.commands import CommandTable, Invocation, Subcommand
from handlers.jargon_forms import draft_from_state, form_errors, saved_modal, term_modal
from handlers.jargon_messages import (
    DELETE_TERM,
    ROUTE_LABELS,
    JargonMessages,
    delete_step,
    entry_answer,
    entry_message,
    history_message,
    list_message,
    miss_message,
    search_message,
    shared_message,
    stats_message,
)
from handlers.prompt_ack import ack_encoded

__all__ = ["JargonListeners", "JargonMessages", "register"]


log = logging.getLogger(__name__)

COMMAND = "/jargon"
PAGE_SIZE = 12
RECENT_DEFAULT, RECENT_MAX = 10, 25
INTRO = "📚 *The shared glossary of marketing and IT*: one word, every meaning, in plain language."


# --- listeners -----------------------------------------------------------------------------------------------


class JargonListeners:
    def __init__(self, services: Services) -> None:
        self.glossary = services.glossary
        self.watch = jargon_watch.WatchListeners(services.jargon_watch, services.client)
        self.commands = self._commands()

    def _commands(self) -> CommandTable:
        def existing(invocation: Invocation) -> None:
            self._on_existing(
                invocation.word,
                invocation.rest,
                invocation.ack,
                invocation.client,
                invocation.respond,
                invocation.command,
            )

        rows = [
            Subcommand(
                "search <words>",
                "find entries whose definitions mention these words",
                lambda run: run.answer(search_message(run.rest, self.glossary.search(run.rest))),
                needs_text=True,
            ),
            Subcommand(
                "define <term>",
                "look a term up even when it is named like one of these commands (`define help`)",
                lambda run: self._look_up(run.rest, run.user_id, run.ack),
                needs_text=True,
            ),
            Subcommand("recent [N]", "the terms added or changed last (10, or up to 25)", self._recent),
            Subcommand("list [marketing|it]", "browse the glossary, page by page", self._list),
            Subcommand(
                "random", "learn a term at random", lambda run: self._answer_random(run.ack), takes_nothing=True
            ),
            Subcommand(
                "stats",
                "most looked-up terms, open requests and misses",
                lambda run: run.answer(stats_message(self.glossary.stats())),
                takes_nothing=True,
            ),
            Subcommand("add [term]", "add a term (opens a form)", self._add),
            Subcommand(
                "edit <term>",
                "improve an entry (opens a form); every change is kept in its history",
                existing,
                needs_text=True,
            ),
            Subcommand(
                "history <term>", "who changed an entry, when, and what it said before", existing, needs_text=True
            ),
            Subcommand("delete <term>", "remove an entry (bot admins only)", existing, needs_text=True),
            Subcommand(
                "watch on|off",
                "explain jargon in this channel's threads when it is used (any member of the channel may)",
                self.watch.on_command,
            ),
            Subcommand("help", "this message", lambda run: run.answer(self.commands.help_message())),
        ]
        return CommandTable(
            COMMAND,
            INTRO,
            rows,
            fallback=lambda run: self._look_up(run.text, run.user_id, run.ack),
            menu=menus.jargon,
            examples=[("SQL", "look a term up: every meaning, side by side (only you see the answer)")],
            max_text=MAX_QUERY,
            too_long=lambda length: bk.answer(
                f"That's longer than any term ({length} characters). Try a shorter phrase."
            ),
        )

    def _recent(self, run: Invocation) -> None:
        count = bk.row_id(run.rest) if run.rest else RECENT_DEFAULT
        if not 1 <= count <= RECENT_MAX:
            run.answer(bk.answer(f"`/jargon recent` takes a number from 1 to {RECENT_MAX}."))
            return
        entries = self.glossary.recent(count)
        if not entries:
            run.answer(bk.answer("The glossary is empty. Add a term: `/jargon add`"))
            return
        lines = [
            f"• *{bk.escape(entry.name)}* — {bk.slack_date(entry.updated_at)}, by {bk.user(entry.updated_by)}"
            for entry in entries
        ]
        chunks = [bk.section("\n".join(lines[start : start + 10])) for start in range(0, len(lines), 10)]
        heading = bk.section(f"🕒 The last {len(entries)} terms added or changed:")
        run.answer(bk.message([heading, *chunks], "Recently changed terms"))

    def _list(self, run: Invocation) -> None:
        if run.rest and run.rest.lower() not in SIDES:
            sub = self.commands.find("list")
            assert sub is not None
            self.commands.needs_more(run, sub)
            return
        side = run.rest.lower() or None
        run.answer(list_message(self.glossary.listing(side, 1, PAGE_SIZE), side))

    def _add(self, run: Invocation) -> None:
        run.ack()
        bk.open_modal(run.client, run.respond, run.trigger_id, term_modal(name=run.rest, channel_id=run.channel_id))

    def _look_up(self, text: str, user_id: str, ack: Ack) -> None:
        found = self.glossary.lookup(text)
        also = self.commands.also_meant(text)  # `/jargon lsit`: the lookup, and `list`
        if isinstance(found, TermEntry) and not also:
            ack_encoded(ack, entry_answer(found))
        else:
            answer = entry_message(found) if isinstance(found, TermEntry) else miss_message(found)
            ack(**({**answer, "blocks": [*answer["blocks"], *also][: bk.MESSAGE_BLOCK_LIMIT]} if also else answer))
        self.glossary.record_lookup(text, found.id if isinstance(found, TermEntry) else None, user_id)

    def _answer_random(self, ack: Ack) -> None:
        entry = self.glossary.random_entry()
        ack(**(entry_message(entry) if entry else bk.answer("The glossary is empty. Add a term: `/jargon add`")))

    def _on_existing(
        self, sub: str, name: str, ack: Ack, client: WebClient, respond: Respond, command: dict[str, Any]
    ) -> None:
        found = self.glossary.lookup(name)
        if not isinstance(found, TermEntry):
            suggestion = f" Did you mean *{bk.escape(found.suggestions[0].name)}*?" if found.suggestions else ""
            ack(**bk.answer(f"There's no *{bk.escape(name)}* in the glossary.{suggestion}"))
            return
        if sub == "history":
            ack(**history_message(found, self.glossary.history(found.id)))
        elif sub == "delete":
            ack(**self._delete_prompt(found, command["user_id"]))
        else:
            ack()
            bk.open_modal(client, respond, command["trigger_id"], term_modal(found, channel_id=command["channel_id"]))

    def _delete_prompt(self, entry: TermEntry, user_id: str) -> dict[str, Any]:
        if user_id not in self.glossary.admins:
            return bk.answer(
                "Only bot admins can delete entries, sorry. You can improve it with "
                f"`/jargon edit {bk.escape(entry.name)}`, or ask an admin."
            )
        return delete_step(entry)

    # --- buttons ---

    def on_show(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        entry = self.glossary.entry(bk.row_id(action.get("value")))
        if entry is None:
            respond(**bk.answer("That entry is gone: it was deleted."), replace_original=True)
            return
        respond(**entry_message(entry), replace_original=True)
        self.glossary.record_lookup(entry.name, entry.id, body["user"]["id"])

    def on_share(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        entry = self.glossary.entry(bk.row_id(action.get("value")))
        if entry is None:
            bk.tell(respond, "That entry was deleted, so there's nothing to share.")
            return
        respond(**shared_message(entry, body["user"]["id"]), replace_original=False)

    def on_edit(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        entry = self.glossary.entry(bk.row_id(action.get("value")))
        if entry is None:
            bk.tell(respond, "That entry was deleted.")
            return
        channel_id = (body.get("channel") or {}).get("id", "")
        bk.open_modal(client, respond, body["trigger_id"], term_modal(entry, channel_id=channel_id))

    def on_add_from_miss(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        channel_id = (body.get("channel") or {}).get("id", "")
        bk.open_modal(
            client, respond, body["trigger_id"], term_modal(name=action.get("value", ""), channel_id=channel_id)
        )

    def on_page(self, ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        side_text, _, page_text = action.get("value", "").partition("|")
        side = side_text if side_text in SIDES else None
        respond(
            **list_message(self.glossary.listing(side, bk.row_id(page_text) or 1, PAGE_SIZE), side),
            replace_original=True,
        )

    def on_request(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        term = bk.truncate(action.get("value", "").strip(), MAX_QUERY)
        if not term:
            respond(**bk.answer("I couldn't tell which term to ask about. Try `/jargon <term>` again."))
            return
        try:
            outcome = self.glossary.request_definition(term, by=body["user"]["id"])
        except NoChannelConfigured:
            respond(**bk.answer("⚠️ " + answers.no_joint_channel(self.glossary.admins)))
            return
        asked = bk.escape(term)
        where = bk.channel(outcome.request.channel_id)
        if outcome.already_following:
            text = f"You've already asked about *{asked}*; I'll DM you as soon as it's defined."
        elif outcome.created:
            team = ROUTE_LABELS[outcome.request.side]
            text = f"📨 Asked {team} in {where} what *{asked}* means. I'll DM you the answer."
        else:
            text = f"Someone already asked about *{asked}* in {where}; I've added you, and I'll DM you the answer."
        respond(**bk.answer(text), replace_original=True)

    def on_define(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        request = objects.named(ack, action, respond, self.glossary.get_request, answers.gone("request"))
        if request is None:
            return
        existing = self.glossary.lookup(request.term_text)
        if isinstance(existing, TermEntry):
            respond(
                **bk.answer(f"*{bk.escape(existing.name)}* is already defined. Improve it with `/jargon edit`."),
                replace_original=False,
            )
            return
        view = term_modal(name=request.term_text, request_id=request.id, channel_id=request.channel_id)
        bk.open_modal(client, respond, body["trigger_id"], view)

    def delete(self, term_id: int, user_id: str) -> dict[str, Any]:
        """*Yes, delete it*: the use case checks again that the clicker is a bot admin."""
        try:
            removed = self.glossary.delete(term_id, by=user_id)
        except NotAllowed:
            return bk.answer("Only bot admins can delete entries.")
        if removed is None:
            return bk.answer("Already gone: someone deleted it first.")
        return bk.answer(f"🗑️ Deleted *{bk.escape(removed.name)}*. Its history is kept; `/jargon add` brings it back.")

    # --- the form ---

    def on_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        try:
            metadata = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            metadata = {}
        draft, groups = draft_from_state(view.get("state", {}).get("values", {}))
        try:
            if metadata.get("term_id"):
                seen = metadata.get("version")
                outcome = self.glossary.update(int(metadata["term_id"]), draft, by=user_id, seen_version=seen)
            else:
                outcome = self.glossary.create(draft, by=user_id)
        except DraftRejected as rejected:
            ack(response_action="errors", errors=form_errors(rejected.errors, groups))
            return
        if outcome.unchanged:
            unchanged = f"Nothing changed: *{bk.escape(outcome.entry.name)}* already says exactly that."
            ack(response_action="update", view=bk.modal("jargon_saved", "Glossary", [bk.section(unchanged)]))
            return
        told = sum(len(request.followers) for request in outcome.fulfilled)
        ack(response_action="update", view=saved_modal(outcome.entry, told))


def register(app: App, services: Services) -> None:
    listeners = JargonListeners(services)
    listeners.commands.register(app)
    app.action(re.compile(r"^jargon_show:\d+$"))(listeners.on_show)
    app.action("jargon_share")(listeners.on_share)
    app.action("jargon_edit")(listeners.on_edit)
    app.action("jargon_add_from_miss")(listeners.on_add_from_miss)
    app.action(re.compile(r"^jargon_page_(prev|next)$"))(listeners.on_page)
    app.action("jargon_request")(listeners.on_request)
    app.action("jargon_define")(listeners.on_define)
    DELETE_TERM.register(app, listeners.delete)
    jargon_watch.register(app, listeners.watch)
    app.view("jargon_term")(listeners.on_submit)

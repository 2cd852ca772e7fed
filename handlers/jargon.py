"""/jargon: parse what Slack sends, call the glossary service, render Block Kit."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.glossary import (
    MAX_DEFINITION,
    MAX_EXAMPLE,
    MAX_NAME,
    MAX_QUERY,
    MAX_SENSES,
    MAX_WHY,
    SIDE_LABELS,
    SIDES,
    Miss,
    SenseData,
    TermDraft,
    TermEntry,
    split_list,
)
from bot.glossary_service import GlossaryStats
from bot.glossary_views import RequestView, RevisionView
from bot.outcomes import DraftRejected, NoChannelConfigured, NotAllowed
from bot.services import Services
from handlers import answers
from handlers import blocks as bk
from handlers.commands import CommandTable, Invocation, Subcommand

log = logging.getLogger(__name__)

COMMAND = "/jargon"
PAGE_SIZE = 12
SIDE_ICONS = {"marketing": "📣", "it": "🛠️", "both": "🤝"}
OTHER_SIDE = {"marketing": "IT", "it": "marketing", "both": "both sides"}
ROUTE_LABELS = {"it": "IT", "marketing": "marketing", "joint": "both teams"}
INTRO = "📚 *The shared glossary of marketing and IT*: one word, every meaning, in plain language."


# --- rendering -----------------------------------------------------------------------------------------------


def sense_text(sense: SenseData, *, with_side: bool = True) -> str:
    lines = [f"{SIDE_ICONS[sense.side]} *{SIDE_LABELS[sense.side]}*" if with_side else "", bk.escape(sense.definition)]
    if sense.example:
        lines.append(f"_Example:_ “{bk.escape(sense.example)}”")
    if sense.why_it_matters:
        lines.append(f"_Why {OTHER_SIDE[sense.side]} should care:_ {bk.escape(sense.why_it_matters)}")
    return "\n".join(line for line in lines if line)


def entry_blocks(entry: TermEntry) -> list[bk.Block]:
    blocks: list[bk.Block] = [bk.header(entry.name)]
    alternates = [*entry.acronyms, *entry.aliases]
    if alternates:
        blocks.append(bk.context("Also: " + ", ".join(bk.escape(a) for a in alternates)))
    if entry.is_ambiguous:
        blocks.append(bk.section(f"⚠️ *{bk.escape(entry.name)}* means different things to each side:"))
    if entry.is_ambiguous and len(entry.senses) == 2:
        blocks.append(bk.fields_section([sense_text(sense) for sense in entry.senses]))
    else:
        blocks += [bk.section(sense_text(sense)) for sense in entry.senses]
    blocks.append(bk.context(authorship(entry)))
    return blocks


def authorship(entry: TermEntry) -> str:
    text = f"Added by {bk.user(entry.created_by)} on {bk.slack_date(entry.created_at)}"
    if entry.updated_at and entry.created_at and entry.updated_at > entry.created_at:
        text += f" · last edited by {bk.user(entry.updated_by)} on {bk.slack_date(entry.updated_at)}"
    return text


def entry_message(entry: TermEntry) -> dict[str, Any]:
    buttons = bk.actions(
        [
            bk.button("Share in channel", "jargon_share", str(entry.id), style="primary"),
            bk.button("Edit", "jargon_edit", str(entry.id)),
        ]
    )
    return bk.message([*entry_blocks(entry), buttons], f"{entry.name}: {entry.senses[0].definition}")


def shared_message(entry: TermEntry, shared_by: str) -> dict[str, Any]:
    blocks = [*entry_blocks(entry), bk.context(f"Shared from the glossary by {bk.user(shared_by)} · try `/jargon`")]
    return {**bk.message(blocks, f"{entry.name}: {entry.senses[0].definition}"), "response_type": "in_channel"}


def short_line(entry: TermEntry) -> str:
    icons = "".join(SIDE_ICONS[s] for s in sorted(entry.sides))
    return f"{icons} *{bk.escape(entry.name)}* — {bk.escape(bk.truncate(entry.senses[0].definition, 150))}"


def show_buttons(entries: list[TermEntry], label: str = "") -> list[bk.Block]:
    if not entries:
        return []
    return [bk.actions(bk.button(f"{label}{e.name}", f"jargon_show:{e.id}", str(e.id)) for e in entries[:5])]


def miss_message(miss: Miss) -> dict[str, Any]:
    asked = bk.escape(bk.truncate(miss.query, 100))
    blocks: list[bk.Block] = [bk.section(f"🤔 *{asked}* isn't in the glossary yet.")]
    if miss.suggestions:
        blocks.append(bk.section("*Did you mean…*"))
        blocks += show_buttons(list(miss.suggestions))
    if miss.related:
        blocks.append(bk.section("*Entries that mention it:*\n" + "\n".join(short_line(e) for e in miss.related)))
    blocks.append(
        bk.actions(
            [
                bk.button("Request a definition", "jargon_request", miss.query[:MAX_QUERY], style="primary"),
                bk.button("I'll define it", "jargon_add_from_miss", miss.query[:MAX_NAME]),
            ]
        )
    )
    blocks.append(bk.context("A request goes to the team most likely to know; I'll DM you the answer."))
    return bk.message(blocks, f"{miss.query} isn't in the glossary yet")


def search_message(words: str, found: list[TermEntry]) -> dict[str, Any]:
    asked = bk.escape(bk.truncate(words, 100))
    if not found:
        return bk.message(
            [bk.section(f"No entry mentions *{asked}*. Try fewer or other words, or `/jargon list`.")],
            "No matches",
        )
    lines = "\n".join(short_line(e) for e in found)
    blocks = [bk.section(f"*Entries mentioning {asked}:*\n{lines}"), *show_buttons(found, "Show ")]
    return bk.message(blocks, f"{len(found)} entries mention {words}")


def list_message(service_page: Any, side: str | None) -> dict[str, Any]:
    title = f"{SIDE_LABELS[side]} terms" if side else "All terms"
    page = service_page
    if not page.items:
        return bk.message([bk.section(f"*Glossary — {title}*\nNothing here yet. Add one with `/jargon add`.")], title)
    lines = "\n".join(short_line(e) for e in page.items)
    blocks = [
        bk.section(f"*Glossary — {title}* · page {page.number} of {page.count} · {page.total} terms\n\n{lines}"),
    ]
    nav = []
    if page.number > 1:
        nav.append(bk.button("◀ Previous", "jargon_page_prev", f"{side or 'all'}|{page.number - 1}"))
    if page.number < page.count:
        nav.append(bk.button("Next ▶", "jargon_page_next", f"{side or 'all'}|{page.number + 1}"))
    if nav:
        blocks.append(bk.actions(nav))
    blocks.append(bk.context("Look one up with `/jargon <term>`."))
    return bk.message(blocks, f"Glossary: {title}, page {page.number}")


def stats_message(stats: GlossaryStats) -> dict[str, Any]:
    top = "\n".join(f"{n}× *{bk.escape(name)}*" for name, n in stats.most_looked_up) or "_No lookups yet._"
    misses = "\n".join(f"{n}× “{bk.escape(text)}”" for text, n in stats.top_misses) or "_None — nice._"
    requests = (
        "\n".join(
            f"*{bk.escape(r.term_text)}* — asked by {bk.user(r.requested_by)}"
            f"{f' (+{len(r.followers) - 1})' if len(r.followers) > 1 else ''} in {bk.channel(r.channel_id)}"
            for r in stats.open_requests
        )
        or "_No open requests._"
    )
    blocks = [
        bk.header("Glossary stats"),
        bk.context(f"{stats.terms} terms · {stats.hits} lookups found · {stats.misses} missed"),
        bk.fields_section([f"*Most looked up*\n{top}", f"*Most missed*\n{misses}"]),
        bk.section(f"*Open requests ({stats.open_request_count})*\n{requests}"),
    ]
    return bk.message(blocks, "Glossary stats")


def history_message(entry: TermEntry, revisions: list[RevisionView]) -> dict[str, Any]:
    lines = []
    for revision in revisions:
        when = bk.slack_date(revision.changed_at)
        line = f"• {revision.action.capitalize()} by {bk.user(revision.changed_by)} on {when}"
        if revision.previous and revision.previous.get("senses"):
            before = revision.previous["senses"][0]["definition"]
            line += f"\n    _before:_ {bk.escape(bk.truncate(before, 200))}"
        lines.append(line)
    text = "\n".join(lines) or "_No changes recorded._"
    return bk.message([bk.section(f"*History of {bk.escape(entry.name)}*\n{text}")], f"History of {entry.name}")


def term_modal(
    entry: TermEntry | None = None, *, name: str = "", request_id: int | None = None, channel_id: str = ""
) -> dict[str, Any]:
    draft_senses = list(entry.senses) if entry else []
    metadata = {"term_id": entry.id if entry else None, "request_id": request_id, "channel_id": channel_id}
    if entry:
        metadata["version"] = entry.version
    blocks: list[bk.Block] = [
        bk.text_input("name", "Term", initial=entry.name if entry else name, max_length=MAX_NAME),
        bk.text_input(
            "acronyms",
            "Acronyms",
            initial=", ".join(entry.acronyms) if entry else "",
            optional=True,
            placeholder="CRM, SQL…",
            max_length=500,
        ),
        bk.text_input(
            "aliases",
            "Other names and spellings",
            initial=", ".join(entry.aliases) if entry else "",
            optional=True,
            placeholder="split test, A/B test…",
            hint="Separate with commas. Case, spaces and punctuation don't matter when people look terms up.",
            max_length=1000,
        ),
    ]
    for number in range(1, MAX_SENSES + 1):
        sense = draft_senses[number - 1] if number <= len(draft_senses) else None
        optional = number > 1
        title = "Meaning" if number == 1 else f"Meaning {number} (optional: when the other side uses it differently)"
        blocks += [
            bk.divider(),
            bk.section(f"*{title}*"),
            bk.select_input(
                f"side_{number}",
                "Who uses this meaning?",
                [(side, SIDE_LABELS[side]) for side in SIDES],
                initial=sense.side if sense else None,
                optional=optional,
            ),
            bk.text_input(
                f"definition_{number}",
                "Plain-language definition",
                initial=sense.definition if sense else "",
                multiline=True,
                optional=optional,
                max_length=MAX_DEFINITION,
            ),
            bk.text_input(
                f"example_{number}",
                "Example sentence",
                initial=sense.example if sense else "",
                optional=True,
                max_length=MAX_EXAMPLE,
            ),
            bk.text_input(
                f"why_{number}",
                "Why the other side should care",
                initial=sense.why_it_matters if sense else "",
                multiline=True,
                optional=True,
                max_length=MAX_WHY,
            ),
        ]
    title = "Edit term" if entry else "Add a term"
    return bk.modal("jargon_term", title, blocks, submit="Save", metadata=json.dumps(metadata))


def saved_modal(entry: TermEntry, told: int) -> dict[str, Any]:
    blocks = [bk.section(f"✅ Saved *{bk.escape(entry.name)}*. This is how people will see it:"), *entry_blocks(entry)]
    if told:
        blocks.append(bk.context(f"I'm letting the {told} person(s) who asked for it know by DM."))
    return bk.modal("jargon_saved", "Glossary", blocks)


class JargonMessages:
    """What the bot says on its own about the glossary (see bot.glossary_service.JargonMessages)."""

    def request_post(self, request: RequestView) -> dict[str, Any]:
        term = bk.escape(request.term_text)
        blocks = [
            bk.section(f"📖 {bk.user(request.requested_by)} would like to know what *{term}* means."),
            bk.context(f"Sent to {ROUTE_LABELS[request.side]}: the closest glossary entries are theirs."),
            bk.actions([bk.button("Define it", "jargon_define", str(request.id), style="primary")]),
        ]
        return {"channel": request.channel_id, **bk.message(blocks, f"What does {request.term_text} mean?")}

    def request_closed(self, request: RequestView, entry: TermEntry, by: str, channel: str, ts: str) -> dict[str, Any]:
        blocks = [
            bk.section(
                f"📖 {bk.user(request.requested_by)} asked what *{bk.escape(request.term_text)}* means. "
                f"✅ Defined by {bk.user(by)} — thank you!"
            ),
            bk.context(f"Look it up with `/jargon {bk.escape(entry.name)}`"),
        ]
        return {"channel": channel, "ts": ts, **bk.message(blocks, f"{request.term_text} is now defined")}

    def definition_ready(self, user_id: str, request: RequestView, entry: TermEntry, by: str) -> dict[str, Any]:
        intro = bk.section(f"🎉 You asked what *{bk.escape(request.term_text)}* means: {bk.user(by)} defined it.")
        return {"channel": user_id, **bk.message([intro, *entry_blocks(entry)], f"{entry.name} is now defined")}


# --- listeners -----------------------------------------------------------------------------------------------


def _draft_from(values: dict[str, Any]) -> tuple[TermDraft, list[int]]:
    """The submitted form as a draft, plus which form group each kept sense came from."""
    senses, groups = [], []
    for number in range(1, MAX_SENSES + 1):
        definition = bk.input_value(values, f"definition_{number}")
        if not definition and number > 1:
            continue
        senses.append(
            SenseData(
                side=bk.input_value(values, f"side_{number}"),
                definition=definition,
                example=bk.input_value(values, f"example_{number}"),
                why_it_matters=bk.input_value(values, f"why_{number}"),
            )
        )
        groups.append(number)
    draft = TermDraft(
        name=bk.input_value(values, "name"),
        senses=tuple(senses),
        aliases=tuple(split_list(bk.input_value(values, "aliases"))),
        acronyms=tuple(split_list(bk.input_value(values, "acronyms"))),
    )
    return draft, groups


def _form_errors(errors: dict[str, str], groups: list[int]) -> dict[str, str]:
    """Map the service's field names (sense numbers) onto the form's block IDs (group numbers)."""
    mapped = {}
    for field_name, message in errors.items():
        match = re.fullmatch(r"(\w+?)_(\d+)", field_name)
        if match:
            position = int(match.group(2))
            group = groups[position - 1] if position <= len(groups) else position
            field_name = f"{match.group(1)}_{group}"
        mapped[field_name] = message
    return mapped


class JargonListeners:
    def __init__(self, services: Services) -> None:
        self.glossary = services.glossary
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
            Subcommand("help", "this message", lambda run: run.answer(self.commands.help_message())),
        ]
        return CommandTable(
            COMMAND,
            INTRO,
            rows,
            fallback=lambda run: self._look_up(run.text, run.user_id, run.ack),
            examples=[("SQL", "look a term up: every meaning, side by side (only you see the answer)")],
            max_text=MAX_QUERY,
            too_long=lambda length: bk.answer(
                f"That's longer than any term ({length} characters). Try a shorter phrase."
            ),
        )

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
        if isinstance(found, TermEntry):
            ack(**entry_message(found))
            self.glossary.record_lookup(text, found.id, user_id)
        else:
            ack(**miss_message(found))
            self.glossary.record_lookup(text, None, user_id)

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
        dialog = bk.confirm_dialog("Delete this entry?", f"*{bk.escape(entry.name)}* will be removed.", "Delete")
        blocks = [
            bk.section(
                f"Delete *{bk.escape(entry.name)}* and its {len(entry.senses)} meaning(s)? Its history is kept."
            ),
            bk.actions([bk.button("Delete", "jargon_delete", str(entry.id), style="danger", confirm=dialog)]),
        ]
        return bk.message(blocks, f"Delete {entry.name}?")

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
            respond(**bk.answer("That entry was deleted, so there's nothing to share."), replace_original=False)
            return
        respond(**shared_message(entry, body["user"]["id"]), replace_original=False)

    def on_edit(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        entry = self.glossary.entry(bk.row_id(action.get("value")))
        if entry is None:
            respond(**bk.answer("That entry was deleted."), replace_original=False)
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
            respond(**bk.answer("⚠️ No channel is set up for requests yet: ask an admin to set JOINT_CHANNEL."))
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
        ack()
        request = self.glossary.get_request(bk.row_id(action.get("value")))
        if request is None:
            respond(**bk.answer(answers.gone("request")), replace_original=False)
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

    def on_delete(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            removed = self.glossary.delete(bk.row_id(action.get("value")), by=body["user"]["id"])
        except NotAllowed:
            respond(**bk.answer("Only bot admins can delete entries."), replace_original=False)
            return
        if removed is None:
            respond(**bk.answer("Already gone: someone deleted it first."), replace_original=True)
        else:
            text = f"🗑️ Deleted *{bk.escape(removed.name)}*. Its history is kept; `/jargon add` brings it back."
            respond(**bk.answer(text), replace_original=True)

    # --- the form ---

    def on_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        try:
            metadata = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            metadata = {}
        draft, groups = _draft_from(view.get("state", {}).get("values", {}))
        try:
            if metadata.get("term_id"):
                seen = metadata.get("version")
                outcome = self.glossary.update(int(metadata["term_id"]), draft, by=user_id, seen_version=seen)
            else:
                outcome = self.glossary.create(draft, by=user_id)
        except DraftRejected as rejected:
            ack(response_action="errors", errors=_form_errors(rejected.errors, groups))
            return
        told = sum(len(request.followers) for request in outcome.fulfilled)
        ack(response_action="update", view=saved_modal(outcome.entry, told))


def register(app: App, services: Services) -> None:
    listeners = JargonListeners(services)
    app.command(COMMAND)(listeners.commands.handle)
    app.action(re.compile(r"^jargon_show:\d+$"))(listeners.on_show)
    app.action("jargon_share")(listeners.on_share)
    app.action("jargon_edit")(listeners.on_edit)
    app.action("jargon_add_from_miss")(listeners.on_add_from_miss)
    app.action(re.compile(r"^jargon_page_(prev|next)$"))(listeners.on_page)
    app.action("jargon_request")(listeners.on_request)
    app.action("jargon_define")(listeners.on_define)
    app.action("jargon_delete")(listeners.on_delete)
    app.view("jargon_term")(listeners.on_submit)

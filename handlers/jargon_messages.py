"""/jargon's Block Kit: the answers the listeners give and what the bot says on its own (JargonMessages)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from bot.glossary import (
    MAX_NAME,
    MAX_QUERY,
    SIDE_LABELS,
    Miss,
    SenseData,
    TermEntry,
)
from bot.glossary_service import STARTER_AUTHOR, GlossaryStats
from bot.glossary_views import RequestView, RevisionView
from handlers import blocks as bk
from handlers.confirm import Ask
from handlers.prompt_ack import encoded_answer

SIDE_ICONS = {"marketing": "📣", "it": "🛠️", "both": "🤝"}
OTHER_SIDE = {"marketing": "IT", "it": "marketing", "both": "both sides"}
ROUTE_LABELS = {"it": "IT", "marketing": "marketing", "joint": "both teams"}
ROUTE_REASONS = {  # why the request came to this channel, in words that make sense to the people who read it
    "it": "Asked here, in IT's channel: the closest glossary entries are IT's words.",
    "marketing": "Asked here, in marketing's channel: the closest glossary entries are marketing's words.",
    "joint": "Asked here, where both teams are: nothing in the glossary comes close, so either side may know it.",
}
DELETE_TERM = Ask("jargon_delete", "Yes, delete it", "Delete this entry?")


# --- rendering -----------------------------------------------------------------------------------------------


def sense_lines(sense: SenseData, *, with_side: bool = True) -> list[str]:
    lines = [f"{SIDE_ICONS[sense.side]} *{SIDE_LABELS[sense.side]}*" if with_side else "", bk.escape(sense.definition)]
    if sense.example:
        lines.append(f"_Example:_ “{bk.escape(sense.example)}”")
    if sense.why_it_matters:
        lines.append(f"_Why {OTHER_SIDE[sense.side]} should care:_ {bk.escape(sense.why_it_matters)}")
    return [line for line in lines if line]


def sense_text(sense: SenseData, *, with_side: bool = True) -> str:
    return "\n".join(sense_lines(sense, with_side=with_side))


RENDERED_ENTRIES = 1024  # entries kept rendered: lookups repeat the same terms; the starter glossary alone has 400


def entry_blocks(entry: TermEntry) -> list[bk.Block]:
    """The entry whole: a definition, example or list of names too long for one block goes on in the next.
    Rendered once per version of the entry (a TermEntry is frozen: an edit makes a new one); the blocks are
    shared between answers, so they are not to be changed, only put in a message."""
    return list(_entry_blocks(entry))


@lru_cache(maxsize=RENDERED_ENTRIES)
def _entry_blocks(entry: TermEntry) -> tuple[bk.Block, ...]:
    blocks = [bk.header(entry.name)] if bk.fits(entry.name, bk.HEADER_LIMIT) else bk.titled("Glossary", entry.name)
    rest = f"…the rest doesn't fit here: `/jargon {bk.escape(entry.name)}` shows it whole."
    alternates = [*entry.acronyms, *entry.aliases]
    if alternates:
        also = "Also: " + ", ".join(bk.escape(a) for a in alternates)
        blocks += [bk.context(also)] if bk.fits(also, bk.FIELD_LIMIT) else bk.long_text(also, room=5, rest=rest)
    if entry.is_ambiguous:
        blocks.append(bk.section(f"⚠️ *{bk.escape(entry.name)}* means different things to each side:"))
    if entry.is_ambiguous and len(entry.senses) == 2:
        blocks += bk.fields_or_sections([sense_text(s) for s in entry.senses], room=10, left_out=lambda _n: rest)
    else:
        for sense in entry.senses:
            blocks += bk.long_sections(sense_lines(sense), room=5, left_out=lambda _n: rest)
    blocks.append(bk.context(authorship(entry)))
    return tuple(blocks)


def authorship(entry: TermEntry) -> str:
    if entry.created_by == STARTER_AUTHOR:
        text = "From the starter glossary"
    else:
        text = f"Added by {bk.user(entry.created_by)} on {bk.slack_date(entry.created_at)}"
    if entry.updated_at and entry.created_at and entry.updated_at > entry.created_at:
        text += f" · last edited by {bk.user(entry.updated_by)} on {bk.slack_date(entry.updated_at)}"
    return text


def entry_message(entry: TermEntry) -> dict[str, Any]:
    """A lookup's answer: rendered once per version of the entry, as its blocks are (entry_blocks)."""
    rendered = _entry_message(entry)
    return {**rendered, "blocks": list(rendered["blocks"])}


@lru_cache(maxsize=RENDERED_ENTRIES)
def _entry_message(entry: TermEntry) -> dict[str, Any]:
    shared = bk.confirm_dialog(
        "Share in this channel?", "Everyone in this channel sees the entry, and that you shared it.", "Share it"
    )
    buttons = bk.actions(
        [
            bk.button("Share in channel", "jargon_share", str(entry.id), style="primary", confirm=shared),
            bk.button("Edit", "jargon_edit", str(entry.id)),
        ]
    )
    return bk.message([*entry_blocks(entry), buttons], f"{entry.name}: {entry.senses[0].definition}")


@lru_cache(maxsize=RENDERED_ENTRIES)
def entry_answer(entry: TermEntry) -> str:
    """`entry_message` as Slack receives it, encoded once per version of the entry too: the lookup's hot path."""
    return encoded_answer(entry_message(entry))


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
    if miss.misspelt:  # a typo of a term that exists: that term first, and no request for the typo
        meant = miss.suggestions[0]
        blocks: list[bk.Block] = [
            bk.section(f"🤔 *{asked}* isn't in the glossary. Did you mean *{bk.escape(meant.name)}*?"),
            *show_buttons(list(miss.suggestions)),
            bk.context(f"Something else? `/jargon add {asked}` adds it, or `/jargon search {asked}`."),
        ]
        return bk.message(blocks, f"Did you mean {meant.name}?")
    blocks = [bk.section(f"🤔 *{asked}* isn't in the glossary yet.")]
    if miss.suggestions:
        blocks.append(bk.section("*Did you mean…*"))
        blocks += show_buttons(list(miss.suggestions))
    if miss.related:
        lines = ["*Entries that mention it:*", *(short_line(e) for e in miss.related)]
        blocks += bk.long_sections(lines, room=10, left_out=lambda count: f"…and {count} more: try `/jargon search`.")
    ask_first = bk.confirm_dialog(
        "Ask for a definition?",
        "I post your question, with your name, in the channel of the team most likely to know it.",
        "Ask them",
    )
    blocks.append(
        bk.actions(
            [
                bk.button(
                    "Request a definition", "jargon_request", miss.query[:MAX_QUERY], style="primary", confirm=ask_first
                ),
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
    lines = [f"*Entries mentioning {asked}:*", *(short_line(e) for e in found)]
    more = bk.long_sections(lines, room=40, left_out=lambda count: f"…and {count} more: try more or other words.")
    blocks = [*more, *show_buttons(found, "Show ")]
    return bk.message(blocks, f"{len(found)} entries mention {words}")


def list_message(service_page: Any, side: str | None) -> dict[str, Any]:
    title = f"{SIDE_LABELS[side]} terms" if side else "All terms"
    page = service_page
    if not page.items:
        return bk.message([bk.section(f"*Glossary — {title}*\nNothing here yet. Add one with `/jargon add`.")], title)
    heading = f"*Glossary — {title}* · page {page.number} of {page.count} · {page.total} terms\n"
    lines = [heading, *(short_line(e) for e in page.items)]
    blocks = bk.long_sections(
        lines, room=40, left_out=lambda count: f"…and {count} more on this page: `/jargon search` finds them."
    )
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
        *bk.fields_or_sections(
            [f"*Most looked up*\n{top}", f"*Most missed*\n{misses}"], room=10, left_out=lambda _count: "…"
        ),
        *bk.long_sections(
            [f"*Open requests ({stats.open_request_count})*", *requests.splitlines()],
            room=20,
            left_out=lambda count: f"…and {count} more open requests.",
        ),
    ]
    return bk.message(blocks, "Glossary stats")


def delete_step(entry: TermEntry) -> dict[str, Any]:
    """`/jargon delete <term>` asks first (bot admins): the entry is deleted when its "Yes" is clicked."""
    question = f"Delete *{bk.escape(entry.name)}* and its {bk.plural(len(entry.senses), 'meaning')}?"
    warning = "It's gone from the glossary for everyone. Its history is kept, and `/jargon add` brings it back."
    return DELETE_TERM.step(question, warning, str(entry.id))


def history_message(entry: TermEntry, revisions: list[RevisionView]) -> dict[str, Any]:
    lines = [f"*History of {bk.escape(entry.name)}*"]
    for revision in revisions:
        when = bk.slack_date(revision.changed_at)
        who = "the starter glossary" if revision.changed_by == STARTER_AUTHOR else bk.user(revision.changed_by)
        line = f"• {revision.action.capitalize()} by {who} on {when}"
        if revision.previous and revision.previous.get("senses"):
            before = revision.previous["senses"][0]["definition"]
            line += f"\n    _before:_ {bk.escape(before)}"
        lines.append(line)
    if not revisions:
        lines.append("_No changes recorded._")
    blocks = bk.long_sections(
        lines, room=bk.MESSAGE_BLOCK_LIMIT, left_out=lambda count: f"…and {count} older changes, not shown here."
    )
    return bk.message(blocks, f"History of {entry.name}")


class JargonMessages:
    """What the bot says on its own about the glossary (see bot.glossary_service.JargonMessages)."""

    def request_post(self, request: RequestView) -> dict[str, Any]:
        term = bk.escape(request.term_text)
        blocks = [
            bk.section(f"📖 {bk.user(request.requested_by)} would like to know what *{term}* means."),
            bk.context(ROUTE_REASONS[request.side]),
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

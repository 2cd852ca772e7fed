"""Home's glossary section: *Look up a term*, *Add a term*, and the open requests for a definition I could answer.

*Add a term* and *Define it* are the usual buttons (`jargon_add_from_miss`, which opens the add form with no
name, and `jargon_define` with the request's id). *Look up a term* is Home's own: a small modal with one text
field, answered by updating that modal with the entry (or what comes closest), and a field to look up another.
Its listeners are registered by `register_home`.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.glossary import MAX_QUERY, Miss, TermEntry
from bot.glossary_views import RequestView
from bot.services import Services
from handlers import blocks as bk
from handlers.jargon_messages import entry_blocks, short_line

__all__ = ["LOOKUP_ACTION", "LOOKUP_VIEW", "lookup_modal", "register_home", "section"]

LOOKUP_ACTION = "jargon_home_lookup"  # the Home button that opens the lookup modal
LOOKUP_VIEW = "jargon_lookup"  # the lookup modal's callback_id
REQUESTS_SHOWN = 5
LIMIT_NOTE = f"A term is at most {MAX_QUERY} characters."


def section(services: Services, user_id: str) -> list[bk.Block]:
    """The glossary's Home blocks: the two buttons, then the newest open requests `user_id` did not ask."""
    blocks: list[bk.Block] = [
        bk.header("📚 Glossary"),
        bk.section("One word, every meaning: look a term up, or add one your side uses."),
        bk.actions(
            [
                bk.button("Look up a term", LOOKUP_ACTION, "lookup", style="primary"),
                add_button(),
            ]
        ),
    ]
    open_requests = services.glossary.requests_to_answer(user_id, REQUESTS_SHOWN)
    if open_requests.requests:
        blocks.append(bk.section("*Open requests for a definition*: know one of these? Define it."))
        blocks += [request_block(request) for request in open_requests.requests]
    left_out = open_requests.count - len(open_requests.requests)
    if left_out > 0:
        blocks.append(bk.context(f"…and {left_out} older open requests: `/jargon stats` lists them."))
    return blocks


def add_button() -> bk.Block:
    """`jargon_add_from_miss` opens the add form named after its value: this one has none, so the form is blank
    (the value is left out rather than sent empty)."""
    button = bk.button("Add a term", "jargon_add_from_miss")
    button.pop("value", None)
    return button


def request_block(request: RequestView) -> bk.Block:
    others = len(request.followers) - 1
    asked = f"asked by {bk.user(request.requested_by)}" + (f" (+{others})" if others > 0 else "")
    text = f"📖 *{bk.escape(request.term_text)}* — {asked} on {bk.slack_date(request.requested_at)}"
    return bk.section(text, accessory=bk.button("Define it", "jargon_define", str(request.id)))


# --- the lookup modal ----------------------------------------------------------------------------------------


def lookup_input(label: str = "Term") -> bk.Block:
    return bk.text_input("term", label, max_length=MAX_QUERY, placeholder="SQL, churn, MQL…")


def lookup_modal() -> dict[str, Any]:
    return bk.modal(LOOKUP_VIEW, "Look up a term", [lookup_input()], submit="Look up")


def answer_modal(found: TermEntry | Miss) -> dict[str, Any]:
    """The answer, and a field to look up another term (submitting it looks that one up, here again)."""
    blocks = entry_blocks(found) if isinstance(found, TermEntry) else miss_blocks(found)
    tail = [bk.divider(), lookup_input("Look up another term")]
    room = bk.MODAL_BLOCK_LIMIT - len(tail)
    return bk.modal(LOOKUP_VIEW, "Glossary", [*blocks[:room], *tail], submit="Look up")


def miss_blocks(miss: Miss) -> list[bk.Block]:
    """What comes closest, as text: buttons in a modal have no message to answer in."""
    blocks = [bk.section(f"🤔 *{bk.escape(miss.query)}* isn't in the glossary yet.")]
    if miss.suggestions:
        names = ", ".join(f"*{bk.escape(entry.name)}*" for entry in miss.suggestions)
        blocks.append(bk.section(f"Did you mean {names}?"))
    if miss.related:
        lines = ["*Entries that mention it:*", *(short_line(entry) for entry in miss.related)]
        blocks += bk.long_sections(lines, room=10, left_out=lambda count: f"…and {count} more: try `/jargon search`.")
    blocks.append(
        bk.context(
            f"`/jargon {bk.escape(miss.query)}` offers to request a definition; *Add a term* in Home adds it yourself."
        )
    )
    return blocks


class JargonHomeListeners:
    def __init__(self, services: Services) -> None:
        self.glossary = services.glossary

    def on_lookup(self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        bk.open_modal(client, respond, body["trigger_id"], lookup_modal())

    def on_lookup_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        term = bk.input_value(view.get("state", {}).get("values", {}), "term")
        if not term:
            ack(response_action="errors", errors={"term": "Type a term to look up."})
            return
        if len(term) > MAX_QUERY:
            ack(response_action="errors", errors={"term": LIMIT_NOTE})
            return
        found = self.glossary.lookup(term)
        ack(response_action="update", view=answer_modal(found))
        self.glossary.record_lookup(term, found.id if isinstance(found, TermEntry) else None, body["user"]["id"])


def register_home(app: App, services: Services) -> None:
    """The listeners of Home's glossary section that no message has: the lookup button and its modal."""
    listeners = JargonHomeListeners(services)
    app.action(LOOKUP_ACTION)(listeners.on_lookup)
    app.view(LOOKUP_VIEW)(listeners.on_lookup_submit)

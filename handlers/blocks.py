"""Shared Block Kit helpers. Escaping of user text lives here, once: every handler renders through it."""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

# Re-exported: features measure and cut text through this module (handlers.cuts holds how).
from handlers.cuts import ELLIPSIS as ELLIPSIS
from handlers.cuts import SECTION_LIMIT as SECTION_LIMIT
from handlers.cuts import cut as cut
from handlers.cuts import fits as fits
from handlers.cuts import length as length
from handlers.cuts import pack
from handlers.cuts import sections_needed as sections_needed
from handlers.cuts import split_mrkdwn as split_mrkdwn

log = logging.getLogger(__name__)

Block = dict[str, Any]

FIELD_LIMIT = 2000  # a fields item, and a context element
HEADER_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
MESSAGE_BLOCK_LIMIT = 50
MODAL_BLOCK_LIMIT = 100
INPUT_LIMIT = 3000  # the largest max_length a plain_text_input may have

# Linear: no class may cross a `<`, so a match tried at each of 12,000 unclosed `<` stops at the next one
# (with `[^>]*`, each try ran to the end of the text: quadratic, seconds of CPU holding the GIL).
_ENCODED_MARKUP = re.compile(r"<([@#!])([^<>|]*)(?:\|([^<>]*))?>|<([^<>|]+)(?:\|([^<>]*))?>")
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
COMMAND_TEXT_CAP = 4000  # every feature's own limit is far lower: it still says "too long", on a cut text


def escape(text: str) -> str:
    """User text made inert for mrkdwn and message text: no pings, no hidden links, no channel links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def command_text(raw: str) -> str:
    """What the person typed, from slash-command text Slack may have encoded.

    Slack escapes &, < and > and may turn mentions into `<@U123|mia>`, `<#C1|general>`, `<!here>` or
    `<https://x|label>`; both the encoded and the plain forms come back as readable text.
    """

    def readable(match: re.Match[str]) -> str:
        sigil, ident, label, url, url_label = match.groups()
        if sigil == "@":
            return f"@{label or ident}"
        if sigil == "#":
            return f"#{label or ident}"
        if sigil == "!":
            return f"@{(label or ident).split('^')[0]}"
        return url_label or url

    return html.unescape(_ENCODED_MARKUP.sub(readable, (raw or "")[:COMMAND_TEXT_CAP])).strip()


def mentioned_users(raw: str) -> list[str]:
    """User IDs mentioned in slash-command text, in either `<@U123>` or `<@U123|name>` form."""
    return list(dict.fromkeys(_USER_MENTION.findall((raw or "")[:COMMAND_TEXT_CAP])))


truncate = cut


def plain(text: str, limit: int = BUTTON_TEXT_LIMIT) -> dict[str, Any]:
    """Plain text is never parsed for mentions or links, so it is shown as typed (truncated to fit)."""
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_LIMIT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def section_pages(
    parts: Sequence[str], rooms: Sequence[int], left_out: Callable[[int], str], *, limit: int = SECTION_LIMIT
) -> list[list[Block]]:
    """`parts` (mrkdwn, e.g. one line per item) over section blocks, up to `rooms[n]` blocks on page n (a
    message holds 50, a modal 100). Parts share a block while they fit; a part longer than a block is split
    at line breaks, then spaces. When even that is not enough, the last block is the plain line
    `left_out(count)`, `count` the parts not shown: it says what was left out and where to read it whole."""
    chunks = pack(parts, limit)
    capacity = sum(max(room, 0) for room in rooms)
    texts = [chunk.text for chunk in chunks]
    if len(chunks) > capacity:
        shown = chunks[: max(capacity - 1, 0)]
        texts = [chunk.text for chunk in shown]
        if shown and not shown[-1].whole:
            texts[-1] = cut(texts[-1] + ELLIPSIS, limit)
        texts.append(left_out(len(parts) - (shown[-1].done if shown else 0)))
    blocks = [section(text) for text in texts]
    pages, start = [], 0
    for room in rooms:
        pages.append(blocks[start : start + max(room, 0)])
        start += max(room, 0)
    return [page for page in pages if page] or [[]]


def long_sections(
    parts: Sequence[str], *, room: int, left_out: Callable[[int], str], limit: int = SECTION_LIMIT
) -> list[Block]:
    """section_pages on one page: at most `room` section blocks."""
    return section_pages(parts, [room], left_out, limit=limit)[0]


def long_text(text: str, *, room: int, rest: str) -> list[Block]:
    """Free text (notes, an abstract) over at most `room` section blocks; `rest` ends it when it needs more
    (what was left out, and where to read it whole)."""
    return long_sections([text], room=room, left_out=lambda _count: rest)


def titled(text: str, name: str, separator: str = ": ") -> list[Block]:
    """A header `text: name` when it fits a header, else a header `text` and the name (escaped) whole below
    it: a header is plain text, cut at 150."""
    full = f"{text}{separator}{name}"
    if fits(full, HEADER_LIMIT):
        return [header(full)]
    return [header(text), *long_text(f"*{escape(name)}*", room=3, rest=ELLIPSIS)]


def fields_or_sections(texts: Sequence[str], *, room: int, left_out: Callable[[int], str]) -> list[Block]:
    """Short mrkdwn texts side by side (fields sections, 10 at most each) when they fit a field (2,000); a
    longer one in section blocks of its own, whole, in its place: a field would cut it. At most `room`
    blocks; when they need more, the last is the plain line `left_out(count)`, `count` the texts not shown."""
    groups: list[tuple[list[Block], int]] = []  # blocks, and how many texts they show
    run: list[str] = []
    for text in [*texts, ""]:
        if text and fits(text, FIELD_LIMIT) and len(run) < 10:
            run.append(text)
            continue
        if run:
            groups.append(([fields_section(run)], len(run)))
            run = [text] if text and fits(text, FIELD_LIMIT) else []
        if text and not run:
            groups.append(([section(chunk.text) for chunk in pack([text], SECTION_LIMIT)], 1))
    if sum(len(blocks) for blocks, _count in groups) <= room:
        return [block for blocks, _count in groups for block in blocks]
    shown: list[Block] = []
    count = 0
    for blocks, texts_in in groups:
        if len(shown) + len(blocks) > room - 1:
            break
        shown += blocks
        count += texts_in
    return [*shown, section(left_out(len(texts) - count))]


def fields_section(texts: Sequence[str]) -> Block:
    return {"type": "section", "fields": [mrkdwn(t, FIELD_LIMIT) for t in texts[:10]]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_LIMIT)}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t, FIELD_LIMIT) for t in texts if t][:10]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    value: str = "",
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> Block:
    element: Block = {"type": "button", "text": plain(text), "action_id": action_id, "value": value[:2000]}
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def confirm_dialog(title: str, text: str, yes: str, no: str = "Cancel") -> dict[str, Any]:
    return {
        "title": plain(title, 100),
        "text": mrkdwn(text, 300),
        "confirm": plain(yes, 30),
        "deny": plain(no, 30),
        "style": "danger",
    }


def actions(elements: Iterable[Block], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def slack_date(moment: datetime | None) -> str:
    """A date each reader sees in their own time zone."""
    if moment is None:
        return "an unknown date"
    return f"<!date^{int(moment.timestamp())}^{{date_short}}|{moment:%Y-%m-%d}>"


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 intake', '2 intakes', '0 intakes' (`many` for irregular words: plural(2, "person", "people"))."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def user(user_id: str) -> str:
    """A mention of a user ID that came from Slack itself (never from typed text)."""
    return f"<@{user_id}>" if re.fullmatch(r"[UW][A-Z0-9]+", user_id) else escape(user_id)


def channel(channel_id: str) -> str:
    return f"<#{channel_id}>"


def message(blocks: Sequence[Block], text: str, *, text_is_mrkdwn: bool = False) -> dict[str, Any]:
    """A message payload: blocks plus the fallback text notifications show. Slack parses that text for
    mentions too, so it is escaped unless the caller built it as mrkdwn (with user parts escaped)."""
    fallback = text if text_is_mrkdwn else escape(text)
    blocks = list(blocks)
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        log.warning("a message of %d blocks: the last %d are dropped", len(blocks), len(blocks) - MESSAGE_BLOCK_LIMIT)
    return {"blocks": blocks[:MESSAGE_BLOCK_LIMIT], "text": truncate(fallback, SECTION_LIMIT)}


def answer(text: str) -> dict[str, Any]:
    """A one-section reply; `text` is mrkdwn whose user parts the caller escaped."""
    return message([section(text)], text, text_is_mrkdwn=True)


def tell(respond: Respond, text: str) -> None:
    """An answer only the clicker sees, below the message they clicked (the message itself stays)."""
    respond(**answer(text), replace_original=False)


def in_direct_message(body: dict[str, Any]) -> bool:
    """The click was on a message in the bot's DM with the clicker: its outcome may replace it (nobody else sees it)."""
    container = body.get("container") or {}
    channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
    return container.get("type") == "message" and channel.startswith("D")


FORM_DID_NOT_OPEN = "⚠️ Slack didn't let me open the form just now. Please try again."


def open_modal(client: WebClient, respond: Respond, trigger_id: str, view: dict[str, Any]) -> None:
    """views.open, telling the person when Slack refuses (an expired trigger_id, say) instead of failing silently."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        log.warning("views.open failed: %s", error.response.get("error"))
        respond(**answer(FORM_DID_NOT_OPEN), replace_original=False)


ROW_ID_LIMIT = 2**31  # PostgreSQL integer: a larger number typed or forged would fail the query, not just miss


def row_id(value: Any) -> int:
    """An id from a button value or typed text (`42` or `#42`); 0, which matches nothing, when it is not one."""
    try:
        number = int(str(value).strip().lstrip("#"))
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < ROW_ID_LIMIT else 0


def help_message(command: str, intro: str, usage: Sequence[tuple[str, str]]) -> dict[str, Any]:
    lines = "\n".join(f"`{command}{(' ' + example) if example else ''}` — {what}" for example, what in usage)
    return message([section(intro), section(lines)], f"How to use {command}")


def text_input(
    block_id: str,
    label: str,
    *,
    initial: str = "",
    multiline: bool = False,
    optional: bool = False,
    max_length: int = 3000,
    placeholder: str = "",
    hint: str = "",
) -> Block:
    """A text field. A form never shows less than it will save: `max_length` grows to hold all of `initial`
    (counted in both measures, up to Slack's 3,000), and `initial` is never cut: a value too long for any
    field makes Slack refuse the form, which open_modal says, instead of a save that loses its end."""
    if initial:
        max_length = max(max_length, min(length(initial), INPUT_LIMIT))
    element: Block = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": min(max_length, INPUT_LIMIT),
    }
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label, 2000), "element": element}
    block["optional"] = optional
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def select_input(
    block_id: str, label: str, options: Sequence[tuple[str, str]], *, initial: str | None = None, optional: bool = False
) -> Block:
    choices = [{"text": plain(text, 75), "value": value} for value, text in options]
    element: Block = {"type": "static_select", "action_id": "value", "options": choices}
    chosen = [c for c in choices if c["value"] == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }


def input_value(values: dict[str, Any], block_id: str) -> str:
    """The typed or selected value of an input block in a view_submission state ('' when empty)."""
    element = values.get(block_id, {}).get("value", {})
    if element.get("type") == "static_select":
        return (element.get("selected_option") or {}).get("value", "")
    return (element.get("value") or "").strip()


# --- private_metadata: sealed when a form is built, unsealed once at the edge (handlers.envelope) -----------------

METADATA_LIMIT = 3000
_SEAL_LENGTH = 32  # hex characters of an HMAC-SHA256: 128 bits
_seal_key = [hashlib.sha256(b"bridgebot forms, unconfigured " + secrets.token_bytes(16)).digest()]


def use_form_key(secret: str) -> None:
    """Derive the key that seals forms' private_metadata from the signing secret (or, in Socket Mode without
    one, the bot token): every replica shares it, so a form opened on one can be submitted to another."""
    _seal_key[0] = hmac.new(secret.encode(), b"bridgebot private_metadata v1", hashlib.sha256).digest()


def seal(metadata: str) -> str:
    """`metadata` with a signature in front: a form's state comes back as the bot wrote it, or not at all."""
    if not metadata:
        return ""
    body = metadata[: METADATA_LIMIT - _SEAL_LENGTH - 1]
    return f"{_signature(body)}:{body}"


def unseal(sealed: str) -> str | None:
    """The metadata a form was built with; None when it is not sealed by this bot (forged or edited)."""
    if not sealed:
        return ""
    signature, separator, body = sealed.partition(":")
    if not separator or not hmac.compare_digest(signature, _signature(body)):
        return None
    return body


def _signature(body: str) -> str:
    return hmac.new(_seal_key[0], body.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:_SEAL_LENGTH]


def modal(
    callback_id: str, title: str, blocks: Sequence[Block], *, submit: str | None = None, metadata: str = ""
) -> dict[str, Any]:
    """A modal view. `metadata` (private_metadata) is sealed: the edge refuses a submission whose metadata this
    bot did not write, and hands the features the plain text back."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "close": plain("Close" if submit is None else "Cancel", 24),
        "blocks": list(blocks)[:MODAL_BLOCK_LIMIT],
        "private_metadata": seal(metadata),
    }
    if submit:
        view["submit"] = plain(submit, 24)
    return view

"""Shared Block Kit helpers. Escaping of user text lives here, once: every handler renders through it."""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

Block = dict[str, Any]

SECTION_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75
MESSAGE_BLOCK_LIMIT = 50

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


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain(text: str, limit: int = BUTTON_TEXT_LIMIT) -> dict[str, Any]:
    """Plain text is never parsed for mentions or links, so it is shown as typed (truncated to fit)."""
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def fields_section(texts: Sequence[str]) -> Block:
    return {"type": "section", "fields": [mrkdwn(truncate(t, 2000)) for t in texts[:10]]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, 150)}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(truncate(t, 2000)) for t in texts if t][:10]}


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
        "text": mrkdwn(truncate(text, 300)),
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


def user(user_id: str) -> str:
    """A mention of a user ID that came from Slack itself (never from typed text)."""
    return f"<@{user_id}>" if re.fullmatch(r"[UW][A-Z0-9]+", user_id) else escape(user_id)


def channel(channel_id: str) -> str:
    return f"<#{channel_id}>"


def message(blocks: Sequence[Block], text: str, *, text_is_mrkdwn: bool = False) -> dict[str, Any]:
    """A message payload: blocks plus the fallback text notifications show. Slack parses that text for
    mentions too, so it is escaped unless the caller built it as mrkdwn (with user parts escaped)."""
    fallback = text if text_is_mrkdwn else escape(text)
    return {"blocks": list(blocks)[:MESSAGE_BLOCK_LIMIT], "text": truncate(fallback, 3000)}


def answer(text: str) -> dict[str, Any]:
    """A one-section reply; `text` is mrkdwn whose user parts the caller escaped."""
    return message([section(text)], text, text_is_mrkdwn=True)


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
    element: Block = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
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
        "blocks": list(blocks)[:100],
        "private_metadata": seal(metadata),
    }
    if submit:
        view["submit"] = plain(submit, 24)
    return view

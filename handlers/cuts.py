"""Lengths and cuts of mrkdwn as Slack counts them, in both measures, never inside markup.

Slack does not say whether its limits count code points or UTF-16 units: every length here is the larger.
A cut never lands inside an escape (`&amp;`), a mention, link or date token, nor between a character and its
accents. handlers.blocks builds Block Kit from these; features use them through it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

SECTION_LIMIT = 3000
ELLIPSIS = "…"


# What a cut must not land inside: an escape, and a mention, channel, special mention, date or link
# (`<@U1>`, `<#C1>`, `<!here>`, `<!date^…|…>`, `<https://…|…>`). Escaped user text holds no raw `<`.
_TOKEN = re.compile(r"&(?:amp|lt|gt);|<[^<>]*>")
_JOINERS = frozenset("\u200d\ufe0e\ufe0f")  # zero-width joiner, variation selectors


def length(text: str) -> int:
    """How long Slack may count `text`. Slack does not say whether its limits count code points or UTF-16
    units, so the larger of the two: 😀 is one code point and two units."""
    return max(len(text), len(text.encode("utf-16-le", "surrogatepass")) // 2)


def _fitting(text: str, budget: int) -> int:
    """The longest prefix of `text` (in code points) whose length is at most `budget`."""
    if budget <= 0:
        return 0
    if length(text[:budget]) <= budget:
        return min(budget, len(text))
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > budget:
            return index
    return len(text)


def _continues(text: str, index: int) -> bool:
    """Whether text[index] belongs to the character before it (a combining mark, a joiner, a skin tone)."""
    char = text[index]
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char in _JOINERS
        or 0x1F3FB <= ord(char) <= 0x1F3FF
        or 0xE0020 <= ord(char) <= 0xE007F
        or text[index - 1] == "\u200d"
    )


def _token_start(text: str, end: int) -> int:
    """`end`, or the start of the markup token `end` falls inside."""
    for match in _TOKEN.finditer(text):
        if match.start() >= end:
            break
        if match.end() > end:
            return match.start()
    return end


def _safe_end(text: str, end: int) -> int:
    """The nearest place at or before `end` where text may be cut: outside every token and character."""
    while 0 < end < len(text):
        moved = _token_start(text, end)
        while 0 < moved < len(text) and _continues(text, moved):
            moved -= 1
        if moved == end:
            break
        end = moved
    return max(end, 0)


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` (in both measures), ending with "…" when it had to be cut. The cut never
    lands inside an escape (`&amp;`), a mention, link or date (`<@U1>`, `<https://…|…>`, `<!date^…|…>`)
    nor between a character and its accents: what is left shows as it should."""
    if length(text) <= limit:
        return text
    if limit < 1:
        return ""
    return text[: _safe_end(text, _fitting(text, limit - 1))].rstrip() + ELLIPSIS


def _break(text: str, limit: int) -> tuple[str, str]:
    """The first piece of `text` that fits in `limit`, and the rest: at the last line break or space that is
    outside markup (a line break when one is in the second half), else where a character ends."""
    end = _fitting(text, limit)
    safe = max(_safe_end(text, end) or _token_start(text, end) or end, 1)  # a token longer than a block: cut it
    window = text[:safe]
    spans = [match.span() for match in _TOKEN.finditer(window)]

    def last(chars: str, after: int) -> int:
        for index in range(len(window) - 1, after, -1):
            if window[index] in chars and not any(start <= index < stop for start, stop in spans):
                return index
        return -1

    at = last("\n", safe // 2)
    if at < 0:
        at = last(" \t\n", 0)
    if at <= 0:
        return window, text[safe:]
    return window[:at].rstrip(), text[at + 1 :].lstrip(" \t")


def split_mrkdwn(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """`text` in pieces of at most `limit` each, broken at line breaks, then at spaces, never inside an escape,
    mention, link or date. Blank pieces are left out."""
    pieces = []
    rest = text
    while length(rest) > limit:
        piece, rest = _break(rest, limit)
        if piece.strip():
            pieces.append(piece)
    if rest.strip():
        pieces.append(rest)
    return pieces


@dataclass
class Chunk:
    text: str
    done: int  # how many parts have ended by the end of this chunk
    whole: bool  # whether it ends where a part ends (not inside a long part)


def pack(parts: Sequence[str], limit: int) -> list[Chunk]:
    """`parts` packed into texts of at most `limit`, a line break between parts; a part too long for one is
    split over several (split_mrkdwn), each piece starting a new one."""
    packed: list[Chunk] = []
    for number, part in enumerate(parts, start=1):
        pieces = split_mrkdwn(part, limit)
        for index, piece in enumerate(pieces):
            last = packed[-1] if packed else None
            if index == 0 and last is not None and length(last.text) + 1 + length(piece) <= limit:
                last.text += "\n" + piece
            else:
                packed.append(Chunk(piece, number - 1, False))
            final = index == len(pieces) - 1
            packed[-1].done, packed[-1].whole = (number if final else number - 1), final
        if packed and not pieces:
            packed[-1].done = number  # a blank part: nothing to show, nothing left out
    return packed


def fits(text: str, limit: int) -> bool:
    return length(text) <= limit


def sections_needed(parts: Sequence[str], limit: int = SECTION_LIMIT) -> int:
    """How many section blocks long_sections needs to show `parts` whole."""
    return len(pack(parts, limit))

"""Slash commands from a table: one row per subcommand drives parsing, `help` and "did you mean".

A feature lists its subcommands once (usage, what it does, the function that runs it); the table reads the
payload's facts once (who, where, the trigger, the text Slack may have encoded), answers `help` and an empty
command with help built from the same rows, and answers a typo with the nearest subcommand instead of the
whole help. Placeholders in usage lines (`<term>`) are escaped, so Slack shows them instead of reading links.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from handlers import blocks as bk

SUGGEST_SCORE = 75  # rapidfuzz's ratio: "agnda" → "agenda" (91), "sotp" → "stop" (75); "weather" → nothing


@dataclass(frozen=True)
class Invocation:
    """One slash command, its facts read once."""

    ack: Ack
    respond: Respond
    client: WebClient
    command: dict[str, Any]
    user_id: str
    channel_id: str
    trigger_id: str
    text: str  # the whole text, readable (Slack's markup decoded)
    word: str  # its first word, lower-cased: the subcommand as typed
    rest: str  # what follows the first word

    def answer(self, payload: dict[str, Any]) -> None:
        """Acknowledge with a reply only the asker sees (a slash command's acknowledgement is ephemeral)."""
        self.ack(**payload)


Run = Callable[[Invocation], None]


@dataclass(frozen=True)
class Subcommand:
    usage: str  # "search <words>": the first word is the subcommand's name, the rest its arguments
    help: str  # what it does, in a few words
    run: Run
    aliases: tuple[str, ...] = ()
    listed: bool = True  # shown in help
    needs_text: bool = False  # typed alone, it answers with its usage instead of running
    takes_nothing: bool = False  # typed with more, it answers with its usage instead of running

    @property
    def name(self) -> str:
        return self.usage.split()[0]


class CommandTable:
    def __init__(
        self,
        command: str,
        intro: str,
        subcommands: Sequence[Subcommand],
        *,
        fallback: Run | None = None,
        empty: Run | None = None,
        examples: Sequence[tuple[str, str]] = (),
        max_text: int | None = None,
        too_long: Callable[[int], dict[str, Any]] | None = None,
    ) -> None:
        """`fallback` runs when the first word is no subcommand (e.g. /jargon's lookup); without one, the
        table suggests the nearest subcommand. `examples` are help lines with no subcommand (e.g. "SQL")."""
        self.command = command
        self.intro = intro
        self.subcommands = list(subcommands)
        self.fallback = fallback
        self.empty = empty  # what the command alone does (e.g. open a form); help when None
        self.examples = list(examples)
        self.max_text = max_text
        self.too_long = too_long or (
            lambda length: bk.answer(f"That's {length} characters, too long for me. Keep it under {max_text}.")
        )
        self._by_name = {name: sub for sub in self.subcommands for name in (sub.name, *sub.aliases)}

    def find(self, word: str) -> Subcommand | None:
        return self._by_name.get(word)

    def help_message(self, lead: str = "") -> dict[str, Any]:
        """The intro and one line per subcommand, from the table; `lead` (mrkdwn, escaped) goes first."""
        rows = [*self.examples, *((sub.usage, sub.help) for sub in self.subcommands if sub.listed)]
        lines = "\n".join(f"`{self.command} {bk.escape(usage)}` — {what}" for usage, what in rows)
        intro = f"{lead} {self.intro}".strip()
        return bk.message([bk.section(intro), bk.section(lines)], f"How to use {self.command}")

    def usage_of(self, sub: Subcommand) -> str:
        return f"`{self.command} {bk.escape(sub.usage)}`"

    def needs_more(self, invocation: Invocation, sub: Subcommand) -> None:
        """The subcommand was typed without what it needs: its own usage line, then the help."""
        invocation.answer(self.help_message(f"{self.usage_of(sub)} needs a little more: {sub.help}."))

    def suggestion(self, word: str) -> Subcommand | None:
        """The subcommand nearest to a typo, when one is near enough."""
        from rapidfuzz import fuzz, process  # imported on first use: idle memory

        names = list(self._by_name)
        best = process.extractOne(word, names, scorer=fuzz.ratio, score_cutoff=SUGGEST_SCORE)
        return self._by_name[best[0]] if best else None

    def handle(self, ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """The Bolt listener: parse once, then help, the subcommand, the fallback or a suggestion."""
        text = bk.command_text(command.get("text", ""))
        word, _, rest = text.partition(" ")
        invocation = Invocation(
            ack=ack,
            respond=respond,
            client=client,
            command=command,
            user_id=str(command.get("user_id", "")),
            channel_id=str(command.get("channel_id", "")),
            trigger_id=str(command.get("trigger_id", "")),
            text=text,
            word=word.lower(),
            rest=rest.strip(),
        )
        if self.max_text is not None and len(text) > self.max_text:
            invocation.answer(self.too_long(len(text)))
            return
        if not text and self.empty is not None:
            self.empty(invocation)
            return
        if not text or invocation.word == "help":
            invocation.answer(self.help_message())
            return
        sub = self.find(invocation.word)
        if sub is not None and sub.needs_text and not invocation.rest:
            self.needs_more(invocation, sub)
        elif sub is not None and sub.takes_nothing and invocation.rest:
            invocation.answer(self.help_message(f"{self.usage_of(sub)} takes nothing more."))
        elif sub is not None:
            sub.run(invocation)
        elif self.fallback is not None:
            self.fallback(invocation)
        else:
            self.unknown(invocation)

    def unknown(self, invocation: Invocation) -> None:
        shown = bk.escape(bk.truncate(invocation.text, 60))
        nearest = self.suggestion(invocation.word)
        if nearest is not None:
            lead = f"I don't know `{self.command} {shown}`. Did you mean {self.usage_of(nearest)}?"
            invocation.answer(bk.answer(f"{lead} `{self.command} help` lists everything I can do."))
            return
        invocation.answer(self.help_message(f"I don't know `{self.command} {shown}`."))

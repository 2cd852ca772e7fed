"""Slash commands from a table: one row per subcommand drives parsing, `help` and "did you mean".

A feature lists its subcommands once (usage, what it does, the function that runs it); the table reads the
payload's facts once (who, where, the trigger, the text Slack may have encoded), answers `help` and an empty
command with help built from the same rows, and answers a typo with the nearest subcommand instead of the
whole help. Placeholders in usage lines (`<term>`) are escaped, so Slack shows them instead of reading links.

A subcommand can also be a button (`run_button`): clicking it runs that subcommand for the clicker, exactly as
if they had typed it (the value is only text the clicker could have typed; every subcommand checks who may),
and the answer goes to them alone. The command typed alone answers with its main actions as such buttons
(`menu`), and a typo's "did you mean" carries one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
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
        menu: Callable[[CommandTable], Sequence[bk.Block]] | None = None,
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
        self.menu = menu  # the buttons of a bare call (help when None): run_button()s, or a feature's own
        self._by_name = {name: sub for sub in self.subcommands for name in (sub.name, *sub.aliases)}

    @property
    def button_id(self) -> str:
        """The action id of this command's `run_button`s."""
        return f"command:{self.command.lstrip('/')}"

    def run_button(self, label: str, text: str, *, style: str | None = None) -> bk.Block:
        """A button that runs `{command} {text}` for whoever clicks it (`text` as Slack sends it: escaped)."""
        return bk.button(label, self.button_id, text, style=style)

    def register(self, app: App) -> None:
        """The slash command's listener, and its buttons'."""
        app.command(self.command)(self.handle)
        app.action(self.button_id)(self.on_button)

    def on_button(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """A `run_button` clicked: the subcommand it names runs as if the clicker typed it here; what it would
        have acknowledged with goes to them through `respond` (a click's acknowledgement shows nothing)."""
        acked: list[bool] = []

        def answer(**payload: Any) -> None:
            if not acked:
                acked.append(True)
                ack()
            if payload:
                respond(**payload, response_type="ephemeral", replace_original=False)

        container = body.get("container") or {}
        command = {
            "text": str(action.get("value") or ""),
            "user_id": str((body.get("user") or {}).get("id") or ""),
            "channel_id": str(container.get("channel_id") or (body.get("channel") or {}).get("id") or ""),
            "trigger_id": str(body.get("trigger_id") or ""),
        }
        self.handle(answer, command, client, respond)  # type: ignore[arg-type]

    def find(self, word: str) -> Subcommand | None:
        return self._by_name.get(word)

    def help_message(self, lead: str = "") -> dict[str, Any]:
        """The intro and one line per subcommand, from the table; `lead` (mrkdwn, escaped) goes first."""
        rows = [*self.examples, *((sub.usage, sub.help) for sub in self.subcommands if sub.listed)]
        lines = "\n".join(f"`{self.command} {bk.escape(usage)}` — {what}" for usage, what in rows)
        intro = f"{lead} {self.intro}".strip()
        return bk.message([bk.section(intro), bk.section(lines)], f"How to use {self.command}")

    def menu_message(self) -> dict[str, Any]:
        """The command typed alone: what it is, its main actions as buttons, and where the rest is."""
        assert self.menu is not None
        blocks = [
            bk.section(self.intro),
            bk.actions(self.menu(self)),
            bk.context(f"`{self.command} help` lists everything I can do."),
        ]
        return bk.message(blocks, f"{self.command}: what would you like to do?")

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
        if not text and self.menu is not None:
            invocation.answer(self.menu_message())
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

    def did_you_mean(self, lead: str, nearest: Subcommand, rest: str) -> dict[str, Any]:
        """`lead`, then "did you mean" the nearest subcommand, with a button that runs it (with `rest`)."""
        text = f"{lead} Did you mean {self.usage_of(nearest)}? `{self.command} help` lists everything I can do."
        return bk.message([bk.section(text), self._run_nearest(nearest, rest)], text, text_is_mrkdwn=True)

    def also_meant(self, text: str) -> list[bk.Block]:
        """For a command whose unknown first word means something else (`/jargon stat` looks "stat" up): when that
        word is near a subcommand, "or did you mean" it, with its button; nothing otherwise."""
        word, _, rest = text.partition(" ")
        nearest = self.suggestion(word.lower())
        if nearest is None:
            return []
        return [bk.section(f"Or did you mean {self.usage_of(nearest)}?"), self._run_nearest(nearest, rest.strip())]

    def _run_nearest(self, nearest: Subcommand, rest: str) -> bk.Block:
        typed = f"{nearest.name} {rest}".strip()
        shown = bk.truncate(f"{self.command} {typed}", 60)
        value = bk.escape(typed)[:2000]  # as Slack sends typed text: `handle` reads it the same way
        return bk.actions([self.run_button(f"Run {shown}", value, style="primary")])

    def unknown(self, invocation: Invocation) -> None:
        shown = bk.escape(bk.truncate(invocation.text, 60))
        nearest = self.suggestion(invocation.word)
        if nearest is not None:
            invocation.answer(self.did_you_mean(f"I don't know `{self.command} {shown}`.", nearest, invocation.rest))
            return
        invocation.answer(self.help_message(f"I don't know `{self.command} {shown}`."))

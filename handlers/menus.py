"""What each command typed alone offers: its main actions, as buttons (CommandTable's `menu`).

Most are the command's own subcommands as buttons (`table.run_button`: a click runs it as if typed); the
glossary's lookup is the button Home already has for it (it opens the lookup form)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from handlers import blocks as bk
from handlers.commands import CommandTable
from handlers.jargon_home import LOOKUP_ACTION

Menu = Callable[[CommandTable], list[bk.Block]]


def of(*entries: tuple[str, str], first: Sequence[bk.Block] = ()) -> Menu:
    """A menu of (label, subcommand) buttons, after `first`; the first of all is the primary one."""

    def menu(table: CommandTable) -> list[bk.Block]:
        buttons = [*first, *(table.run_button(label, text) for label, text in entries)]
        return [{**buttons[0], "style": "primary"}, *buttons[1:]]

    return menu


sitdown = of(
    ("New sit-down", "new"),
    ("This channel's agenda", "agenda"),
    ("My action items", "actions mine"),
    ("All sit-downs", "list"),
)
lunchlearn = of(("Upcoming sessions", "list"), ("Plan a session", "new"), ("Ideas", "ideas"))
liaison = of(
    ("Who's on now", "who"), ("Who's next", "next"), ("Join as marketing", "join marketing"), ("Join as IT", "join it")
)
jargon = of(
    ("Add a term", "add"),
    ("Recently added", "recent"),
    ("A random term", "random"),
    first=[bk.button("Look up a term", LOOKUP_ACTION, "lookup")],
)

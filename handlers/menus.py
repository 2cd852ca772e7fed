"""What each command typed alone offers: its main actions, as buttons (CommandTable's `menu`).

Most are the command's own subcommands as buttons (`table.run_button`: a click runs it as if typed); a few are
the buttons Home already has for the same thing (the glossary's lookup form)."""

from __future__ import annotations

from handlers import blocks as bk
from handlers.commands import CommandTable
from handlers.jargon_home import LOOKUP_ACTION


def sitdown(table: CommandTable) -> list[bk.Block]:
    return [
        table.run_button("New sit-down", "new", style="primary"),
        table.run_button("This channel's agenda", "agenda"),
        table.run_button("My action items", "actions mine"),
        table.run_button("All sit-downs", "list"),
    ]


def lunchlearn(table: CommandTable) -> list[bk.Block]:
    return [
        table.run_button("Upcoming sessions", "list", style="primary"),
        table.run_button("Plan a session", "new"),
        table.run_button("Ideas", "ideas"),
    ]


def liaison(table: CommandTable) -> list[bk.Block]:
    return [
        table.run_button("Who's on now", "who", style="primary"),
        table.run_button("Who's next", "next"),
        table.run_button("Join as marketing", "join marketing"),
        table.run_button("Join as IT", "join it"),
    ]


def jargon(table: CommandTable) -> list[bk.Block]:
    return [
        bk.button("Look up a term", LOOKUP_ACTION, "lookup", style="primary"),
        table.run_button("Add a term", "add"),
        table.run_button("Recently added", "recent"),
        table.run_button("A random term", "random"),
    ]

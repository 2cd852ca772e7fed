"""The words for outcomes (bot/outcomes.py), written once for every feature's surfaces."""

from __future__ import annotations

from datetime import date

from bot.typed_dates import is_iso
from handlers import blocks as bk


def gone(thing: str, *, consequence: str = "so nothing was changed") -> str:
    """What a person is told when what they acted on was deleted, cancelled or never existed."""
    return f"That {thing} no longer exists, {consequence}."


def changed_meanwhile(thing: str) -> str:
    return f"This {thing} was cancelled or removed meanwhile, so nothing was added."


def ask_an_admin(admins: frozenset[str] | set[str], what: str = "") -> str:
    """Who to ask, by name (mentions), never the setting's name; `what` is what they would do."""
    people = ", ".join(f"<@{admin}>" for admin in sorted(admins)[:5])
    who = f"a bot admin ({people})" if people else "whoever runs Bridgebot"
    return f"ask {who}{' to ' + what if what else ''}"


def no_joint_channel(admins: frozenset[str] | set[str]) -> str:
    return f"No joint channel is chosen yet: {ask_an_admin(admins, 'choose the joint channel')}."


def read_as(typed: str, day: date) -> str:
    """How a typed date was read, when it was not written YYYY-MM-DD: ` (I read “17 Dec” as Thu 17 Dec 2026.)`."""
    return "" if is_iso(typed) else f" _(I read “{bk.escape(typed)}” as {day:%a %d %b %Y}.)_"

"""The liaison section of Home ("My Bridgebot"): the pair serving now, my next turn, and Away / Back.

*Away* opens the small form built here (`away_modal`); its submission and *Back* are answered by the
listeners in handlers/liaison.py (the same use case as `/liaison away YYYY-MM-DD` and `/liaison away off`).
What *Back* answers becomes the notice of a re-published Home.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.liaison_rules import SIDE_LABELS, local_date
from bot.liaison_views import Standing, Turn
from bot.services import Services
from handlers import blocks as bk
from handlers.liaison_messages import SIDE_ICONS, pair_line

__all__ = ["AWAY_ACTION", "AWAY_FORM", "BACK_ACTION", "away_modal", "section"]

Block = dict[str, Any]

AWAY_ACTION = "liaison_home_away"  # the button (handlers/liaison.py listens)
AWAY_FORM = "liaison_home_away"  # the callback_id of the form it opens
BACK_ACTION = "liaison_home_back"
JOIN_HINT = "Join a pool to take turns: `/liaison join marketing` or `/liaison join it`."


def section(services: Services, user_id: str) -> list[Block]:
    """The rotation as this person sees it; [] when there is no rotation and they are in no pool."""
    standing = services.liaison.standing(user_id)
    if standing.rotation is None and standing.member is None:
        return []
    return home_blocks(standing, user_id, services.clock())


def home_blocks(standing: Standing, user_id: str, now: datetime) -> list[Block]:
    blocks: list[Block] = [bk.section(f"*🔁 Liaisons*\n{now_text(standing, now)}")]
    member = standing.member
    if member is None:
        blocks.append(bk.context(JOIN_HINT))
        return blocks
    today = local_date(now, standing.rotation.plan.tz if standing.rotation else "UTC")  # as away days are read
    away = member.away_until if member.away_until is not None and member.away_until >= today else None
    lines = [f"You're in the {SIDE_ICONS[member.side]} {SIDE_LABELS[member.side]} pool."]
    lines.append(turn_text(standing, user_id))
    if away is not None:
        lines.append(f"🏝️ Away through *{away.isoformat()}*: you're out of the picks until then (your place is kept).")
    blocks.append(bk.section("\n".join(line for line in lines if line)))
    buttons = [bk.button("Change away dates" if away else "Away…", AWAY_ACTION, "away")]
    if away is not None:
        buttons.append(bk.button("I'm back", BACK_ACTION, "back", style="primary"))
    blocks.append(bk.actions(buttons))
    return blocks


def now_text(standing: Standing, now: datetime) -> str:
    rotation, current = standing.rotation, standing.current
    if rotation is None:
        return "No liaison rotation yet: a bot admin sets one up with `/liaison setup`."
    if current is None:
        starts = rotation.plan.term_starts_at(rotation.plan.term_number_at(now) + 1)
        return f"Nobody is serving right now; the next term starts {bk.slack_date(starts)}."
    return f"Now: {pair_line(current)}\nUntil {bk.slack_date(current.ends_at)}."


def turn_text(standing: Standing, user_id: str) -> str:
    turn = standing.turn
    if turn is None:
        return "" if standing.rotation is not None else "Turns are planned once a bot admin sets up the rotation."
    if turn.planned and standing.current is not None and standing.current.slots.side_of(user_id) is not None:
        return f"⭐ You're the liaison now, until {bk.slack_date(turn.ends_at)}."
    if turn.planned:
        return f"⭐ Your next turn: {_span(turn)}."
    if turn.ahead:
        ahead = f"{turn.ahead} person is" if turn.ahead == 1 else f"{turn.ahead} people are"
        return f"Your next turn, as the queue stands: about {_span(turn)} ({ahead} ahead of you)."
    return f"Your next turn, as the queue stands: about {_span(turn)} (you're first in line)."


def _span(turn: Turn) -> str:
    return f"{bk.slack_date(turn.starts_at)} → {bk.slack_date(turn.ends_at)}"


def away_modal(today: date, away_until: date | None) -> dict[str, Any]:
    """The form *Away* opens: the last day away (a date picker, from today on)."""
    initial = away_until if away_until is not None and away_until >= today else today
    picker: Block = {
        "type": "input",
        "block_id": "until",
        "label": bk.plain("Away through (your last day away)"),
        "element": {"type": "datepicker", "action_id": "value", "initial_date": initial.isoformat()},
        "hint": bk.plain("You're left out of the picks through that day and keep your place in the queue.", 2000),
        "optional": False,
    }
    blocks = [bk.section("Vacation, leave, a busy stretch? I'll pass your turns on while you're away."), picker]
    return bk.modal(AWAY_FORM, "Away", blocks, submit="Save")

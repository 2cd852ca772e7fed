"""Bot admins' part of App Home: what they look after, counted, with the commands and forms to act on it.

Shown to bot admins only (BOT_ADMINS): the sit-down series, the liaison rotation (with the button that opens
`/liaison setup`'s form), the next company holidays and IT's intake queue. `section(services, user_id)` is what
handlers/home.py renders; `register_home(app, services)` adds the listener of the one button only Home has.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.liaison import Refused
from bot.newproject_rules import CLAIMED, NEW, REVIEW
from bot.services import Services
from handlers import blocks as bk
from handlers.liaison import setup_form
from handlers.liaison_messages import refusal_message, rotation_context
from handlers.newproject_messages import COMMAND as NEWPROJECT

__all__ = ["LIAISON_SETUP", "register_home", "section"]

Block = dict[str, Any]

LIAISON_SETUP = "liaison_open_setup"
HOLIDAYS_SHOWN = 3
HOLIDAY_NAME = 80  # characters of a holiday's name shown


def section(services: Services, user_id: str) -> list[Block]:
    """Counts and shortcuts for a bot admin; nothing for anyone else."""
    if not services.settings.is_admin(user_id):
        return []
    return [
        bk.header("🛠️ Bot admin"),
        _sitdowns(services),
        *_liaison(services),
        _holidays(services),
        _intake_queue(services),
    ]


def _sitdowns(services: Services) -> Block:
    counts = services.sitdown.series_counts()
    active, paused = counts.get("active", 0), counts.get("paused", 0)
    if not active and not paused:
        return bk.section("*🤝 Sit-downs:* no series yet. `/sitdown new` sets one up.")
    line = f"*🤝 Sit-downs:* {active} active series"
    if paused:
        line += f", {paused} paused"
    return bk.section(f"{line}\n`/sitdown list` shows them all · `/sitdown new` sets up another")


def _liaison(services: Services) -> list[Block]:
    rotation = services.liaison.rotation()
    if rotation is None:
        text = "*🔁 Liaison rotation:* not set up yet: no liaison pairs are picked until it is."
        return [bk.section(text, accessory=bk.button("Set it up", LIAISON_SETUP, "setup", style="primary"))]
    text = "*🔁 Liaison rotation:* set up. `/liaison who` shows the current pair, `/liaison pool` the queue."
    return [
        bk.section(text, accessory=bk.button("Change the setup", LIAISON_SETUP, "setup")),
        rotation_context(rotation),
    ]


def _holidays(services: Services) -> Block:
    upcoming = services.sitdown.upcoming_holidays(HOLIDAYS_SHOWN)
    usage = "`/sitdown holiday add YYYY-MM-DD name` · `/sitdown holiday list`"
    if not upcoming:
        return bk.section(f"*🏖️ Company holidays:* none coming up.\n{usage}")
    days = "\n".join(f"• {h.day:%a %d %b %Y}: {bk.escape(bk.truncate(h.name, HOLIDAY_NAME))}" for h in upcoming)
    return bk.section(f"*🏖️ Next company holidays*\n{days}\n{usage}")


def _intake_queue(services: Services) -> Block:
    counts = services.newproject.status_counts()
    new, review, claimed = counts.get(NEW, 0), counts.get(REVIEW, 0), counts.get(CLAIMED, 0)
    return bk.section(
        f"*🚀 Intake queue:* {new} new (waiting for IT) · {review} in privacy/security review · "
        f"{claimed} taken by IT\n`{NEWPROJECT} list unclaimed` shows the new ones · `{NEWPROJECT} stats`"
    )


def register_home(app: App, services: Services) -> None:
    """The listener of Home's "Set it up" / "Change the setup": `/liaison setup`'s form, for bot admins."""

    def on_liaison_setup(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        user_id = str(body["user"]["id"])
        if not services.settings.is_admin(user_id):
            respond(**refusal_message(Refused("admins_only")), replace_original=False)
            return
        bk.open_modal(client, respond, body["trigger_id"], setup_form(services, client, user_id))

    app.action(LIAISON_SETUP)(on_liaison_setup)

"""Bot admins' part of App Home: what they look after, counted, with the commands and forms to act on it.

Shown to bot admins only (BOT_ADMINS): the sit-down series, the liaison rotation (with the button that opens
`/liaison setup`'s form), the next company holidays, IT's intake queue and the leadership digest's schedule (with
the button that opens its form). `section(services, user_id)` is what
handlers/home.py renders; `register_home(app, services)` adds the listener of the one button only Home has.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.liaison import Refused
from bot.newproject_rules import CLAIMED, NEW, REVIEW
from bot.outcomes import DraftRejected, NotAllowed
from bot.services import Services
from handlers import blocks as bk
from handlers import digest_messages as digest
from handlers.liaison import setup_form
from handlers.liaison_messages import refusal_message, rotation_context
from handlers.newproject_messages import COMMAND as NEWPROJECT

__all__ = ["DIGEST_SCHEDULE", "LIAISON_SETUP", "register_home", "section"]

Block = dict[str, Any]

LIAISON_SETUP = "liaison_open_setup"
DIGEST_SCHEDULE = "digest_open_schedule"
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
        _digest(services),
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


def _digest(services: Services) -> Block:
    service = services.digest
    where = digest.where_to(service.recipients(), services.settings.leadership_channel)
    text = digest.home_lines(service.schedule(), where, service.next_due(), service.last_sent())
    return bk.section(text, accessory=bk.button("Change the schedule", DIGEST_SCHEDULE, "schedule"))


def register_home(app: App, services: Services) -> None:
    """The listeners of Home's "Set it up" / "Change the setup" (`/liaison setup`'s form) and "Change the
    schedule" (the leadership digest's form), for bot admins."""

    def on_liaison_setup(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        user_id = str(body["user"]["id"])
        if not services.settings.is_admin(user_id):
            respond(**refusal_message(Refused("admins_only")), replace_original=False)
            return
        bk.open_modal(client, respond, body["trigger_id"], setup_form(services, client, user_id))

    app.action(LIAISON_SETUP)(on_liaison_setup)

    def on_digest_schedule(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        if not services.settings.is_admin(str(body["user"]["id"])):
            bk.tell(respond, ONLY_ADMINS)
            return
        bk.open_modal(client, respond, body["trigger_id"], digest.schedule_modal(services.digest.schedule()))

    def on_digest_saved(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            schedule = services.digest.set_schedule(digest.schedule_values(view), by=str(body["user"]["id"]))
        except DraftRejected as rejected:
            ack(response_action="errors", errors=rejected.errors)
            return
        except NotAllowed:
            refused = bk.modal("digest_refused", "Leadership digest", [bk.section(ONLY_ADMINS)])
            ack(response_action="update", view=refused)
            return
        ack(response_action="update", view=digest.saved_modal(schedule, services.digest.next_due()))

    app.action(DIGEST_SCHEDULE)(on_digest_schedule)
    app.view(digest.SCHEDULE_FORM)(on_digest_saved)


ONLY_ADMINS = "Only a bot admin changes when the leadership digest goes out, so nothing was changed."

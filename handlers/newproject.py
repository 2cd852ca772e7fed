"""/newproject: parse what Slack sends, call the intake service, answer.

The Block Kit lives in handlers.newproject_messages, the modals in handlers.newproject_forms.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.newproject import ANNOUNCEMENT, AlreadyTaken, NewProjectService
from bot.newproject_rules import (
    MAX_NAME,
    Intake,
    TransitionRefused,
    next_status,
    parse_intake_id,
)
from bot.notify import Renderer
from bot.outcomes import DraftRejected, NoChannelConfigured, NotAllowed, NotFound
from bot.services import Services
from bot.vendor_rules import parse_status
from handlers import answers, objects, slack_calls
from handlers import blocks as bk
from handlers.commands import CommandTable, Invocation, Subcommand
from handlers.newproject_forms import draft_from, intake_modal, metadata_id, note_modal, submitted_modal
from handlers.newproject_messages import (
    COMMAND,
    IT_BUTTONS,
    REPLY,
    WITHDRAW_TYPED,
    NewProjectMessages,
    list_message,
    stats_message,
    status_message,
    user_text,
    withdraw_step,
)
from handlers.vendors_messages import LIST_SHOWN, register_message, unknown_status

__all__ = ["ItMembership", "MembershipUnknown", "NewProjectListeners", "NewProjectMessages", "register", "renderers"]


log = logging.getLogger(__name__)

MEMBERSHIP_CACHE_SECONDS = 30.0

INTRO = (
    "🚀 *Tell IT early.* Describe a marketing initiative while it's still an idea: IT sees it in their "
    "intake channel, someone takes it, and you hear back here."
)

DONE_LINES = {
    "claim": "🙋 You're the IT contact for *{name}*.",
    "review": "🔒 *{name}* is marked for a privacy/security review.",
    "approve": "✅ *{name}* is approved for planning.",
    "decline": "⏸️ *{name}* is marked “not now”.",
    "question": "❓ Your question about *{name}* is on its way.",
    "answer": "💬 Your answer about *{name}* is in its thread in the IT channel; whoever asked is told.",
}
REFUSAL = (
    "Only members of {channel} (or bot admins) can take, review, approve or decline intakes, sorry. "
    "Anyone can still *Ask a question*."
)
NO_IT_CHANNEL_REFUSAL = (
    "No IT intake channel is chosen yet, so only bot admins can take, review, approve or "
    "decline intakes for now, sorry. Anyone can still *Ask a question*."
)
MEMBERSHIP_UNKNOWN = (
    "⚠️ I couldn't check with Slack who is in {channel} just now (`{error}`), so nothing was changed. "
    "Please try again in a minute; if it keeps happening, a bot admin should invite me to that channel."
)
MODAL_REFUSAL = "Only members of the IT intake channel (or bot admins) can decline intakes."
NOT_YOURS = "Only the person who submitted an intake can withdraw it."


# --- who is in IT --------------------------------------------------------------------------------------------


class MembershipUnknown(Exception):
    """Slack would not list the IT intake channel's members; the error code says why."""


class ItMembership:
    """Members of the IT intake channel, asked of Slack (paginated) and kept briefly."""

    def __init__(self, client: WebClient, channel: str | None, ttl: float = MEMBERSHIP_CACHE_SECONDS) -> None:
        self.client = client
        self.channel = channel
        self.ttl = ttl
        self._members: frozenset[str] = frozenset()
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._current()

    def _current(self) -> frozenset[str]:
        with self._lock:
            if self._fetched_at is None or time.monotonic() - self._fetched_at > self.ttl:
                self._members = self._fetch()
                self._fetched_at = time.monotonic()
            return self._members

    def _fetch(self) -> frozenset[str]:
        if not self.channel:
            return frozenset()
        try:
            return frozenset(slack_calls.channel_members(self.client, self.channel))
        except SlackApiError as error:  # not cached: the next click asks Slack again
            code = str(error.response.get("error") or "no error code")
            log.warning("could not read the IT intake channel's members: %s", code)
            raise MembershipUnknown(code) from error


# --- listeners -----------------------------------------------------------------------------------------------


class NewProjectListeners:
    def __init__(self, services: Services) -> None:
        self.service = services.newproject
        self.vendors = services.vendors
        # Only the IT intake channel's members decide: when intakes fall back to the joint channel, its members
        # include marketing, so then only bot admins decide.
        self.it_channel = services.settings.it_intake_channel
        self.commands = self._commands()
        self.it_members = ItMembership(services.client, self.it_channel)

    def refusal(self) -> str:
        if not self.it_channel:
            return NO_IT_CHANNEL_REFUSAL
        return REFUSAL.format(channel=bk.channel(self.it_channel))

    def is_it(self, user_id: str) -> bool:
        """Bot admins count without asking Slack; MembershipUnknown when Slack can't say."""
        return self.service.settings.is_admin(user_id) or user_id in self.it_members

    def membership_unknown(self, problem: MembershipUnknown) -> str:
        channel = bk.channel(self.it_channel) if self.it_channel else "the IT intake channel"
        return MEMBERSHIP_UNKNOWN.format(channel=channel, error=bk.escape(str(problem)))

    def _commands(self) -> CommandTable:
        def existing(run: Invocation) -> None:
            self._on_existing(run.word, run.rest, run.user_id, run.ack)

        rows = [
            Subcommand(
                "list [mine|unclaimed]",
                "open intakes: all, the ones you're part of, or the ones no one in IT has taken",
                self._list,
            ),
            Subcommand("status <id>", "everything about one intake, with its history", existing, needs_text=True),
            Subcommand("withdraw <id>", "withdraw an intake you submitted (I ask first)", existing, needs_text=True),
            Subcommand(
                "stats",
                "intakes by status, median lead time and time to IT pickup, by month",
                lambda run: run.answer(stats_message(self.service.stats())),
                takes_nothing=True,
            ),
            Subcommand(
                "vendors [status]",
                "the register of outside tools intakes name: all, or those proposed, under review, approved…",
                self._vendors,
            ),
            Subcommand("help", "this message", lambda run: run.answer(self.commands.help_message())),
        ]
        return CommandTable(
            COMMAND,
            INTRO,
            rows,
            empty=self._open_form,
            fallback=self._titled_form,
            examples=[
                ("", "tell IT about a new marketing initiative (opens a form): the earlier, the better"),
                ("Spring webinar", "the same form, its name filled in"),
            ],
        )

    def _open_form(self, run: Invocation, name: str = "") -> None:
        run.ack()
        view = intake_modal(run.user_id, self.service.settings.short_notice_days, name=name)
        bk.open_modal(run.client, run.respond, run.trigger_id, view)

    def _titled_form(self, run: Invocation) -> None:
        """`/newproject Spring webinar`: a name of two words or more opens the form with it; one unknown word is
        more likely a mistyped subcommand (did-you-mean, or help), and so is a name near a subcommand."""
        if " " not in run.text or len(run.text) > MAX_NAME or self.commands.suggestion(run.word) is not None:
            self.commands.unknown(run)
            return
        self._open_form(run, name=run.text)

    def _list(self, run: Invocation) -> None:
        which = run.rest.lower()
        if which not in ("", "mine", "unclaimed"):
            run.answer(
                self.commands.help_message(f"`{COMMAND} {bk.escape(bk.truncate(run.text, 100))}` isn't quite right.")
            )
            return
        found = self.service.open_intakes(
            involving=run.user_id if which == "mine" else None, unclaimed=which == "unclaimed"
        )
        run.answer(list_message(found, which))

    def _vendors(self, run: Invocation) -> None:
        status = parse_status(run.rest) if run.rest else None
        if run.rest and status is None:
            run.answer(unknown_status(run.rest))
            return
        run.ack()  # first: whether the menu is shown is asked of Slack (who is in IT)
        try:
            can_set = self.is_it(run.user_id)
        except MembershipUnknown:  # the menu is left out; a click would be checked again anyway
            can_set = False
        run.respond(**register_message(self.vendors.register(status, limit=LIST_SHOWN), status, can_set=can_set))

    def _on_existing(self, sub: str, typed_id: str, user_id: str, ack: Ack) -> None:
        intake_id = parse_intake_id(typed_id)
        intake = self.service.get(intake_id) if intake_id else None
        if intake is None:
            ack(**bk.answer(f"There's no intake `{bk.escape(bk.truncate(typed_id, 40))}`. See `{COMMAND} list`."))
        elif sub == "status":
            ack(**status_message(intake, self.service.flags_of(intake), user_id))
        else:
            ack(**self._ask_withdraw(intake, user_id))

    def _ask_withdraw(self, intake: Intake, user_id: str) -> dict[str, Any]:
        """The confirm step, unless withdrawing would be refused already (the use case checks again on "Yes")."""
        if user_id != intake.requested_by:
            return bk.answer(NOT_YOURS)
        try:
            next_status(intake.status, "withdraw")
        except TransitionRefused as refused:
            return bk.answer(str(refused))
        return withdraw_step(intake)

    def withdraw_intake(self, intake_id: int, user_id: str) -> dict[str, Any]:
        """*Yes, withdraw it*: what `withdraw <id>` did at once before it asked first."""
        intake = self.service.get(intake_id)
        answer = bk.answer(answers.gone("intake"))
        if intake is not None:
            with contextlib.suppress(NotFound):  # gone between the two reads: the answer above
                answer = self.withdraw(intake, user_id)
        return answer

    def withdraw(self, intake: Intake, user_id: str) -> dict[str, Any]:
        """Withdraw the intake for its requester (the command's *Yes*, and Home's button): the answer to give."""
        try:
            done = self.service.act(intake.id, "withdraw", by=user_id)
        except (NotAllowed, TransitionRefused) as refused:
            return bk.answer(str(refused))
        told = f" I've let {bk.user(done.it_contact)} know." if done.it_contact else ""
        return bk.answer(f"↩️ Withdrew *{user_text(done.name, 200)}* (intake #{done.id}); IT sees it too.{told}")

    # --- the intake form ---

    def on_submit_intake(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        draft = draft_from(view.get("state", {}).get("values", {}), user_id)
        try:
            intake = self.service.submit(draft, by=user_id)
        except DraftRejected as rejected:
            ack(response_action="errors", errors=rejected.errors)
            return
        except NoChannelConfigured:
            ack(response_action="errors", errors={"name": "No IT intake channel is set up yet: ask a bot admin."})
            return
        channel = self.service.channel or ""
        ack(response_action="update", view=submitted_modal(intake, self.service.flags_of(intake), channel))

    # --- IT's buttons ---

    def on_it_button(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        verb = next(verb for verb, action_id in IT_BUTTONS.items() if action_id == action["action_id"])
        self._act(bk.row_id(action.get("value")), verb, body["user"]["id"], respond)

    def _act(self, intake_id: int, verb: str, user_id: str, respond: Respond) -> None:
        try:
            intake = self.service.act(intake_id, verb, by=user_id, it_member=self.is_it(user_id))
        except MembershipUnknown as problem:
            bk.tell(respond, self.membership_unknown(problem))
        except NotFound:
            bk.tell(respond, answers.gone("intake"))
        except NotAllowed:
            bk.tell(respond, self.refusal())
        except TransitionRefused as refused:
            bk.tell(respond, str(refused))
        except AlreadyTaken as taken:
            text = f"{bk.user(taken.it_contact)} already took it: ask them, or a bot admin, to hand it over."
            bk.tell(respond, text)
        else:
            told = ", ".join(bk.user(u) for u in intake.people_to_tell(besides=user_id))
            done = DONE_LINES[verb].format(name=user_text(intake.name, 200))
            bk.tell(respond, done + (f" I've told {told}." if told else ""))

    def on_ask(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        intake = self.service.get(bk.row_id(action.get("value")))
        if intake is None or not intake.is_open:
            bk.tell(respond, "That intake is closed or gone, so there's no one to ask.")
            return
        intro = (
            f"Your question about *{user_text(intake.name, 200)}* goes to the announcement's thread and to "
            f"{bk.user(intake.requested_by)} by DM."
        )
        view = note_modal("newproject_question", "Ask a question", intro, "Your question", intake.id)
        bk.open_modal(client, respond, body["trigger_id"], view)

    def on_reply(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """*Reply* in the requester's DM: a small form; the answer goes to the intake's thread (`on_submit_note`)."""
        intake = objects.named(ack, action, respond, self.service.get, answers.gone("intake"))
        if intake is None:
            return
        if body["user"]["id"] != intake.requested_by or not intake.is_open:
            bk.tell(respond, "Only the person who submitted an open intake can answer here.")
            return
        intro = f"Your answer about *{user_text(intake.name, 200)}* goes to its thread in the IT channel."
        view = note_modal("newproject_answer", "Reply", intro, "Your answer", intake.id)
        bk.open_modal(client, respond, body["trigger_id"], view)

    def on_decline(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user_id = body["user"]["id"]
        intake = self.service.get(bk.row_id(action.get("value")))
        try:
            allowed = intake is not None and self.is_it(user_id)
        except MembershipUnknown as problem:
            bk.tell(respond, self.membership_unknown(problem))
            return
        if intake is None:
            bk.tell(respond, answers.gone("intake"))
        elif not allowed:
            bk.tell(respond, self.refusal())
        elif not intake.is_open:
            bk.tell(respond, "That intake is already closed.")
        else:
            intro = f"Why not now? {bk.user(intake.requested_by)} will see your reason, so be kind and specific."
            view = note_modal("newproject_decline", "Not now", intro, "Reason", intake.id)
            bk.open_modal(client, respond, body["trigger_id"], view)

    def on_submit_note(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        verbs = {"newproject_question": "question", "newproject_answer": "answer"}
        verb = verbs.get(str(view.get("callback_id")), "decline")
        note = bk.input_value(view.get("state", {}).get("values", {}), "note")
        try:
            it_member = verb == "decline" and self.is_it(user_id)  # anyone may ask a question
            intake = self.service.act(metadata_id(view), verb, by=user_id, it_member=it_member, note=note)
        except MembershipUnknown as problem:
            text = f"I couldn't check with Slack who is in the IT intake channel ({problem}); please try again."
            ack(response_action="errors", errors={"note": text})
        except NotFound:
            ack(response_action="errors", errors={"note": answers.gone("intake")})
        except NotAllowed:
            ack(response_action="errors", errors={"note": MODAL_REFUSAL})
        except TransitionRefused as refused:
            ack(response_action="errors", errors={"note": str(refused)})
        else:
            done = DONE_LINES[verb].format(name=user_text(intake.name, 200))
            ack(response_action="update", view=bk.modal("newproject_done", "Thanks", [bk.section(done)]))


def register(app: App, services: Services) -> None:
    listeners = NewProjectListeners(services)
    listeners.commands.register(app)
    for action_id in IT_BUTTONS.values():
        app.action(action_id)(listeners.on_it_button)
    app.action("newproject_ask")(listeners.on_ask)
    app.action("newproject_decline")(listeners.on_decline)
    WITHDRAW_TYPED.register(app, listeners.withdraw_intake)
    app.view("newproject_intake")(listeners.on_submit_intake)
    app.view("newproject_question")(listeners.on_submit_note)
    app.view("newproject_decline")(listeners.on_submit_note)
    app.view("newproject_answer")(listeners.on_submit_note)
    app.action(REPLY)(listeners.on_reply)


def renderers(service: NewProjectService) -> dict[str, Renderer]:
    """The announcement card the outbox renders when it sends an update, from the intake's state then."""
    messages = NewProjectMessages()

    def announcement(subject: str, target: dict[str, Any]) -> dict[str, Any] | None:
        intake = service.get(bk.row_id(subject))
        if intake is None:
            return None
        return messages.announcement_update(intake, service.flags_of(intake), target["channel"], target["ts"])

    return {ANNOUNCEMENT: announcement}

"""The register of outside tools at the Slack edge: IT's status menu (on an intake's thread card and in
`/newproject vendors`) and the "Same as …?" buttons. The subcommand itself is a row of /newproject's table
(handlers/newproject.py); the Block Kit lives in handlers.vendors_messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.notify import Renderer
from bot.outcomes import NotAllowed, NotFound, Rejected
from bot.services import Services
from bot.vendor_rules import SAME, STATUS_LABELS
from bot.vendors import CARD, AlreadyAnswered, VendorService
from handlers import answers
from handlers import blocks as bk
from handlers.newproject import MembershipUnknown, NewProjectListeners
from handlers.vendors_messages import (
    DIFFERENT_BUTTON,
    SAME_BUTTON,
    SET_STATUS,
    STATUS_ICONS,
    card_message,
    name_text,
)

__all__ = ["VendorListeners", "register", "renderers"]

REFUSAL = "Only members of {channel} (or bot admins) decide about outside tools, sorry."
NO_IT_CHANNEL_REFUSAL = "No IT intake channel is chosen yet, so only bot admins decide about outside tools for now."


class VendorListeners:
    def __init__(self, services: Services) -> None:
        self.service = services.vendors
        self.newproject = NewProjectListeners(services)  # who is in IT, asked of Slack once per half minute

    def refusal(self) -> str:
        channel = self.newproject.it_channel
        return REFUSAL.format(channel=bk.channel(channel)) if channel else NO_IT_CHANNEL_REFUSAL

    def on_status(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        chosen = action.get("selected_option") or {}
        vendor_part, _, status = str(chosen.get("value", "")).partition(":")
        bk.tell(respond, self.set_status(bk.row_id(vendor_part), status, str(body["user"]["id"])))

    def set_status(self, vendor_id: int, status: str, user_id: str) -> str:
        """The status menu's answer, after the server's own checks (who, which vendor, which status)."""

        def decide(it_member: bool) -> str:
            vendor = self.service.set_status(vendor_id, status, by=user_id, it_member=it_member)
            told = ", ".join(bk.user(person) for person in vendor.requesters(besides=user_id))
            label = STATUS_LABELS[vendor.status].lower()
            done = f"{STATUS_ICONS[vendor.status]} *{name_text(vendor.name)}* is {label} now."
            return done + (f" I've told {told}." if told else "")

        return self._decide("tool", user_id, decide)

    def on_answer(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        same = action.get("action_id") == SAME_BUTTON
        bk.tell(respond, self.answer(bk.row_id(action.get("value")), same, str(body["user"]["id"])))

    def answer(self, question_id: int, same: bool, user_id: str) -> str:
        def decide(it_member: bool) -> str:
            question = self.service.answer(question_id, same=same, by=user_id, it_member=it_member)
            name, candidate = name_text(question.name), name_text(question.candidate_name)
            if question.status == SAME:
                return f"✅ *{name}* and *{candidate}* are one entry now, with the intakes of both."
            return f"↔️ *{name}* stays apart from *{candidate}*; I won't ask about the two again."

        return self._decide("question", user_id, decide)

    def _decide(self, thing: str, user_id: str, decide: Callable[[bool], str]) -> str:
        """IT's decision, given whether the person is in IT (asked of Slack); every refusal worded here, once."""
        try:
            return decide(self.newproject.is_it(user_id))
        except MembershipUnknown as problem:
            return self.newproject.membership_unknown(problem)
        except NotFound:
            return answers.gone(thing)
        except NotAllowed:
            return self.refusal()
        except AlreadyAnswered as answered:
            return f"{bk.user(answered.question.answered_by or '')} answered it already, so nothing was changed."
        except Rejected as refused:
            return str(refused)


def register(app: App, services: Services) -> None:
    listeners = VendorListeners(services)
    app.action(SET_STATUS)(listeners.on_status)
    app.action(SAME_BUTTON)(listeners.on_answer)
    app.action(DIFFERENT_BUTTON)(listeners.on_answer)


def renderers(service: VendorService) -> dict[str, Renderer]:
    """An intake's card, rendered when the outbox sends it, from the register's state then."""

    def card(subject: str, target: dict[str, Any]) -> dict[str, Any] | None:
        shown = service.card(bk.row_id(subject))
        if not shown.vendors and not shown.questions:
            return None
        return {**target, **card_message(shown)}

    return {CARD: card}

"""/newproject in App Home: the intakes a person submitted (all of them, decided ones too, with Withdraw on the
open ones) and, for IT, the intakes they took, the queue nobody has taken yet ("Take the oldest") and the outside
tools under review (handlers/vendors_messages.py).

`section(services, user_id)` is what handlers/home.py renders; `register_home(app, services)` adds the two
buttons only Home has (Withdraw and Take the oldest). Home's other buttons are the announcement's own, with its
action ids and values, so its listeners in handlers/newproject.py answer them (their answer becomes a notice on
the re-published Home, see handlers.home.HomeReplies).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.newproject import AlreadyTaken, IntakePage
from bot.newproject_rules import MAX_NAME, REVIEW, STATUS_LABELS, Intake, TransitionRefused
from bot.outcomes import NotAllowed, NotFound
from bot.services import Services
from handlers import answers
from handlers import blocks as bk
from handlers.newproject import DONE_LINES, ItMembership, MembershipUnknown, NewProjectListeners
from handlers.newproject_messages import COMMAND, IT_BUTTONS, STATUS_ICONS, event_line, launch_text, user_text
from handlers.vendors_messages import HOME_SHOWN, home_blocks

__all__ = ["TAKE_OLDEST", "WITHDRAW", "NewProjectHomeListeners", "register_home", "section"]

Block = dict[str, Any]

WITHDRAW = "newproject_withdraw"
TAKE_OLDEST = "newproject_take_oldest"
ROOM = 20  # blocks this section may take of Home's 100
FETCHED = ROOM  # intakes read per list: more than ever fit
NOTE_SHOWN = 120  # of the last event's note
CONFIRM_NAME = 40  # of the name in Withdraw's confirmation: escaped, it still fits Slack's 300 characters
TAKE_ATTEMPTS = 3  # "Take the oldest" while others take intakes too: the next oldest, a few times


# --- the section -------------------------------------------------------------------------------------------------


def section(services: Services, user_id: str) -> list[Block]:
    """The person's intakes, and for IT members their share of IT's queue; nothing when there is nothing."""
    service = services.newproject
    mine = service.requested_by(user_id, limit=FETCHED)
    taken = IntakePage([], 0)
    waiting_line: list[Block] = []
    if _is_it(services, user_id):
        taken = service.taken_by(user_id, limit=FETCHED)
        queue = service.unclaimed_queue()
        if queue.oldest is not None:
            waiting_line = [_waiting_block(queue.count, queue.oldest)]
        waiting_line += home_blocks(services.vendors.under_review(limit=HOME_SHOWN))  # outside tools IT reviews
    if not mine.total and not taken.total and not waiting_line:
        return []
    room = ROOM - 1 - len(waiting_line)  # 1: the header
    blocks: list[Block] = [bk.header("🚀 Project intakes")]
    taken_items = [_taken_blocks(intake) for intake in taken.intakes]
    if mine.total:
        need_taken = 1 + sum(len(item) for item in taken_items) if taken.total else 0
        mine_room = room if not taken.total else max(room // 2, room - need_taken)
        mine_items = [[_mine_block(intake)] for intake in mine.intakes]
        blocks += _part(f"*Your intakes* ({mine.total})", mine_items, mine.total, mine_room)
    if taken.total:
        title = f"*Taken by you in IT* ({taken.total} open)"
        blocks += _part(title, taken_items, taken.total, ROOM - len(waiting_line) - len(blocks))
    return blocks + waiting_line


def _is_it(services: Services, user_id: str) -> bool:
    """A bot admin, or a member of the IT intake channel (asked of Slack: Home is opened at human pace). When
    Slack cannot say, the person sees what any requester sees (the failure is logged)."""
    if services.settings.is_admin(user_id):
        return True
    try:
        return user_id in ItMembership(services.client, services.settings.it_intake_channel)
    except MembershipUnknown:
        return False


def _part(title: str, items: Sequence[list[Block]], total: int, room: int) -> list[Block]:
    """A title and the items' blocks, as many as fit in `room`; then a line saying how many more there are."""
    blocks = [bk.section(title)]
    for number, item in enumerate(items):
        more_after = total - number - 1
        if len(blocks) + len(item) + (1 if more_after else 0) > room:
            return [*blocks, bk.context(_more(total - number))]
        blocks += item
    if total > len(items):
        blocks.append(bk.context(_more(total - len(items))))
    return blocks


def _more(count: int) -> str:
    return f"…and {count} more: `{COMMAND} list mine` shows them all (`{COMMAND} status <id>` each one whole)."


def _mine_block(intake: Intake) -> Block:
    facts = [STATUS_LABELS[intake.status]]
    if intake.it_contact:
        facts.append(f"IT: {bk.user(intake.it_contact)}")
    elif intake.is_open:
        facts.append("_no IT contact yet_")
    facts.append(f"launch {launch_text(intake.draft.launch_date)}")
    text = f"`#{intake.id}` {STATUS_ICONS[intake.status]} *{user_text(intake.name, MAX_NAME)}*\n" + " · ".join(facts)
    if intake.events:
        text += f"\nLatest: {event_line(intake.events[-1], NOTE_SHOWN)}"
    if not intake.is_open:
        return bk.section(text)
    told = f", and {bk.user(intake.it_contact)} is told" if intake.it_contact else ""
    dialog = bk.confirm_dialog(
        "Withdraw this intake?",
        f"*{user_text(intake.name, CONFIRM_NAME)}* (intake #{intake.id}) is closed for good; "
        f"IT sees it withdrawn{told}.",
        "Withdraw",
    )
    return bk.section(text, accessory=bk.button("Withdraw", WITHDRAW, str(intake.id), style="danger", confirm=dialog))


def _taken_blocks(intake: Intake) -> list[Block]:
    text = (
        f"`#{intake.id}` {STATUS_ICONS[intake.status]} *{user_text(intake.name, MAX_NAME)}*\n"
        f"{STATUS_LABELS[intake.status]} · from {bk.user(intake.requested_by)} · "
        f"launch {launch_text(intake.draft.launch_date)}"
    )
    value = str(intake.id)
    buttons = [bk.button("Approve for planning", IT_BUTTONS["approve"], value, style="primary")]
    if intake.status != REVIEW:
        buttons.append(bk.button("Needs privacy/security review", IT_BUTTONS["review"], value))
    buttons.append(bk.button("Not now", "newproject_decline", value, style="danger"))
    return [bk.section(text), bk.actions(buttons)]


def _waiting_block(count: int, oldest: Intake) -> Block:
    intakes = "1 intake" if count == 1 else f"{count} intakes"
    text = (
        f"🆕 *{intakes}* nobody in IT has taken yet. The oldest: *{user_text(oldest.name, MAX_NAME)}* "
        f"(`#{oldest.id}`) from {bk.user(oldest.requested_by)}, waiting since {bk.slack_date(oldest.requested_at)}."
    )
    return bk.section(text, accessory=bk.button("Take the oldest", TAKE_OLDEST, "oldest", style="primary"))


# --- Home's own buttons --------------------------------------------------------------------------------------------


class NewProjectHomeListeners:
    """Withdraw and Take the oldest, worded as the command and the announcement's buttons word them."""

    def __init__(self, services: Services) -> None:
        self.service = services.newproject
        self.listeners = NewProjectListeners(services)

    def on_withdraw(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        intake = self.service.get(bk.row_id(action.get("value")))
        answer = bk.answer(answers.gone("intake"))
        if intake is not None:
            with contextlib.suppress(NotFound):  # gone between the two reads: the answer above
                answer = self.listeners.withdraw(intake, _user(body))
        respond(**answer, replace_original=False)

    def on_take_oldest(self, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        respond(**bk.answer(self._take_oldest(_user(body))), replace_original=False)

    def _take_oldest(self, user_id: str) -> str:
        try:
            if not self.listeners.is_it(user_id):
                return self.listeners.refusal()
        except MembershipUnknown as problem:
            return self.listeners.membership_unknown(problem)
        for _attempt in range(TAKE_ATTEMPTS):
            oldest = self.service.oldest_unclaimed()
            if oldest is None:
                return "🎉 Nobody is waiting: every open intake has an IT contact."
            try:
                intake = self.service.act(oldest.id, "claim", by=user_id, it_member=True, unclaimed_only=True)
            except (NotFound, AlreadyTaken, TransitionRefused):  # taken or closed meanwhile: the next oldest
                continue
            except NotAllowed:
                return self.listeners.refusal()
            told = ", ".join(bk.user(u) for u in intake.people_to_tell(besides=user_id))
            done = DONE_LINES["claim"].format(name=user_text(intake.name, 200))
            return done + (f" I've told {told}." if told else "")
        return "Others in IT were taking intakes at the same moment, so I didn't take one. Please try again."


def _user(body: dict[str, Any]) -> str:
    return str(body["user"]["id"])


def register_home(app: App, services: Services) -> None:
    """The listeners of the buttons only Home shows."""
    listeners = NewProjectHomeListeners(services)
    app.action(WITHDRAW)(listeners.on_withdraw)
    app.action(TAKE_OLDEST)(listeners.on_take_oldest)

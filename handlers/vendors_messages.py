"""The register of outside tools in Block Kit: an intake's thread card, `/newproject vendors`, Home's lines for
IT, and the DM a status change sends (VendorMessages)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.vendor_rules import (
    ASKED,
    SAME,
    STATUS_LABELS,
    STATUSES,
    IntakeVendors,
    Vendor,
    VendorQuestion,
)
from bot.vendors import VendorPage
from handlers import blocks as bk

COMMAND = "/newproject"
SET_STATUS = "vendors_status"  # the overflow beside a vendor: value "<vendor id>:<status>"
SAME_BUTTON, DIFFERENT_BUTTON = "vendors_same", "vendors_different"  # value: the question's id
NAME_SHOWN = 80
INTAKES_SHOWN = 8
CARD_VENDORS = 15  # a card's vendors and open questions: 1 + 15 + 2 x 10 + 3 blocks stay under a message's 50
CARD_QUESTIONS = 10
LIST_SHOWN = 45  # of the register in one answer: a header, the vendors, a "more" line and a footer
HOME_SHOWN = 8

STATUS_ICONS = {"proposed": "🆕", "review": "🔍", "approved": "✅", "rejected": "⛔", "retired": "🗄️"}
STATUS_VERBS = {
    "proposed": "Back to proposed",
    "review": "Put under review",
    "approved": "Approve",
    "rejected": "Reject",
    "retired": "Retire",
}


def name_text(name: str) -> str:
    return bk.escape(bk.truncate(name.strip(), NAME_SHOWN))


def intakes_text(vendor: Vendor) -> str:
    ids = vendor.intake_ids
    shown = ", ".join(f"#{intake_id}" for intake_id in ids[:INTAKES_SHOWN])
    more = f" and {len(ids) - INTAKES_SHOWN} more" if len(ids) > INTAKES_SHOWN else ""
    return f"{bk.plural(len(ids), 'intake')} ({shown}{more})" if ids else "no intakes"


def status_text(vendor: Vendor) -> str:
    label = STATUS_LABELS[vendor.status]
    return f"{STATUS_ICONS[vendor.status]} {label} by {bk.user(vendor.status_by)} {bk.slack_date(vendor.status_at)}"


def vendor_line(vendor: Vendor) -> str:
    personal = " · 🔐 personal data" if vendor.personal_data else ""
    first = f"first named in #{vendor.first_intake_id} " if vendor.first_intake_id else ""
    return (
        f"*{name_text(vendor.name)}* · {status_text(vendor)}\n"
        f"{intakes_text(vendor)}{personal} · {first}by {bk.user(vendor.requested_by)}"
    )


def status_menu(vendor: Vendor) -> bk.Block:
    """The statuses it can move to (its own left out: state decides the choices)."""
    options = [
        {"text": bk.plain(STATUS_VERBS[status]), "value": f"{vendor.id}:{status}"}
        for status in STATUSES
        if status != vendor.status
    ]
    return {"type": "overflow", "action_id": SET_STATUS, "options": options}


def vendor_block(vendor: Vendor, *, can_set: bool = True) -> bk.Block:
    return bk.section(vendor_line(vendor), accessory=status_menu(vendor) if can_set else None)


# --- an intake's card, in its announcement's thread ------------------------------------------------------------


def question_blocks(question: VendorQuestion) -> list[bk.Block]:
    name, candidate = name_text(question.name), name_text(question.candidate_name)
    text = f"❓ This intake names *{name}*, which is close to *{candidate}* in the register. Same as *{candidate}*?"
    value = str(question.id)
    buttons = [
        bk.button(f"Yes, it's {question.candidate_name}", SAME_BUTTON, value, style="primary"),
        bk.button("No, a different one", DIFFERENT_BUTTON, value),
    ]
    return [bk.section(text), bk.actions(buttons, block_id=f"vendors_question_{question.id}")]


def answered_line(question: VendorQuestion) -> str:
    name, candidate = name_text(question.name), name_text(question.candidate_name)
    who = bk.user(question.answered_by or "")
    if question.status == SAME:
        return f"✅ {who}: *{name}* is *{candidate}*, so they are one entry now."
    return f"↔️ {who}: *{name}* is not *{candidate}*; they stay apart, and I won't ask again."


def card_blocks(card: IntakeVendors) -> list[bk.Block]:
    blocks = [bk.section(f"🧩 *Outside tools named in intake #{card.intake_id}*")]
    blocks += [vendor_block(vendor) for vendor in card.vendors[:CARD_VENDORS]]
    if len(card.vendors) > CARD_VENDORS:
        blocks.append(bk.context(f"…and {len(card.vendors) - CARD_VENDORS} more: `{COMMAND} vendors` lists them."))
    open_questions = [q for q in card.questions if q.status == ASKED]
    for question in open_questions[:CARD_QUESTIONS]:
        blocks += question_blocks(question)
    answered = [answered_line(q) for q in card.questions if q.status != ASKED]
    if answered:
        blocks.append(bk.context(*answered[-10:]))
    blocks.append(
        bk.context(
            "IT members and bot admins set a status with ⋯; whoever named the tool hears of it. "
            f"The whole register: `{COMMAND} vendors`"
        )
    )
    return blocks


def card_message(card: IntakeVendors) -> dict[str, Any]:
    return bk.message(card_blocks(card), f"Outside tools named in intake #{card.intake_id}")


# --- `/newproject vendors [status]` ----------------------------------------------------------------------------


def register_message(page: VendorPage, status: str | None, *, can_set: bool) -> dict[str, Any]:
    title = "Outside tools" if status is None else f"Outside tools: {STATUS_LABELS[status].lower()}"
    if not page.total:
        where = "" if status is None else " with that status"
        return bk.answer(f"*{title}*\nNone{where} yet. Tools join when an intake names them (`{COMMAND}`).")
    blocks: list[bk.Block] = [bk.header(f"🧩 {title} ({page.total})")]
    blocks += [vendor_block(vendor, can_set=can_set) for vendor in page.vendors[:LIST_SHOWN]]
    if page.total > LIST_SHOWN:
        rest = page.total - LIST_SHOWN
        blocks.append(bk.context(f"…and {rest} more: `python -m bot vendors export FILE` writes them all."))
    how = "Set a status with ⋯ (IT members and bot admins)." if can_set else "IT sets each one's status."
    filters = " · ".join(f"`{COMMAND} vendors {s}`" for s in STATUSES)
    blocks.append(bk.context(f"{how} One status: {filters}"))
    return bk.message(blocks, title)


def unknown_status(typed: str) -> dict[str, Any]:
    known = ", ".join(f"`{s}`" for s in STATUSES)
    shown = bk.escape(bk.truncate(typed, 40))
    return bk.answer(f"`{shown}` isn't a status in the register. Try one of {known}, or nothing for all of it.")


# --- Home, for IT --------------------------------------------------------------------------------------------


def home_blocks(page: VendorPage) -> list[bk.Block]:
    """The tools under review, in one block; nothing when there are none."""
    if not page.total:
        return []
    lines = [f"• *{name_text(v.name)}* · {intakes_text(v)} · since {bk.slack_date(v.status_at)}" for v in page.vendors]
    shown = lines[:HOME_SHOWN]
    if page.total > len(shown):
        shown.append(f"…and {page.total - len(shown)} more: `{COMMAND} vendors review`")
    return [bk.section(f"🔍 *Outside tools under review* ({page.total})\n" + "\n".join(shown))]


# --- what the bot says on its own -----------------------------------------------------------------------------


def _yours(vendor: Vendor, user_id: str) -> Sequence[int]:
    return [use.intake_id for use in vendor.uses if use.requested_by == user_id]


class VendorMessages:
    """See bot.vendors.VendorMessages."""

    def status_dm(self, user_id: str, vendor: Vendor) -> dict[str, Any]:
        mine = _yours(vendor, user_id)
        yours = ", ".join(f"#{intake_id}" for intake_id in mine[:INTAKES_SHOWN])
        yours = f"Your intake {yours} names it." if len(mine) == 1 else f"Your intakes {yours} name it."
        label = STATUS_LABELS[vendor.status].lower()
        text = (
            f"{STATUS_ICONS[vendor.status]} {bk.user(vendor.status_by)} marked *{name_text(vendor.name)}* "
            f"{label} in the register of outside tools. {yours}"
        )
        blocks = [bk.section(text), bk.context(f"The register: `{COMMAND} vendors`")]
        return {"channel": user_id, **bk.message(blocks, f"{vendor.name}: {label}")}

"""/newproject's Block Kit: the answers the listeners give and what the bot says on its own (NewProjectMessages)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.newproject import NewProjectStats
from bot.newproject_rules import (
    ACTION_PAST,
    BUDGET_CHOICES,
    MAX_NAME,
    PERSONAL_DATA_CHOICES,
    STATUS_LABELS,
    Intake,
    IntakeDraft,
    IntakeEvent,
    PeriodStats,
    approval_waits_for_review,
    offered_actions,
)
from handlers import blocks as bk
from handlers.confirm import Ask

COMMAND = "/newproject"
LIST_LIMIT = 25
ANSWER_SHOWN = 300  # the channel's card shows each answer up to this, a note up to NOTE_SHOWN, the latest events
NOTE_SHOWN = 120
EVENTS_SHOWN = 6
HISTORY_ROOM = 5  # blocks kept for the history in `status`, however long the answers


STATUS_ICONS = {"new": "🆕", "claimed": "🙋", "review": "🔒", "approved": "✅", "declined": "⏸️", "withdrawn": "↩️"}
STATUS_SHORT = {
    "new": "waiting for IT",
    "claimed": "taken by IT",
    "review": "in privacy/security review",
    "approved": "approved",
    "declined": "not now",
    "withdrawn": "withdrawn",
}
FLAG_ICONS = {
    "personal data": "🔐",
    "personal data unclear": "❔",
    "new vendor": "🧩",
    "short notice": "⏳",
    "urgent": "🚨",
}
ACTION_LINES = {
    "submit": "submitted it",
    "claim": "took it",
    "review": "asked for a privacy/security review",
    "approve": "approved it for planning",
    "decline": "said not now",
    "withdraw": "withdrew it",
    "question": "asked a question",
    "answer": "answered a question",
}
IT_BUTTONS = {
    "claim": "newproject_claim",
    "review": "newproject_review",
    "approve": "newproject_approve",
}
REPLY = "newproject_reply"  # the requester's *Reply* to IT's question, in the DM that brought it
WITHDRAW_TYPED = Ask("newproject_withdraw_yes", "Yes, withdraw it", "Withdraw this intake?")


# --- rendering -----------------------------------------------------------------------------------------------


def user_text(text: str, limit: int) -> str:
    """Typed text, cut to fit, made inert (no pings, no hidden links)."""
    return bk.escape(bk.truncate(text.strip(), limit))


def quoted(note: str) -> str:
    """A note as a quote, whole: every line of it (a `>` quotes one line only), escaped."""
    return "\n".join(f"> {line}" for line in bk.escape(note.strip()).splitlines() if line.strip()) or "> …"


def launch_text(launch: date | None) -> str:
    return f"{launch:%a %d %b %Y}" if launch else "no date"


def flags_line(found: list[str]) -> str:
    return "  ".join(f"{FLAG_ICONS.get(flag, '•')} *{flag}*" for flag in found) or "No flags"


def status_line(intake: Intake) -> str:
    line = f"{STATUS_ICONS[intake.status]} *Status:* {STATUS_LABELS[intake.status]}"
    if intake.it_contact:
        line += f" · IT contact: {bk.user(intake.it_contact)}"
    return line


def event_line(event: IntakeEvent, note_limit: int | None = None) -> str:
    line = f"{bk.slack_date(event.at)} {bk.user(event.actor)} {ACTION_LINES.get(event.action, event.action)}"
    if event.note:
        line += f": “{answer_text(event.note, note_limit)}”"
    return line


def detail_fields(draft: IntakeDraft, limit: int | None = None) -> list[str]:
    """The intake's answers, each cut to `limit` (with "…") when one is given, else whole."""
    stakeholders = ", ".join(bk.user(u) for u in draft.stakeholders) or "—"
    pairs = [
        ("Business case", draft.business_case),
        ("Desired outcomes", draft.outcomes),
        ("Audiences and channels", draft.audiences),
        ("Data needed", draft.data_needed),
        ("Systems to integrate with", draft.integrations),
        ("New external tools or vendors", draft.new_vendors),
    ]
    fields = [f"*{label}*\n{answer_text(value, limit) or '—'}" for label, value in pairs]
    fields.append(f"*Personal data*\n{PERSONAL_DATA_CHOICES.get(draft.personal_data, '—')}")
    fields.append(f"*Budget*\n{BUDGET_CHOICES.get(draft.budget, '—')}")
    fields.append(f"*Stakeholders*\n{stakeholders}")
    return fields


def answer_text(text: str, limit: int | None) -> str:
    return bk.escape(text.strip()) if limit is None else user_text(text, limit)


def is_cut(intake: Intake) -> bool:
    """Whether the announcement shows less than the intake holds (answers, notes, older events)."""
    d = intake.draft
    answers = (d.business_case, d.outcomes, d.audiences, d.data_needed, d.integrations, d.new_vendors)
    long_answer = any(bk.length(text.strip()) > ANSWER_SHOWN for text in answers)
    long_note = any(bk.length(e.note.strip()) > NOTE_SHOWN for e in intake.events[-EVENTS_SHOWN:] if e.note)
    return long_answer or long_note or len(intake.events) > EVENTS_SHOWN


def summary_text(intake: Intake, found: list[str]) -> str:
    owner = bk.user(intake.owner)
    return (
        f"From {bk.user(intake.requested_by)} · marketing owner {owner}\n"
        f"*Launch:* {launch_text(intake.draft.launch_date)} · *{intake.lead_days} days* of lead time\n"
        f"{flags_line(found)}"
    )


def action_buttons(intake: Intake) -> list[bk.Block]:
    """The buttons its state allows (bot.newproject_rules.offered_actions): none once it is decided."""
    value = str(intake.id)
    every = {
        "claim": bk.button("I'll take it", IT_BUTTONS["claim"], value, style="primary"),
        "question": bk.button("Ask a question", "newproject_ask", value),
        "review": bk.button("Needs privacy/security review", IT_BUTTONS["review"], value),
        "approve": bk.button("Approve for planning", IT_BUTTONS["approve"], value),
        "decline": bk.button("Not now", "newproject_decline", value, style="danger"),
    }
    offered = [every[action] for action in offered_actions(intake)]
    return [bk.actions(offered, block_id=f"newproject_{intake.id}")] if offered else []


def waiting_note(intake: Intake) -> list[bk.Block]:
    if not approval_waits_for_review(intake.status):
        return []
    text = "Approval for planning waits for the privacy/security review: once it has passed, a bot admin approves it."
    return [bk.context(f"{STATUS_ICONS[intake.status]} {text}")]


def announcement_blocks(intake: Intake, found: list[str]) -> list[bk.Block]:
    """The channel's card: each answer and note in short, and, when anything is cut, a line saying so and
    where to read it whole."""
    history = [event_line(e, NOTE_SHOWN) for e in intake.events[-EVENTS_SHOWN:]]
    blocks: list[bk.Block] = [
        *bk.titled("New project", intake.name),
        bk.section(summary_text(intake, found)),
        bk.fields_section(detail_fields(intake.draft, ANSWER_SHOWN)),
        bk.section(status_line(intake)),
        bk.context(*history),
    ]
    blocks += [*waiting_note(intake), *action_buttons(intake)]
    whole = f"`{COMMAND} status {intake.id}` shows everything"
    if is_cut(intake):
        whole = f"answers and history are cut short here (…): `{COMMAND} status {intake.id}` shows them whole"
    blocks.append(bk.context(f"Intake #{intake.id} · {whole}"))
    return blocks


def announcement_message(intake: Intake, found: list[str]) -> dict[str, Any]:
    fallback = f"New project from marketing: {intake.name} ({STATUS_SHORT[intake.status]})"
    return bk.message(announcement_blocks(intake, found), fallback)


def status_message(intake: Intake, found: list[str], viewer: str) -> dict[str, Any]:
    """Everything about one intake, whole: every answer, every event and its note."""
    head: list[bk.Block] = [*bk.titled(f"#{intake.id}", intake.name, " "), bk.section(summary_text(intake, found))]
    tail: list[bk.Block] = []
    if viewer == intake.requested_by and intake.is_open:
        tail.append(bk.actions([withdraw_button(intake)]))
    room = bk.MESSAGE_BLOCK_LIMIT - len(head) - 1 - len(tail)  # 1: the status line
    details = bk.fields_or_sections(
        detail_fields(intake.draft),
        room=room - HISTORY_ROOM,
        left_out=lambda count: f"…and {count} more answers, more than Slack lets me show in one message.",
    )
    history = history_blocks(intake.events, room - len(details))
    return bk.message(
        [*head, *details, bk.section(status_line(intake)), *history, *tail], f"Intake #{intake.id}: {intake.name}"
    )


def withdraw_warning(intake: Intake) -> str:
    told = f", and {bk.user(intake.it_contact)} is told" if intake.it_contact else ""
    return f"It is closed for good: IT sees it withdrawn{told}."


def withdraw_step(intake: Intake) -> dict[str, Any]:
    """`/newproject withdraw <id>` asks first, as Home's *Withdraw* does: it is withdrawn on "Yes"."""
    return WITHDRAW_TYPED.step(
        f"Withdraw *{user_text(intake.name, 200)}* (intake #{intake.id})?", withdraw_warning(intake), str(intake.id)
    )


def withdraw_button(intake: Intake) -> bk.Block:
    """*Withdraw* on the intake itself (its status, the requester's DMs): Slack asks first, then it is withdrawn."""
    return WITHDRAW_TYPED.button("Withdraw", str(intake.id), withdraw_warning(intake))


def history_blocks(events: Sequence[IntakeEvent], room: int) -> list[bk.Block]:
    """The events, oldest first, notes whole; when they need more than `room` blocks, the latest that fit,
    after a line saying how many earlier ones are left out."""
    lines = [event_line(event) for event in events]
    for skip in range(len(lines) + 1):
        parts = ["*History*", *([f"_…{skip} earlier events, not shown_"] if skip else []), *lines[skip:]]
        if bk.sections_needed(parts) <= room:
            return bk.long_sections(parts, room=room, left_out=lambda count: f"…and {count} more events.")
    return []


def list_line(intake: Intake) -> str:
    contact = f"IT: {bk.user(intake.it_contact)}" if intake.it_contact else "_no IT contact yet_"
    return (
        f"`#{intake.id}` {STATUS_ICONS[intake.status]} *{user_text(intake.name, MAX_NAME)}* — "
        f"launch {launch_text(intake.draft.launch_date)} · from {bk.user(intake.requested_by)} · {contact}"
    )


def list_message(intakes: list[Intake], which: str) -> dict[str, Any]:
    titles = {"": "Open intakes", "mine": "Your open intakes", "unclaimed": "Open intakes no one in IT has taken"}
    title = titles[which]
    if not intakes:
        return bk.answer(f"*{title}*\nNone right now. Tell IT about a project with `{COMMAND}`.")
    shown = [list_line(i) for i in intakes[:LIST_LIMIT]]
    blocks = [bk.section(f"*{title}* ({len(intakes)})")]
    blocks += bk.long_sections(shown, room=bk.MESSAGE_BLOCK_LIMIT - 2, left_out=lambda count: f"…and {count} more.")
    more = f"…and {len(intakes) - LIST_LIMIT} more, soonest launch first. " if len(intakes) > LIST_LIMIT else ""
    blocks.append(bk.context(f"{more}Details: `{COMMAND} status <id>`"))
    return bk.message(blocks, title)


def hours_text(hours: float | None) -> str:
    if hours is None:
        return "—"
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def days_text(days: float | None) -> str:
    return "—" if days is None else f"{days:g} days"


def period_line(period: PeriodStats) -> str:
    counts = ", ".join(f"{n} {STATUS_SHORT[s]}" for s, n in period.by_status.items())
    return (
        f"*{period.label}* · {bk.plural(period.total, 'intake')}: {counts}\n"
        f"    median lead time {days_text(period.median_lead_days)} · "
        f"median time to IT pickup {hours_text(period.median_pickup_hours)}"
    )


def stats_message(stats: NewProjectStats) -> dict[str, Any]:
    if not stats.overall.total:
        return bk.answer(f"No intakes yet. The first one is a `{COMMAND}` away.")
    months = "\n".join(period_line(p) for p in stats.months[-12:])
    blocks = [
        bk.header("Project intake stats"),
        bk.section(period_line(stats.overall)),
        bk.section(f"*By month of submission*\n{months}"),
        bk.context("Lead time: days from submission to the target launch. Pickup: submission to “I'll take it”."),
    ]
    return bk.message(blocks, "Project intake stats")


class NewProjectMessages:
    """What the bot says on its own about intakes (see bot.newproject.NewProjectMessages)."""

    def announcement(self, intake: Intake, flags: list[str], channel: str) -> dict[str, Any]:
        return {"channel": channel, **announcement_message(intake, flags)}

    def announcement_update(self, intake: Intake, flags: list[str], channel: str, ts: str) -> dict[str, Any]:
        return {"channel": channel, "ts": ts, **announcement_message(intake, flags)}

    def news_dm(self, user_id: str, intake: Intake, event: IntakeEvent) -> dict[str, Any]:
        name = user_text(intake.name, 200)
        text = f"{bk.user(event.actor)} {ACTION_LINES[event.action]}: *{name}* (intake #{intake.id})."
        blocks = [bk.section(text)]
        if event.note:
            blocks += bk.long_text(quoted(event.note), room=10, rest=f"…the rest: `{COMMAND} status {intake.id}`")
        if event.action == "question" and user_id == intake.requested_by and intake.is_open:
            reply = bk.button("Reply", REPLY, str(intake.id), style="primary")
            blocks += [bk.actions([reply]), bk.context("Your answer goes to the intake's thread in the IT channel.")]
        blocks.append(bk.context(f"{status_line(intake)} · `{COMMAND} status {intake.id}`"))
        if user_id == intake.requested_by and intake.is_open:
            blocks.append(bk.actions([withdraw_button(intake)]))
        fallback = f"{intake.name}: {ACTION_PAST[event.action]}"
        return {"channel": user_id, **bk.message(blocks, fallback)}

    def question_in_thread(self, intake: Intake, event: IntakeEvent, channel: str, ts: str) -> dict[str, Any]:
        """A question in the announcement's thread, or the requester's answer to one (*Reply* in their DM)."""
        rest = f"…the rest: `{COMMAND} status {intake.id}`"
        if event.action == "answer":
            answer = f"💬 {bk.user(event.actor)} answers:\n{quoted(event.note)}"
            return {
                "channel": channel,
                "thread_ts": ts,
                **bk.message(bk.long_text(answer, room=10, rest=rest), f"An answer about {intake.name}"),
            }
        question = f"❓ {bk.user(event.actor)} asks:\n{quoted(event.note)}"
        blocks = [
            *bk.long_text(question, room=10, rest=rest),
            bk.context(
                f"{bk.user(intake.requested_by)}, you can answer right here in the thread, or with *Reply* in my DM."
            ),
        ]
        return {"channel": channel, "thread_ts": ts, **bk.message(blocks, f"A question about {intake.name}")}

    def reminder(self, intake: Intake, channel: str, ts: str | None) -> dict[str, Any]:
        text = (
            f"⏰ *{user_text(intake.name, 200)}* (intake #{intake.id}) from {bk.user(intake.requested_by)} "
            f"is still waiting for an IT contact. Launch: {launch_text(intake.draft.launch_date)}. "
            "Can someone take it?"
        )
        payload: dict[str, Any] = {"channel": channel, **bk.message([bk.section(text)], text, text_is_mrkdwn=True)}
        if ts:
            payload.update(thread_ts=ts, reply_broadcast=True)
        return payload

    def admin_escalation(self, target: str, intake: Intake, it_channel: str) -> dict[str, Any]:
        text = (
            f"⚠️ Nobody in IT has taken *{user_text(intake.name, 200)}* (intake #{intake.id}) from "
            f"{bk.user(intake.requested_by)}, submitted {bk.slack_date(intake.requested_at)}, despite a reminder "
            f"in {bk.channel(it_channel)}. Launch: {launch_text(intake.draft.launch_date)}."
        )
        return {"channel": target, **bk.message([bk.section(text)], text, text_is_mrkdwn=True)}

    def announcement_failed(self, user_id: str, intake: Intake, channel: str) -> dict[str, Any]:
        where = bk.channel(channel) if channel else "the IT intake channel"
        text = (
            f"⚠️ Slack wouldn't let me post *{user_text(intake.name, 200)}* (intake #{intake.id}) in {where}, "
            "so IT hasn't seen it yet. Please ask a bot admin to invite me there (`/invite @Bridgebot`); "
            f"meanwhile your intake is kept: `{COMMAND} status {intake.id}`."
        )
        return {"channel": user_id, **bk.message([bk.section(text)], text, text_is_mrkdwn=True)}

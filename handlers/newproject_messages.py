"""/newproject's Block Kit: the answers the listeners give and what the bot says on its own (NewProjectMessages)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.newproject import NewProjectStats
from bot.newproject_rules import (
    ACTION_PAST,
    BUDGET_CHOICES,
    MAX_NOTE,
    PERSONAL_DATA_CHOICES,
    STATUS_LABELS,
    Intake,
    IntakeDraft,
    IntakeEvent,
    PeriodStats,
)
from handlers import blocks as bk

COMMAND = "/newproject"
LIST_LIMIT = 25


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
}
IT_BUTTONS = {
    "claim": "newproject_claim",
    "review": "newproject_review",
    "approve": "newproject_approve",
}


# --- rendering -----------------------------------------------------------------------------------------------


def user_text(text: str, limit: int) -> str:
    """Typed text, cut to fit, made inert (no pings, no hidden links)."""
    return bk.escape(bk.truncate(text.strip(), limit))


def launch_text(launch: date | None) -> str:
    return f"{launch:%a %d %b %Y}" if launch else "no date"


def flags_line(found: list[str]) -> str:
    return "  ".join(f"{FLAG_ICONS.get(flag, '•')} *{flag}*" for flag in found) or "No flags"


def status_line(intake: Intake) -> str:
    line = f"{STATUS_ICONS[intake.status]} *Status:* {STATUS_LABELS[intake.status]}"
    if intake.it_contact:
        line += f" · IT contact: {bk.user(intake.it_contact)}"
    return line


def event_line(event: IntakeEvent, note_limit: int = 200) -> str:
    line = f"{bk.slack_date(event.at)} {bk.user(event.actor)} {ACTION_LINES.get(event.action, event.action)}"
    if event.note:
        line += f": “{user_text(event.note, note_limit)}”"
    return line


def detail_fields(draft: IntakeDraft, limit: int) -> list[str]:
    stakeholders = ", ".join(bk.user(u) for u in draft.stakeholders) or "—"
    pairs = [
        ("Business case", draft.business_case),
        ("Desired outcomes", draft.outcomes),
        ("Audiences and channels", draft.audiences),
        ("Data needed", draft.data_needed),
        ("Systems to integrate with", draft.integrations),
        ("New external tools or vendors", draft.new_vendors),
    ]
    fields = [f"*{label}*\n{user_text(value, limit) or '—'}" for label, value in pairs]
    fields.append(f"*Personal data*\n{PERSONAL_DATA_CHOICES.get(draft.personal_data, '—')}")
    fields.append(f"*Budget*\n{BUDGET_CHOICES.get(draft.budget, '—')}")
    fields.append(f"*Stakeholders*\n{stakeholders}")
    return fields


def summary_text(intake: Intake, found: list[str]) -> str:
    owner = bk.user(intake.owner)
    return (
        f"From {bk.user(intake.requested_by)} · marketing owner {owner}\n"
        f"*Launch:* {launch_text(intake.draft.launch_date)} · *{intake.lead_days} days* of lead time\n"
        f"{flags_line(found)}"
    )


def action_buttons(intake: Intake) -> bk.Block:
    value = str(intake.id)
    return bk.actions(
        [
            bk.button("I'll take it", IT_BUTTONS["claim"], value, style="primary"),
            bk.button("Ask a question", "newproject_ask", value),
            bk.button("Needs privacy/security review", IT_BUTTONS["review"], value),
            bk.button("Approve for planning", IT_BUTTONS["approve"], value),
            bk.button("Not now", "newproject_decline", value, style="danger"),
        ],
        block_id=f"newproject_{intake.id}",
    )


def announcement_blocks(intake: Intake, found: list[str]) -> list[bk.Block]:
    history = [event_line(e, 120) for e in intake.events[-6:]]
    blocks: list[bk.Block] = [
        bk.header(f"New project: {intake.name}"),
        bk.section(summary_text(intake, found)),
        bk.fields_section(detail_fields(intake.draft, 300)[:10]),
        bk.section(status_line(intake)),
        bk.context(*history),
    ]
    if intake.is_open:
        blocks.append(action_buttons(intake))
    blocks.append(bk.context(f"Intake #{intake.id} · `{COMMAND} status {intake.id}` shows everything"))
    return blocks


def announcement_message(intake: Intake, found: list[str]) -> dict[str, Any]:
    fallback = f"New project from marketing: {intake.name} ({STATUS_SHORT[intake.status]})"
    return bk.message(announcement_blocks(intake, found), fallback)


def status_message(intake: Intake, found: list[str], viewer: str) -> dict[str, Any]:
    history = "\n".join(event_line(e, 150) for e in intake.events[-15:])
    blocks: list[bk.Block] = [
        bk.header(f"#{intake.id} {intake.name}"),
        bk.section(summary_text(intake, found)),
        bk.fields_section(detail_fields(intake.draft, 1500)[:10]),
        bk.section(status_line(intake)),
        bk.section(f"*History*\n{history}"),
    ]
    if viewer == intake.requested_by and intake.is_open:
        blocks.append(bk.context(f"Changed your plans? `{COMMAND} withdraw {intake.id}`"))
    return bk.message(blocks, f"Intake #{intake.id}: {intake.name}")


def list_line(intake: Intake) -> str:
    contact = f"IT: {bk.user(intake.it_contact)}" if intake.it_contact else "_no IT contact yet_"
    return (
        f"`#{intake.id}` {STATUS_ICONS[intake.status]} *{user_text(intake.name, 100)}* — "
        f"launch {launch_text(intake.draft.launch_date)} · from {bk.user(intake.requested_by)} · {contact}"
    )


def list_message(intakes: list[Intake], which: str) -> dict[str, Any]:
    titles = {"": "Open intakes", "mine": "Your open intakes", "unclaimed": "Open intakes no one in IT has taken"}
    title = titles[which]
    if not intakes:
        return bk.answer(f"*{title}*\nNone right now. Tell IT about a project with `{COMMAND}`.")
    shown = [list_line(i) for i in intakes[:LIST_LIMIT]]
    blocks = [bk.section(f"*{title}* ({len(intakes)})")]
    blocks += [bk.section("\n".join(shown[start : start + 10])) for start in range(0, len(shown), 10)]
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
        f"*{period.label}* · {period.total} intake(s): {counts}\n"
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
            blocks.append(bk.section(f"> {user_text(event.note, MAX_NOTE)}"))
        if event.action == "question":
            blocks.append(bk.context("Answer in the intake's thread in the IT channel, or reply to them directly."))
        blocks.append(bk.context(f"{status_line(intake)} · `{COMMAND} status {intake.id}`"))
        fallback = f"{intake.name}: {ACTION_PAST[event.action]}"
        return {"channel": user_id, **bk.message(blocks, fallback)}

    def question_in_thread(self, intake: Intake, event: IntakeEvent, channel: str, ts: str) -> dict[str, Any]:
        blocks = [
            bk.section(f"❓ {bk.user(event.actor)} asks:\n> {user_text(event.note, MAX_NOTE)}"),
            bk.context(f"{bk.user(intake.requested_by)}, you can answer right here in the thread."),
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

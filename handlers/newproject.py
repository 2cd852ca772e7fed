"""/newproject: parse what Slack sends, call the intake service, render Block Kit."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.newproject import ANNOUNCEMENT, AlreadyTaken, NewProjectService, NewProjectStats
from bot.newproject_rules import (
    ACTION_PAST,
    BUDGET_CHOICES,
    MAX_NAME,
    MAX_NOTE,
    MAX_TEXT,
    PERSONAL_DATA_CHOICES,
    STATUS_LABELS,
    Intake,
    IntakeDraft,
    IntakeEvent,
    PeriodStats,
    TransitionRefused,
    parse_intake_id,
)
from bot.notify import Renderer
from bot.outcomes import DraftRejected, NoChannelConfigured, NotAllowed, NotFound
from bot.services import Services
from handlers import answers
from handlers import blocks as bk
from handlers.commands import CommandTable, Invocation, Subcommand

log = logging.getLogger(__name__)

COMMAND = "/newproject"
LIST_LIMIT = 25
MEMBERSHIP_CACHE_SECONDS = 30.0

INTRO = (
    "🚀 *Tell IT early.* Describe a marketing initiative while it's still an idea: IT sees it in their "
    "intake channel, someone takes it, and you hear back here."
)

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
DONE_LINES = {
    "claim": "🙋 You're the IT contact for *{name}*.",
    "review": "🔒 *{name}* is marked for a privacy/security review.",
    "approve": "✅ *{name}* is approved for planning.",
    "decline": "⏸️ *{name}* is marked “not now”.",
    "question": "❓ Your question about *{name}* is on its way.",
}
REFUSAL = (
    "Only members of {channel} (or bot admins) can take, review, approve or decline intakes, sorry. "
    "Anyone can still *Ask a question*."
)
NO_IT_CHANNEL_REFUSAL = (
    "No IT intake channel is set up (`IT_INTAKE_CHANNEL`), so only bot admins can take, review, approve or "
    "decline intakes for now, sorry. Anyone can still *Ask a question*."
)
MEMBERSHIP_UNKNOWN = (
    "⚠️ I couldn't check with Slack who is in {channel} just now (`{error}`), so nothing was changed. "
    "Please try again in a minute; if it keeps happening, a bot admin should invite me to that channel."
)
MODAL_REFUSAL = "Only members of the IT intake channel (or bot admins) can decline intakes."


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


def _input(block_id: str, label: str, element: bk.Block, *, optional: bool = False, hint: str = "") -> bk.Block:
    block: bk.Block = {
        "type": "input",
        "block_id": block_id,
        "label": bk.plain(label, 2000),
        "element": {"action_id": "value", **element},
        "optional": optional,
    }
    if hint:
        block["hint"] = bk.plain(hint, 2000)
    return block


def intake_modal(user_id: str, short_notice_days: int) -> dict[str, Any]:
    def long_text(block_id: str, label: str, placeholder: str, *, optional: bool = True, hint: str = "") -> bk.Block:
        return bk.text_input(
            block_id,
            label,
            multiline=True,
            optional=optional,
            max_length=MAX_TEXT,
            placeholder=placeholder,
            hint=hint,
        )

    blocks = [
        bk.section("The earlier IT hears about it, the more they can help. Rough answers are fine."),
        bk.text_input("name", "Project name", max_length=MAX_NAME, placeholder="Spring loyalty campaign"),
        long_text("business_case", "Business case", "Why does the business want this?", optional=False),
        long_text("outcomes", "Desired outcomes (measurable)", "+15% repeat purchases by June"),
        _input(
            "launch_date",
            "Target launch date",
            {"type": "datepicker", "placeholder": bk.plain("Pick a date")},
            hint=f"Fewer than {short_notice_days} days away is short notice for IT; a best guess is fine.",
        ),
        long_text("audiences", "Audiences and channels", "Existing customers; email, Instagram"),
        long_text("data_needed", "Customer data needed", "Which data, and where it lives if you know"),
        bk.select_input("personal_data", "Does that data include personal data?", list(PERSONAL_DATA_CHOICES.items())),
        long_text("integrations", "Systems it must integrate with", "CRM, web shop, analytics…"),
        long_text(
            "new_vendors",
            "Any new external tools, vendors or agencies?",
            "Name them, even free or trial ones; 'none' if none",
            hint="Anything IT hasn't set up for you: new SaaS sign-ups, plugins, agencies. Asking early beats "
            "finding out at launch.",
        ),
        bk.select_input("budget", "Budget range", list(BUDGET_CHOICES.items()), optional=True),
        _input("owner", "Marketing owner", {"type": "users_select", "initial_user": user_id}),
        _input("stakeholders", "Other stakeholders", {"type": "multi_users_select"}, optional=True),
    ]
    return bk.modal("newproject_intake", "Tell IT about a project", blocks, submit="Send to IT")


def submitted_modal(intake: Intake, found: list[str], channel: str) -> dict[str, Any]:
    blocks = [
        bk.section(
            f"📨 *{user_text(intake.name, 200)}* is on its way to IT in {bk.channel(channel)} "
            f"(intake #{intake.id}). I'll DM you as soon as someone picks it up or asks a question."
        ),
        bk.section(f"Lead time: *{intake.lead_days} days* before launch · {flags_line(found)}"),
        bk.context(f"Follow it with `{COMMAND} status {intake.id}`"),
    ]
    return bk.modal("newproject_submitted", "Sent to IT", blocks)


def note_modal(callback_id: str, title: str, intro: str, label: str, intake_id: int) -> dict[str, Any]:
    blocks = [
        bk.section(intro),
        bk.text_input("note", label, multiline=True, max_length=MAX_NOTE),
    ]
    return bk.modal(callback_id, title, blocks, submit="Send", metadata=json.dumps({"intake_id": intake_id}))


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


# --- reading the forms ---------------------------------------------------------------------------------------


def _element(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    element = values.get(block_id, {}).get("value")
    return element if isinstance(element, dict) else {}


def _date(values: dict[str, Any], block_id: str) -> date | None:
    try:
        return date.fromisoformat(_element(values, block_id).get("selected_date") or "")
    except ValueError:
        return None


def draft_from(values: dict[str, Any], user_id: str) -> IntakeDraft:
    def text(block_id: str) -> str:
        return bk.input_value(values, block_id)

    stakeholders = _element(values, "stakeholders").get("selected_users") or []
    return IntakeDraft(
        name=text("name"),
        business_case=text("business_case"),
        launch_date=_date(values, "launch_date"),
        outcomes=text("outcomes"),
        audiences=text("audiences"),
        data_needed=text("data_needed"),
        personal_data=text("personal_data"),
        integrations=text("integrations"),
        new_vendors=text("new_vendors"),
        budget=text("budget"),
        owner=_element(values, "owner").get("selected_user") or user_id,
        stakeholders=tuple(dict.fromkeys(str(u) for u in stakeholders)),
    )


def _metadata_id(view: dict[str, Any]) -> int:
    try:
        return int(json.loads(view.get("private_metadata") or "{}").get("intake_id") or 0)
    except (TypeError, ValueError):
        return 0


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
        members: set[str] = set()
        cursor = None
        try:
            while True:
                page = self.client.conversations_members(channel=self.channel, cursor=cursor, limit=1000)
                members.update(page.get("members") or [])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return frozenset(members)
        except SlackApiError as error:  # not cached: the next click asks Slack again
            code = str(error.response.get("error") or "no error code")
            log.warning("could not read the IT intake channel's members: %s", code)
            raise MembershipUnknown(code) from error


# --- listeners -----------------------------------------------------------------------------------------------


class NewProjectListeners:
    def __init__(self, services: Services) -> None:
        self.service = services.newproject
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
            Subcommand("withdraw <id>", "withdraw an intake you submitted", existing, needs_text=True),
            Subcommand(
                "stats",
                "intakes by status, median lead time and time to IT pickup, by month",
                lambda run: run.answer(stats_message(self.service.stats())),
                takes_nothing=True,
            ),
            Subcommand("help", "this message", lambda run: run.answer(self.commands.help_message())),
        ]
        return CommandTable(
            COMMAND,
            INTRO,
            rows,
            empty=self._open_form,
            examples=[("", "tell IT about a new marketing initiative (opens a form): the earlier, the better")],
        )

    def _open_form(self, run: Invocation) -> None:
        run.ack()
        view = intake_modal(run.user_id, self.service.settings.short_notice_days)
        bk.open_modal(run.client, run.respond, run.trigger_id, view)

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

    def _on_existing(self, sub: str, typed_id: str, user_id: str, ack: Ack) -> None:
        intake_id = parse_intake_id(typed_id)
        intake = self.service.get(intake_id) if intake_id else None
        if intake is None:
            ack(**bk.answer(f"There's no intake `{bk.escape(bk.truncate(typed_id, 40))}`. See `{COMMAND} list`."))
        elif sub == "status":
            ack(**status_message(intake, self.service.flags_of(intake), user_id))
        else:
            ack(**self._withdraw(intake, user_id))

    def _withdraw(self, intake: Intake, user_id: str) -> dict[str, Any]:
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
            respond(**bk.answer(self.membership_unknown(problem)), replace_original=False)
        except NotFound:
            respond(**bk.answer(answers.gone("intake")), replace_original=False)
        except NotAllowed:
            respond(**bk.answer(self.refusal()), replace_original=False)
        except TransitionRefused as refused:
            respond(**bk.answer(str(refused)), replace_original=False)
        except AlreadyTaken as taken:
            text = f"{bk.user(taken.it_contact)} already took it: ask them, or a bot admin, to hand it over."
            respond(**bk.answer(text), replace_original=False)
        else:
            told = ", ".join(bk.user(u) for u in intake.people_to_tell(besides=user_id))
            done = DONE_LINES[verb].format(name=user_text(intake.name, 200))
            respond(**bk.answer(done + (f" I've told {told}." if told else "")), replace_original=False)

    def on_ask(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        intake = self.service.get(bk.row_id(action.get("value")))
        if intake is None or not intake.is_open:
            respond(**bk.answer("That intake is closed or gone, so there's no one to ask."), replace_original=False)
            return
        intro = (
            f"Your question about *{user_text(intake.name, 200)}* goes to the announcement's thread and to "
            f"{bk.user(intake.requested_by)} by DM."
        )
        view = note_modal("newproject_question", "Ask a question", intro, "Your question", intake.id)
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
            respond(**bk.answer(self.membership_unknown(problem)), replace_original=False)
            return
        if intake is None:
            respond(**bk.answer(answers.gone("intake")), replace_original=False)
        elif not allowed:
            respond(**bk.answer(self.refusal()), replace_original=False)
        elif not intake.is_open:
            respond(**bk.answer("That intake is already closed."), replace_original=False)
        else:
            intro = f"Why not now? {bk.user(intake.requested_by)} will see your reason, so be kind and specific."
            view = note_modal("newproject_decline", "Not now", intro, "Reason", intake.id)
            bk.open_modal(client, respond, body["trigger_id"], view)

    def on_submit_note(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        verb = "question" if view.get("callback_id") == "newproject_question" else "decline"
        note = bk.input_value(view.get("state", {}).get("values", {}), "note")
        try:
            it_member = verb == "decline" and self.is_it(user_id)  # anyone may ask a question
            intake = self.service.act(_metadata_id(view), verb, by=user_id, it_member=it_member, note=note)
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
    app.command(COMMAND)(listeners.commands.handle)
    for action_id in IT_BUTTONS.values():
        app.action(action_id)(listeners.on_it_button)
    app.action("newproject_ask")(listeners.on_ask)
    app.action("newproject_decline")(listeners.on_decline)
    app.view("newproject_intake")(listeners.on_submit_intake)
    app.view("newproject_question")(listeners.on_submit_note)
    app.view("newproject_decline")(listeners.on_submit_note)


def renderers(service: NewProjectService) -> dict[str, Renderer]:
    """The announcement card the outbox renders when it sends an update, from the intake's state then."""
    messages = NewProjectMessages()

    def announcement(subject: str, target: dict[str, Any]) -> dict[str, Any] | None:
        intake = service.get(bk.row_id(subject))
        if intake is None:
            return None
        return messages.announcement_update(intake, service.flags_of(intake), target["channel"], target["ts"])

    return {ANNOUNCEMENT: announcement}

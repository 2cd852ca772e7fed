"""/lunchlearn: parse what Slack sends, call the lunch-and-learn service, render Block Kit."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.lunchlearn import IDEA_CARD, SESSION_CARD, CannotCancel, IdeaOutcome, LunchLearnService
from bot.lunchlearn_calendar import ics_filename, session_ics
from bot.lunchlearn_rules import (
    DIRECTIONS,
    DURATIONS,
    MAX_ABSTRACT,
    MAX_CAPACITY,
    MAX_COMMENT,
    MAX_PLACE,
    MAX_PRESENTERS,
    MAX_TOPIC,
    SIDE_NAMES,
    IdeaView,
    LunchStats,
    RatingSummary,
    SessionDraft,
    SessionView,
    parse_capacity,
    sides_from_groups,
    topic_key,
)
from bot.notify import Renderer
from bot.outcomes import DraftRejected, NoChannelConfigured, NotAllowed
from bot.services import Services
from handlers import answers
from handlers import blocks as bk
from handlers.commands import CommandTable, Invocation, Subcommand

log = logging.getLogger(__name__)

COMMAND = "/lunchlearn"
MAX_COMMAND_TEXT = 500
LIST_SIZE = 10
NAMES_SHOWN = 100
DEFAULT_CAPACITY = "20"
DEFAULT_DURATION = "60"
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^<>]*)?>")  # linear: see handlers.blocks


# --- rendering -----------------------------------------------------------------------------------------------


def when_text(moment: datetime, fmt: str = "{date_long_pretty} at {time}") -> str:
    """A moment each reader sees in their own time zone (UTC in the fallback)."""
    return f"<!date^{int(moment.timestamp())}^{fmt}|{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC>"


def people(user_ids: Sequence[str], limit: int = NAMES_SHOWN) -> str:
    shown = ", ".join(bk.user(u) for u in user_ids[:limit])
    return shown + (f" and {len(user_ids) - limit} more" if len(user_ids) > limit else "")


def seats_text(session: SessionView) -> str:
    text = f"👥 *{len(session.seated)}/{session.capacity}* signed up"
    if session.waiting:
        text += f" · {len(session.waiting)} on the waitlist"
    elif session.seats_left == 0:
        text += " · full: new signups join the waitlist"
    return text


def session_details(session: SessionView) -> list[bk.Block]:
    lines = [
        f"*{DIRECTIONS.get(session.direction, '')}* · presented by {people(session.presenters)}",
        f"🗓️ {when_text(session.starts_at)} · {session.duration_minutes} min",
        f"📍 {bk.escape(session.place)}",
    ]
    blocks = [bk.header(f"🍱 Lunch & learn: {session.topic}"), bk.section("\n".join(lines))]
    if session.abstract:
        blocks.append(bk.section(bk.escape(session.abstract)))
    return blocks


def session_buttons(session: SessionView, *, signup: bool = True) -> bk.Block:
    value = str(session.id)
    elements = [bk.button("Sign up", "lunchlearn_signup", value, style="primary")] if signup else []
    elements += [
        bk.button("Withdraw", "lunchlearn_withdraw", value),
        bk.button("Add to calendar", "lunchlearn_ics", value),
    ]
    return bk.actions(elements, block_id=f"lunchlearn_session_{session.id}")


def card_blocks(session: SessionView) -> list[bk.Block]:
    blocks = session_details(session)
    credit = f"#{session.id} · planned by {bk.user(session.created_by)} on {bk.slack_date(session.created_at)}"
    if session.is_cancelled:
        by = bk.user(session.cancelled_by or "")
        blocks.append(bk.section(f"❌ *Cancelled* by {by}. Everyone who signed up has been told."))
        return [*blocks, bk.context(credit)]
    return [*blocks, bk.context(seats_text(session)), session_buttons(session), bk.context(credit)]


def card_message(session: SessionView) -> dict[str, Any]:
    return bk.message(card_blocks(session), f"Lunch & learn: {session.topic}")


def dm(user_id: str, blocks: list[bk.Block], text: str) -> dict[str, Any]:
    return {"channel": user_id, **bk.message(blocks, text)}


def topic_of(session: SessionView) -> str:
    return f"*{bk.escape(session.topic)}*"


def my_status(session: SessionView, user_id: str) -> str:
    status = session.status_of(user_id)
    if status == "seated":
        return "✅ You're signed up."
    if status == "waiting":
        return f"⏳ You're #{session.waitlist_position(user_id)} on the waitlist."
    return ""


def list_message(sessions: list[SessionView], user_id: str) -> dict[str, Any]:
    if not sessions:
        return bk.answer(
            "No lunch & learns are planned yet. Plan one with `/lunchlearn new`, or suggest a topic with "
            "`/lunchlearn idea &lt;topic&gt;`."
        )
    blocks: list[bk.Block] = [bk.header("Upcoming lunch & learns")]
    for session in sessions:
        lines = [
            f"*#{session.id} {bk.escape(session.topic)}* — {DIRECTIONS.get(session.direction, '')}",
            f"🗓️ {when_text(session.starts_at)} · 📍 {bk.escape(bk.truncate(session.place, 150))}",
            " · ".join(part for part in (seats_text(session), my_status(session, user_id)) if part),
        ]
        blocks += [bk.section("\n".join(lines)), session_buttons(session)]
    return bk.message(blocks, "Upcoming lunch & learns")


def session_modal(
    *, topic: str = "", presenters_chosen: Sequence[str] = (), idea_id: int | None = None
) -> dict[str, Any]:
    presenters: bk.Block = {
        "type": "input",
        "block_id": "presenters",
        "label": bk.plain("Presenter(s)"),
        "element": {
            "type": "multi_users_select",
            "action_id": "value",
            "max_selected_items": MAX_PRESENTERS,
            **({"initial_users": list(presenters_chosen[:MAX_PRESENTERS])} if presenters_chosen else {}),
        },
    }
    starts_at: bk.Block = {
        "type": "input",
        "block_id": "starts_at",
        "label": bk.plain("Date and time"),
        "hint": bk.plain("In your own time zone: everyone sees it in theirs."),
        "element": {"type": "datetimepicker", "action_id": "value"},
    }
    capacity: bk.Block = {
        "type": "input",
        "block_id": "capacity",
        "label": bk.plain("Capacity (seats)"),
        "hint": bk.plain("When it is full, new signups join a waitlist and move up when someone withdraws."),
        "element": {
            "type": "number_input",
            "action_id": "value",
            "is_decimal_allowed": False,
            "min_value": "1",
            "max_value": str(MAX_CAPACITY),
            "initial_value": DEFAULT_CAPACITY,
        },
    }
    blocks = [
        bk.text_input("topic", "Topic", initial=topic, max_length=MAX_TOPIC),
        bk.text_input("abstract", "Short abstract", multiline=True, optional=True, max_length=MAX_ABSTRACT),
        presenters,
        bk.select_input("direction", "Who teaches whom?", list(DIRECTIONS.items())),
        starts_at,
        bk.select_input(
            "duration", "Duration", [(str(m), f"{m} minutes") for m in DURATIONS], initial=DEFAULT_DURATION
        ),
        bk.text_input("place", "Place or video link", max_length=MAX_PLACE, placeholder="Room 4.12, or a Meet link"),
        capacity,
    ]
    metadata = json.dumps({"idea_id": idea_id})
    return bk.modal("lunchlearn_session", "Plan a lunch & learn", blocks, submit="Announce", metadata=metadata)


def created_modal(session: SessionView) -> dict[str, Any]:
    blocks = [
        bk.section(
            f"✅ Announced in {bk.channel(session.channel_id)}. People can sign up there or with `/lunchlearn list`."
        ),
        *session_details(session),
        bk.context(f"Cancel it with `/lunchlearn cancel {session.id}` if plans change."),
    ]
    return bk.modal("lunchlearn_created", "Lunch & learn", blocks)


def comment_modal(session: SessionView) -> dict[str, Any]:
    blocks = [
        bk.section(f"What should the presenters of {topic_of(session)} know?"),
        bk.text_input("comment", "Comment", multiline=True, max_length=MAX_COMMENT),
    ]
    return bk.modal("lunchlearn_comment", "Your feedback", blocks, submit="Send", metadata=str(session.id))


def idea_blocks(idea: IdeaView) -> list[bk.Block]:
    votes = f"{idea.votes} would attend" if idea.votes != 1 else "1 would attend"
    summary = bk.section(
        f"💡 *{bk.escape(idea.topic)}*\n{votes} · suggested by {bk.user(idea.created_by)} on "
        f"{bk.slack_date(idea.created_at)}"
    )
    if idea.session_id is not None:
        planned = f"📅 Planned as session #{idea.session_id}: sign up from its announcement or `/lunchlearn list`."
        return [summary, bk.context(planned)]
    return [
        summary,
        bk.actions(
            [
                bk.button("I'd attend", "lunchlearn_vote", str(idea.id), style="primary"),
                bk.button("I'll present it", "lunchlearn_present", str(idea.id)),
            ],
            block_id=f"lunchlearn_idea_{idea.id}",
        ),
    ]


def ideas_message(ideas: list[IdeaView], glossary_topics: list[str]) -> dict[str, Any]:
    blocks: list[bk.Block] = [bk.header("Lunch & learn ideas")]
    if ideas:
        for idea in ideas:
            blocks += idea_blocks(idea)
    else:
        blocks.append(bk.section("No ideas yet. Suggest one with `/lunchlearn idea &lt;topic&gt;`."))
    if glossary_topics:
        names = ", ".join(f"*{bk.escape(t)}*" for t in glossary_topics)
        blocks.append(bk.divider())
        blocks.append(bk.section(f"📚 *From the glossary* (asked about or looked up most): {names}"))
        buttons = [bk.button(f"Suggest {t}", f"lunchlearn_suggest:{n}", t) for n, t in enumerate(glossary_topics)]
        blocks.append(bk.actions(buttons))
    return bk.message(blocks, "Lunch & learn ideas")


def stats_message(stats: LunchStats, note: str = "") -> dict[str, Any]:
    presented = " · ".join(f"{SIDE_NAMES[side]} {n}" for side, n in stats.presented_by_side.items())
    attended = " · ".join(f"{SIDE_NAMES[side]} {n}" for side, n in stats.attendance_by_side.items())
    average = (
        f"{stats.average_rating:.1f} / 5 from {stats.ratings} ratings" if stats.average_rating else "no ratings yet"
    )
    blocks = [
        bk.header("Lunch & learn stats"),
        bk.fields_section(
            [
                f"*Sessions held*\n{stats.sessions}",
                f"*Presented by*\n{presented}",
                f"*Attendance by side*\n{attended}",
                f"*Average rating*\n{average}",
            ]
        ),
    ]
    if note:
        blocks.append(bk.context(note))
    return bk.message(blocks, "Lunch & learn stats")


def glossary_topics(services: Services, ideas: list[IdeaView], limit: int = 5) -> list[str]:
    """Terms people asked to have defined, then the most looked-up ones, that are not already ideas."""
    try:
        stats = services.glossary.stats()
    except Exception:  # the ideas list is still useful without the glossary's suggestions
        log.exception("glossary stats unavailable")
        return []
    taken = {topic_key(idea.topic) for idea in ideas}
    names = [r.term_text for r in stats.open_requests] + [name for name, _ in stats.most_looked_up]
    chosen: list[str] = []
    for name in names:
        key = topic_key(name)
        if key and key not in taken and len(name) <= 60:
            taken.add(key)
            chosen.append(name)
    return chosen[:limit]


class LunchLearnMessages:
    """What the bot says on its own about lunch-and-learns (see bot.lunchlearn.LunchLearnMessages)."""

    def announcement(self, session: SessionView) -> dict[str, Any]:
        return {"channel": session.channel_id, **card_message(session)}

    def card_update(self, session: SessionView, channel: str, ts: str) -> dict[str, Any]:
        return {"channel": channel, "ts": ts, **card_message(session)}

    def promoted(self, user_id: str, session: SessionView) -> dict[str, Any]:
        intro = bk.section(f"🎉 A seat opened up: you're in for {topic_of(session)}, {when_text(session.starts_at)}.")
        return dm(user_id, [intro, session_buttons(session, signup=False)], f"You're in: {session.topic}")

    def reminder(self, user_id: str, session: SessionView, kind: str) -> dict[str, Any]:
        soon = "Tomorrow" if kind == "remind-1d" else "In an hour"
        text = (
            f"⏰ {soon}: {topic_of(session)}, {when_text(session.starts_at, '{time}')} · 📍 {bk.escape(session.place)}"
        )
        blocks = [bk.section(text), bk.context("Can't make it? Withdraw so someone on the waitlist gets your seat.")]
        return dm(user_id, [*blocks, session_buttons(session, signup=False)], f"{soon}: {session.topic}")

    def attendee_list(self, presenter: str, session: SessionView) -> dict[str, Any]:
        seated = people(session.seated) or "_nobody yet_"
        lines = [
            f"📋 Tomorrow you present {topic_of(session)} ({when_text(session.starts_at, '{time}')}).",
            f"*{len(session.seated)}/{session.capacity} signed up:* {seated}",
        ]
        if session.waiting:
            lines.append(f"*Waitlist ({len(session.waiting)}):* {people(session.waiting, 20)}")
        return dm(presenter, [bk.section("\n".join(lines))], f"Attendees for {session.topic}")

    def cancelled(self, user_id: str, session: SessionView, by: str) -> dict[str, Any]:
        text = (
            f"❌ {topic_of(session)} ({when_text(session.starts_at)}) was cancelled by {bk.user(by)}. "
            "Sorry! Watch the joint channel for the next one."
        )
        return dm(user_id, [bk.section(text)], f"Cancelled: {session.topic}")

    def rating_request(self, user_id: str, session: SessionView) -> dict[str, Any]:
        buttons = [
            bk.button("⭐" * score, f"lunchlearn_rate_{score}", f"{session.id}|{score}") for score in range(1, 6)
        ]
        blocks = [
            bk.section(f"🙏 Thanks for joining {topic_of(session)}. How useful was it? (1 = not much, 5 = very)"),
            bk.actions(buttons, block_id=f"lunchlearn_rate_{session.id}"),
            bk.context("Your rating goes to the presenters as part of a summary."),
        ]
        return dm(user_id, blocks, f"How was {session.topic}?")

    def rating_summary(self, presenter: str, session: SessionView, summary: RatingSummary) -> dict[str, Any]:
        if summary.count == 0:
            text = f"📊 {topic_of(session)}: nobody rated it. {len(session.seated)} people signed up."
            return dm(presenter, [bk.section(text)], f"Feedback on {session.topic}")
        spread = " · ".join(f"{'⭐' * score} {n}" for score, n in summary.distribution.items() if n)
        lines = [
            f"📊 Feedback on {topic_of(session)}: *{summary.average:.1f} / 5* from {summary.count} of "
            f"{len(session.seated)} attendees.",
            spread,
        ]
        blocks = [bk.section("\n".join(lines))]
        if summary.comments:
            comments = "\n".join(f"> {bk.escape(bk.truncate(c, 300))}" for c in summary.comments[:8])
            blocks.append(bk.section(f"*Comments*\n{comments}"))
        return dm(presenter, blocks, f"Feedback on {session.topic}")

    def late_comment(self, presenter: str, session: SessionView, comment: str) -> dict[str, Any]:
        lines = bk.escape(bk.truncate(comment, 1000)).splitlines()
        quoted = "\n".join(f"> {line}" for line in lines if line.strip())
        text = f"💬 A comment on {topic_of(session)}, after your feedback summary:\n{quoted}"
        return dm(presenter, [bk.section(text)], f"A comment on {session.topic}")

    def idea_post(self, idea: IdeaView) -> dict[str, Any]:
        return {"channel": idea.channel_id, **bk.message(idea_blocks(idea), f"Lunch & learn idea: {idea.topic}")}

    def idea_update(self, idea: IdeaView, channel: str, ts: str) -> dict[str, Any]:
        return {"channel": channel, "ts": ts, **bk.message(idea_blocks(idea), f"Lunch & learn idea: {idea.topic}")}


# --- parsing -------------------------------------------------------------------------------------------------


def _element(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    return values.get(block_id, {}).get("value", {}) or {}


def draft_from(values: dict[str, Any]) -> SessionDraft:
    moment = _element(values, "starts_at").get("selected_date_time")
    duration = bk.input_value(values, "duration")
    return SessionDraft(
        topic=bk.input_value(values, "topic"),
        abstract=bk.input_value(values, "abstract"),
        presenters=tuple(dict.fromkeys(_element(values, "presenters").get("selected_users") or [])),
        direction=bk.input_value(values, "direction"),
        starts_at=_moment(moment),
        duration_minutes=int(duration) if duration.isdigit() else None,
        place=bk.input_value(values, "place"),
        capacity=parse_capacity(str(_element(values, "capacity").get("value") or "")),
    )


def _moment(selected: Any) -> datetime | None:
    """The datetimepicker's UNIX time as an aware UTC datetime."""
    return datetime.fromtimestamp(int(selected), UTC) if str(selected or "").isdigit() else None


SIGNUP_ANSWERS = {
    "already_seated": "You're already signed up for {topic}. See you there!",
    "cancelled": "{topic} was cancelled, so there's nothing to sign up for.",
    "started": "{topic} has already started, so signups are closed.",
    "gone": answers.gone("session"),
}
WITHDRAW_ANSWERS = {
    "not_signed_up": "You weren't signed up for {topic}, so there's nothing to withdraw.",
    "cancelled": "{topic} was cancelled; nothing to withdraw from.",
    "started": "{topic} has already started.",
    "gone": answers.gone("session"),
}


# --- listeners -----------------------------------------------------------------------------------------------


class LunchLearnListeners:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.service: LunchLearnService = services.lunchlearn
        self.commands = self._commands()

    def _commands(self) -> CommandTable:
        def stats(run: Invocation) -> None:
            run.ack()
            run.respond(**self._stats(run.client))

        def ideas(run: Invocation) -> None:
            found = self.service.ideas(LIST_SIZE)
            run.answer(ideas_message(found, glossary_topics(self.services, found)))

        rows = [
            Subcommand(
                "new [topic]",
                "plan a session (opens a form); it is announced in the joint channel with sign-up buttons",
                lambda run: self._new(run.ack, run.client, run.respond, run.command),
            ),
            Subcommand(
                "list",
                "upcoming sessions, with the ones you signed up for",
                lambda run: run.answer(list_message(self.service.listing(run.user_id, LIST_SIZE), run.user_id)),
                takes_nothing=True,
            ),
            Subcommand(
                "cancel <id>",
                "cancel a session and tell everyone signed up (presenters and bot admins)",
                lambda run: run.answer(self._cancel(run.rest, run.user_id)),
                needs_text=True,
            ),
            Subcommand(
                "idea <topic>",
                "suggest a topic; people vote with *I'd attend*, someone volunteers with *I'll present it*",
                lambda run: run.answer(self._idea(run.rest, run.user_id)),
                needs_text=True,
            ),
            Subcommand(
                "ideas", "ideas by votes, plus glossary terms people keep asking about", ideas, takes_nothing=True
            ),
            Subcommand("stats", "sessions per side, attendance by side, average rating", stats, takes_nothing=True),
            Subcommand("help", "this message", lambda run: run.answer(self.commands.help_message())),
        ]
        return CommandTable(
            COMMAND,
            "🍱 *Lunch & learns*: marketing and IT teach each other over lunch.",
            rows,
            max_text=MAX_COMMAND_TEXT,
            too_long=lambda length: bk.answer(
                f"That's {length} characters; a topic fits in {MAX_TOPIC}. Try something shorter."
            ),
        )

    def _new(self, ack: Ack, client: WebClient, respond: Respond, command: dict[str, Any]) -> None:
        """`new [topic] [@presenters]`: the form, with the topic and presenters (else the asker) filled in."""
        if self.services.settings.joint_channel is None:
            ack(**bk.answer("⚠️ No joint channel is set up to announce sessions in: ask an admin to set JOINT_CHANNEL."))
            return
        ack()
        raw = command.get("text", "")
        mentioned = bk.mentioned_users(raw)
        topic = " ".join(bk.command_text(MENTION.sub("", raw)).split()[1:])
        view = session_modal(topic=topic[:MAX_TOPIC], presenters_chosen=mentioned or [command["user_id"]])
        bk.open_modal(client, respond, command["trigger_id"], view)

    def _cancel(self, raw_id: str, user_id: str) -> dict[str, Any]:
        session_id = bk.row_id(raw_id)
        if not session_id:
            return bk.answer(
                f"`{bk.escape(bk.truncate(raw_id, 40))}` isn't a session number. `/lunchlearn list` shows them (#12)."
            )
        try:
            cancelled = self.service.cancel(session_id, by=user_id)
        except NotAllowed:
            return bk.answer("Only the session's presenters, whoever planned it, and bot admins can cancel it, sorry.")
        except CannotCancel as refused:
            if refused.reason == "started":
                return bk.answer(f"{topic_of(refused.session)} has already started or taken place, so I left it as is.")
            return bk.answer(f"{topic_of(refused.session)} was already cancelled; everyone signed up has been told.")
        if cancelled is None:
            return bk.answer(f"There's no session #{session_id}. `/lunchlearn list` shows the upcoming ones.")
        told = len(cancelled.seated) + len(cancelled.waiting)
        return bk.answer(f"❌ Cancelled {topic_of(cancelled)}. I'm telling the {told} people who signed up or waited.")

    def _idea(self, topic: str, user_id: str) -> dict[str, Any]:
        try:
            outcome: IdeaOutcome = self.service.add_idea(topic, by=user_id)
        except DraftRejected as rejected:
            return bk.answer(next(iter(rejected.errors.values())))
        except NoChannelConfigured:
            return bk.answer("⚠️ No joint channel is set up yet: ask an admin to set JOINT_CHANNEL.")
        idea = outcome.idea
        where = bk.channel(idea.channel_id)
        if outcome.created:
            return bk.answer(f"💡 Posted your idea *{bk.escape(idea.topic)}* in {where}. People can vote for it there.")
        if idea.session_id is not None:
            return bk.answer(
                f"*{bk.escape(idea.topic)}* is already planned as session #{idea.session_id}: "
                "sign up with `/lunchlearn list`."
            )
        if outcome.voted:
            return bk.answer(f"*{bk.escape(idea.topic)}* was already suggested: I counted your vote ({idea.votes}).")
        return bk.answer(f"*{bk.escape(idea.topic)}* is already an idea, and you've already voted for it.")

    def _stats(self, client: WebClient) -> dict[str, Any]:
        settings = self.services.settings
        groups = {"marketing": settings.marketing_usergroup, "it": settings.it_usergroup}
        members: dict[str, list[str]] = {}
        problems = []
        for side, group in groups.items():
            if not group:
                continue
            try:
                members[side] = list(client.usergroups_users_list(usergroup=group).get("users") or [])
            except SlackApiError as error:
                problems.append(
                    f"⚠️ Couldn't read the {SIDE_NAMES[side]} user group ({error.response.get('error')}): "
                    "its members count as Other."
                )
        sides = self.services.liaison.sides_by_pool()
        sides.update(sides_from_groups(members.get("marketing", []), members.get("it", [])))
        if not any(groups.values()) and not sides:
            note = (
                "Everyone counts as Other until people join the `/liaison` pools "
                "or MARKETING_USERGROUP and IT_USERGROUP are set."
            )
        else:
            note = " ".join(problems)
        return stats_message(self.service.stats(sides), note)

    # --- buttons ---

    def on_signup(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id = body["user"]["id"]
        outcome = self.service.sign_up(bk.row_id(action.get("value")), user_id)
        session = outcome.session
        topic = topic_of(session) if session else "that session"
        if outcome.result == "seated" and session:
            text = f"✅ You're signed up for {topic}, {when_text(session.starts_at)}. I'll remind you the day before."
        elif outcome.result in ("waiting", "already_waiting"):
            text = (
                f"⏳ {topic} is full: you're #{outcome.position(user_id)} on the waitlist. If a seat opens, "
                "you get it and I'll DM you."
            )
        else:
            text = SIGNUP_ANSWERS[outcome.result].format(topic=topic)
        respond(**bk.answer(text), replace_original=False)

    def on_withdraw(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        outcome = self.service.withdraw(bk.row_id(action.get("value")), body["user"]["id"])
        topic = topic_of(outcome.session) if outcome.session else "that session"
        if outcome.result == "withdrawn":
            text = f"👋 You've withdrawn from {topic}."
            if outcome.promoted:
                text += " Your seat went to the first person on the waitlist."
        else:
            text = WITHDRAW_ANSWERS[outcome.result].format(topic=topic)
        respond(**bk.answer(text), replace_original=False)

    def on_calendar(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        session = self.service.get(bk.row_id(action.get("value")))
        if session is None:
            respond(**bk.answer(answers.gone("session")), replace_original=False)
            return
        user_id = body["user"]["id"]
        try:
            channel = client.conversations_open(users=user_id)["channel"]["id"]
            client.files_upload_v2(
                channel=channel,
                content=session_ics(session, now=self.service.clock()),
                filename=ics_filename(session),
                title=f"Lunch & learn: {session.topic}",
                initial_comment="📅 Open this file to add the session to your calendar.",
            )
        except SlackApiError as error:
            log.warning("calendar upload failed: %s", error.response.get("error"))
            respond(
                **bk.answer("⚠️ I couldn't send you the calendar file just now. Please try again."),
                replace_original=False,
            )
            return
        respond(**bk.answer(f"📅 I sent you {topic_of(session)} as a calendar file in a DM."), replace_original=False)

    def on_rate(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        session_text, _, score_text = str(action.get("value", "")).partition("|")
        score = bk.row_id(score_text)
        if not 1 <= score <= 5:
            respond(**bk.answer("That rating button is broken; please use the 1–5 buttons."), replace_original=False)
            return
        outcome = self.service.rate(bk.row_id(session_text), body["user"]["id"], score)
        if outcome.result == "gone" or outcome.session is None:
            respond(
                **bk.answer(answers.gone("session", consequence="so there's nothing to rate")), replace_original=True
            )
        elif outcome.result == "not_attendee":
            respond(**bk.answer("Only people who had a seat can rate a session."), replace_original=False)
        elif outcome.result == "not_yet":
            text = f"{topic_of(outcome.session)} hasn't ended yet: you can rate it once it's over."
            respond(**bk.answer(text), replace_original=False)
        else:
            blocks = [
                bk.section(f"🙏 Thanks! You rated {topic_of(outcome.session)} {'⭐' * score} ({score}/5)."),
                bk.actions([bk.button("Add a comment", "lunchlearn_comment", str(outcome.session.id))]),
            ]
            respond(**bk.message(blocks, "Thanks for your rating"), replace_original=True)

    def on_comment(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        session = self.service.get(bk.row_id(action.get("value")))
        if session is None:
            respond(**bk.answer(answers.gone("session")), replace_original=False)
            return
        bk.open_modal(client, respond, body["trigger_id"], comment_modal(session))

    def on_comment_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = bk.input_value(view.get("state", {}).get("values", {}), "comment")
        try:
            saved = self.service.comment(bk.row_id(view.get("private_metadata")), body["user"]["id"], text)
        except DraftRejected as rejected:
            ack(response_action="errors", errors=rejected.errors)
            return
        if not saved:
            ack(response_action="errors", errors={"comment": "Rate the session first (the ⭐ buttons in my DM)."})
            return
        ack(
            response_action="update",
            view=bk.modal(
                "lunchlearn_thanks",
                "Your feedback",
                [
                    bk.section("🙏 Thanks! The presenters will see your comment in their summary."),
                ],
            ),
        )

    def on_vote(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        outcome = self.service.vote(bk.row_id(action.get("value")), body["user"]["id"])
        if outcome is None:
            text = answers.gone("idea")
        elif outcome.voted:
            text = f"👍 Counted: you'd attend *{bk.escape(outcome.idea.topic)}* ({outcome.idea.votes} so far)."
        else:
            text = f"You've already said you'd attend *{bk.escape(outcome.idea.topic)}*."
        respond(**bk.answer(text), replace_original=False)

    def on_present(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        idea = self.service.idea(bk.row_id(action.get("value")))
        if idea is None:
            respond(**bk.answer(answers.gone("idea")), replace_original=False)
            return
        if idea.session_id is not None:
            respond(
                **bk.answer(f"*{bk.escape(idea.topic)}* is already planned: see `/lunchlearn list`."),
                replace_original=False,
            )
            return
        view = session_modal(topic=idea.topic, presenters_chosen=[body["user"]["id"]], idea_id=idea.id)
        bk.open_modal(client, respond, body["trigger_id"], view)

    def on_suggest(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        respond(**self._idea(str(action.get("value", "")), body["user"]["id"]), replace_original=False)

    # --- the form ---

    def on_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            idea_id = json.loads(view.get("private_metadata") or "{}").get("idea_id")
        except (ValueError, AttributeError):
            idea_id = None
        draft = draft_from(view.get("state", {}).get("values", {}))
        try:
            session = self.service.create(draft, by=body["user"]["id"], idea_id=bk.row_id(idea_id) or None)
        except DraftRejected as rejected:
            ack(response_action="errors", errors=rejected.errors)
            return
        except NoChannelConfigured:
            ack(
                response_action="errors",
                errors={"topic": "No joint channel is set up: ask an admin to set JOINT_CHANNEL."},
            )
            return
        ack(response_action="update", view=created_modal(session))


def register(app: App, services: Services) -> None:
    listeners = LunchLearnListeners(services)
    app.command(COMMAND)(listeners.commands.handle)
    app.action("lunchlearn_signup")(listeners.on_signup)
    app.action("lunchlearn_withdraw")(listeners.on_withdraw)
    app.action("lunchlearn_ics")(listeners.on_calendar)
    app.action(re.compile(r"^lunchlearn_rate_[1-5]$"))(listeners.on_rate)
    app.action("lunchlearn_comment")(listeners.on_comment)
    app.action("lunchlearn_vote")(listeners.on_vote)
    app.action("lunchlearn_present")(listeners.on_present)
    app.action(re.compile(r"^lunchlearn_suggest:\d+$"))(listeners.on_suggest)
    app.view("lunchlearn_session")(listeners.on_submit)
    app.view("lunchlearn_comment")(listeners.on_comment_submit)


def renderers(service: LunchLearnService) -> dict[str, Renderer]:
    """The cards the outbox renders when it sends them, from the state at that moment."""
    messages = LunchLearnMessages()

    def session_card(subject: str, target: dict[str, Any]) -> dict[str, Any] | None:
        session = service.get(bk.row_id(subject))
        return None if session is None else messages.card_update(session, target["channel"], target["ts"])

    def idea_card(subject: str, target: dict[str, Any]) -> dict[str, Any] | None:
        idea = service.idea(bk.row_id(subject))
        return None if idea is None else messages.idea_update(idea, target["channel"], target["ts"])

    return {SESSION_CARD: session_card, IDEA_CARD: idea_card}

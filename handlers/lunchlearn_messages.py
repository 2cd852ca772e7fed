"""Lunch-and-learn messages: the Block Kit the bot posts, DMs and answers with, and the outbox's renderers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from bot.lunchlearn import IDEA_CARD, SESSION_CARD, SESSION_DUE, LunchLearnService
from bot.lunchlearn_rules import DIRECTIONS, SIDE_NAMES, IdeaView, LunchStats, RatingSummary, SessionView
from bot.notify import Renderer
from handlers import blocks as bk
from handlers.confirm import Ask

NAMES_SHOWN = 100
CANCEL_SESSION = Ask("lunchlearn_cancel_yes", "Yes, cancel it", "Cancel this lunch & learn?")


def when_text(moment: datetime, fmt: str = "{date_long_pretty} at {time}") -> str:
    """A moment each reader sees in their own time zone (UTC in the fallback)."""
    return f"<!date^{int(moment.timestamp())}^{fmt}|{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC>"


def people(user_ids: Sequence[str], limit: int = NAMES_SHOWN) -> str:
    shown = ", ".join(bk.user(u) for u in user_ids[:limit])
    return shown + (f" and {len(user_ids) - limit} more" if len(user_ids) > limit else "")


def quoted(comment: str) -> str:
    """A comment as a quote, whole: every line of it, escaped."""
    return "\n".join(f"> {line}" for line in bk.escape(comment).splitlines() if line.strip()) or "> …"


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
    blocks = [*bk.titled("🍱 Lunch & learn", session.topic), bk.section("\n".join(lines))]
    if session.abstract:
        rest = "…the abstract goes on, longer than Slack lets me show in one message."
        blocks += bk.long_text(bk.escape(session.abstract), room=10, rest=rest)
    return blocks


def signup_button(session: SessionView) -> bk.Block:
    """Sign up while seats are left; on a full session the same listener puts one on the waitlist: it says so."""
    if session.seats_left == 0:
        return bk.button("Join the waitlist", "lunchlearn_signup", str(session.id))
    return bk.button("Sign up", "lunchlearn_signup", str(session.id), style="primary")


def session_buttons(session: SessionView, *, signup: bool = True) -> bk.Block:
    value = str(session.id)
    elements = [signup_button(session)] if signup else []
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


@lru_cache(maxsize=64)  # the planner renders a session's reminders one after the other
def _reminder_body(session: SessionView, kind: str) -> dict[str, Any]:
    soon = "Tomorrow" if kind == "remind-1d" else "In an hour"
    text = f"⏰ {soon}: {topic_of(session)}, {when_text(session.starts_at, '{time}')} · 📍 {bk.escape(session.place)}"
    blocks = [bk.section(text), bk.context("Can't make it? Withdraw so someone on the waitlist gets your seat.")]
    return bk.message([*blocks, session_buttons(session, signup=False)], f"{soon}: {session.topic}")


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
            f"🗓️ {when_text(session.starts_at)} · 📍 {bk.escape(session.place)}",
            " · ".join(part for part in (seats_text(session), my_status(session, user_id)) if part),
        ]
        blocks += [bk.section("\n".join(lines)), my_buttons(session, user_id)]
    return bk.message(blocks, "Upcoming lunch & learns")


def my_buttons(session: SessionView, user_id: str) -> bk.Block:
    """A session's buttons as one person sees them: *Withdraw* asks first when it cannot be undone for them."""
    block = session_buttons(session)
    dialog = seat_dialog(session, user_id)
    if dialog is None:
        return block
    elements = [{**e, "confirm": dialog} if e["action_id"] == "lunchlearn_withdraw" else e for e in block["elements"]]
    return {**block, "elements": elements}


def seat_dialog(session: SessionView, user_id: str) -> dict[str, Any] | None:
    """Slack's confirm for *Withdraw* (as Home words it): a seat goes to the first person waiting, a waitlist place
    to the people behind it, and signing up again would not give either back. None when nothing is lost."""
    position = session.waitlist_position(user_id)
    if user_id in session.seated and session.waiting:
        return bk.confirm_dialog(
            "Give up your seat?",
            f"{len(session.waiting)} waiting: your seat goes to the first of them at once. Signing up again "
            "would put you at the end of the waitlist.",
            "Withdraw",
        )
    if position is not None and position < len(session.waiting):
        return bk.confirm_dialog(
            "Leave the waitlist?",
            f"You're #{position}. Signing up again would put you behind the "
            f"{len(session.waiting) - position} waiting after you.",
            "Withdraw",
        )
    return None


def cancel_warning(session: SessionView) -> str:
    told = len(session.seated) + len(session.waiting)
    return (
        f"Everyone who signed up or waited ({told}) is told, and the announcement says it's cancelled. "
        "This can't be undone."
    )


def cancel_step(session: SessionView) -> dict[str, Any]:
    """`/lunchlearn cancel <id>` asks first: the session is cancelled when its "Yes" is clicked."""
    question = f"Cancel {topic_of(session)} (#{session.id}), {when_text(session.starts_at)}?"
    return CANCEL_SESSION.step(question, cancel_warning(session), str(session.id))


def cancel_button(session: SessionView) -> bk.Block:
    """*Cancel* on the session itself (its presenters' Home): Slack asks first, then it is cancelled."""
    return CANCEL_SESSION.button("Cancel", str(session.id), cancel_warning(session))


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
        dialog = bk.confirm_dialog(
            "Suggest this topic?",
            "I post it as your idea in the joint channel, where everyone sees it and can vote for it.",
            "Post it",
        )
        buttons = [
            bk.button(f"Suggest {t}", f"lunchlearn_suggest:{n}", t, confirm=dialog)
            for n, t in enumerate(glossary_topics)
        ]
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
        """Every attendee's reads the same: rendered once per session and kind (a session has many attendees)."""
        return {"channel": user_id, **_reminder_body(session, kind)}

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
            comments = ["*Comments*", *(quoted(comment) for comment in summary.comments)]
            blocks += bk.long_sections(
                comments,
                room=bk.MESSAGE_BLOCK_LIMIT - len(blocks),
                left_out=lambda count: f"…and {count} more comments, more than Slack lets me show in one message.",
            )
        return dm(presenter, blocks, f"Feedback on {session.topic}")

    def late_comment(self, presenter: str, session: SessionView, comment: str) -> dict[str, Any]:
        text = f"💬 A comment on {topic_of(session)}, after your feedback summary:\n{quoted(comment)}"
        rest = "…the comment is longer than Slack lets me show in one message."
        return dm(
            presenter, bk.long_text(text, room=bk.MESSAGE_BLOCK_LIMIT, rest=rest), f"A comment on {session.topic}"
        )

    def idea_post(self, idea: IdeaView) -> dict[str, Any]:
        return {"channel": idea.channel_id, **bk.message(idea_blocks(idea), f"Lunch & learn idea: {idea.topic}")}

    def idea_update(self, idea: IdeaView, channel: str, ts: str) -> dict[str, Any]:
        return {"channel": channel, "ts": ts, **bk.message(idea_blocks(idea), f"Lunch & learn idea: {idea.topic}")}


def renderers(service: LunchLearnService) -> dict[str, Renderer]:
    """What the outbox renders when it sends it, from the state at that moment: the cards, and what the planner
    owes people about a session."""
    messages = LunchLearnMessages()

    def session_card(subject: str, target: dict[str, Any]) -> dict[str, Any] | None:
        session = service.get(bk.row_id(subject))
        return None if session is None else messages.card_update(session, target["channel"], target["ts"])

    def idea_card(subject: str, target: dict[str, Any]) -> dict[str, Any] | None:
        idea = service.idea(bk.row_id(subject))
        return None if idea is None else messages.idea_update(idea, target["channel"], target["ts"])

    def session_due(subject: str, owed: dict[str, Any]) -> dict[str, Any] | None:
        return service.due_message(bk.row_id(subject), str(owed.get("kind")), str(owed.get("channel")))

    return {SESSION_CARD: session_card, IDEA_CARD: idea_card, SESSION_DUE: session_due}

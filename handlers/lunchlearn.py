"""/lunchlearn: parse what Slack sends, call the lunch-and-learn service, answer with Block Kit.

The listeners and register(); the messages live in handlers.lunchlearn_messages, the modals in
handlers.lunchlearn_forms (LunchLearnMessages and renderers are re-exported from here).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.lunchlearn import CannotCancel, IdeaOutcome, LunchLearnService
from bot.lunchlearn_calendar import ics_filename, session_ics
from bot.lunchlearn_rules import MAX_TOPIC, SIDE_NAMES, IdeaView, sides_from_groups, topic_key
from bot.outcomes import DraftRejected, NoChannelConfigured, NotAllowed
from bot.services import Services
from handlers import answers, menus, objects, slack_calls
from handlers import blocks as bk
from handlers.commands import CommandTable, Invocation, Subcommand
from handlers.lunchlearn_forms import comment_modal, created_modal, draft_from, session_modal
from handlers.lunchlearn_messages import (
    CANCEL_SESSION,
    LunchLearnMessages,
    cancel_step,
    ideas_message,
    list_message,
    renderers,
    stats_message,
    topic_of,
    when_text,
)

__all__ = ["COMMAND", "LunchLearnListeners", "LunchLearnMessages", "register", "renderers"]

log = logging.getLogger(__name__)

COMMAND = "/lunchlearn"
MAX_COMMAND_TEXT = 500
LIST_SIZE = 10
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^<>]*)?>")  # linear: see handlers.blocks


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


CANCEL_REFUSED = "Only the session's presenters, whoever planned it, and bot admins can cancel it, sorry."


def _cannot_cancel(refused: CannotCancel) -> dict[str, Any]:
    if refused.reason == "started":
        return bk.answer(f"{topic_of(refused.session)} has already started or taken place, so I left it as is.")
    return bk.answer(f"{topic_of(refused.session)} was already cancelled; everyone signed up has been told.")


def _no_session(session_id: int) -> dict[str, Any]:
    return bk.answer(f"There's no session #{session_id}. `/lunchlearn list` shows the upcoming ones.")


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
                "cancel a session and tell everyone signed up (presenters and bot admins; I ask first)",
                lambda run: run.answer(self._ask_cancel(run.rest, run.user_id)),
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
            menu=menus.lunchlearn,
            max_text=MAX_COMMAND_TEXT,
            too_long=lambda length: bk.answer(
                f"That's {length} characters; a topic fits in {MAX_TOPIC}. Try something shorter."
            ),
        )

    def _new(self, ack: Ack, client: WebClient, respond: Respond, command: dict[str, Any]) -> None:
        """`new [topic] [@presenters]`: the form, with the topic and presenters (else the asker) filled in."""
        if self.services.settings.joint_channel is None:
            ack(**bk.answer("⚠️ " + answers.no_joint_channel(self.services.settings.admins)))
            return
        ack()
        raw = command.get("text", "")
        mentioned = bk.mentioned_users(raw)
        topic = " ".join(bk.command_text(MENTION.sub("", raw)).split()[1:])
        view = session_modal(topic=topic, presenters_chosen=mentioned or [command["user_id"]])
        bk.open_modal(client, respond, command["trigger_id"], view)

    def _ask_cancel(self, raw_id: str, user_id: str) -> dict[str, Any]:
        """`cancel <id>`: the confirm step, unless cancelling would be refused already (`cancel` does it on "Yes",
        and the use case checks again)."""
        session_id = bk.row_id(raw_id)
        if not session_id:
            return bk.answer(
                f"`{bk.escape(bk.truncate(raw_id, 40))}` isn't a session number. `/lunchlearn list` shows them (#12)."
            )
        session = self.service.get(session_id)
        if session is None:
            return _no_session(session_id)
        if not self.service.can_manage(session, user_id):
            return bk.answer(CANCEL_REFUSED)
        if session.is_cancelled or session.starts_at <= self.service.clock():
            return _cannot_cancel(CannotCancel("cancelled" if session.is_cancelled else "started", session))
        return cancel_step(session)

    def cancel(self, session_id: int, user_id: str) -> dict[str, Any]:
        """*Yes, cancel it*: cancel and tell everyone signed up, as the command did before it asked first."""
        try:
            cancelled = self.service.cancel(session_id, by=user_id)
        except NotAllowed:
            return bk.answer(CANCEL_REFUSED)
        except CannotCancel as refused:
            return _cannot_cancel(refused)
        if cancelled is None:
            return _no_session(session_id)
        told = len(cancelled.seated) + len(cancelled.waiting)
        return bk.answer(f"❌ Cancelled {topic_of(cancelled)}. I'm telling the {told} people who signed up or waited.")

    def _idea(self, topic: str, user_id: str) -> dict[str, Any]:
        try:
            outcome: IdeaOutcome = self.service.add_idea(topic, by=user_id)
        except DraftRejected as rejected:
            return bk.answer(next(iter(rejected.errors.values())))
        except NoChannelConfigured:
            return bk.answer("⚠️ " + answers.no_joint_channel(self.services.settings.admins))
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
                members[side] = slack_calls.group_members(self.services.client)(group)  # cached: Tier 2
            except SlackApiError as error:
                problems.append(
                    f"⚠️ Couldn't read the {SIDE_NAMES[side]} user group ({error.response.get('error')}): "
                    "its members count as Other."
                )
        sides = self.services.liaison.sides_by_pool()
        sides.update(sides_from_groups(members.get("marketing", []), members.get("it", [])))
        if not any(groups.values()) and not sides:
            note = (
                "Everyone counts as Other until people join the `/liaison` pools, or a bot admin names the "
                "marketing and IT user groups."
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
        bk.tell(respond, text)

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
        bk.tell(respond, text)

    def on_calendar(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        session = objects.named(ack, action, respond, self.service.get, answers.gone("session"))
        if session is None:
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
        bk.tell(respond, f"📅 I sent you {topic_of(session)} as a calendar file in a DM.")

    def on_rate(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        session_text, _, score_text = str(action.get("value", "")).partition("|")
        score = bk.row_id(score_text)
        if not 1 <= score <= 5:
            bk.tell(respond, "That rating button is broken; please use the 1–5 buttons.")
            return
        outcome = self.service.rate(bk.row_id(session_text), body["user"]["id"], score)
        if outcome.result == "gone" or outcome.session is None:
            respond(
                **bk.answer(answers.gone("session", consequence="so there's nothing to rate")), replace_original=True
            )
        elif outcome.result == "not_attendee":
            bk.tell(respond, "Only people who had a seat can rate a session.")
        elif outcome.result == "not_yet":
            text = f"{topic_of(outcome.session)} hasn't ended yet: you can rate it once it's over."
            bk.tell(respond, text)
        else:
            blocks = [
                bk.section(f"🙏 Thanks! You rated {topic_of(outcome.session)} {'⭐' * score} ({score}/5)."),
                bk.actions([bk.button("Add a comment", "lunchlearn_comment", str(outcome.session.id))]),
            ]
            respond(**bk.message(blocks, "Thanks for your rating"), replace_original=True)

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
        bk.tell(respond, text)

    def on_present(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        idea = objects.named(ack, action, respond, self.service.idea, answers.gone("idea"))
        if idea is None:
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
                errors={"topic": answers.no_joint_channel(self.services.settings.admins)},
            )
            return
        ack(response_action="update", view=created_modal(session))


def register(app: App, services: Services) -> None:
    listeners = LunchLearnListeners(services)
    listeners.commands.register(app)
    app.action("lunchlearn_signup")(listeners.on_signup)
    app.action("lunchlearn_withdraw")(listeners.on_withdraw)
    app.action("lunchlearn_ics")(listeners.on_calendar)
    app.action(re.compile(r"^lunchlearn_rate_[1-5]$"))(listeners.on_rate)
    app.action("lunchlearn_comment")(
        objects.opens_form(services.lunchlearn.get, answers.gone("session"), comment_modal)
    )
    app.action("lunchlearn_vote")(listeners.on_vote)
    app.action("lunchlearn_present")(listeners.on_present)
    app.action(re.compile(r"^lunchlearn_suggest:\d+$"))(listeners.on_suggest)
    CANCEL_SESSION.register(app, listeners.cancel)
    app.view("lunchlearn_session")(listeners.on_submit)
    app.view("lunchlearn_comment")(listeners.on_comment_submit)

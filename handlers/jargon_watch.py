"""`/jargon watch on|off` and the `message` events of watched channels: the jargon explained where it is used.

Who may turn it on or off is asked of Slack each time, never taken from the payload: the person must be a member
of the channel (conversations.members), and to turn it on the bot must be in it too (conversations.info's
`is_member`), or it would never hear the channel's messages. Turning it on asks first: it posts in the channel.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.glossary import TermEntry
from bot.jargon_watch import JargonWatchService
from bot.jargon_watch_rules import REPEAT_AFTER, is_person_message, thread_of
from handlers import blocks as bk
from handlers import slack_calls
from handlers.commands import Invocation
from handlers.confirm import Ask
from handlers.shortcuts_messages import entry_part

log = logging.getLogger(__name__)

WATCH_ON = Ask("jargon_watch_on", "Yes, turn it on", "Turn on the jargon watch here?", style="primary")
ROOM = 45  # section blocks for the terms (a message holds 50: the heading and a context line follow)
DAYS = REPEAT_AFTER.days

WHAT_IT_DOES = (
    "when a message here uses a term that means different things to marketing and IT (or the other team's word, "
    f"in a team's own channel), I reply in its thread with the meanings, each term at most once in {DAYS} days"
)
STOP = "`/jargon watch off` stops it (any member of the channel may)"
USAGE = "`/jargon watch on` or `/jargon watch off`, in the channel to watch"
INVITE_FIRST = "I'm not in this channel, so I can't read its messages. Invite me first with `/invite @Bridgebot`."
NOT_A_CHANNEL = "The jargon watch works in channels: type `/jargon watch on` in the channel you want watched."
MEMBERS_ONLY = "Only members of {channel} can turn the jargon watch on or off there."
SLACK_WONT_SAY = "⚠️ Slack wouldn't tell me who is in this channel just now ({code}), so nothing changed. Try again?"


class JargonWatchMessages:
    """What the watch says on its own (bot.jargon_watch.JargonWatchMessages), rendered here at the edge."""

    def watch_note(self, channel: str, by: str) -> dict[str, Any]:
        text = f"👀 {bk.user(by)} turned on the *jargon watch* in this channel: {WHAT_IT_DOES}. {STOP}."
        return {"channel": channel, **bk.answer(text)}

    def explanation(self, channel: str, thread_ts: str, entries: Sequence[TermEntry]) -> dict[str, Any]:
        names = ", ".join(entry.name for entry in entries)
        blocks = [
            bk.section("📚 *A word or two that can mean different things to marketing and IT:*"),
            *bk.long_sections(
                [entry_part(entry) for entry in entries],
                room=ROOM,
                left_out=lambda count: f"…and {count} more: `/jargon <term>` looks one up.",
            ),
            bk.context(f"I explain each term here once in {DAYS} days. `/jargon <term>` shows an entry whole; {STOP}."),
        ]
        return {"channel": channel, "thread_ts": thread_ts, **bk.message(blocks, f"What these terms mean: {names}")}


class WatchListeners:
    def __init__(self, watch: JargonWatchService, client: WebClient) -> None:
        self.watch = watch
        self.client = client

    # --- /jargon watch on|off ---

    def on_command(self, run: Invocation) -> None:
        """Slack is asked who is in the channel, which can take a moment: acknowledged first, answered after."""
        choice = run.rest.lower()
        if choice not in ("on", "off"):
            watched = run.channel_id and self.watch.is_watched(run.channel_id)
            state = "on" if watched else "off"
            run.answer(bk.answer(f"The jargon watch is *{state}* in this channel: {WHAT_IT_DOES}. Use {USAGE}."))
            return
        run.ack()
        refusal = self.refusal(run.channel_id, run.user_id, bot_needed=choice == "on")
        if refusal is not None:
            run.respond(**bk.answer(refusal))
        elif choice == "off":
            run.respond(**self.turn_off(run.channel_id, run.user_id))
        elif self.watch.is_watched(run.channel_id):
            run.respond(**bk.answer(f"The jargon watch is already on in this channel. {STOP}."))
        else:
            question = f"Turn on the *jargon watch* in {bk.channel(run.channel_id)}?"
            warning = f"I'll post a short note here saying so; then {WHAT_IT_DOES}."
            run.respond(**WATCH_ON.step(question, warning, run.channel_id))

    def turn_on(self, channel: str, user_id: str) -> dict[str, Any]:
        """*Yes, turn it on*: Slack is asked again whether the clicker and the bot are in the channel."""
        refusal = self.refusal(channel, user_id, bot_needed=True)
        if refusal is not None:
            return bk.answer(refusal)
        if not self.watch.turn_on(channel, by=user_id):
            return bk.answer(f"The jargon watch was already on in this channel. {STOP}.")
        return bk.answer(f"👀 The jargon watch is on in {bk.channel(channel)}; I've told the channel. {STOP}.")

    def turn_off(self, channel: str, user_id: str) -> dict[str, Any]:
        if not self.watch.turn_off(channel, by=user_id):
            return bk.answer("The jargon watch wasn't on in this channel: nothing to stop.")
        return bk.answer(f"🔕 The jargon watch is off in {bk.channel(channel)}. `/jargon watch on` turns it on again.")

    def refusal(self, channel: str, user_id: str, *, bot_needed: bool) -> str | None:
        """Why this person may not turn the watch on (`bot_needed`) or off here, or None when they may."""
        if not channel or channel[0] not in "CG":
            return NOT_A_CHANNEL
        if bot_needed:
            try:
                info = self.client.conversations_info(channel=channel).get("channel") or {}
            except SlackApiError as error:
                code = str(error.response.get("error") or "no error code")
                if code == "channel_not_found":  # a private channel the bot is not in looks like no channel
                    return INVITE_FIRST
                log.warning("conversations.info refused for the jargon watch: %s", code)
                return SLACK_WONT_SAY.format(code=bk.escape(code))
            if not info.get("is_member"):
                return INVITE_FIRST
        try:
            members = slack_calls.channel_members(self.client, channel)
        except SlackApiError as error:
            code = str(error.response.get("error") or "no error code")
            if not bot_needed and code in ("channel_not_found", "not_in_channel"):
                return None  # the bot left a private channel: stopping is harmless, and it was typed there
            log.warning("conversations.members refused for the jargon watch: %s", code)
            return SLACK_WONT_SAY.format(code=bk.escape(code))
        return None if user_id in members else MEMBERS_ONLY.format(channel=bk.channel(channel))

    # --- message events ---

    def on_message(self, event: dict[str, Any], context: BoltContext) -> None:
        """A message in a channel the bot is in: explained only when a person wrote it and the channel is watched
        (the service checks that, after the glossary found a term worth it: most messages cost no query)."""
        if not is_person_message(event) or event.get("user") == context.bot_user_id:
            return
        if str(event.get("channel_type") or "channel") not in ("channel", "group"):
            return
        text = bk.command_text(str(event.get("text") or ""))
        self.watch.on_message(str(event["channel"]), str(event["ts"]), thread_of(event), text)


def register(app: App, listeners: WatchListeners) -> None:
    """The message events and the confirm step's buttons; the command itself is a row of /jargon's table."""
    app.event("message")(listeners.on_message)
    WATCH_ON.register_in_channel(app, listeners.turn_on)

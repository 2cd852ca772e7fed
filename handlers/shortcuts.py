"""Shortcuts where the words are: on a message (*Explain the jargon*, *Send to IT as a new project*, *Add to a
sit-down's agenda*) and anywhere (*Look up a term*, *Tell IT about a new project*).

They reuse what the commands and Home already have: the glossary's index, the intake form (its submission is
/newproject's), Home's lookup modal (its submission is Home's `jargon_lookup`), the sit-down use case that adds
an agenda item to a series. The Block Kit lives in handlers.shortcuts_messages.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.outcomes import NotFound, Rejected
from bot.services import Services
from bot.sitdown import SeriesSummary
from bot.sitdown_rules import MAX_AGENDA, check_text
from handlers import answers
from handlers import blocks as bk
from handlers.jargon_home import lookup_modal
from handlers.newproject_forms import intake_modal
from handlers.shortcuts_messages import (
    AGENDA_VIEW,
    agenda_modal,
    agenda_text,
    business_case,
    jargon_message,
    no_series_modal,
)
from handlers.sitdown_forms import done_modal
from handlers.sitdown_messages import when
from handlers.slack_calls import quick_client

__all__ = ["EXPLAIN", "LOOKUP", "NEW_PROJECT", "TO_AGENDA", "TO_INTAKE", "permalink", "register"]

log = logging.getLogger(__name__)

EXPLAIN, TO_INTAKE, TO_AGENDA = "explain_jargon", "message_to_intake", "message_to_agenda"  # message shortcuts
LOOKUP, NEW_PROJECT = "lookup_term", "new_project"  # global shortcuts
PERMALINK_LIMIT = 500


def message_text(body: dict[str, Any]) -> str:
    """The shortcut's message as a person reads it (Slack sends it encoded: `&lt;`, `<@U1>`, `<https://…|…>`)."""
    return bk.command_text(str((body.get("message") or {}).get("text") or ""))


def channel_of(body: dict[str, Any]) -> str:
    return str((body.get("channel") or {}).get("id") or "")


def permalink(client: WebClient, body: dict[str, Any]) -> str:
    """A link to the shortcut's message (chat.getPermalink), or "" when Slack does not give one quickly: it is
    asked before views.open, whose trigger_id lives 3 seconds, so with slack_calls' quick client."""
    message = body.get("message") or {}
    ts = str(message.get("ts") or body.get("message_ts") or "")
    if not ts or not channel_of(body):
        return ""
    try:
        link = quick_client(client).chat_getPermalink(channel=channel_of(body), message_ts=ts).get("permalink")
    except Exception:  # a refusal (a private channel without the bot), a time-out, a broken connection
        log.info("no permalink for a shortcut's message")
        return ""
    if not isinstance(link, str) or not link.startswith("https://") or len(link) > PERMALINK_LIMIT:
        return ""
    return link if not any(char.isspace() or char in "<>|" for char in link) else ""


def open_form(client: WebClient, body: dict[str, Any], respond: Respond | None, view: dict[str, Any]) -> None:
    """views.open; when Slack refuses, the person is told: through the message shortcut's response_url, or (a
    global shortcut has none) in the bot's DM with them."""
    if respond is not None:
        bk.open_modal(client, respond, body["trigger_id"], view)
        return
    try:
        client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as error:
        log.warning("views.open failed: %s", error.response.get("error"))
        try:
            client.chat_postMessage(channel=body["user"]["id"], **bk.answer(bk.FORM_DID_NOT_OPEN))
        except SlackApiError:
            log.warning("could not tell the person either")


class ShortcutListeners:
    def __init__(self, services: Services) -> None:
        self.glossary = services.glossary
        self.newproject = services.newproject
        self.sitdown = services.sitdown

    # --- on a message ---

    def on_explain(self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond | None) -> None:
        """Only the clicker sees the answer (chat.postEphemeral); where the bot may not post (a DM, a channel
        without it), the shortcut's response_url carries it instead."""
        ack()
        text = message_text(body)
        answer = jargon_message(self.glossary.terms_in(text), text)
        try:
            client.chat_postEphemeral(channel=channel_of(body), user=body["user"]["id"], **answer)
        except SlackApiError as error:
            log.info("chat.postEphemeral refused (%s): answering through the response_url", error.response.get("error"))
            if respond is not None:
                respond(**answer, response_type="ephemeral", replace_original=False)

    def on_to_intake(self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond | None) -> None:
        ack()
        case = business_case(message_text(body), permalink(client, body))
        view = intake_modal(body["user"]["id"], self.newproject.settings.short_notice_days, business_case=case)
        open_form(client, body, respond, view)

    def on_to_agenda(self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond | None) -> None:
        ack()
        channel = channel_of(body)
        active = self._active_series(body["user"]["id"], channel)
        if not active:
            open_form(client, body, respond, no_series_modal())
            return
        choices = [(str(s.series.id), f"#{s.series.id} {s.series.title}") for s in active]
        initial = choices[0][0] if active[0].series.channel_id == channel else None
        item = agenda_text(message_text(body), permalink(client, body))
        open_form(client, body, respond, agenda_modal(choices, initial, item))

    def _active_series(self, user_id: str, channel: str) -> list[SeriesSummary]:
        """The active series: this channel's first, then by next meeting (those with none last), then by title."""
        active = [s for s in self.sitdown.summaries(user_id) if s.series.status == "active"]
        return sorted(
            active,
            key=lambda s: (
                s.series.channel_id != channel,
                s.next is None,
                s.next.start.timestamp() if s.next else 0.0,
                s.series.title.casefold(),
                s.series.id,
            ),
        )

    def on_agenda_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view.get("state", {}).get("values", {})
        series_id = bk.row_id(bk.input_value(values, "series"))
        if not series_id:
            ack(response_action="errors", errors={"series": "Pick the sit-down to add it to."})
            return
        try:
            text = check_text(bk.input_value(values, "text"), MAX_AGENDA, "agenda item")
        except Rejected as problem:
            ack(response_action="errors", errors={"text": str(problem)})
            return
        try:
            placed = self.sitdown.add_agenda_to_series(series_id, text, by=body["user"]["id"])
        except NotFound:
            ack(response_action="errors", errors={"series": answers.changed_meanwhile("sit-down")})
            return
        except Rejected as problem:  # the series has no upcoming meeting
            ack(response_action="errors", errors={"series": str(problem)})
            return
        done = f"📝 Added to *{bk.escape(placed.title)}* of {when(placed.starts_at)}:\n“{bk.escape(text)}”"
        ack(response_action="update", view=done_modal("Agenda", done))

    # --- anywhere ---

    def on_lookup(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Home's lookup modal: its submission (`jargon_lookup`) answers in place, as from Home."""
        ack()
        open_form(client, body, None, lookup_modal())

    def on_new_project(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        view = intake_modal(body["user"]["id"], self.newproject.settings.short_notice_days)
        open_form(client, body, None, view)


def register(app: App, services: Services) -> None:
    listeners = ShortcutListeners(services)
    app.message_shortcut(EXPLAIN)(listeners.on_explain)
    app.message_shortcut(TO_INTAKE)(listeners.on_to_intake)
    app.message_shortcut(TO_AGENDA)(listeners.on_to_agenda)
    app.view(AGENDA_VIEW)(listeners.on_agenda_submit)
    app.global_shortcut(LOOKUP)(listeners.on_lookup)
    app.global_shortcut(NEW_PROJECT)(listeners.on_new_project)

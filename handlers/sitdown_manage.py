"""A series' own buttons (its reminders, its announcement, Home): skip this meeting, move one, pause or resume,
cancel. Each runs the use case `/sitdown skip|move|pause|resume|cancel <id>` runs, for the clicker in the
payload; the button's value (a series id, a date) is only a claim the use case checks again: the series still
runs, the clicker is its owner or a bot admin, the meeting is still to come."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.outcomes import NotAllowed, NotFound, Rejected
from bot.services import Services
from bot.sitdown_rules import parse_day, parse_time_of_day
from handlers import blocks as bk
from handlers import objects
from handlers.sitdown import SitdownListeners
from handlers.sitdown_forms import MOVE_FORM, done_modal, element_value, move_modal
from handlers.sitdown_messages import (
    GONE,
    MOVE_MEETING,
    PAUSE_SERIES,
    REFUSED,
    RESUME_SERIES,
    SKIP_MEETING,
    when,
)

__all__ = ["register"]

SKIP_VALUE = re.compile(r"(\d{1,9}):(\d{4}-\d{2}-\d{2})")


class SeriesButtons:
    def __init__(self, listeners: SitdownListeners) -> None:
        self.listeners = listeners
        self.sitdown = listeners.sitdown

    def pause(self, series_id: int, user_id: str) -> dict[str, Any]:
        """*Pause* (Slack asked first): what `/sitdown pause <id>` does."""
        return self.listeners.change_now("pause", series_id, [], user_id)

    def on_skip(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        match = SKIP_VALUE.fullmatch(str(action.get("value") or ""))
        if match is None:
            bk.tell(respond, GONE)
            return
        args = [match.group(2)]
        respond(**self.listeners.change_now("skip", int(match.group(1)), args, _user(body)), replace_original=False)

    def on_resume(self, ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        answer = self.listeners.change_now("resume", bk.row_id(action.get("value")), [], _user(body))
        respond(**answer, replace_original=False)

    def on_move(
        self, ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        series = objects.named(ack, action, respond, self.listeners.running_series, GONE)
        if series is None:
            return
        user_id = _user(body)
        if user_id != series.owner and not self.listeners.services.settings.is_admin(user_id):
            bk.tell(respond, REFUSED)
            return
        upcoming = self.sitdown.upcoming(series.id)
        if not upcoming:
            bk.tell(respond, "This series has no upcoming meeting to move.")
            return
        bk.open_modal(client, respond, body["trigger_id"], move_modal(series, upcoming))

    def on_move_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view.get("state", {}).get("values", {})
        try:
            original = datetime.fromisoformat(str(element_value(values, "meeting"))).replace(tzinfo=UTC)
        except ValueError:
            ack(response_action="errors", errors={"meeting": "Pick one of the meetings in the list."})
            return
        try:
            day, at = parse_day(element_value(values, "day")), parse_time_of_day(element_value(values, "time"))
            old, new = self.sitdown.move(
                bk.row_id(view.get("private_metadata")), day, at, by=_user(body), original=original
            )
        except (NotFound, NotAllowed, Rejected) as problem:  # on the field it is about, the form stays open
            known = {NotFound: ("meeting", GONE), NotAllowed: ("meeting", REFUSED)}
            field, text = known.get(type(problem), ("day", str(problem)))
            ack(response_action="errors", errors={field: text})
            return
        text = f"📆 Moved the meeting of {when(old.start)} to {when(new)}. I've told the channel."
        ack(response_action="update", view=done_modal("Meeting moved", text))


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def register(app: App, services: Services) -> None:
    buttons = SeriesButtons(SitdownListeners(services))
    app.action(SKIP_MEETING)(buttons.on_skip)
    app.action(RESUME_SERIES)(buttons.on_resume)
    app.action(MOVE_MEETING)(buttons.on_move)
    app.view(MOVE_FORM)(buttons.on_move_submit)
    PAUSE_SERIES.register(app, buttons.pause)

"""A sit-down series as a calendar file, sent to whoever asked in a DM (`/sitdown calendar <id>` and the *Add to
calendar* buttons of reminders and Home)."""

from __future__ import annotations

import logging

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.outcomes import NotFound
from bot.sitdown import SitdownService
from handlers import blocks as bk
from handlers.sitdown_messages import GONE, error_message

log = logging.getLogger(__name__)


def send_calendar(sitdown: SitdownService, client: WebClient, respond: Respond, series_id: int, user_id: str) -> None:
    try:
        series, content = sitdown.calendar_file(series_id)
    except NotFound:
        respond(**error_message(GONE), replace_original=False)
        return
    try:
        dm = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=dm,
            content=content,
            filename=f"sitdown-{series.id}.ics",
            title=f"{series.title} (calendar)",
            initial_comment=f"📅 *{bk.escape(series.title)}*, {bk.escape(series.recurrence.describe())}. "
            "Open the file to add the whole series to Outlook or Google Calendar.",
        )
    except SlackApiError as error:
        log.warning("calendar upload failed: %s", error.response.get("error"))
        text = "⚠️ Slack didn't take the calendar file just now. Please try again."
        respond(**error_message(text), replace_original=False)  # never over a reminder the channel shares

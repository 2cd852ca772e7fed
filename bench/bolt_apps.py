"""The Bolt app a benchmark measures: the bot's handlers in it, or a bare one acking a constant, as the yardstick."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient


def bolt_app(api_url: str, token: str, signing_secret: str, *, process_before_response: bool = False) -> App:
    """A Bolt app with no listeners yet, calling the (fake) Slack Web API at `api_url`, its token not checked."""
    return App(
        client=WebClient(token=token, base_url=api_url),
        signing_secret=signing_secret,
        token_verification_enabled=False,
        process_before_response=process_before_response,
    )

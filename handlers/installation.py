"""Slack telling the bot it may no longer speak: the app was uninstalled, or its bot token revoked."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.services import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.event("app_uninstalled")
    def on_app_uninstalled(event: dict[str, Any]) -> None:
        services.sending.stop("Slack sent app_uninstalled (the app was removed from the workspace)")

    @app.event("tokens_revoked")
    def on_tokens_revoked(event: dict[str, Any]) -> None:
        tokens = event.get("tokens")
        if not isinstance(tokens, dict) or not tokens.get("bot"):  # user tokens only: the bot does not use them
            log.info("tokens_revoked named no bot token; sending goes on")
            return
        services.sending.stop("Slack sent tokens_revoked (the bot token was revoked)")

"""Every feature's listeners, registered on the Bolt app in one place."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers import jargon, liaison, lunchlearn, newproject, sitdown

FEATURES = (jargon, newproject, sitdown, lunchlearn, liaison)


def register_all(app: App, services: Services) -> None:
    for feature in FEATURES:
        feature.register(app, services)

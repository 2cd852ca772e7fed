"""Thin Slack listeners, one module per feature; each exposes register(app, services)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

from handlers import jargon, liaison, lunchlearn, newproject, sitdown

if TYPE_CHECKING:
    from bot.app import Services

FEATURES = (jargon, newproject, sitdown, lunchlearn, liaison)


def register_all(app: App, services: Services) -> None:
    for feature in FEATURES:
        feature.register(app, services)

"""Every feature's listeners, registered on the Bolt app in one place, and the Home tab built from their sections."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers import home, jargon, liaison, lunchlearn, newproject, sitdown
from handlers.home import Section

FEATURES = (jargon, newproject, sitdown, lunchlearn, liaison)

# Home's sections, in the order people read them (handlers/<feature>_home.py each add one).
HOME_SECTIONS: tuple[Section, ...] = ()


def register_all(app: App, services: Services) -> None:
    home.register(app, services, HOME_SECTIONS)  # first: its middleware answers clicks made in Home
    for feature in FEATURES:
        feature.register(app, services)

"""Every feature's listeners, registered on the Bolt app in one place, and the Home tab built from their sections."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers import (
    admin_home,
    home,
    installation,
    jargon,
    jargon_home,
    liaison,
    liaison_home,
    lunchlearn,
    lunchlearn_home,
    newproject,
    newproject_home,
    shortcuts,
    sitdown,
    sitdown_home,
    sitdown_manage,
    vendors,
)
from handlers.home import Section

FEATURES = (jargon, newproject, vendors, sitdown, sitdown_manage, lunchlearn, liaison, shortcuts, installation)

# Home's sections, in the order people read them: what comes next for me, what I asked for, then the rest.
HOME_SECTIONS: tuple[Section, ...] = (
    sitdown_home.section,
    lunchlearn_home.section,
    newproject_home.section,
    liaison_home.section,
    jargon_home.section,
    admin_home.section,
)
HOME_LISTENERS = (jargon_home, newproject_home, admin_home)  # buttons that exist only in Home


def register_all(app: App, services: Services) -> None:
    for feature in FEATURES:
        feature.register(app, services)
    for part in HOME_LISTENERS:
        part.register_home(app, services)
    # Last: Bolt tries listeners in order, and Home opens far less often than commands and buttons come. Its
    # middleware still answers clicks made in Home before any listener: global middleware runs first.
    home.register(app, services, HOME_SECTIONS)

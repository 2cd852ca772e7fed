"""The assembled services: what the edge (handlers/) and the scheduler are given. Built by bot/app.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.digest import DigestService
from bot.glossary_service import GlossaryService
from bot.home import HomeService
from bot.jargon_watch import JargonWatchService
from bot.liaison import LiaisonService
from bot.lunchlearn import LunchLearnService
from bot.newproject import NewProjectService
from bot.notify import Dispatcher
from bot.people import PeopleService
from bot.sending_state import SendingState
from bot.sitdown import SitdownService
from bot.vendors import VendorService


@dataclass
class Services:
    settings: Settings
    clock: Clock
    engine: Engine
    sessions: sessionmaker[Session]
    client: WebClient
    dispatcher: Dispatcher
    glossary: GlossaryService
    newproject: NewProjectService
    sitdown: SitdownService
    lunchlearn: LunchLearnService
    liaison: LiaisonService
    home: HomeService
    people: PeopleService
    sending: SendingState
    vendors: VendorService
    digest: DigestService
    jargon_watch: JargonWatchService

    def planners(self) -> list[Callable[[], object]]:
        """What the scheduler runs every minute: each writes its due reminders into the outbox (idempotent)."""
        return [
            self.newproject.tick,
            self.sitdown.tick,
            self.lunchlearn.tick,
            self.liaison.tick,
            self.vendors.tick,
            self.digest.tick,
        ]

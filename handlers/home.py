"""App Home, "My Bridgebot": each person's own things from every feature, with their buttons.

Home is a view of the same use cases the commands and messages call: each feature contributes a section
(handlers/<feature>_home.py: `section(services, user_id) -> blocks`), rendered here in a fixed order and kept
within Slack's 100 blocks. A button clicked in Home runs the feature's usual listener; what that listener
would have answered through `respond` (Home has no response_url) becomes a notice at the top of a Home
re-published from the state after the click, so every button works the same on a message and in Home.

When a person's things change elsewhere, the use case names them (`work.homes_changed(...)`, bot/kit.py) and
the outbox republishes their Home a moment later, rendered here when sent (`rendered`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.notify import HOME_RENDERER
from bot.services import Services
from handlers import blocks as bk

log = logging.getLogger(__name__)

Block = dict[str, Any]
Section = Callable[[Services, str], list[Block]]
HOME_BLOCKS = 100
WELCOME = (
    "👋 *Welcome to Bridgebot*: it keeps marketing and IT in touch.\n"
    "• `/jargon` — one glossary, every meaning (SQL is a query language to IT, a sales-qualified lead to marketing)\n"
    "• `/newproject` — tell IT about an initiative early, and follow it to a decision\n"
    "• `/sitdown` — regular sit-downs with an agenda and action items\n"
    "• `/lunchlearn` — lunch-and-learns where each side teaches the other\n"
    "• `/liaison` — liaisons rotating onto the other side's team\n"
    "This page shows what is yours, with buttons to act on it."
)


class HomeTab:
    """Builds and publishes a person's Home from the sections the features registered."""

    def __init__(self, services: Services, sections: Sequence[Section]) -> None:
        self.services = services
        self.sections = list(sections)

    def view(self, user_id: str, *, first_visit: bool = False, notice: str = "") -> dict[str, Any]:
        head: list[Block] = [bk.header("My Bridgebot")]
        if notice:
            head.append(bk.section(notice))
        if first_visit:
            head += [bk.section(WELCOME), bk.divider()]
        body: list[Block] = []
        for section in self.sections:
            try:
                blocks = section(self.services, user_id)
            except Exception:  # one feature failing leaves the others readable; it is logged, and says so
                log.exception("a Home section failed")
                blocks = [bk.context("⚠️ Part of this page could not be shown just now.")]
            if blocks:
                body += [*blocks, bk.divider()]
        room = HOME_BLOCKS - len(head)
        if len(body) > room:  # each section trims itself; this only guards Slack's limit
            body = [*body[: room - 1], bk.context("There is more than fits here: the commands show everything.")]
        return {"type": "home", "blocks": head + body}

    def publish(self, client: WebClient, user_id: str, *, first_visit: bool = False, notice: str = "") -> None:
        try:
            client.views_publish(user_id=user_id, view=self.view(user_id, first_visit=first_visit, notice=notice))
        except SlackApiError as error:
            log.warning("views.publish failed: %s", error.response.get("error"))
            return
        self.services.home.published(user_id)  # a refresh still waiting would show nothing newer

    def rendered(self, user_id: str, _payload: dict[str, Any]) -> dict[str, Any]:
        """The outbox's renderer (bot.notify.HOME_RENDERER): the person's Home as it is when the refresh is sent."""
        return {"user_id": user_id, "view": self.view(user_id)}


class HomeReplies(Middleware):
    """A click in Home has no response_url: what the listener answers becomes a notice on a fresh Home."""

    def __init__(self, home: HomeTab) -> None:
        self.home = home

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        body = req.body
        view = body.get("view") if isinstance(body, dict) else None
        if body.get("type") == "block_actions" and isinstance(view, dict) and view.get("type") == "home":
            user_id = str((body.get("user") or {}).get("id") or "")
            client = req.context.client
            home = self.home

            def answer_in_home(text: str = "", blocks: Any = None, **_options: Any) -> None:
                notice = text or _first_text(blocks)
                if client is not None and user_id:
                    home.publish(client, user_id, notice=notice)

            req.context["respond"] = answer_in_home
        return next()


def _first_text(blocks: Any) -> str:
    for block in blocks or []:
        text = (block.get("text") or {}).get("text") if isinstance(block, dict) else None
        if text:
            return str(text)
    return ""


def register(app: App, services: Services, sections: Sequence[Section]) -> HomeTab:
    home = HomeTab(services, sections)
    app.middleware(HomeReplies(home))
    services.dispatcher.renderers[HOME_RENDERER] = home.rendered  # the refreshes features ask for (bot.kit)

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") != "home" or not isinstance(event.get("user"), str):
            return
        user_id = event["user"]
        first_visit = services.home.opened(user_id)
        home.publish(client, user_id, first_visit=first_visit)

    return home

"""The bot admins' Home section over signed HTTP: counts and shortcuts for admins, nothing for anyone else, and
the button that opens `/liaison setup`'s form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from bot.liaison_rules import RotationDraft
from handlers import features
from handlers.admin_home import DIGEST_SCHEDULE, LIAISON_SETUP, section
from handlers.home import HomeTab
from tests.builders import intake_draft, series_starting
from tests.conftest import ADMIN, IT_CHANNEL, MARKETING_CHANNEL, RunningBot, wait_for

Block = dict[str, Any]
SOMEONE = "UALICE"


@pytest.fixture
def home_buttons(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app running_bot builds, with only this section on Home (handlers/features.py registers every
    section and Home's own listeners). Ask for it before running_bot."""

    monkeypatch.setattr(features, "HOME_SECTIONS", (section,))
    yield


def published_home(bot: RunningBot, user_id: str) -> dict[str, Any]:
    HomeTab(bot.services, [section]).publish(bot.services.client, user_id)
    view: dict[str, Any] = bot.fake.calls_to("views.publish")[-1]["view"]
    return view


def accessories(blocks: list[Block]) -> list[tuple[str, str]]:
    return [(b["accessory"]["action_id"], b["accessory"]["text"]["text"]) for b in blocks if b.get("accessory")]


def test_someone_who_is_not_an_admin_sees_no_admin_section(running_bot: RunningBot) -> None:
    assert section(running_bot.services, SOMEONE) == []
    home = published_home(running_bot, SOMEONE)
    assert [b["type"] for b in home["blocks"]] == ["header"] and "Bot admin" not in str(home)


def test_with_nothing_set_up_the_admin_sees_zeros_and_how_to_start(running_bot: RunningBot) -> None:
    blocks = section(running_bot.services, ADMIN)
    text = str(blocks)
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "🛠️ Bot admin", "emoji": True}}
    assert "no series yet. `/sitdown new`" in text
    assert "not set up yet" in text and accessories(blocks) == [
        (LIAISON_SETUP, "Set it up"),
        (DIGEST_SCHEDULE, "Change the schedule"),
    ]
    assert "none coming up" in text and "`/sitdown holiday add" in text
    assert "0 new (waiting for IT) · 0 in privacy/security review" in text
    assert published_home(running_bot, ADMIN)["blocks"][1:-1] == blocks


def test_the_admin_sees_series_rotation_next_holidays_and_the_intake_queue(running_bot: RunningBot) -> None:
    services = running_bot.services
    for day in (date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)):
        services.sitdown.create_series(series_starting(day), by=ADMIN)
    services.sitdown.pause(3, by=ADMIN)
    cancelled = services.sitdown.create_series(series_starting(date(2026, 12, 4)), by=ADMIN)
    services.sitdown.cancel(cancelled.id, by=ADMIN)
    for day, name in [
        (date(2026, 11, 1), "Gone by"),
        (date(2027, 1, 1), "New Year"),
        (date(2026, 12, 25), "Christmas <!channel> & <@UBOSS>"),
        (date(2026, 12, 26), "Boxing Day"),
        (date(2027, 4, 2), "Too far down the list"),
    ]:
        services.sitdown.add_holiday(day, name, by=ADMIN)
    rotation = RotationDraft(date(2026, 12, 7), "4", "weeks", "Europe/London", (MARKETING_CHANNEL, IT_CHANNEL))
    assert not services.liaison.configure(rotation, by=ADMIN).errors
    ids = [services.newproject.submit(intake_draft(name=f"Project {n}"), by=SOMEONE).id for n in range(4)]
    services.newproject.act(ids[0], "review", by=ADMIN)
    services.newproject.act(ids[1], "claim", by=ADMIN)
    services.newproject.act(ids[2], "approve", by=ADMIN)

    blocks = section(services, ADMIN)

    text = str(blocks)
    assert "*🤝 Sit-downs:* 2 active series, 1 paused" in text
    assert "*🔁 Liaison rotation:* set up" in text and accessories(blocks)[0] == (LIAISON_SETUP, "Change the setup")
    assert "Terms of 4 weeks" in text and f"<#{MARKETING_CHANNEL}>" in text
    assert "Fri 25 Dec 2026: Christmas &lt;!channel&gt; &amp; &lt;@UBOSS&gt;" in text
    assert "Sat 26 Dec 2026: Boxing Day" in text and "Fri 01 Jan 2027: New Year" in text
    assert "Gone by" not in text and "Too far" not in text
    assert text.index("Christmas") < text.index("Boxing Day") < text.index("New Year")
    assert "1 new (waiting for IT) · 1 in privacy/security review · 1 taken by IT" in text
    assert published_home(running_bot, ADMIN)["blocks"][1:-1] == blocks


def test_the_setup_button_opens_the_liaison_form_for_admins_only(home_buttons: None, running_bot: RunningBot) -> None:
    bot = running_bot
    assert bot.slack.home_action(LIAISON_SETUP, "setup", user=ADMIN).status == 200
    opened = wait_for(lambda: bot.fake.calls_to("views.open"))
    assert [view["view"]["callback_id"] for view in opened] == ["liaison_setup"]

    bot.slack.home_action(LIAISON_SETUP, "setup", user=SOMEONE)
    home = wait_for(lambda: [c["view"] for c in bot.fake.calls_to("views.publish") if c["user_id"] == SOMEONE])[-1]
    assert "Only bot admins can do that" in home["blocks"][1]["text"]["text"]
    assert "Bot admin" not in str(home) and len(bot.fake.calls_to("views.open")) == 1

"""The leadership digest's controls in the bot admins' Home section, over signed HTTP: the schedule shown, the
button that opens its form, the form's checks, and a refusal for anyone who is not a bot admin."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from typing import Any

import pytest

from bot.digest_rules import MONTHLY, Schedule
from handlers import features
from handlers.admin_home import DIGEST_SCHEDULE, section
from tests.conftest import ADMIN, RunningBot, wait_for
from tests.slack_requests import time_of_day

SOMEONE = "UALICE"


@pytest.fixture
def admin_home_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(features, "HOME_SECTIONS", (section,))
    yield


def digest_block(bot: RunningBot) -> dict[str, Any]:
    [block] = [b for b in section(bot.services, ADMIN) if "Leadership digest" in str(b)]
    return block


def opened_form(bot: RunningBot) -> dict[str, Any]:
    assert bot.slack.home_action(DIGEST_SCHEDULE, "schedule", user=ADMIN).status == 200
    view: dict[str, Any] = wait_for(lambda: bot.fake.calls_to("views.open"))[-1]["view"]
    return view


def values(**changes: Any) -> dict[str, Any]:
    form = {
        "period": ("select", "weekly"),
        "weekday": ("select", "0"),
        "at": time_of_day("09:00"),
        "zone": ("select", "UTC"),
    }
    return {**form, **changes}


def test_the_admin_sees_when_the_digest_goes_and_where(running_bot: RunningBot) -> None:
    block = digest_block(running_bot)

    text = block["text"]["text"]
    assert "*📊 Leadership digest:* weekly, Mondays at 09:00 (UTC), sent by DM to the bot admins" in text
    assert "Next: <!date^1796029200^{date_short}|2026-11-30>" in text  # Monday 30 Nov, 9:00 UTC
    assert block["accessory"]["action_id"] == DIGEST_SCHEDULE


def test_an_admin_changes_the_schedule_from_home(admin_home_only: None, running_bot: RunningBot) -> None:
    bot = running_bot
    form = opened_form(bot)
    assert form["callback_id"] == "digest_schedule"

    reply = bot.slack.submit(
        form,
        values(period=("select", MONTHLY), weekday=("select", "2"), at=time_of_day("16:30"), zone="Europe/Paris"),
        user=ADMIN,
    )

    assert reply.body["response_action"] == "update"
    assert "✅ Saved: monthly, on the first Wednesday of each month at 16:30 (Europe/Paris)" in str(reply.body)
    assert bot.services.digest.schedule() == Schedule(2, time(16, 30), "Europe/Paris", MONTHLY)
    assert "monthly, on the first Wednesday" in str(digest_block(bot))


def test_a_zone_the_bot_does_not_know_is_shown_beside_the_field(admin_home_only: None, running_bot: RunningBot) -> None:
    bot = running_bot
    form = opened_form(bot)

    reply = bot.slack.submit(form, values(zone="Mars/Olympus_Mons", at=time_of_day(None)), user=ADMIN)

    assert reply.body["response_action"] == "errors"
    assert set(reply.body["errors"]) == {"zone", "at"} and "Mars/Olympus_Mons" in reply.body["errors"]["zone"]
    assert bot.services.digest.schedule() == Schedule()


def test_someone_who_is_not_an_admin_changes_nothing(admin_home_only: None, running_bot: RunningBot) -> None:
    bot = running_bot
    form = opened_form(bot)  # opened by an admin, submitted by someone else: the payload is a claim

    reply = bot.slack.submit(form, values(weekday=("select", "4")), user=SOMEONE)

    assert reply.body["response_action"] == "update" and "Only a bot admin" in str(reply.body)
    assert bot.services.digest.schedule() == Schedule()

    bot.slack.home_action(DIGEST_SCHEDULE, "schedule", user=SOMEONE)
    home = wait_for(lambda: [c["view"] for c in bot.fake.calls_to("views.publish") if c["user_id"] == SOMEONE])[-1]
    assert "Only a bot admin" in home["blocks"][1]["text"]["text"] and len(bot.fake.calls_to("views.open")) == 1

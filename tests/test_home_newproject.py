"""/newproject's Home section over signed HTTP: the requester's intakes (all, with Withdraw on open ones), IT's
share of the queue ("Take the oldest"), trimmed to fit; Home's buttons change the intake and re-publish Home."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.newproject import AlreadyTaken
from bot.newproject_rules import Intake
from bot.services import Services
from handlers import features
from handlers.home import HomeTab
from handlers.newproject_home import TAKE_OLDEST, WITHDRAW, section
from tests.builders import intake_draft
from tests.conftest import ADMIN, IT_CHANNEL, RunningBot, wait_for
from tests.test_newproject_flow import (
    FORM,
    HOSTILE,
    IT_PERSON,
    MARKUP,
    OUTSIDER,
    REQUESTER,
    rendered_markup,
    submit_intake,
)

Block = dict[str, Any]


@pytest.fixture
def home_buttons(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app running_bot builds, with only this section on Home (handlers/features.py registers every
    section and Home's own listeners)."""

    monkeypatch.setattr(features, "HOME_SECTIONS", (section,))


@pytest.fixture
def home_bot(home_buttons: None, running_bot: RunningBot) -> Iterator[RunningBot]:
    running_bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    yield running_bot


@pytest.fixture
def it_bot(running_bot: RunningBot) -> RunningBot:
    running_bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    return running_bot


# --- helpers ---------------------------------------------------------------------------------------------------


def submit(bot: RunningBot, name: str = "Loyalty app", *, by: str = REQUESTER) -> int:
    """An intake submitted straight to the use case (the form is tests/test_newproject_flow.py's business)."""
    bot.clock.advance(minutes=1)  # one after the other: the oldest is the first submitted
    return bot.services.newproject.submit(intake_draft(name=name), by=by).id


def intake(bot: RunningBot, intake_id: int) -> Intake:
    found = bot.services.newproject.get(intake_id)
    assert found is not None
    return found


def claim(bot: RunningBot, intake_id: int, by: str = IT_PERSON) -> None:
    bot.services.newproject.act(intake_id, "claim", by=by, it_member=True)


def published_home(bot: RunningBot, user_id: str) -> dict[str, Any]:
    """Home published through the frame with this section only, as Slack received it."""
    HomeTab(bot.services, [section]).publish(bot.services.client, user_id)
    view: dict[str, Any] = bot.fake.calls_to("views.publish")[-1]["view"]
    return view


def texts(blocks: list[Block]) -> str:
    return str(blocks)


def accessories(blocks: list[Block]) -> list[dict[str, Any]]:
    return [b["accessory"] for b in blocks if b.get("accessory")]


def action_ids(blocks: list[Block]) -> list[tuple[str, str]]:
    found = [(a["action_id"], a["value"]) for a in accessories(blocks)]
    return found + [(e["action_id"], e["value"]) for b in blocks if b["type"] == "actions" for e in b["elements"]]


def notices(bot: RunningBot, user_id: str) -> list[str]:
    """The notice (the first section after the header) of each Home published for this person."""
    views = [c["view"] for c in bot.fake.calls_to("views.publish") if c["user_id"] == user_id]
    return [
        v["blocks"][1]["text"]["text"] for v in views if len(v["blocks"]) > 1 and v["blocks"][1]["type"] == "section"
    ]


# --- what the section shows ------------------------------------------------------------------------------------


def test_the_requester_sees_all_their_intakes_decided_ones_too_with_withdraw_on_open_ones(it_bot: RunningBot) -> None:
    bot = it_bot
    hostile = submit_intake(bot, {**FORM, "name": HOSTILE})
    decided = submit(bot, "Spring campaign")
    claim(bot, hostile)
    bot.services.newproject.act(decided, "approve", by=IT_PERSON, it_member=True)

    blocks = section(bot.services, REQUESTER)

    text = texts(blocks)
    assert blocks[0]["type"] == "header" and "*Your intakes* (2)" in text
    assert "Taken by IT" in text and f"IT: <@{IT_PERSON}>" in text and "took it" in text
    assert "Approved for planning" in text and "approved it for planning" in text
    assert [(a["action_id"], a["value"]) for a in accessories(blocks)] == [(WITHDRAW, str(hostile))]
    withdraw = accessories(blocks)[0]
    assert withdraw["style"] == "danger" and withdraw["confirm"]["confirm"]["text"] == "Withdraw"
    assert f"<@{IT_PERSON}> is told" in withdraw["confirm"]["text"]["text"]
    assert "Taken by you" not in text and TAKE_OLDEST not in text  # not in IT
    assert not [m for t in rendered_markup(blocks) for m in MARKUP if m in t]
    assert "&lt;!channel&gt;" in text

    home = published_home(bot, REQUESTER)
    assert home["type"] == "home" and home["blocks"][1:-1] == blocks  # the header before, a divider after


def test_nothing_for_someone_with_nothing(it_bot: RunningBot) -> None:
    submit(it_bot)
    claim(it_bot, 1)
    assert section(it_bot.services, OUTSIDER) == []
    assert "Project intakes" not in str(published_home(it_bot, OUTSIDER))


def test_it_sees_what_they_took_and_how_many_nobody_has_taken(it_bot: RunningBot) -> None:
    bot = it_bot
    oldest, taken, newest = submit(bot, "Oldest"), submit(bot, "Mine now"), submit(bot, "Newest")
    claim(bot, taken)

    blocks = section(bot.services, IT_PERSON)

    text = texts(blocks)
    assert "*Taken by you in IT* (1 open)" in text and "Mine now" in text and "Your intakes" not in text
    assert ("newproject_approve", str(taken)) in action_ids(blocks)
    assert {("newproject_review", str(taken)), ("newproject_decline", str(taken))} <= set(action_ids(blocks))
    assert "*2 intakes* nobody in IT has taken yet" in text and f"`#{oldest}`" in text and "Oldest" in text
    assert (TAKE_OLDEST, "oldest") in action_ids(blocks)
    assert f"`#{newest}`" not in text
    assert published_home(bot, IT_PERSON)["blocks"][1:-1] == blocks

    bot.services.newproject.act(taken, "review", by=IT_PERSON, it_member=True)
    assert ("newproject_review", str(taken)) not in action_ids(section(bot.services, IT_PERSON))


def test_an_admin_counts_as_it_and_a_long_list_is_trimmed_with_where_to_see_the_rest(running_bot: RunningBot) -> None:
    bot = running_bot
    ids = [submit(bot, f"Project {n} <@UBOSS>", by=ADMIN) for n in range(30)]
    for intake_id in ids[:12]:
        claim(bot, intake_id, by=ADMIN)

    blocks = section(bot.services, ADMIN)

    text = texts(blocks)
    assert len(blocks) <= 20
    assert "*Your intakes* (30)" in text and "*Taken by you in IT* (12 open)" in text
    assert "*18 intakes* nobody in IT has taken yet" in text
    more = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert len(more) == 2 and all("more: `/newproject list mine` shows them all" in line for line in more)
    shown_mine = sum(1 for a in accessories(blocks) if a["action_id"] == WITHDRAW)
    assert f"…and {30 - shown_mine} more" in more[0]
    assert "<@UBOSS>" not in text
    home = published_home(bot, ADMIN)
    assert len(home["blocks"]) == len(blocks) + 2


def test_a_withdrawn_intake_keeps_its_place_without_the_button(it_bot: RunningBot) -> None:
    bot = it_bot
    intake_id = submit(bot)
    bot.services.newproject.act(intake_id, "withdraw", by=REQUESTER)
    blocks = section(bot.services, REQUESTER)
    assert "Withdrawn" in texts(blocks) and "withdrew it" in texts(blocks) and not accessories(blocks)


def test_take_the_oldest_never_takes_an_intake_over_even_for_an_admin(services: Services) -> None:
    submitted = services.newproject.submit(intake_draft(), by=REQUESTER)
    services.newproject.act(submitted.id, "claim", by=IT_PERSON, it_member=True)
    with pytest.raises(AlreadyTaken):
        services.newproject.act(submitted.id, "claim", by=ADMIN, unclaimed_only=True)
    assert services.newproject.unclaimed_queue().count == 0 and services.newproject.oldest_unclaimed() is None


# --- Home's buttons ----------------------------------------------------------------------------------------------


def test_withdraw_from_home_withdraws_and_republishes_home_with_a_notice(home_bot: RunningBot) -> None:
    bot = home_bot
    intake_id = submit(bot, "Loyalty <!here> app")
    claim(bot, intake_id)

    refused = bot.slack.home_action(WITHDRAW, str(intake_id), user=IT_PERSON)
    assert refused.status == 200
    assert "Only the person who submitted" in wait_for(lambda: notices(bot, IT_PERSON))[-1]
    assert intake(bot, intake_id).status == "claimed"

    assert bot.slack.home_action(WITHDRAW, str(intake_id), user=REQUESTER).status == 200
    notice = wait_for(lambda: notices(bot, REQUESTER))[-1]
    assert "Withdrew *Loyalty &lt;!here&gt; app*" in notice and f"<@{IT_PERSON}> know" in notice
    assert intake(bot, intake_id).status == "withdrawn"
    home = [c["view"] for c in bot.fake.calls_to("views.publish") if c["user_id"] == REQUESTER][-1]
    assert "Withdrawn" in str(home["blocks"]) and WITHDRAW not in str(home["blocks"])

    bot.slack.home_action(WITHDRAW, str(intake_id), user=REQUESTER)
    assert "already closed" in wait_for(lambda: len(notices(bot, REQUESTER)) == 2 and notices(bot, REQUESTER))[-1]
    bot.slack.home_action(WITHDRAW, "999", user=REQUESTER)
    assert "no longer exists" in wait_for(lambda: len(notices(bot, REQUESTER)) == 3 and notices(bot, REQUESTER))[-1]


def test_take_the_oldest_from_home_claims_them_in_order_then_says_nobody_waits(home_bot: RunningBot) -> None:
    bot = home_bot
    first, second = submit(bot, "First"), submit(bot, "Second")

    bot.slack.home_action(TAKE_OLDEST, "oldest", user=OUTSIDER)
    assert "Only members of" in wait_for(lambda: notices(bot, OUTSIDER))[-1]
    assert bot.services.newproject.unclaimed_queue().count == 2

    for number, (intake_id, name) in enumerate([(first, "First"), (second, "Second")], start=1):
        bot.slack.home_action(TAKE_OLDEST, "oldest", user=IT_PERSON)
        notice = wait_for(lambda n=number: len(notices(bot, IT_PERSON)) == n and notices(bot, IT_PERSON))[-1]
        assert f"You're the IT contact for *{name}*" in notice and f"<@{REQUESTER}>" in notice
        assert intake(bot, intake_id).it_contact == IT_PERSON

    home = [c["view"] for c in bot.fake.calls_to("views.publish") if c["user_id"] == IT_PERSON][-1]
    assert "*Taken by you in IT* (2 open)" in str(home["blocks"]) and TAKE_OLDEST not in str(home["blocks"])
    bot.slack.home_action(TAKE_OLDEST, "oldest", user=IT_PERSON)
    assert "Nobody is waiting" in wait_for(lambda: len(notices(bot, IT_PERSON)) == 3 and notices(bot, IT_PERSON))[-1]


def test_the_buttons_on_taken_intakes_are_the_announcements_own(home_bot: RunningBot) -> None:
    bot = home_bot
    intake_id = submit(bot, "Spring campaign")
    claim(bot, intake_id)
    bot.slack.home_action("newproject_approve", str(intake_id), user=IT_PERSON)
    notice = wait_for(lambda: notices(bot, IT_PERSON))[-1]
    assert "*Spring campaign* is approved for planning" in notice
    assert intake(bot, intake_id).status == "approved"

"""/liaison when plans change: people who lose a turn are told, user-group leavers hand their turns on, going away
over a picked turn hands it on, and a handover note saved minutes before the next term still reaches it."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.liaison import Refused
from bot.services import Services
from storage.liaison import LiaisonTermEvent
from tests.conftest import ADMIN, FakeClock, RunningBot
from tests.fake_slack import FakeSlack
from tests.test_liaison_rotation import (
    FIRST_START,
    START,
    TERM,
    button_values,
    configure,
    fill_pools,
    posts_to,
    run,
    start_rotation,
    terms,
    text_of,
)


@pytest.fixture
def rotating(services: Services, clock: FakeClock, fake_slack: FakeSlack) -> Services:
    return start_rotation(services, clock)


def removed_notices(fake: FakeSlack, user_id: str) -> list[str]:
    return [text_of(body) for body in posts_to(fake, user_id) if "no longer the" in text_of(body)]


def test_an_admin_skip_tells_the_person_skipped(rotating: Services, fake_slack: FakeSlack, clock: FakeClock) -> None:
    clock.advance(minutes=1)
    rotating.liaison.skip(by=ADMIN, target="UI1")
    rotating.dispatcher.run_once()

    assert terms(rotating) == [(0, "UM1", "UI2")]
    notices = removed_notices(fake_slack, "UI1")
    assert len(notices) == 1 and f"<@{ADMIN}> changed the rotation" in notices[0] and "keep your place" in notices[0]


def test_an_admin_swap_tells_the_person_whose_turn_moved_but_a_self_swap_does_not(
    rotating: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    clock.advance(minutes=1)
    rotating.liaison.swap("UM1", "UM2", by=ADMIN)
    rotating.liaison.swap("UI1", "UI3", by="UI1")
    rotating.dispatcher.run_once()

    assert terms(rotating) == [(0, "UM2", "UI3")]
    assert len(removed_notices(fake_slack, "UM1")) == 1
    assert removed_notices(fake_slack, "UI1") == []
    to_um2 = [text_of(body) for body in posts_to(fake_slack, "UM2")]
    assert "handed you" in to_um2[-2]
    assert "counterpart" in to_um2[-1] and "is now <@UI3>" in to_um2[-1]  # the pair hears of the other side's swap


def test_leaving_the_user_group_hands_an_upcoming_turn_on(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    groups = {"SMKT": ["UM1", "UM2"], "SIT": ["UI1", "UI2"]}
    liaison = services.liaison
    liaison.settings = replace(services.settings, marketing_usergroup="SMKT", it_usergroup="SIT")
    liaison.set_group_reader(lambda group: groups[group])
    liaison.tick()
    configure(services)
    services.dispatcher.run_once()
    picked_marketing = terms(services)[0][1]
    assert picked_marketing is not None

    groups["SMKT"] = [u for u in groups["SMKT"] if u != picked_marketing]
    clock.advance(minutes=20)
    run(services)

    other = next(u for u in ("UM1", "UM2") if u != picked_marketing)
    assert terms(services)[0][1] == other
    assert "You're up next" in text_of(posts_to(fake_slack, other)[-1])
    notices = removed_notices(fake_slack, picked_marketing)
    assert len(notices) == 1 and "user group" in notices[0]


def test_going_away_over_a_picked_turn_hands_it_on_and_keeps_the_place(
    rotating: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    clock.advance(minutes=1)
    outcome = rotating.liaison.set_away("UM1", START + timedelta(days=3))
    rotating.dispatcher.run_once()

    assert [t.liaisons["marketing"] for t in outcome.passed_on] == ["UM2"] and outcome.still_held == []
    assert terms(rotating) == [(0, "UM2", "UI1")]
    assert "You're up next" in text_of(posts_to(fake_slack, "UM2")[-1])
    assert removed_notices(fake_slack, "UM1") == []  # they asked for it: the command's answer says so

    clock.now = FIRST_START + timedelta(weeks=2)
    run(rotating)
    assert terms(rotating)[1] == (1, "UM1", "UI2")  # back, and first in line: nothing counted against them


def test_going_away_with_nobody_to_take_over_keeps_the_turn_and_says_so(services: Services, clock: FakeClock) -> None:
    services.liaison.join("UM1", "marketing")
    services.liaison.join("UI1", "it")
    configure(services)

    outcome = services.liaison.set_away("UM1", START + timedelta(days=3))

    assert outcome.passed_on == [] and [t.liaisons["marketing"] for t in outcome.still_held] == ["UM1"]
    assert terms(services) == [(0, "UM1", "UI1")]


def test_away_over_a_picked_turn_is_answered_with_who_took_it(running_bot: RunningBot) -> None:
    bot = running_bot
    fill_pools(bot.services, bot.clock)
    configure(bot.services)

    answer = bot.slack.command("/liaison", f"away {(START + timedelta(days=2)).isoformat()}", user="UM1")

    assert "went to the next person" in answer.text and "<@UM2>" in answer.text


def test_a_note_saved_minutes_before_the_next_term_starts_still_reaches_it(
    rotating: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    clock.now = FIRST_START + timedelta(weeks=2)
    run(rotating)
    assert terms(rotating)[1] == (1, "UM2", "UI2")
    term_id = int(button_values(posts_to(fake_slack, "UM1")[0])["liaison_accept"])

    clock.now = FIRST_START + TERM - timedelta(minutes=3)  # the next pair's welcome is already written
    run(rotating)
    rotating.liaison.save_note(term_id, "UM1", "Campaign calendar lives in <https://evil.example|the wiki>")
    clock.now = FIRST_START + TERM
    run(rotating)

    for user_id in ("UM2", "UI2"):
        received = " ".join(text_of(body) for body in posts_to(fake_slack, user_id))
        assert "Campaign calendar lives in &lt;https://evil.example|the wiki&gt;" in received
        assert "<https://evil.example" not in received


def test_a_note_saved_well_before_the_next_term_comes_once_in_the_welcome(
    rotating: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    clock.now = FIRST_START + timedelta(weeks=2)
    run(rotating)
    term_id = int(button_values(posts_to(fake_slack, "UM1")[0])["liaison_accept"])
    rotating.liaison.save_note(term_id, "UM1", "Ask Priya about the CRM export")

    clock.now = FIRST_START + TERM
    run(rotating)

    mentions = [body for body in posts_to(fake_slack, "UM2") if "Ask Priya" in text_of(body)]
    assert len(mentions) == 1 and "starts now" in text_of(mentions[0])


def test_a_new_rotation_tells_people_whose_announced_turn_it_dropped(
    rotating: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    clock.advance(minutes=1)
    configure(rotating, start=START + timedelta(weeks=1))  # too far off for its first pick to be made yet
    rotating.dispatcher.run_once()

    assert terms(rotating) == []
    for user_id in ("UM1", "UI1"):
        notices = removed_notices(fake_slack, user_id)
        assert len(notices) == 1 and f"<@{ADMIN}> changed the rotation" in notices[0]


def test_a_new_rotation_that_picks_the_same_people_again_only_asks_them_again(
    rotating: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    clock.advance(minutes=1)
    configure(rotating, length="6")
    rotating.dispatcher.run_once()

    assert terms(rotating) == [(0, "UM1", "UI1")]
    assert removed_notices(fake_slack, "UM1") == [] and removed_notices(fake_slack, "UI1") == []
    assert [("You're up next" in text_of(body)) for body in posts_to(fake_slack, "UM1")] == [True, True]


def test_two_clicks_on_cant_swap_me_at_once_pass_the_seat_on_once(rotating: Services, fake_slack: FakeSlack) -> None:
    term_id = int(button_values(posts_to(fake_slack, "UI1")[-1])["liaison_decline"])
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def click() -> None:
        start.wait()
        try:
            rotating.liaison.decline(term_id, "UI1")
            outcomes.append("declined")
        except Refused as refused:
            outcomes.append(refused.reason)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["declined", "not_your_term"]
    assert terms(rotating) == [(0, "UM1", "UI2")]
    with rotating.sessions() as session:
        kinds = session.scalars(select(LiaisonTermEvent.kind).where(LiaisonTermEvent.side == "it")).all()
    assert sorted(kinds) == ["declined", "picked", "picked"]

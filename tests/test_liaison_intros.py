"""Cross-team intros: opting in and out, rounds of marketing and IT pairs in group DMs, follow-ups and stats."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.liaison import Refused
from bot.liaison_rules import RotationDraft
from bot.services import Services
from storage.liaison import LiaisonIntroPair, LiaisonIntroRound, LiaisonIntroSitout
from tests.conftest import ADMIN, MARKETING_CHANNEL, FakeClock, RunningBot, wait_for
from tests.fake_slack import FakeSlack
from tests.slack_requests import date as date_state
from tests.slack_requests import number
from tests.test_liaison_rotation import run, run_twice_after_a_restart

POST = "chat.postMessage"
ROUND_ONE = datetime(2026, 12, 7, 9, tzinfo=UTC)
FORM = {
    "length": number("3"),
    "unit": ("select", "months"),
    "start": date_state("2026-12-07"),
    "tz": "Europe/London",
    "channels": {"type": "multi_conversations_select", "selected_conversations": [MARKETING_CHANNEL]},
    "intros": number("2"),
}


def group_channel(body: dict[str, Any]) -> dict[str, Any]:
    """Slack gives a group DM an ID of its own; here it is made from the users, sorted."""
    return {"ok": True, "channel": {"id": "G" + "".join(sorted(body["users"].split(",")))}}


def pairs(services: Services) -> list[tuple[int, str, str]]:
    with services.sessions() as session:
        rows = session.execute(
            select(LiaisonIntroRound.number, LiaisonIntroPair.marketing_user, LiaisonIntroPair.it_user)
            .join(LiaisonIntroRound, LiaisonIntroPair.round_id == LiaisonIntroRound.id)
            .order_by(LiaisonIntroRound.number, LiaisonIntroPair.id)
        )
        return [(n, m, i) for n, m, i in rows]


def sitouts(services: Services) -> list[str]:
    with services.sessions() as session:
        return list(session.scalars(select(LiaisonIntroSitout.user_id).order_by(LiaisonIntroSitout.id)))


def posts_to(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [body for body in fake.calls_to(POST) if body["channel"] == channel]


def opt_in_everyone(bot: RunningBot) -> None:
    for user in ("UM1", "UM2", "UM3"):
        assert "You're in for cross-team intros" in bot.slack.command("/liaison", "intros on marketing", user=user).text
    for user in ("UI1", "UI2"):
        bot.slack.command("/liaison", "join it", user=user)
        assert "as IT" in bot.slack.command("/liaison", "intros on", user=user).text


def set_up_with_intros(bot: RunningBot) -> None:
    bot.slack.command("/liaison", "setup", user=ADMIN)
    view = wait_for(lambda: bot.fake.calls_to("views.open"))[-1]["view"]
    assert bot.slack.submit(view, FORM, user=ADMIN).body["response_action"] == "update"


def test_opting_in_needs_a_side_and_opting_out_stops_it(running_bot: RunningBot) -> None:
    typed_in_turn_and_told = [
        ("intros on", "Which team are you on?"),
        ("intros on finance", "/liaison intros on [marketing|it]"),
        ("intros off", "weren't signed up"),
        ("intros on it", "as IT"),
        ("intros off", "out of cross-team intros"),
    ]
    for typed, told in typed_in_turn_and_told:
        assert told in running_bot.slack.command("/liaison", typed, user="UBOB").text, typed
    assert running_bot.services.liaison.intro_side("UBOB") is None


def test_a_round_pairs_across_sides_in_group_dms_and_follows_up(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.answers["conversations.open"] = group_channel
    opt_in_everyone(bot)
    bot.slack.command("/liaison", "join marketing", user="UNEVER")
    set_up_with_intros(bot)

    bot.clock.now = ROUND_ONE
    run(bot.services)

    first = pairs(bot.services)
    assert len(first) == 2 and all(m.startswith("UM") and i.startswith("UI") for _, m, i in first)
    opened = {body["users"] for body in bot.fake.calls_to("conversations.open")}
    assert opened == {f"{m},{i}" for _, m, i in first}
    (sat_out,) = sitouts(bot.services)
    assert "sit this cross-team intro out" in str(posts_to(bot.fake, sat_out))
    _, m, i = first[0]
    prompt = posts_to(bot.fake, "G" + "".join(sorted([m, i])))[0]
    assert "Term of the week" in str(prompt) and f"<@{m}>" in str(prompt)
    assert "intro" not in str(posts_to(bot.fake, "UNEVER")), "pool members who never opted in get no intros"
    assert not any("UNEVER" in body["users"] for body in bot.fake.calls_to("conversations.open"))

    bot.clock.now = ROUND_ONE + timedelta(days=3)
    run(bot.services)
    follow_up = posts_to(bot.fake, "G" + "".join(sorted([m, i])))[-1]
    met = next(e for b in follow_up["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert met["action_id"] == "liaison_intro_met"

    bot.slack.action("liaison_intro_met", met["value"], user="UOUTSIDER")
    assert "between two other people" in str(wait_for(lambda: bot.fake.calls_to("response_url"))[-1])
    bot.slack.action("liaison_intro_met", met["value"], user=i)
    wait_for(lambda: "Lovely" in str(bot.fake.calls_to("response_url")[-1]))
    bot.slack.action("liaison_intro_not_yet", met["value"], user=m)
    wait_for(lambda: "No rush" in str(bot.fake.calls_to("response_url")[-1]))
    stats = bot.slack.command("/liaison", "stats")
    assert "1 (50%)" in stats.text, "a later 'not yet' doesn't undo 'we met'"
    with bot.services.sessions() as session:
        answered = session.scalars(select(LiaisonIntroPair).where(LiaisonIntroPair.outcome.is_not(None))).one()
    assert (answered.answered_by, answered.outcome) == (i, "met")

    bot.clock.now = ROUND_ONE + timedelta(weeks=2)
    run(bot.services)
    second = [(m2, i2) for n, m2, i2 in pairs(bot.services) if n == 1]
    assert sat_out in {m2 for m2, _ in second}, "who sat out goes first next round"
    assert not {(m1, i1) for _, m1, i1 in first} & set(second), "no pair repeats within the recency window"


def test_a_restart_pairs_and_prompts_nothing_twice(
    running_bot: RunningBot, settings: Settings, clock: FakeClock
) -> None:
    bot = running_bot
    opt_in_everyone(bot)
    set_up_with_intros(bot)
    bot.clock.now = ROUND_ONE + timedelta(minutes=2)
    run(bot.services)
    sent, opened = len(bot.fake.calls_to(POST)), len(bot.fake.calls_to("conversations.open"))

    run_twice_after_a_restart(settings, clock)

    assert len(bot.fake.calls_to(POST)) == sent
    assert len(bot.fake.calls_to("conversations.open")) == opened
    assert len(pairs(bot.services)) == 2


def configure_for_one_pair(services: Services, intro_weeks: str = "1") -> None:
    """UM1 (marketing) and UI1 (IT) opt in to intros, then an admin sets up the rotation, intros every `intro_weeks`."""
    services.liaison.intros_opt_in("UM1", "marketing")
    services.liaison.intros_opt_in("UI1", "it")
    draft = RotationDraft(date(2026, 12, 7), "3", "months", "UTC", (MARKETING_CHANNEL,), intro_weeks)
    assert services.liaison.configure(draft, by=ADMIN).errors == {}


def test_without_a_group_dm_each_person_gets_the_prompt(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    def refuse(users: Any) -> str:
        raise RuntimeError("missing_scope")

    services.liaison.set_conversation_opener(refuse)
    configure_for_one_pair(services)

    clock.now = ROUND_ONE
    run(services)

    assert pairs(services) == [(0, "UM1", "UI1")]
    prompts = [b for b in fake_slack.calls_to(POST) if "Term of the week" in str(b) or "meet <@UI1>" in str(b)]
    assert sorted(b["channel"] for b in prompts) == ["UI1", "UM1"]


def test_a_round_missed_by_more_than_a_day_is_let_go_and_the_next_one_runs(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    configure_for_one_pair(services)

    clock.now = ROUND_ONE + timedelta(days=2)
    run(services)
    assert pairs(services) == []
    clock.now = ROUND_ONE + timedelta(weeks=1)
    run(services)
    assert pairs(services) == [(1, "UM1", "UI1")]


def test_intro_rounds_are_off_unless_an_admin_sets_them(services: Services, clock: FakeClock) -> None:
    configure_for_one_pair(services, intro_weeks="")
    bad = RotationDraft(date(2026, 12, 7), "3", "months", "UTC", (MARKETING_CHANNEL,), "99")

    clock.now = ROUND_ONE
    run(services)

    assert pairs(services) == []
    assert set(services.liaison.configure(bad, by=ADMIN).errors) == {"intros"}
    with pytest.raises(Refused):
        services.liaison.intros_opt_in("UX", None)

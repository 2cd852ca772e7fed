"""The rotation through the service and the outbox: picks, pings with a moving clock, restarts, swaps, skips.

Slack is the fake Web API; time moves only with the FakeClock; every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.liaison import Refused
from bot.liaison_rules import RotationDraft
from bot.services import Services
from storage.liaison import LiaisonMember, LiaisonRotation, LiaisonTerm, LiaisonTermEvent
from storage.models import OutboxMessage
from tests.conftest import ADMIN, IT_CHANNEL, MARKETING_CHANNEL, FakeClock, restarted
from tests.fake_slack import FakeSlack

POST = "chat.postMessage"
START = date(2026, 12, 7)  # a Monday, two weeks after the FakeClock's 2026-11-23 09:00 UTC
TERM = timedelta(weeks=4)
FIRST_START = datetime(2026, 12, 7, 9, tzinfo=UTC)  # 9:00 in London is 9:00 UTC in winter


def configure(services: Services, *, by: str = ADMIN, start: date = START, length: str = "4") -> Any:
    draft = RotationDraft(start, length, "weeks", "Europe/London", (MARKETING_CHANNEL, IT_CHANNEL))
    return services.liaison.configure(draft, by=by)


def fill_pools(services: Services, clock: FakeClock) -> None:
    for user_id, side in (("UM1", "marketing"), ("UM2", "marketing"), ("UI1", "it"), ("UI2", "it"), ("UI3", "it")):
        services.liaison.join(user_id, side)
        clock.advance(seconds=1)


def run(services: Services) -> None:
    services.liaison.tick()
    services.dispatcher.run_once()


def posts_to(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [body for body in fake.calls_to(POST) if body["channel"] == channel]


def text_of(body: dict[str, Any]) -> str:
    return str(body.get("blocks")) + body.get("text", "")


def terms(services: Services) -> list[tuple[int, str | None, str | None]]:
    with services.sessions() as session:
        rows = session.scalars(select(LiaisonTerm).where(LiaisonTerm.status == "planned").order_by(LiaisonTerm.number))
        return [(row.number, row.marketing_user, row.it_user) for row in rows]


def count(services: Services, model: Any) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def button_values(body: dict[str, Any]) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]}


def start_rotation(services: Services, clock: FakeClock) -> Services:
    """Pools filled, the rotation configured and the first pair's DMs sent."""
    fill_pools(services, clock)
    configure(services)
    services.dispatcher.run_once()
    return services


def run_twice_after_a_restart(settings: Settings, clock: FakeClock) -> None:
    """The bot started again on the same database plans and sends, then again a minute later."""
    with restarted(settings, clock) as again:
        run(again)
        clock.advance(minutes=1)
        run(again)


@pytest.fixture
def rotating(services: Services, clock: FakeClock, fake_slack: FakeSlack) -> Services:
    return start_rotation(services, clock)


def test_only_admins_configure_the_rotation(services: Services, clock: FakeClock) -> None:
    with pytest.raises(Refused) as refused:
        configure(services, by="UBOB")

    assert refused.value.reason == "admins_only"
    assert count(services, LiaisonRotation) == 0
    assert configure(services).errors == {}
    with services.sessions() as session:
        rotation = session.scalars(select(LiaisonRotation)).one()
    assert (rotation.created_by, rotation.created_at, rotation.tz) == (ADMIN, clock(), "Europe/London")


def test_a_bad_setup_changes_nothing(services: Services) -> None:
    outcome = configure(services, start=date(2026, 1, 1), length="0")

    assert set(outcome.errors) == {"start", "length"}
    assert count(services, LiaisonRotation) == 0


def test_the_first_pair_is_picked_two_weeks_ahead_and_asked_by_dm(rotating: Services, fake_slack: FakeSlack) -> None:
    assert terms(rotating) == [(0, "UM1", "UI1")]
    dms = {body["channel"]: body for body in fake_slack.calls_to(POST)}
    assert set(dms) == {"UM1", "UI1"}
    assert "<@UI1>" in text_of(dms["UM1"]) and "Marketing liaison" in text_of(dms["UM1"])
    assert set(button_values(dms["UM1"])) == {"liaison_accept", "liaison_decline"}


def test_a_whole_term_of_pings_with_a_moving_clock(rotating: Services, fake_slack: FakeSlack, clock: FakeClock) -> None:
    clock.now = FIRST_START
    run(rotating)
    assert {b["channel"] for b in fake_slack.calls_to(POST)[2:]} == {"UM1", "UI1", MARKETING_CHANNEL, IT_CHANNEL}
    announcement = posts_to(fake_slack, MARKETING_CHANNEL)[0]
    assert "<@UM1>" in text_of(announcement) and "<@UI1>" in text_of(announcement)
    assert "No handover note" in text_of(posts_to(fake_slack, "UM1")[-1])

    clock.now = FIRST_START + timedelta(weeks=2)  # half-way, and the next pair's two weeks' notice
    run(rotating)
    assert terms(rotating) == [(0, "UM1", "UI1"), (1, "UM2", "UI2")]
    assert "Half-way" in text_of(posts_to(fake_slack, "UM1")[-1])
    assert "You're up next" in text_of(posts_to(fake_slack, "UI2")[-1])

    clock.now = FIRST_START + TERM - timedelta(days=7)
    run(rotating)
    ask = posts_to(fake_slack, "UI1")[-1]
    assert "handover note" in text_of(ask) and "<@UI2>" in text_of(ask)
    term_id = int(button_values(ask)["liaison_note"])
    rotating.liaison.save_note(term_id, "UI1", "Weekly CAB on Tuesdays <!channel>")

    clock.now = FIRST_START + TERM
    run(rotating)
    welcome = posts_to(fake_slack, "UI2")[-1]
    assert "Weekly CAB on Tuesdays &lt;!channel&gt;" in text_of(welcome)
    assert "<!channel>" not in text_of(welcome)
    assert "<@UM2>" in text_of(posts_to(fake_slack, IT_CHANNEL)[-1])

    sent = len(fake_slack.calls_to(POST))
    run(rotating)
    assert len(fake_slack.calls_to(POST)) == sent


def test_a_restart_sends_nothing_twice(
    rotating: Services, settings: Settings, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    clock.now = FIRST_START + timedelta(weeks=2, minutes=1)
    run(rotating)
    sent, rows = len(fake_slack.calls_to(POST)), count(rotating, OutboxMessage)

    run_twice_after_a_restart(settings, clock)

    assert len(fake_slack.calls_to(POST)) == sent
    assert count(rotating, OutboxMessage) == rows
    assert terms(rotating) == [(0, "UM1", "UI1"), (1, "UM2", "UI2")]


def test_after_downtime_a_check_in_within_the_grace_is_sent_late_and_older_ones_are_skipped(
    rotating: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    clock.now = FIRST_START
    run(rotating)
    clock.now = FIRST_START + timedelta(weeks=2, minutes=20)
    run(rotating)
    with rotating.sessions() as session:
        checkins = session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("%:checkin:%"))).all()
    assert {(row.status, row.late) for row in checkins} == {("sent", True)}

    clock.now = FIRST_START + TERM - timedelta(days=7) + timedelta(hours=3)
    run(rotating)
    with rotating.sessions() as session:
        asks = session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("%:handover:%"))).all()
    assert {row.status for row in asks} == {"skipped"}
    assert all("moment passed" in (row.last_error or "") for row in asks)


def test_declining_hands_the_seat_on_and_the_decliner_keeps_their_place(
    rotating: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    term_id = int(button_values(posts_to(fake_slack, "UI1")[-1])["liaison_decline"])

    rotating.liaison.decline(term_id, "UI1")
    rotating.dispatcher.run_once()

    assert terms(rotating) == [(0, "UM1", "UI2")]
    assert "You're up next" in text_of(posts_to(fake_slack, "UI2")[-1])
    clock.now = FIRST_START + timedelta(weeks=2)
    run(rotating)
    assert terms(rotating)[1] == (1, "UM2", "UI1")
    with pytest.raises(Refused) as stale:
        rotating.liaison.accept(term_id, "UI1")
    assert stale.value.reason == "not_your_term"


def test_nobody_else_available_means_the_decline_changes_nothing(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    services.liaison.join("UM1", "marketing")
    services.liaison.join("UI1", "it")
    configure(services)
    with services.sessions() as session:
        term_id = session.scalars(select(LiaisonTerm.id)).one()

    with pytest.raises(Refused) as refused:
        services.liaison.decline(term_id, "UM1")

    assert refused.value.reason == "no_replacement"
    assert terms(services) == [(0, "UM1", "UI1")]


def test_people_away_at_the_start_are_skipped_and_go_first_when_back(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    fill_pools(services, clock)
    services.liaison.set_away("UM1", date(2026, 12, 10))

    configure(services)
    clock.now = FIRST_START + timedelta(weeks=2)
    run(services)

    assert terms(services) == [(0, "UM2", "UI1"), (1, "UM1", "UI2")]


def test_swap_by_the_holder_and_refusals_for_others(rotating: Services, fake_slack: FakeSlack) -> None:
    with pytest.raises(Refused) as not_theirs:
        rotating.liaison.swap("UI1", "UI3", by="UI2")
    with pytest.raises(Refused) as other_side:
        rotating.liaison.swap("UI1", "UM2", by="UI1")
    assert (not_theirs.value.reason, other_side.value.reason) == ("swap_not_yours", "swap_other_side")

    rotating.liaison.swap("UI1", "UI3", by="UI1")
    rotating.dispatcher.run_once()

    assert terms(rotating) == [(0, "UM1", "UI3")]
    assert "<@UI1> handed you" in text_of(posts_to(fake_slack, "UI3")[-1])
    with rotating.sessions() as session:
        events = session.execute(select(LiaisonTermEvent.kind, LiaisonTermEvent.user_id, LiaisonTermEvent.by)).all()
    assert {("swapped_out", "UI1", "UI1"), ("swapped_in", "UI3", "UI1")} <= set(events)


def test_admins_can_swap_anyone_and_exchange_turns(rotating: Services, fake_slack: FakeSlack, clock: FakeClock) -> None:
    clock.now = FIRST_START + timedelta(weeks=2)
    run(rotating)

    changes = rotating.liaison.swap("UM1", "UM2", by=ADMIN)

    assert len(changes) == 2
    assert terms(rotating) == [(0, "UM2", "UI1"), (1, "UM1", "UI2")]


def test_skip_is_for_admins_and_picks_again(rotating: Services) -> None:
    with pytest.raises(Refused):
        rotating.liaison.skip(by="UM1")
    assert terms(rotating) == [(0, "UM1", "UI1")]

    rotating.liaison.skip(by=ADMIN, target="UI1")

    assert terms(rotating) == [(0, "UM1", "UI2")]


def test_leaving_passes_an_upcoming_turn_on_and_side_of_follows_the_pools(rotating: Services) -> None:
    assert rotating.liaison.side_of("UM1") == "marketing"
    assert rotating.liaison.side_of("UI3") == "it"
    assert rotating.liaison.side_of("UNOBODY") is None

    assert rotating.liaison.leave("UM1")

    assert rotating.liaison.side_of("UM1") is None
    assert terms(rotating) == [(0, "UM2", "UI1")]
    assert not rotating.liaison.leave("UM1")


def test_user_groups_fill_the_pools_and_manual_leavers_stay_out(services: Services, clock: FakeClock) -> None:
    groups = {"SMKT": ["UM1", "UM2"], "SIT": ["UI1"]}
    liaison = services.liaison
    liaison.settings = Settings(**{**services.settings.__dict__, "marketing_usergroup": "SMKT", "it_usergroup": "SIT"})
    liaison.set_group_reader(lambda group: groups[group])

    liaison.tick()
    liaison.leave("UM2")
    groups["SMKT"] = ["UM2", "UM3"]
    clock.advance(minutes=20)
    liaison.tick()

    pools = {side: [m.user_id for m in members] for side, members in liaison.pools().items()}
    assert pools == {"marketing": ["UM3"], "it": ["UI1"]}
    with services.sessions() as session:
        sources = dict(session.execute(select(LiaisonMember.user_id, LiaisonMember.status)).all())
    assert sources == {"UM1": "gone", "UM2": "left", "UM3": "active", "UI1": "active"}

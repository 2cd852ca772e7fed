"""/liaison through the real app over signed HTTP: pools, the setup modal, buttons, notes, swaps and bad input."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from storage.liaison import LiaisonHandoverNote, LiaisonMember, LiaisonRotation, LiaisonTerm, LiaisonTermEvent
from tests.conftest import ADMIN, IT_CHANNEL, MARKETING_CHANNEL, RunningBot, wait_for
from tests.slack_requests import date, number

POST = "chat.postMessage"
SETUP_FORM = {
    "length": number("4"),
    "unit": ("select", "weeks"),
    "start": date("2026-12-07"),
    "tz": "Europe/London",
    "channels": {"type": "multi_conversations_select", "selected_conversations": [MARKETING_CHANNEL, IT_CHANNEL]},
}


def count(bot: RunningBot, model: Any) -> int:
    with bot.services.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def join_all(bot: RunningBot) -> None:
    for user, side in (("UM1", "marketing"), ("UM2", "marketing"), ("UI1", "it"), ("UI2", "it")):
        reply = bot.slack.command("/liaison", f"join {side}", user=user)
        assert "pool" in reply.text
        bot.clock.advance(seconds=1)


def set_up(bot: RunningBot) -> None:
    bot.slack.command("/liaison", "setup", user=ADMIN)
    view = wait_for(lambda: bot.fake.calls_to("views.open"))[-1]["view"]
    reply = bot.slack.submit(view, SETUP_FORM, user=ADMIN)
    assert reply.body["response_action"] == "update", reply.body
    bot.dispatch()


def dms_to(bot: RunningBot, user: str) -> list[dict[str, Any]]:
    return [body for body in bot.fake.calls_to(POST) if body["channel"] == user]


def button(body: dict[str, Any], action_id: str) -> str:
    return next(
        e["value"]
        for b in body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    )


def last_response(bot: RunningBot, before: int) -> dict[str, Any]:
    return wait_for(lambda: bot.fake.calls_to("response_url")[before:])[-1]


def test_help_for_help_empty_unknown_and_odd_input(running_bot: RunningBot) -> None:
    for text in ("help", "dance", "'; DROP TABLE liaison_members; --", "🎉🎉", "away"):
        reply = running_bot.slack.command("/liaison", text)
        assert "/liaison join marketing|it" in reply.text, text
        assert reply.body.get("response_type", "ephemeral") == "ephemeral"
    long = running_bot.slack.command("/liaison", "join " + "x" * 4000)
    bare_swap = running_bot.slack.command("/liaison", "swap")

    assert "Name who hands over and who takes it" in bare_swap.text
    assert "much longer" in long.text
    assert count(running_bot, LiaisonMember) == 0
    assert running_bot.fake.methods() == []


def test_joining_leaving_and_switching_sides(running_bot: RunningBot) -> None:
    joined = running_bot.slack.command("/liaison", "join IT", user="UBOB")
    again = running_bot.slack.command("/liaison", "join it", user="UBOB")
    moved = running_bot.slack.command("/liaison", "join marketing", user="UBOB")
    bad = running_bot.slack.command("/liaison", "join finance", user="UBOB")

    assert "You're in the IT pool" in joined.text
    assert "already in the IT pool" in again.text
    assert "Moved you from the IT pool to the Marketing pool" in moved.text
    assert "Pick a side" in bad.text
    assert running_bot.services.liaison.side_of("UBOB") == "marketing"
    with running_bot.services.sessions() as session:
        member = session.scalars(select(LiaisonMember)).one()
    assert (member.changed_by, member.status) == ("UBOB", "active")

    asked = running_bot.slack.command("/liaison", "leave", user="UBOB")  # asks first (tests/test_confirmations.py)
    before = len(running_bot.fake.calls_to("response_url"))
    running_bot.slack.action("liaison_leave_yes", button(asked.body, "liaison_leave_yes"), user="UBOB")
    assert "left the liaison pool" in str(last_response(running_bot, before))
    assert "weren't in a liaison pool" in running_bot.slack.command("/liaison", "leave", user="UBOB").text
    assert running_bot.services.liaison.side_of("UBOB") is None


def test_away_takes_a_date_and_echoes_bad_input_inertly(running_bot: RunningBot) -> None:
    not_member = running_bot.slack.command("/liaison", "away 2027-01-10", user="UBOB")
    running_bot.slack.command("/liaison", "join it", user="UBOB")
    garbled = running_bot.slack.command("/liaison", "away <!channel> <https://evil.example|soon>", user="UBOB")
    past = running_bot.slack.command("/liaison", "away 2020-01-01", user="UBOB")
    away = running_bot.slack.command("/liaison", "away 2027-01-10", user="UBOB")

    assert "not in a liaison pool" in not_member.text
    assert "couldn't read" in garbled.text
    assert "<!channel>" not in garbled.raw and "<https://evil" not in garbled.raw
    assert "&lt;" in garbled.text or "@channel" in garbled.text
    assert "already passed" in past.text
    assert "through 2027-01-10" in away.text
    assert running_bot.services.liaison.member("UBOB").away_until.isoformat() == "2027-01-10"  # type: ignore[union-attr]
    assert "Welcome back" in running_bot.slack.command("/liaison", "away off", user="UBOB").text
    assert running_bot.services.liaison.member("UBOB").away_until is None  # type: ignore[union-attr]


def test_setup_is_for_admins_and_the_modal_starts_the_rotation(running_bot: RunningBot) -> None:
    refused = running_bot.slack.command("/liaison", "setup", user="UBOB")
    assert "Only bot admins" in refused.text
    assert running_bot.fake.calls_to("views.open") == []
    join_all(running_bot)

    set_up(running_bot)

    with running_bot.services.sessions() as session:
        rotation = session.scalars(select(LiaisonRotation)).one()
        term = session.scalars(select(LiaisonTerm)).one()
    assert (rotation.length, rotation.unit, rotation.tz, rotation.created_by) == (4, "weeks", "Europe/London", ADMIN)
    assert rotation.channels == [MARKETING_CHANNEL, IT_CHANNEL]
    assert (term.marketing_user, term.it_user) == ("UM1", "UI1")
    assert term.starts_at == datetime(2026, 12, 7, 9, tzinfo=UTC)
    assert len(dms_to(running_bot, "UM1")) == 1 and len(dms_to(running_bot, "UI1")) == 1
    who = running_bot.slack.command("/liaison", "who")
    assert "starts" in who.text
    nxt = running_bot.slack.command("/liaison", "next")
    assert "<@UM1>" in nxt.text and "<@UI1>" in nxt.text


def test_setup_form_errors_are_inline_and_change_nothing(running_bot: RunningBot) -> None:
    running_bot.slack.command("/liaison", "setup", user=ADMIN)
    view = wait_for(lambda: running_bot.fake.calls_to("views.open"))[-1]["view"]
    bad = {**SETUP_FORM, "length": number("999"), "tz": "Not/AZone", "start": date("2020-01-01")}

    reply = running_bot.slack.submit(view, bad, user=ADMIN)
    sneaky = running_bot.slack.submit(view, SETUP_FORM, user="UBOB")

    assert reply.body["response_action"] == "errors"
    assert set(reply.body["errors"]) == {"length", "tz", "start"}
    assert sneaky.body["response_action"] == "errors"
    assert count(running_bot, LiaisonRotation) == 0


def test_accept_and_decline_buttons_and_a_stale_button(running_bot: RunningBot) -> None:
    join_all(running_bot)
    set_up(running_bot)
    invite = dms_to(running_bot, "UI1")[-1]

    before = len(running_bot.fake.calls_to("response_url"))
    running_bot.slack.action("liaison_accept", button(invite, "liaison_accept"), user="UI1")
    assert "Thank you" in str(last_response(running_bot, before))

    before = len(running_bot.fake.calls_to("response_url"))
    running_bot.slack.action("liaison_decline", button(invite, "liaison_decline"), user="UI1")
    assert "asked the next person" in str(last_response(running_bot, before))
    running_bot.dispatch()
    assert "You're up next" in str(dms_to(running_bot, "UI2")[-1])

    before = len(running_bot.fake.calls_to("response_url"))
    running_bot.slack.action("liaison_accept", button(invite, "liaison_accept"), user="UI1")
    assert "don't hold a seat" in str(last_response(running_bot, before))
    before = len(running_bot.fake.calls_to("response_url"))
    running_bot.slack.action("liaison_decline", "9999", user="UI2")
    assert "over or was replaced" in str(last_response(running_bot, before))
    with running_bot.services.sessions() as session:
        kinds = set(session.scalars(select(LiaisonTermEvent.kind)))
    assert {"picked", "accepted", "declined"} <= kinds


def test_the_handover_note_button_opens_a_form_and_the_note_is_escaped(running_bot: RunningBot) -> None:
    bot = running_bot
    join_all(bot)
    set_up(bot)
    bot.clock.now = datetime(2026, 12, 28, 9, tzinfo=UTC)  # a week before the first 4-week term ends
    bot.services.liaison.tick()
    bot.dispatch()
    ask = next(b for b in dms_to(bot, "UM1") if "liaison_note" in str(b))
    term_id = button(ask, "liaison_note")

    bot.slack.action("liaison_note", term_id, user="UM2")
    refused = wait_for(lambda: bot.fake.calls_to("response_url"))[-1]
    assert "don't hold a seat" in str(refused)
    bot.slack.action("liaison_note", term_id, user="UM1")
    view = wait_for(
        lambda: [c["view"] for c in bot.fake.calls_to("views.open") if c["view"]["callback_id"] == "liaison_note"]
    )[-1]
    empty = bot.slack.submit(view, {"note": "  "}, user="UM1")
    saved = bot.slack.submit(
        view, {"note": "Ping <@UBOSS> and <!here> about <https://evil.example|the budget>"}, user="UM1"
    )

    assert empty.body["response_action"] == "errors"
    assert saved.body["response_action"] == "update"
    assert "<!here>" not in str(saved.body) and "&lt;!here&gt;" in str(saved.body)
    with bot.services.sessions() as session:
        note = session.scalars(select(LiaisonHandoverNote)).one()
    assert (note.author, note.side) == ("UM1", "marketing")

    bot.clock.now = datetime(2027, 1, 4, 9, tzinfo=UTC)
    bot.services.liaison.tick()
    bot.dispatch()
    welcome = str(dms_to(bot, "UM2")[-1])
    assert "&lt;https://evil.example|the budget&gt;" in welcome and "<!here>" not in welcome


def test_who_history_pool_and_swap_by_mention(running_bot: RunningBot) -> None:
    bot = running_bot
    join_all(bot)
    set_up(bot)
    bot.clock.now = datetime(2026, 12, 8, 9, tzinfo=UTC)
    bot.services.liaison.tick()

    who = bot.slack.command("/liaison", "who")
    history = bot.slack.command("/liaison", "history")
    pool = bot.slack.command("/liaison", "pool")
    refused = bot.slack.command("/liaison", "swap <@UM1|mia> <@UM2|max>", user="UI2")
    swapped = bot.slack.command("/liaison", "swap <@UM2|max>", user="UM1")

    assert "Current liaisons" in who.text and "<@UM1>" in who.text and "Since" in who.text
    assert "<@UI1>" in history.text
    assert pool.text.index("<@UM2>") < pool.text.index("<@UM1>"), "UM1 just served, so UM2 is first in line"
    assert "only admins swap others" in refused.text
    assert "<@UM2> takes <@UM1>" in swapped.text
    bot.dispatch()
    assert "handed you" in str(dms_to(bot, "UM2")[-1])
    assert "<@UM2>" in bot.slack.command("/liaison", "who").text


def test_skip_by_command_is_for_admins(running_bot: RunningBot) -> None:
    join_all(running_bot)
    set_up(running_bot)

    refused = running_bot.slack.command("/liaison", "skip", user="UM1")
    skipped = running_bot.slack.command("/liaison", "skip <@UI1>", user=ADMIN)

    assert "Only bot admins" in refused.text
    assert "Picked again" in skipped.text and "<@UI2>" in skipped.text
    with running_bot.services.sessions() as session:
        term = session.scalars(select(LiaisonTerm)).one()
    assert (term.marketing_user, term.it_user) == ("UM1", "UI2")


def test_pools_sync_from_slack_user_groups(running_bot: RunningBot) -> None:
    bot = running_bot
    liaison = bot.services.liaison
    liaison.settings = replace(liaison.settings, marketing_usergroup="SMKT", it_usergroup="SIT")
    bot.fake.usergroups.update({"SMKT": ["UM1", "UM2"], "SIT": ["UI1"]})

    liaison.tick()

    assert {body["usergroup"] for body in bot.fake.calls_to("usergroups.users.list")} == {"SMKT", "SIT"}
    assert [liaison.side_of(u) for u in ("UM1", "UM2", "UI1", "UX")] == ["marketing", "marketing", "it", None]
    bot.fake.usergroups.pop("SIT")
    bot.clock.advance(minutes=30)
    liaison.tick()
    assert liaison.side_of("UI1") == "it", "a group Slack can't read leaves the pool as it was"


def test_who_next_and_history_before_any_rotation(running_bot: RunningBot) -> None:
    for sub in ("who", "next"):
        assert "/liaison setup" in running_bot.slack.command("/liaison", sub).text
    assert "No liaison terms" in running_bot.slack.command("/liaison", "history").text

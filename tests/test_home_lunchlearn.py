"""Home's lunch-and-learn section: my seats and waitlist places with *Withdraw*, the sessions I present, trimmed
to its room; published through HomeTab (the fake Slack checks every view), and Withdraw clicked in Home."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.lunchlearn import UserSessions
from handlers.home import HomeTab
from handlers.lunchlearn_home import ROOM, section, shown
from tests.conftest import RunningBot, bot_with_only_home_section, wait_for
from tests.test_lunchlearn_service import PRESENTER, plan, signups

HOSTILE = "<!channel> <@UBOSS> <https://evil.example|the docs>"


bot = bot_with_only_home_section(section)


def published(bot: RunningBot, user: str | None = None) -> list[dict[str, Any]]:
    return [call["view"] for call in bot.fake.calls_to("views.publish") if user in (None, call["user_id"])]


def publish(bot: RunningBot, user: str) -> dict[str, Any]:
    """The Home a HomeTab of this section alone publishes (views.publish, checked by the fake Slack): a header,
    the section's blocks, a divider."""
    HomeTab(bot.services, [section]).publish(bot.services.client, user)
    return published(bot, user)[-1]


def withdraw_buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b["accessory"] for b in blocks if b.get("accessory", {}).get("action_id") == "lunchlearn_withdraw"]


def texts(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(
        str(part.get("text"))
        for block in blocks
        for part in (block.get("text") or {}, *(block.get("elements") or []))
        if isinstance(part, dict)
    )


def test_nothing_when_nothing_concerns_me(running_bot: RunningBot) -> None:
    bot = running_bot
    assert section(bot.services, "UNOBODY") == []
    cancelled = plan(bot.services, bot.clock, signed_up=("UALICE",))
    bot.services.lunchlearn.cancel(cancelled.id, by=PRESENTER)
    plan(bot.services, bot.clock, starts_in=timedelta(hours=1), signed_up=("UALICE",))
    bot.clock.advance(hours=2)  # it has started: no longer upcoming
    assert section(bot.services, "UALICE") == []
    assert section(bot.services, PRESENTER) == []
    assert "My lunch & learns" not in str(publish(bot, "UALICE"))


def test_my_seats_and_waitlist_places_each_with_withdraw_asking_first_when_it_cannot_be_undone(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    full = plan(bot.services, bot.clock, capacity=1, topic=HOSTILE, signed_up=("UALICE", "UBOB", "UCAROL"))
    roomy = plan(bot.services, bot.clock, capacity=5, topic="SEO & you", starts_in=timedelta(days=5))
    bot.services.lunchlearn.sign_up(roomy.id, "UALICE")

    alice = section(bot.services, "UALICE")
    assert alice[0]["type"] == "header" and "&lt;!channel&gt; &lt;@UBOSS&gt;" in texts(alice)
    assert "<!channel>" not in str(alice) and "<@UBOSS>" not in str(alice) and "SEO &amp; you" in texts(alice)
    assert texts(alice).count("✅ You have a seat.") == 2 and f"<!date^{int(full.starts_at.timestamp())}^" in str(alice)
    first, second = withdraw_buttons(alice)
    assert (first["value"], second["value"]) == (str(full.id), str(roomy.id))  # soonest first
    assert first["confirm"]["title"]["text"] == "Give up your seat?" and "2 waiting" in first["confirm"]["text"]["text"]
    assert "confirm" not in second  # nobody waits: withdrawing can be undone by signing up again

    bob, carol = section(bot.services, "UBOB"), section(bot.services, "UCAROL")
    assert "⏳ You're #1 on the waitlist." in texts(bob) and "⏳ You're #2 on the waitlist." in texts(carol)
    assert withdraw_buttons(bob)[0]["confirm"]["title"]["text"] == "Leave the waitlist?"  # someone is behind
    assert "confirm" not in withdraw_buttons(carol)[0]  # last in line: signing up again puts Carol back there

    for user in ("UALICE", "UBOB", "UCAROL"):
        assert publish(bot, user)["blocks"][1:-1] == section(bot.services, user)


def test_the_sessions_i_present_with_their_attendees_so_far(running_bot: RunningBot) -> None:
    bot = running_bot
    full = plan(bot.services, bot.clock, capacity=1, topic=HOSTILE, signed_up=("UALICE", "UBOB", "UCAROL"))
    plan(bot.services, bot.clock, capacity=5, topic="SEO basics", starts_in=timedelta(days=5))

    mine = section(bot.services, PRESENTER)
    assert "*Sessions you present*" in texts(mine) and "Your seats" not in texts(mine)
    assert "👥 1/1 seated · 2 on the waitlist" in texts(mine) and "👥 0/5 seated · 0 on the waitlist" in texts(mine)
    assert f"(#{full.id})" in texts(mine) and "&lt;!channel&gt;" in texts(mine) and withdraw_buttons(mine) == []
    assert publish(bot, PRESENTER)["blocks"][1:-1] == mine


def test_a_long_list_is_trimmed_and_says_how_many_more(running_bot: RunningBot) -> None:
    bot = running_bot
    for number in range(12):
        # The presenter takes a seat in each too (nothing forbids it): 12 seats and 12 sessions presented.
        plan(
            bot.services,
            bot.clock,
            topic=f"Session {number}",
            starts_in=timedelta(days=1 + number),
            signed_up=(PRESENTER,),
        )

    blocks = section(bot.services, PRESENTER)
    assert len(blocks) == ROOM and len(withdraw_buttons(blocks)) == 8 and texts(blocks).count("🎤") == 3
    assert blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "…and 13 more: `/lunchlearn list` shows them all."}],
    }
    assert "Session 0*" in texts(blocks) and "Session 11*" not in texts(blocks)  # the soonest are shown
    assert publish(bot, PRESENTER)["blocks"][1:-1] == blocks


def test_the_room_is_never_overrun_and_nothing_is_hidden_that_fits() -> None:
    for attending in range(30):
        for presenting in range(30):
            seats, talks = shown(UserSessions((), (), attending, presenting))
            blocks = 1 + bool(attending) + bool(presenting) + seats + talks + (seats + talks < attending + presenting)
            assert blocks <= ROOM and seats <= attending and talks <= presenting
            assert (seats, talks) == (attending, presenting) or blocks == ROOM
            assert seats or not attending
            assert talks or not presenting


def test_withdraw_clicked_in_home_frees_the_seat_and_home_comes_back_with_a_notice(bot: RunningBot) -> None:
    lunch = plan(bot.services, bot.clock, capacity=1, topic=HOSTILE, signed_up=("UALICE", "UBOB"))
    bot.slack.open_home("UALICE")
    opened = wait_for(lambda: published(bot, "UALICE"))[-1]
    assert withdraw_buttons(opened["blocks"])[0]["value"] == str(lunch.id)

    reply = bot.slack.home_action("lunchlearn_withdraw", str(lunch.id), user="UALICE")

    assert reply.status == 200
    after = wait_for(lambda: len(published(bot, "UALICE")) == 2 and published(bot, "UALICE"))[-1]
    assert signups(bot.services, lunch.id) == [("UBOB", "seated")]
    notice = after["blocks"][1]["text"]["text"]
    assert "You've withdrawn from *&lt;!channel&gt;" in notice and "went to the first person on the waitlist" in notice
    assert withdraw_buttons(after["blocks"]) == [] and "My lunch & learns" not in str(after)
    assert "✅ You have a seat." in texts(section(bot.services, "UBOB"))


def test_withdraw_from_home_once_it_has_started_says_so_and_changes_nothing(bot: RunningBot) -> None:
    lunch = plan(bot.services, bot.clock, starts_in=timedelta(hours=1), signed_up=("UALICE",))
    bot.clock.advance(hours=2)

    bot.slack.home_action("lunchlearn_withdraw", str(lunch.id), user="UALICE")

    after = wait_for(lambda: published(bot, "UALICE"))[-1]
    assert "has already started" in after["blocks"][1]["text"]["text"]
    assert signups(bot.services, lunch.id) == [("UALICE", "seated")]

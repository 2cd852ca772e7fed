"""Home's sit-down section: my next sit-downs and my open action items, over the real app and the fake Slack."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from handlers.home import HomeTab
from handlers.sitdown_home import MAX_BLOCKS, section
from storage.sitdown import SitdownActionItem, SitdownMeeting, SitdownMute, SitdownSeries
from tests.builders import SERIES_DRAFT
from tests.conftest import JOINT_CHANNEL, RunningBot, wait_for
from tests.test_sitdown_commands import cancel_series, count, create_series, rows

HOSTILE = "<!channel> see <https://evil.example|this> & <@U999>"


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    return found + [b["accessory"] for b in blocks if b.get("accessory")]


def add_action(bot: RunningBot, series_id: int, text: str, owner: str, due_on: date) -> int:
    """An action item on the series' next meeting, added as its follow-up form would (through the service)."""
    bot.services.sitdown.add_agenda_to_series(series_id, "Seed the meeting row", by="UALICE")
    meeting = [m for m in rows(bot, SitdownMeeting) if m.series_id == series_id][-1]
    item = bot.services.sitdown.add_action(
        meeting.id, text=text, owner=owner, due_on=due_on, category="immediate", by="UALICE"
    )
    return item.id


def quick_series(bot: RunningBot, title: str, owner: str) -> int:
    draft = dataclasses.replace(SERIES_DRAFT, title=title, weekday="Thursday", at="15:00", leads=("15",))
    return bot.services.sitdown.create_series(draft, by=owner).id


def local_day(bot: RunningBot, series_id: int, occurrence: Any) -> str:
    """The local date a skip button names its meeting by (its first schedule, in the series' zone)."""
    view = bot.services.sitdown.series(series_id)
    assert view is not None
    return view.recurrence.local(occurrence.original).date().isoformat()


def published(bot: RunningBot) -> list[dict[str, Any]]:
    return [call["view"] for call in bot.fake.calls_to("views.publish")]


def test_nothing_for_someone_without_sitdowns(running_bot: RunningBot) -> None:
    assert section(running_bot.services, "UNOBODY") == []
    create_series(running_bot, owner="UALICE")

    assert section(running_bot.services, "UNOBODY") == []
    assert section(running_bot.services, "UALICE") != []


def test_my_series_with_its_next_meeting_agenda_and_buttons_and_my_action_items(running_bot: RunningBot) -> None:
    bot = running_bot
    series = create_series(bot, owner="UALICE", title=f"Sync {HOSTILE}")
    for number in range(5):
        bot.slack.command("/sitdown", f"agenda Item {number} {HOSTILE}", user="UBOB", channel=JOINT_CHANNEL)
    item_id = add_action(bot, series.id, f"Fix SSO {HOSTILE}", "UCAROL", date(2026, 11, 30))
    upcoming = bot.services.sitdown.next_meeting(series.id)
    assert upcoming is not None

    owner_blocks = section(bot.services, "UALICE")
    carol_blocks = section(bot.services, "UCAROL")

    text = str(owner_blocks)
    assert "My next sit-downs" in text and f"<!date^{int(upcoming.start.timestamp())}^" in text
    assert "Agenda so far (6 items)" in text and "Item 1" in text and "Item 3" not in text and "3 more" in text
    assert "&lt;!channel&gt;" in text and "&amp;" in text
    for raw in ("<!channel>", "<https://evil", "<@U999>"):
        assert raw not in text and raw not in str(carol_blocks)
    assert [(b["action_id"], b["value"]) for b in buttons(owner_blocks)] == [
        ("sitdown_add_agenda", str(series.id)),
        ("sitdown_mute", str(series.id)),
        (f"sitdown_calendar:{series.id}", str(series.id)),
        ("sitdown_skip_meeting", f"{series.id}:{local_day(bot, series.id, upcoming)}"),
        ("sitdown_move_meeting", str(series.id)),
        ("sitdown_pause_yes:object", str(series.id)),
        ("sitdown_cancel_yes:object", str(series.id)),
    ]
    assert not [b for b in buttons(carol_blocks) if b["action_id"].startswith(("sitdown_skip", "sitdown_cancel"))]
    assert "My open action items" not in text  # the item is Carol's
    assert "My open action items" in str(carol_blocks) and "Fix SSO" in str(carol_blocks)
    assert "Due Mon 30 Nov 2026" in str(carol_blocks)
    done = [b for b in buttons(carol_blocks) if b["action_id"].startswith("sitdown_done")]
    assert [(b["action_id"], b["value"]) for b in done] == [(f"sitdown_done:{item_id}", str(item_id))]
    assert "Sync" in str(carol_blocks)  # a series she holds an open item in concerns her

    HomeTab(bot.services, [section]).publish(bot.services.client, "UCAROL")
    HomeTab(bot.services, [section]).publish(bot.services.client, "UALICE")
    views = published(bot)
    assert len(views) == 2 and "Fix SSO" in str(views[0]) and "Agenda so far" in str(views[1])


def test_many_series_and_items_are_trimmed_with_a_line_to_the_commands(running_bot: RunningBot) -> None:
    bot = running_bot
    ids = [quick_series(bot, f"Series {number}", "UALICE") for number in range(12)]
    for number in range(25):
        add_action(bot, ids[number % 3], f"Task {number} " + "ü" * 250, "UALICE", date(2026, 12, 1 + number))

    blocks = section(bot.services, "UALICE")

    assert len(blocks) <= MAX_BLOCKS
    last = str(blocks[-1])
    assert "more sit-downs" in last and "more action items" in last
    assert "`/sitdown list` / `/sitdown actions mine` shows them all" in last
    shown = sum(1 for b in buttons(blocks) if b["action_id"] == "sitdown_add_agenda")
    shown_items = sum(1 for b in buttons(blocks) if b["action_id"].startswith("sitdown_done:"))
    assert shown >= 1 and shown_items >= 1
    assert f"{12 - shown} more sit-downs and {25 - shown_items} more action items" in last
    HomeTab(bot.services, [section]).publish(bot.services.client, "UALICE")
    assert len(published(bot)) == 1


def test_done_from_home_closes_the_item_and_republishes_home_with_a_notice(running_bot: RunningBot) -> None:
    bot = running_bot
    series = create_series(bot, owner="UALICE")
    item_id = add_action(bot, series.id, "Write the <b>SSO</b> guide", "UCAROL", date(2026, 11, 30))
    done = next(b for b in buttons(section(bot.services, "UCAROL")) if b["action_id"].startswith("sitdown_done"))

    reply = bot.slack.home_action(done["action_id"], done["value"], user="UCAROL")
    (view,) = wait_for(lambda: published(bot))

    assert reply.status == 200
    assert "✅ Done" in str(view["blocks"][1]) and "&lt;b&gt;SSO&lt;/b&gt;" in str(view)
    assert bot.fake.calls_to("views.publish")[0]["user_id"] == "UCAROL"
    assert bot.fake.calls_to("response_url") == []
    (item,) = [i for i in rows(bot, SitdownActionItem) if i.id == item_id]
    assert (item.status, item.done_by) == ("done", "UCAROL")
    assert "Write the" not in str(section(bot.services, "UCAROL"))


def test_done_from_home_by_someone_else_is_refused_in_the_notice(running_bot: RunningBot) -> None:
    bot = running_bot
    series = create_series(bot, owner="UALICE")
    item_id = add_action(bot, series.id, "Audit the CRM", "UCAROL", date(2026, 11, 30))

    bot.slack.home_action(f"sitdown_done:{item_id}", str(item_id), user="UMALLORY")
    (view,) = wait_for(lambda: published(bot))

    assert "Only the item's owner" in str(view)
    assert rows(bot, SitdownActionItem)[0].status == "open"


def test_mute_and_unmute_from_home(running_bot: RunningBot) -> None:
    bot = running_bot
    series = create_series(bot, owner="UALICE")

    bot.slack.home_action("sitdown_mute", str(series.id), user="UALICE")
    (muted_view,) = wait_for(lambda: published(bot))
    mutes = [(m.series_id, m.user_id) for m in rows(bot, SitdownMute)]
    after = section(bot.services, "UALICE")

    assert "Muted" in str(muted_view["blocks"][1]) and mutes == [(series.id, "UALICE")]
    assert "Muted for you" in str(after)
    unmute = next(b for b in buttons(after) if b["action_id"] == "sitdown_unmute")
    bot.slack.home_action(unmute["action_id"], unmute["value"], user="UALICE")
    wait_for(lambda: len(published(bot)) == 2)
    assert count(bot, SitdownMute) == 0
    assert any(b["action_id"] == "sitdown_mute" for b in buttons(section(bot.services, "UALICE")))


def test_a_cancelled_or_paused_series(running_bot: RunningBot) -> None:
    bot = running_bot
    kept = create_series(bot, owner="UALICE", title="Kept")
    gone = create_series(bot, owner="UALICE", title="Gone")
    bot.slack.command("/sitdown", f"pause {kept.id}", user="UALICE")
    cancel_series(bot, gone.id, user="UALICE")

    blocks = section(bot.services, "UALICE")

    assert "Kept" in str(blocks) and "Paused" in str(blocks) and "Gone" not in str(blocks)
    assert [s.status for s in rows(bot, SitdownSeries)] == ["paused", "cancelled"]

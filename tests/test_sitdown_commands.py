"""/sitdown over HTTP: signed commands, buttons and forms in; acknowledgements, Web API calls and rows out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from icalendar import Calendar
from sqlalchemy import func, select

from storage import sitdown_models as tables
from tests.conftest import ADMIN, JOINT_CHANNEL, RunningBot, assert_fields, wait_for
from tests.slack_requests import channel, select_many, time_of_day, user
from tests.slack_requests import date as date_state

SERIES_FORM: dict[str, Any] = {
    "title": "Marketing × IT",
    "channel": channel(JOINT_CHANNEL),
    "cadence": ("select", "biweekly"),
    "weekday": ("select", "Tuesday"),
    "nth": ("select", ""),
    "time": time_of_day("10:00"),
    "zone": ("select", "America/New_York"),
    "duration": ("select", "45"),
    "leads": select_many(["1440", "15"]),
    "starts_on": date_state(None),
    "video_link": "https://meet.example/sitdown",
}


def opened_view(bot: RunningBot, count: int = 1) -> dict[str, Any]:
    return wait_for(lambda: len(bot.fake.calls_to("views.open")) >= count and bot.fake.calls_to("views.open"))[-1][
        "view"
    ]


def rows(bot: RunningBot, model: Any) -> list[Any]:
    with bot.services.sessions() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def count(bot: RunningBot, model: Any) -> int:
    with bot.services.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def create_series(bot: RunningBot, owner: str = "UALICE", **form: Any) -> tables.SitdownSeries:
    opened = len(bot.fake.calls_to("views.open"))
    bot.slack.command("/sitdown", "new", user=owner, channel=JOINT_CHANNEL)
    reply = bot.slack.submit(opened_view(bot, opened + 1), {**SERIES_FORM, **form}, user=owner)
    assert reply.body["response_action"] == "update", reply.body
    return rows(bot, tables.SitdownSeries)[-1]


def cancel_series(bot: RunningBot, series_id: int, user: str = "UALICE") -> dict[str, Any]:
    """`/sitdown cancel <id>`, then its *Yes, cancel it* (it asks first: tests/test_confirmations.py); the answer."""
    asked = bot.slack.command("/sitdown", f"cancel {series_id}", user=user)
    yes = next(e for e in asked.action_elements if e["action_id"] == "sitdown_cancel_yes")
    before = len(bot.fake.calls_to("response_url"))
    bot.slack.action(yes["action_id"], yes["value"], user=user, channel=JOINT_CHANNEL)
    return responses(bot, before)


def responses(bot: RunningBot, before: int) -> dict[str, Any]:
    return wait_for(lambda: len(bot.fake.calls_to("response_url")) > before and bot.fake.calls_to("response_url"))[-1]


def test_help_and_unknown_subcommands_answer_help(running_bot: RunningBot) -> None:
    helped = running_bot.slack.command("/sitdown", "help")
    unknown = running_bot.slack.command("/sitdown", "frobnicate <!channel>")

    for reply in (helped, unknown):
        assert "/sitdown new" in reply.text and "/sitdown holiday add" in reply.text
    assert "I don't know `/sitdown frobnicate @channel`" in unknown.text
    assert "<!channel>" not in unknown.raw


def test_new_opens_a_form_in_the_creators_time_zone_and_saving_stores_the_series(running_bot: RunningBot) -> None:
    running_bot.fake.users["UALICE"] = {"id": "UALICE", "name": "alice", "tz": "America/New_York"}
    running_bot.slack.command("/sitdown", "new", channel=JOINT_CHANNEL)
    view = opened_view(running_bot)
    zone_block = next(b for b in view["blocks"] if b.get("block_id") == "zone")
    channel_block = next(b for b in view["blocks"] if b.get("block_id") == "channel")

    reply = running_bot.slack.submit(view, SERIES_FORM)

    assert running_bot.fake.calls_to("users.info")[0]["user"] == "UALICE"
    assert zone_block["element"]["initial_option"]["value"] == "America/New_York"  # picked from a list, not typed
    groups = [group["label"]["text"] for group in zone_block["element"]["option_groups"]]
    assert groups[0] == "Yours" and "Europe" in groups and "Asia" in groups
    assert channel_block["element"]["initial_conversation"] == JOINT_CHANNEL
    assert reply.body["response_action"] == "update" and "first meeting" in str(reply.body["view"])
    (series,) = rows(running_bot, tables.SitdownSeries)
    assert_fields(
        series, title="Marketing × IT", cadence="biweekly", weekday=1, local_time="10:00", zone="America/New_York"
    )
    assert_fields(series, owner="UALICE", created_by="UALICE", created_at=running_bot.clock(), lead_minutes=[1440, 15])
    listed = running_bot.slack.command("/sitdown", "list", user="UBOB")
    assert "every other Tuesday at 10:00 (America/New_York)" in listed.text and "<@UALICE>" in listed.text
    running_bot.dispatch()
    (announced,) = running_bot.fake.calls_to("chat.postMessage")
    assert announced["channel"] == JOINT_CHANNEL and "<@UALICE> set up *Marketing × IT*" in str(announced["blocks"])


def test_a_bad_form_shows_inline_errors_and_creates_nothing(running_bot: RunningBot) -> None:
    running_bot.slack.command("/sitdown", "new")
    view = opened_view(running_bot)

    reply = running_bot.slack.submit(
        view,
        {
            **SERIES_FORM,
            "title": "x" * 4000,
            "cadence": ("select", "monthly"),
            "zone": ("select", "Europe/Atlantis"),
            "leads": select_many([]),
            "video_link": "<https://evil.example|meet>",
        },
    )

    assert reply.body["response_action"] == "errors"
    assert set(reply.body["errors"]) == {"title", "nth", "zone", "leads", "video_link"}
    assert count(running_bot, tables.SitdownSeries) == 0


def test_agenda_goes_to_the_channels_next_meeting_stored_as_typed_and_echoed_inert(running_bot: RunningBot) -> None:
    nowhere = running_bot.slack.command("/sitdown", "agenda Talk about SSO", channel="CRANDOM")
    create_series(running_bot)
    hostile = "&lt;!channel&gt; review &lt;https://evil.example|the plan&gt; with &lt;@U999&gt; &amp; team"

    empty = running_bot.slack.command("/sitdown", "agenda", channel=JOINT_CHANNEL)
    added = running_bot.slack.command("/sitdown", f"agenda {hostile}", user="UBOB", channel=JOINT_CHANNEL)

    assert "no active sit-down in this channel" in nowhere.text
    assert "Nothing on the agenda yet" in empty.text and "/sitdown agenda <text>" in empty.text
    (item,) = rows(running_bot, tables.SitdownAgendaItem)
    assert (item.text, item.added_by, item.added_at) == (
        "<!channel> review <https://evil.example|the plan> with <@U999> & team",
        "UBOB",
        running_bot.clock(),
    )
    assert "Added to the agenda" in added.text
    assert "<!channel>" not in added.raw and "<https://evil" not in added.raw and "<@U999>" not in added.raw
    for odd in ("'; DROP TABLE sitdown_series; --", "🚀 launch 🎉"):
        running_bot.slack.command("/sitdown", f"agenda {odd}", channel=JOINT_CHANNEL)
    assert [i.text for i in rows(running_bot, tables.SitdownAgendaItem)][1:] == [
        "'; DROP TABLE sitdown_series; --",
        "🚀 launch 🎉",
    ]
    assert count(running_bot, tables.SitdownSeries) == 1
    shown = running_bot.slack.command("/sitdown", "agenda", channel=JOINT_CHANNEL)
    assert "🚀 launch 🎉" in shown.text and "&lt;!channel&gt; review" in shown.text and "by <@UBOB>" in shown.text


def test_only_the_owner_or_an_admin_changes_a_series(running_bot: RunningBot) -> None:
    series = create_series(running_bot, owner="UALICE")

    refused = running_bot.slack.command("/sitdown", f"skip {series.id}", user="UBOB")
    paused_by_bob = running_bot.slack.command("/sitdown", f"pause {series.id}", user="UBOB")
    usage = running_bot.slack.command("/sitdown", "move 1 tomorrow", user="UALICE")
    missing = running_bot.slack.command("/sitdown", "pause 999", user="UALICE")
    bad_date = running_bot.slack.command("/sitdown", f"skip {series.id} 1/12/2026", user="UALICE")
    assert rows(running_bot, tables.SitdownSeries)[0].status == "active"

    paused = running_bot.slack.command("/sitdown", f"pause {series.id}", user=ADMIN)
    moved = running_bot.slack.command("/sitdown", f"move {series.id} 2026-12-03 16:30", user="UALICE")

    assert "Only the series' owner or a bot admin" in refused.text and "Only the series' owner" in paused_by_bob.text
    assert "Usage: `/sitdown move <id> <YYYY-MM-DD> <HH:MM>`" in usage.text
    assert "doesn't exist" in missing.text
    assert "YYYY-MM-DD" in bad_date.text
    assert "Paused" in paused.text and rows(running_bot, tables.SitdownSeries)[0].status == "paused"
    assert "Moved the meeting" in moved.text
    running_bot.dispatch()
    told = [str(m["blocks"]) for m in running_bot.fake.calls_to("chat.postMessage")]
    assert any("paused" in t and f"<@{ADMIN}>" in t for t in told) and any("moved" in t for t in told)


def test_holidays_are_listed_for_everyone_and_changed_by_admins(running_bot: RunningBot) -> None:
    refused = running_bot.slack.command("/sitdown", "holiday add 2026-12-25 Christmas", user="UBOB")
    added = running_bot.slack.command("/sitdown", "holiday add 2026-12-25 Christmas &lt;!here&gt;", user=ADMIN)
    bad = running_bot.slack.command("/sitdown", "holiday add someday", user=ADMIN)
    listed = running_bot.slack.command("/sitdown", "holiday list", user="UBOB")

    assert "Only bot admins" in refused.text
    assert "is now a company holiday" in added.text and "YYYY-MM-DD" in bad.text
    (holiday,) = rows(running_bot, tables.SitdownHoliday)
    assert (holiday.day, holiday.name, holiday.added_by) == (date(2026, 12, 25), "Christmas <!here>", ADMIN)
    assert "Christmas &lt;!here&gt;" in listed.text and "<!here>" not in listed.raw
    removed = running_bot.slack.command("/sitdown", "holiday remove 2026-12-25", user=ADMIN)
    assert "Removed" in removed.text and count(running_bot, tables.SitdownHoliday) == 0


def test_action_items_from_the_followup_to_done(running_bot: RunningBot) -> None:
    bot = running_bot
    series = create_series(bot, zone="Europe/London", cadence=("select", "weekly"), leads=select_many(["15"]))
    bot.clock.now = datetime(2026, 11, 24, 10, 45, tzinfo=UTC)
    bot.services.sitdown.tick()
    bot.dispatch()
    followup = bot.fake.calls_to("chat.postMessage")[-1]
    add_button = followup["blocks"][1]["elements"][0]
    assert add_button["action_id"] == "sitdown_add_action"

    opened = len(bot.fake.calls_to("views.open"))
    bot.slack.action("sitdown_add_action", add_button["value"], user="UBOB", channel=JOINT_CHANNEL)
    view = opened_view(bot, opened + 1)
    bad = bot.slack.submit(
        view, {"text": "", "owner": user(None), "due_on": date_state("2026-11-01"), "category": ("select", "")}
    )
    good = bot.slack.submit(
        view,
        {
            "text": "Run a phishing-awareness session for marketing",
            "owner": user("UCAROL"),
            "due_on": date_state("2026-11-30"),
            "category": ("select", "immediate"),
        },
        user="UBOB",
    )
    bot.dispatch()

    assert bad.body["response_action"] == "errors"
    assert set(bad.body["errors"]) == {"text", "owner", "due_on", "category"}
    assert good.body["response_action"] == "update"
    (item,) = rows(bot, tables.SitdownActionItem)
    assert_fields(item, owner="UCAROL", created_by="UBOB", category="immediate", status="open", series_id=series.id)
    assigned = bot.fake.calls_to("chat.postMessage")[-1]
    assert assigned["channel"] == "UCAROL" and "<@UBOB> gave you an action item" in str(assigned["blocks"])

    mine = bot.slack.command("/sitdown", "actions mine", user="UCAROL")
    theirs = bot.slack.command("/sitdown", "actions mine", user="UBOB")
    done_button = next(b["accessory"] for b in mine.body["blocks"] if b.get("accessory"))
    sent = len(bot.fake.calls_to("response_url"))
    bot.slack.action(done_button["action_id"], done_button["value"], user="UMALLORY")
    refused = responses(bot, sent)
    sent = len(bot.fake.calls_to("response_url"))
    bot.slack.action(done_button["action_id"], done_button["value"], user="UCAROL")
    closed = responses(bot, sent)

    assert "phishing-awareness" in mine.text and "no open action items" in theirs.text
    assert "Only the item's owner" in str(refused)
    assert "Done" in str(closed)
    assert (
        rows(bot, tables.SitdownActionItem)[0].status == "done"
        and rows(bot, tables.SitdownActionItem)[0].done_by == "UCAROL"
    )
    stale = len(bot.fake.calls_to("response_url"))
    bot.slack.action("sitdown_done:999", "999", user="UCAROL")
    assert "no longer exists" in str(responses(bot, stale))


def test_mute_button_mutes_for_the_clicker_only_and_offers_unmute(running_bot: RunningBot) -> None:
    series = create_series(running_bot)

    running_bot.slack.action("sitdown_mute", str(series.id), user="UBOB", channel=JOINT_CHANNEL)
    answer = wait_for(lambda: running_bot.fake.calls_to("response_url"))[-1]

    assert "Muted" in str(answer) and answer.get("replace_original") is False
    assert [(m.series_id, m.user_id) for m in rows(running_bot, tables.SitdownMute)] == [(series.id, "UBOB")]
    assert "muted for you" in running_bot.slack.command("/sitdown", "list", user="UBOB").text
    assert "muted for you" not in running_bot.slack.command("/sitdown", "list", user="UALICE").text
    running_bot.slack.action("sitdown_unmute", str(series.id), user="UBOB")
    wait_for(lambda: count(running_bot, tables.SitdownMute) == 0)


def test_add_to_calendar_sends_an_ics_with_the_series_rule_and_zone(running_bot: RunningBot) -> None:
    series = create_series(running_bot)

    running_bot.slack.action(f"sitdown_calendar:{series.id}", str(series.id), user="UBOB")
    wait_for(lambda: running_bot.fake.calls_to("files.completeUploadExternal"))

    assert running_bot.fake.calls_to("conversations.open")[0]["users"] == "UBOB"
    event = Calendar.from_ical(running_bot.fake.uploads[0]).walk("VEVENT")[0]
    assert event["RRULE"].to_ical().decode() == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=MO"
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["DTSTART"].dt.hour == 10
    assert str(event["LOCATION"]) == "https://meet.example/sitdown"
    assert "Usage: `/sitdown calendar <id>`" in running_bot.slack.command("/sitdown", "calendar").text
    assert "Sending you the calendar" in running_bot.slack.command("/sitdown", f"calendar #{series.id}").text
    wait_for(lambda: len(running_bot.fake.uploads) == 2)


def test_buttons_for_a_cancelled_series_answer_politely_and_change_nothing(running_bot: RunningBot) -> None:
    series = create_series(running_bot)
    cancel_series(running_bot, series.id)

    before = len(running_bot.fake.calls_to("response_url"))
    running_bot.slack.action("sitdown_add_agenda", str(series.id), user="UBOB")
    answer = responses(running_bot, before)
    long_text = running_bot.slack.command("/sitdown", "agenda " + "x" * 4000, channel=JOINT_CHANNEL)

    assert "doesn't exist (or was cancelled)" in str(answer)
    assert running_bot.fake.calls_to("views.open") == [running_bot.fake.calls_to("views.open")[0]]
    assert "too long" in long_text.text
    assert count(running_bot, tables.SitdownAgendaItem) == 0
    assert "No sit-downs yet" in running_bot.slack.command("/sitdown", "list").text


def test_notes_from_the_followup_are_stored_and_shared_inert(running_bot: RunningBot) -> None:
    bot = running_bot
    create_series(bot, zone="Europe/London", cadence=("select", "weekly"), leads=select_many(["15"]))
    bot.clock.now = datetime(2026, 11, 24, 10, 45, tzinfo=UTC)
    bot.services.sitdown.tick()
    bot.dispatch()
    notes_button = bot.fake.calls_to("chat.postMessage")[-1]["blocks"][1]["elements"][1]

    opened = len(bot.fake.calls_to("views.open"))
    bot.slack.action("sitdown_add_notes", notes_button["value"], user="UBOB", channel=JOINT_CHANNEL)
    view = opened_view(bot, opened + 1)
    empty = bot.slack.submit(view, {"notes": ""}, user="UBOB")
    saved = bot.slack.submit(view, {"notes": "Agreed: <!channel> SSO first & CRM later"}, user="UBOB")
    bot.clock.advance(seconds=5)  # the channel just had two posts: the outbox paces it at one a second
    bot.dispatch()

    assert empty.body["response_action"] == "errors" and "notes" in empty.body["errors"]
    assert saved.body["response_action"] == "update"
    (meeting,) = rows(bot, tables.SitdownMeeting)
    assert (meeting.notes, meeting.notes_by) == ("Agreed: <!channel> SSO first & CRM later", "UBOB")
    shared = bot.fake.calls_to("chat.postMessage")[-1]
    assert shared["channel"] == JOINT_CHANNEL
    assert "&lt;!channel&gt; SSO first &amp; CRM later" in str(shared["blocks"])
    assert "<!channel>" not in str(shared)

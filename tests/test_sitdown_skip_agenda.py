"""A skipped meeting hands its agenda on to the next meeting that takes place, over signed HTTP: the items come
back, whole and in order, in that meeting's reminder; a second skip never doubles them; a skip with nothing on
the agenda changes nothing else; a company holiday added later carries the agenda the same way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from storage.sitdown import SitdownAgendaItem, SitdownMeeting, SitdownSeries
from tests.conftest import ADMIN, JOINT_CHANNEL, RunningBot, wait_for
from tests.slack_requests import select_many
from tests.test_sitdown_commands import SERIES_FORM as COMMANDS_SERIES_FORM

OWNER = "UALICE"
# Weekly on Tuesdays at 10:00 in London (on UTC in winter), a reminder 15 minutes before. The clock starts on
# Monday 2026-11-23 09:00 UTC, so the meetings are on 24 November, 1, 8 and 15 December, 10:00 UTC.
SERIES_FORM: dict[str, Any] = {
    **COMMANDS_SERIES_FORM,
    "cadence": ("select", "weekly"),
    "zone": ("select", "Europe/London"),
    "duration": ("select", "30"),
    "leads": select_many(["15"]),
}
NOV_24, DEC_1, DEC_8, DEC_15 = (datetime(2026, m, d, 10, tzinfo=UTC) for m, d in ((11, 24), (12, 1), (12, 8), (12, 15)))
AGENDA_HEADING = "*Agenda so far*"


def create_series(bot: RunningBot) -> int:
    opened = len(bot.fake.calls_to("views.open"))
    bot.slack.command("/sitdown", "new", user=OWNER, channel=JOINT_CHANNEL)
    view = wait_for(lambda: len(bot.fake.calls_to("views.open")) > opened and bot.fake.calls_to("views.open"))[-1]
    reply = bot.slack.submit(view["view"], SERIES_FORM, user=OWNER)
    assert reply.body["response_action"] == "update", reply.body
    with bot.services.sessions() as session:
        series_id = session.scalars(select(SitdownSeries.id).order_by(SitdownSeries.id.desc())).first()
    assert series_id is not None
    bot.dispatch()  # the announcement of the new series
    return series_id


def add_item(bot: RunningBot, text: str, user: str) -> None:
    reply = bot.slack.command("/sitdown", f"agenda {text}", user=user, channel=JOINT_CHANNEL)
    assert "Added to the agenda" in reply.text, reply.text


def skip(bot: RunningBot, series_id: int, day: str = "", user: str = OWNER) -> str:
    return bot.slack.command("/sitdown", f"skip {series_id} {day}".strip(), user=user, channel=JOINT_CHANNEL).text


def reminders_at(bot: RunningBot, start: datetime) -> list[dict[str, Any]]:
    """The reminders posted when the clock reaches 15 minutes before `start` (planned, then dispatched)."""
    before = len(bot.fake.calls_to("chat.postMessage"))
    bot.clock.now = start - timedelta(minutes=15)
    bot.services.sitdown.tick()
    bot.dispatch()
    posted = bot.fake.calls_to("chat.postMessage")[before:]
    return [m for m in posted if "starts in 15 minutes" in m["text"]]


def agenda_of(reminder: dict[str, Any]) -> list[str]:
    """The agenda lines of a reminder (its heading left out)."""
    sections = [b["text"]["text"] for b in reminder["blocks"] if b["type"] == "section"]
    (agenda,) = [text for text in sections if text.startswith(AGENDA_HEADING)]
    return agenda.split("\n")[1:]


def meetings(bot: RunningBot) -> dict[datetime, str]:
    with bot.services.sessions() as session:
        rows = session.scalars(select(SitdownMeeting).order_by(SitdownMeeting.original_start))
        return {row.original_start: row.status for row in rows}


def items(bot: RunningBot) -> list[tuple[int, datetime, str, str, str, datetime]]:
    """Every agenda item: (id, its meeting's original start, text, source, who added it, when), by id."""
    with bot.services.sessions() as session:
        rows = session.execute(
            select(SitdownAgendaItem, SitdownMeeting.original_start)
            .join(SitdownMeeting, SitdownMeeting.id == SitdownAgendaItem.meeting_id)
            .order_by(SitdownAgendaItem.id)
        )
        return [(i.id, start, i.text, i.source, i.added_by, i.added_at) for i, start in rows]


def test_a_skipped_meetings_agenda_is_on_the_next_meetings_reminder_in_order_as_it_was(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    series_id = create_series(bot)
    add_item(bot, "Review the Q3 launch plan", "UBOB")
    bot.clock.now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    add_item(bot, "SSO for the &lt;agency&gt; &amp; partners", "UCAROL")
    bot.services.sitdown.add_to_next_agenda("Intake: a new CRM", "UDAVE", channel=JOINT_CHANNEL, source="newproject")
    added = items(bot)
    assert [start for _, start, *_ in added] == [NOV_24] * 3

    skipped = skip(bot, series_id)

    assert "Skipped the meeting" in skipped
    assert reminders_at(bot, NOV_24) == []  # the skipped meeting has no reminder
    assert meetings(bot) == {NOV_24: "skipped", DEC_1: "scheduled"}
    carried = items(bot)
    assert [start for _, start, *_ in carried] == [DEC_1] * 3
    assert [(i, text, source, by, at) for i, _, text, source, by, at in carried] == [
        (i, text, source, by, at) for i, _, text, source, by, at in added
    ]
    (reminder,) = reminders_at(bot, DEC_1)
    assert agenda_of(reminder) == [
        "• Review the Q3 launch plan _(by <@UBOB>)_",
        "• SSO for the &lt;agency&gt; &amp; partners _(by <@UCAROL>)_",
        "• Intake: a new CRM _(from <@UDAVE>, added automatically)_",
    ]
    assert "Nothing on the agenda yet" not in str(reminder["blocks"])
    heads_up = [b for b in reminder["blocks"] if b["type"] == "context"]
    assert "<@UBOB>" in str(heads_up) and "<@UCAROL>" in str(heads_up)


def test_skipping_twice_never_doubles_the_agenda(running_bot: RunningBot) -> None:
    bot = running_bot
    series_id = create_series(bot)
    add_item(bot, "First topic", "UBOB")
    add_item(bot, "Second topic", "UCAROL")

    first = skip(bot, series_id, "2026-11-24")
    again = skip(bot, series_id, "2026-11-24")
    assert "Skipped the meeting" in first and "already off" in again
    add_item(bot, "Third topic, for 1 December", "UBOB")
    assert [start for _, start, *_ in items(bot)] == [DEC_1] * 3

    skip(bot, series_id)  # now the next meeting is 1 December: skipped too, everything moves on to 8 December

    assert meetings(bot) == {NOV_24: "skipped", DEC_1: "skipped", DEC_8: "scheduled"}
    assert [(start, text) for _, start, text, *_ in items(bot)] == [
        (DEC_8, "First topic"),
        (DEC_8, "Second topic"),
        (DEC_8, "Third topic, for 1 December"),
    ]
    assert reminders_at(bot, DEC_1) == []
    (reminder,) = reminders_at(bot, DEC_8)
    assert agenda_of(reminder) == [
        "• First topic _(by <@UBOB>)_",
        "• Second topic _(by <@UCAROL>)_",
        "• Third topic, for 1 December _(by <@UBOB>)_",
    ]


def test_skipping_a_meeting_with_nothing_on_its_agenda_changes_nothing_else(running_bot: RunningBot) -> None:
    bot = running_bot
    series_id = create_series(bot)

    skip(bot, series_id)

    assert meetings(bot) == {NOV_24: "skipped"} and items(bot) == []
    (reminder,) = reminders_at(bot, DEC_1)
    assert "Nothing on the agenda yet" in str(reminder["blocks"])

    bot.clock.now = DEC_1 + timedelta(hours=1)
    add_item(bot, "Budget for the trade show", "UBOB")  # goes to 8 December, the next meeting now
    before = items(bot)
    skip(bot, series_id, "2026-12-15")  # a later meeting, nothing on its agenda

    assert items(bot) == before and [start for _, start, *_ in before] == [DEC_8]
    assert meetings(bot) == {NOV_24: "skipped", DEC_8: "scheduled", DEC_15: "skipped"}
    (reminder,) = reminders_at(bot, DEC_8)
    assert agenda_of(reminder) == ["• Budget for the trade show _(by <@UBOB>)_"]


def test_a_company_holiday_added_later_carries_that_days_agenda_to_the_next_meeting(running_bot: RunningBot) -> None:
    bot = running_bot
    create_series(bot)
    add_item(bot, "Website migration", "UBOB")

    added = bot.slack.command("/sitdown", "holiday add 2026-11-24 Founders' day", user=ADMIN)

    assert "is now a company holiday" in added.text
    assert [(start, text) for _, start, text, *_ in items(bot)] == [(DEC_1, "Website migration")]
    assert reminders_at(bot, NOV_24) == []
    notice = [m for m in bot.fake.calls_to("chat.postMessage") if "company holiday" in str(m["blocks"])]
    assert len(notice) == 1 and "The agenda carries over to the next one" in str(notice[0]["blocks"])
    (reminder,) = reminders_at(bot, DEC_1)
    assert agenda_of(reminder) == ["• Website migration _(by <@UBOB>)_"]

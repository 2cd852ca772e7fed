"""Sit-down planning through the outbox, driven by a moved clock: reminders, follow-ups, holidays, skips and
moves, a restart after downtime, muting, the action-item lifecycle, and the agenda hook for other features."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import build_services
from bot.config import Settings
from bot.notify import DispatchReport
from bot.outcomes import DraftRejected, NotAllowed, Rejected
from bot.services import Services
from bot.sitdown import reminder_key
from bot.sitdown_rules import Occurrence
from bot.sitdown_views import SeriesView
from storage.models import OutboxMessage
from storage.sitdown import SitdownAgendaItem
from tests.builders import SERIES_DRAFT
from tests.conftest import ADMIN, JOINT_CHANNEL, FakeClock
from tests.fake_slack import FakeSlack

OWNER = "UOWNER"
# SERIES_DRAFT meets weekly on Tuesdays at 10:00 in London, in the joint channel.
# The clock starts on Monday 2026-11-23 09:00 UTC; London is on UTC in winter.
FIRST = datetime(2026, 11, 24, 10, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def new_series(services: Services, *, by: str = OWNER, **changes: Any) -> SeriesView:
    """A new series, its announcement already sent."""
    series = services.sitdown.create_series(dataclasses.replace(SERIES_DRAFT, **changes), by=by)
    assert services.dispatcher.run_once().sent == [f"sitdown:{series.id}:created"]
    return series


def run_at(services: Services, clock: FakeClock, moment: datetime) -> DispatchReport:
    """What the scheduler does at `moment`: plan, then dispatch."""
    clock.now = moment
    services.sitdown.tick()
    return services.dispatcher.run_once()


def posts(fake: FakeSlack) -> list[dict[str, Any]]:
    """What the bot posted, leaving out the announcement of each new series."""
    return [m for m in fake.calls_to("chat.postMessage") if not m["text"].startswith("New sit-down")]


def text_of(message: dict[str, Any]) -> str:
    return str(message["blocks"])


def outbox(services: Services) -> dict[str, OutboxMessage]:
    with services.sessions() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("sitdown:%")))
        return {row.key: row for row in rows}


def test_each_lead_time_gives_one_reminder_in_the_channel_then_a_followup(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    series = new_series(services)

    assert run_at(services, clock, utc(2026, 11, 23, 9, 59)).sent == []
    day_before = run_at(services, clock, utc(2026, 11, 23, 10, 0))
    run_at(services, clock, utc(2026, 11, 23, 10, 1))
    quarter_before = run_at(services, clock, utc(2026, 11, 24, 9, 45))
    followup = run_at(services, clock, utc(2026, 11, 24, 10, 30))

    occurrence = Occurrence(FIRST, FIRST, "scheduled")
    assert day_before.sent == [reminder_key(series.id, occurrence, 1440)]
    assert quarter_before.sent == [reminder_key(series.id, occurrence, 15)]
    assert len(followup.sent) == 1 and followup.sent[0].endswith(":followup")
    sent = posts(fake_slack)
    assert [m["channel"] for m in sent] == [JOINT_CHANNEL] * 3
    assert "starts in 1 day" in text_of(sent[0]) and "starts in 15 minutes" in text_of(sent[1])
    buttons = [e["text"]["text"] for b in sent[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [
        "Add agenda item",
        "Mute this series for me",
        "Add to calendar",
        *("Skip this meeting", "Move a meeting…", "Pause", "Cancel the series"),  # the owner's
    ]
    assert "Add action item" in text_of(sent[2]) and "immediate" in text_of(sent[2])
    assert all(not row.late for row in outbox(services).values())


def test_a_restart_after_downtime_sends_recent_reminders_late_records_old_ones_and_never_twice(
    settings: Settings, services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    series = new_series(services)
    run_at(services, clock, utc(2026, 11, 23, 9, 30))
    services.engine.dispose()  # the bot goes down before the day-before reminder

    clock.now = utc(2026, 11, 24, 9, 55)  # back up 10 minutes after the quarter-before reminder was due
    restarted = build_services(settings, clock=clock)
    restarted.sitdown.tick()
    report = restarted.dispatcher.run_once()
    again = build_services(settings, clock=clock)  # a second restart (or a second replica) plans again
    again.sitdown.tick()
    second = again.dispatcher.run_once()

    occurrence = Occurrence(FIRST, FIRST, "scheduled")
    day_before, quarter_before = reminder_key(series.id, occurrence, 1440), reminder_key(series.id, occurrence, 15)
    assert report.skipped == [day_before] and report.sent == [quarter_before]
    assert second.sent == second.skipped == []
    rows = outbox(restarted)
    assert (rows[day_before].status, rows[quarter_before].status, rows[quarter_before].late) == (
        "skipped",
        "sent",
        True,
    )
    assert "moment passed" in (rows[day_before].last_error or "")
    assert len(posts(fake_slack)) == 1
    restarted.engine.dispose()
    again.engine.dispose()


def test_a_meeting_on_a_company_holiday_is_skipped_and_the_channel_told_once(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    series = new_series(services)
    services.sitdown.add_holiday(date(2026, 11, 24), "Founders' day", by=ADMIN)

    for moment in (utc(2026, 11, 23, 10), utc(2026, 11, 23, 12), utc(2026, 11, 24, 9, 45), utc(2026, 11, 24, 11)):
        run_at(services, clock, moment)

    sent = posts(fake_slack)
    assert len(sent) == 1
    assert "company holiday" in text_of(sent[0]) and "Founders&#39;" not in text_of(sent[0])
    assert "Founders' day" in text_of(sent[0])
    upcoming = services.sitdown.next_meeting(series.id)
    assert upcoming is not None and upcoming.start == utc(2026, 12, 1, 10)


def test_holidays_are_for_admins_to_change(services: Services) -> None:
    with pytest.raises(NotAllowed):
        services.sitdown.add_holiday(date(2026, 12, 25), "Christmas", by="UBOB")
    assert services.sitdown.add_holiday(date(2026, 12, 25), "Christmas", by=ADMIN) is True
    assert services.sitdown.add_holiday(date(2026, 12, 25), "Christmas", by=ADMIN) is False
    with pytest.raises(NotAllowed):
        services.sitdown.remove_holiday(date(2026, 12, 25), by="UBOB")
    assert [h.name for h in services.sitdown.holidays()] == ["Christmas"]


def test_skipping_withdraws_queued_reminders_and_announces_it(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    series = new_series(services, leads=("15",))
    run_at(services, clock, utc(2026, 11, 24, 9, 44))  # the 09:45 reminder is queued
    with pytest.raises(NotAllowed):
        services.sitdown.skip(series.id, None, by="UBOB")

    skipped = services.sitdown.skip(series.id, date(2026, 11, 24), by=OWNER)
    with pytest.raises(Rejected, match="already off"):
        services.sitdown.skip(series.id, date(2026, 11, 24), by=ADMIN)
    run_at(services, clock, utc(2026, 11, 24, 9, 45))
    run_at(services, clock, utc(2026, 11, 24, 11))

    assert skipped.start == FIRST
    sent = posts(fake_slack)
    assert len(sent) == 1 and "skipped" in text_of(sent[0]) and f"<@{OWNER}>" in text_of(sent[0])
    withdrawn = outbox(services)[reminder_key(series.id, Occurrence(FIRST, FIRST, "scheduled"), 15)]
    assert withdrawn.status == "skipped" and "withdrawn" in (withdrawn.last_error or "")
    with pytest.raises(Rejected, match="no upcoming meeting"):
        services.sitdown.skip(series.id, date(2026, 11, 24), by=ADMIN)


def test_moving_the_next_meeting_reminds_at_the_new_time(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    series = new_series(services, leads=("15",))

    services.sitdown.move(series.id, date(2026, 11, 25), time(14, 0), by=ADMIN)
    run_at(services, clock, utc(2026, 11, 24, 9, 45))
    run_at(services, clock, utc(2026, 11, 25, 13, 45))

    sent = posts(fake_slack)
    assert len(sent) == 2
    assert "moved" in text_of(sent[0])
    assert "starts in 15 minutes" in text_of(sent[1]) and "moved from its usual time" in text_of(sent[1])
    with pytest.raises(Rejected, match="passed"):
        services.sitdown.move(series.id, date(2026, 11, 20), time(9, 0), by=OWNER)


def test_a_paused_series_stays_quiet_and_resuming_owes_nothing_for_the_pause(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    series = new_series(services, leads=("15",))
    services.sitdown.pause(series.id, by=OWNER)
    run_at(services, clock, utc(2026, 11, 24, 9, 45))
    run_at(services, clock, utc(2026, 11, 30, 12))
    services.sitdown.resume(series.id, by=OWNER)
    run_at(services, clock, utc(2026, 12, 1, 9, 45))

    texts = [text_of(m) for m in posts(fake_slack)]
    assert len(texts) == 3
    assert "paused" in texts[0] and "resumed" in texts[1] and "starts in 15 minutes" in texts[2]


def test_muting_stops_pings_and_dms_for_that_person_only(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    series = new_series(services, leads=("15",))
    services.sitdown.add_agenda_in_channel("Launch checklist", by="UBOB", channel=JOINT_CHANNEL)
    services.sitdown.add_agenda_in_channel("SSO for the CRM", by="UCAROL", channel=JOINT_CHANNEL)
    services.sitdown.mute(series.id, "UBOB")

    run_at(services, clock, utc(2026, 11, 24, 9, 45))
    followup = run_at(services, clock, utc(2026, 11, 24, 10, 30))
    meeting_id = int(posts(fake_slack)[-1]["blocks"][1]["elements"][0]["value"])
    for owner in ("UBOB", "UCAROL"):
        services.sitdown.add_action(
            meeting_id,
            text=f"Follow up ({owner})",
            owner=owner,
            due_on=date(2026, 11, 26),
            category="immediate",
            by=OWNER,
        )
    run_at(services, clock, utc(2026, 11, 26, 9))

    reminder = text_of(posts(fake_slack)[0])
    assert "Launch checklist" in reminder and "<@UCAROL>" in reminder and "<@UBOB>" not in reminder
    assert len(followup.sent) == 1
    dms = [m for m in posts(fake_slack) if m["channel"].startswith("U")]
    assert {m["channel"] for m in dms} == {"UCAROL"}
    assert len(dms) == 2  # assigned, then due today


def test_action_items_are_assigned_reminded_on_the_due_date_listed_and_closed(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    series = new_series(services, leads=("15",))
    run_at(services, clock, utc(2026, 11, 24, 10, 30))
    meeting_id = int(posts(fake_slack)[-1]["blocks"][1]["elements"][0]["value"])

    item = services.sitdown.add_action(
        meeting_id,
        text="Train marketing on <!channel> etiquette",
        owner="UCAROL",
        due_on=date(2026, 11, 30),
        category="immediate",
        by="UBOB",
    )
    assigned = run_at(services, clock, utc(2026, 11, 24, 10, 31))
    early = run_at(services, clock, utc(2026, 11, 30, 8, 59))
    due = run_at(services, clock, utc(2026, 11, 30, 9, 0))
    run_at(services, clock, utc(2026, 12, 1, 9, 45))
    with pytest.raises(NotAllowed):
        services.sitdown.complete_action(item.id, by="UMALLORY")
    closed = services.sitdown.complete_action(item.id, by="UCAROL")
    twice = services.sitdown.complete_action(item.id, by=OWNER)

    assert assigned.sent == [f"sitdown:action:{item.id}:assigned"] and early.sent == []
    assert due.sent == [f"sitdown:action:{item.id}:due"]
    dm = posts(fake_slack)[-2]
    assert dm["channel"] == "UCAROL" and "Due today" in text_of(dm) and "&lt;!channel&gt;" in text_of(dm)
    assert "<!channel>" not in text_of(dm)
    next_reminder = text_of(posts(fake_slack)[-1])
    assert "Action items still open" in next_reminder and "Train marketing" in next_reminder
    assert closed.changed and closed.item.done_by == "UCAROL" and not twice.changed
    assert services.sitdown.open_actions() == []
    assert series.id == closed.item.series_id


def test_action_items_refuse_bad_input(services: Services, clock: FakeClock) -> None:
    series = new_series(services)
    placed = services.sitdown.add_agenda_to_series(series.id, "x", by=OWNER)
    with services.sessions() as session:
        meeting_id = session.scalars(select(SitdownAgendaItem.meeting_id)).one()

    with pytest.raises(DraftRejected) as rejected:
        services.sitdown.add_action(meeting_id, text=" ", owner="", due_on=date(2020, 1, 1), category="soon", by=OWNER)

    assert set(rejected.value.errors) == {"text", "owner", "due_on", "category"}
    assert services.sitdown.open_actions() == []
    assert placed.starts_at == FIRST


def test_other_features_add_to_the_next_agenda_of_the_joint_channel_first(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    assert services.sitdown.add_to_next_agenda("New intake: SSO", "UINTAKE") is None
    sooner_elsewhere = new_series(services, channel_id="CELSEWHERE", weekday="Monday", at="15:00")
    joint = new_series(services)

    to_joint = services.sitdown.add_to_next_agenda("New intake: <!here> SSO", "UINTAKE")
    elsewhere = services.sitdown.add_to_next_agenda("New intake: CRM", "UINTAKE", channel="CELSEWHERE")
    nowhere = services.sitdown.add_to_next_agenda("New intake: CRM", "UINTAKE", channel="CNOSITDOWN")
    services.sitdown.cancel(joint.id, by=OWNER)
    fallback = services.sitdown.add_to_next_agenda("New intake: ERP", "UINTAKE")
    run_at(services, clock, utc(2026, 11, 23, 14, 45))

    assert to_joint is not None and (to_joint.series_id, to_joint.starts_at) == (joint.id, FIRST)
    assert elsewhere is not None and elsewhere.series_id == sooner_elsewhere.id
    assert nowhere is None
    assert fallback is not None and fallback.series_id == sooner_elsewhere.id
    reminder = text_of(posts(fake_slack)[-1])
    assert "New intake: CRM" in reminder and "New intake: ERP" in reminder and "added automatically" in reminder


def test_a_meeting_moved_before_a_watermark_that_jumped_ahead_is_reminded_with_the_agenda_of_that_moment(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    """After Monday's day-before reminder the planner has nothing due until Tuesday 09:45 and skips the series
    until then; a meeting moved to Monday afternoon must still get its reminder, written just before it goes,
    so an agenda item added after the move is in it."""
    series = new_series(services)
    run_at(services, clock, utc(2026, 11, 23, 10, 0))
    clock.now = utc(2026, 11, 23, 10, 5)
    services.sitdown.move(series.id, date(2026, 11, 23), time(16, 0), by=OWNER)
    services.dispatcher.run_once()
    clock.now = utc(2026, 11, 23, 12, 0)
    services.sitdown.add_agenda_to_series(series.id, "Budget for the webinar", by="UMKT")

    run_at(services, clock, utc(2026, 11, 23, 15, 45))
    run_at(services, clock, utc(2026, 11, 24, 9, 45))

    texts = [text_of(m) for m in posts(fake_slack)]
    assert len(texts) == 4, "the day-before reminder, the move, the moved meeting's reminder and its follow-up"
    assert "starts in 1 day" in texts[0] and "moved" in texts[1]
    assert "starts in 15 minutes" in texts[2] and "Budget for the webinar" in texts[2]
    assert "Add action item" in texts[3]


def test_every_series_is_planned_when_there_are_more_than_one_batch(
    services: Services, fake_slack: FakeSlack, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.sitdown_planning.PLAN_BATCH", 2)
    channels = [f"CSIT{number}" for number in range(5)]
    for channel in channels:
        new_series(services, leads=("15",), channel_id=channel)

    report = run_at(services, clock, utc(2026, 11, 24, 9, 45))
    again = run_at(services, clock, utc(2026, 11, 24, 9, 46))

    assert len(report.sent) == 5 and again.sent == []
    assert sorted(m["channel"] for m in posts(fake_slack)) == sorted(channels)

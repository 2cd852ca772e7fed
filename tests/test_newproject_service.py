"""The intake service with a real database and the outbox: announcements, permissions, escalation, restarts.

The clock starts on Monday 2026-11-23 09:00 UTC and only moves when a test moves it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import build_services
from bot.config import Settings
from bot.newproject import AlreadyTaken
from bot.newproject_rules import IntakeDraft, TransitionRefused
from bot.outcomes import DraftRejected, NotAllowed, NotFound
from bot.services import Services
from storage.models import OutboxMessage
from storage.newproject import NewProjectEvent, NewProjectIntake
from tests.builders import intake_draft
from tests.conftest import ADMIN, IT_CHANNEL, IT_PERSON, FakeClock
from tests.fake_slack import FakeSlack

REQUESTER = "UMIA"


def draft(**changes: Any) -> IntakeDraft:
    """An intake IT must look into: personal data and a new vendor."""
    return replace(intake_draft(personal_data="yes", new_vendors="Typeform"), **changes)


def outbox_keys(services: Services) -> list[str]:
    with services.sessions() as session:
        return sorted(session.scalars(select(OutboxMessage.key)))


def outbox_row(services: Services, key: str) -> OutboxMessage:
    with services.sessions() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).one()


def count(services: Services, model: Any) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def posts(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [c for c in fake.calls_to("chat.postMessage") if c["channel"] == channel]


def test_submitting_stores_the_intake_with_its_lead_time_and_announces_it_once(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    intake = services.newproject.submit(draft(launch_date=date(2026, 12, 3)), by=REQUESTER)
    services.dispatcher.run_once()
    services.dispatcher.run_once()

    with services.sessions() as session:
        row = session.get_one(NewProjectIntake, intake.id)
        assert (row.lead_days, row.status, row.requested_by, row.owner_id) == (10, "new", REQUESTER, REQUESTER)
        assert row.requested_at == clock()
    [announcement] = posts(fake_slack, IT_CHANNEL)
    text = str(announcement["blocks"])
    assert "Loyalty app" in text and "10 days" in text
    assert "personal data" in text and "new vendor" in text and "urgent" in text
    assert outbox_row(services, f"newproject:{intake.id}:announce").response_ts is not None


def test_an_invalid_draft_is_refused_and_stores_nothing(services: Services, clock: FakeClock) -> None:
    with pytest.raises(DraftRejected) as rejected:
        services.newproject.submit(draft(name="", launch_date=date(2026, 11, 22)), by=REQUESTER)

    assert set(rejected.value.errors) == {"name", "launch_date"}
    assert count(services, NewProjectIntake) == 0
    assert outbox_keys(services) == []


def test_only_it_members_and_admins_can_claim_review_approve_or_decline(services: Services) -> None:
    intake = services.newproject.submit(draft(), by=REQUESTER)
    keys_before = outbox_keys(services)

    for action in ("claim", "review", "approve", "decline"):
        with pytest.raises(NotAllowed):
            services.newproject.act(intake.id, action, by="UOUTSIDER", note="no")

    assert services.newproject.get(intake.id).status == "new"  # type: ignore[union-attr]
    assert count(services, NewProjectEvent) == 1
    assert outbox_keys(services) == keys_before
    approved = services.newproject.act(intake.id, "approve", by=ADMIN)
    assert approved.status == "approved"


def test_withdraw_is_for_the_requester_only_and_declining_needs_a_reason(services: Services) -> None:
    intake = services.newproject.submit(draft(), by=REQUESTER)

    with pytest.raises(NotAllowed):
        services.newproject.act(intake.id, "withdraw", by=IT_PERSON, it_member=True)
    with pytest.raises(TransitionRefused, match="reason"):
        services.newproject.act(intake.id, "decline", by=IT_PERSON, it_member=True, note="   ")
    with pytest.raises(NotFound):
        services.newproject.act(intake.id + 1, "claim", by=IT_PERSON, it_member=True)

    assert services.newproject.act(intake.id, "withdraw", by=REQUESTER).status == "withdrawn"
    with pytest.raises(TransitionRefused, match="closed"):
        services.newproject.act(intake.id, "claim", by=IT_PERSON, it_member=True)


def test_a_taken_intake_cannot_be_snatched_by_a_colleague_but_an_admin_may_take_it_over(services: Services) -> None:
    intake = services.newproject.submit(draft(), by=REQUESTER)
    services.newproject.act(intake.id, "claim", by=IT_PERSON, it_member=True)

    with pytest.raises(AlreadyTaken) as taken:
        services.newproject.act(intake.id, "claim", by="UOLGA", it_member=True)
    with pytest.raises(TransitionRefused, match="already yours"):
        services.newproject.act(intake.id, "claim", by=IT_PERSON, it_member=True)
    assert taken.value.it_contact == IT_PERSON
    assert services.newproject.get(intake.id).it_contact == IT_PERSON  # type: ignore[union-attr]

    took_over = services.newproject.act(intake.id, "claim", by=ADMIN)
    assert (took_over.it_contact, took_over.claimed_at) == (ADMIN, intake.requested_at)
    assert [e.action for e in took_over.events] == ["submit", "claim", "claim"]


def test_each_action_updates_the_announcement_in_place_and_dms_the_requester(
    services: Services, fake_slack: FakeSlack
) -> None:
    intake = services.newproject.submit(draft(owner="UOWNER"), by=REQUESTER)
    services.dispatcher.run_once()
    [announcement] = posts(fake_slack, IT_CHANNEL)
    ts = outbox_row(services, f"newproject:{intake.id}:announce").response_ts

    services.newproject.act(intake.id, "claim", by=IT_PERSON, it_member=True)
    services.dispatcher.run_once()

    [update] = fake_slack.calls_to("chat.update")
    assert (update["channel"], update["ts"]) == (IT_CHANNEL, ts)
    assert f"IT contact: <@{IT_PERSON}>" in str(update["blocks"])
    assert {c["channel"] for c in fake_slack.calls_to("chat.postMessage")} == {IT_CHANNEL, REQUESTER, "UOWNER"}
    assert "took it" in str(posts(fake_slack, REQUESTER)[0]["blocks"])
    assert announcement["channel"] == IT_CHANNEL


def test_a_change_before_the_announcement_is_sent_reaches_it_at_the_next_tick(
    services: Services, fake_slack: FakeSlack
) -> None:
    intake = services.newproject.submit(draft(), by=REQUESTER)
    services.newproject.act(intake.id, "withdraw", by=REQUESTER)
    services.dispatcher.run_once()  # the announcement goes out showing the intake as new
    assert fake_slack.calls_to("chat.update") == []

    services.newproject.tick()
    services.newproject.tick()
    services.dispatcher.run_once()

    [update] = fake_slack.calls_to("chat.update")
    assert "Withdrawn" in str(update["blocks"]) and "actions" not in str(update["blocks"])


# --- escalation ------------------------------------------------------------------------------------------------


def restart(settings: Settings, clock: FakeClock, old: Services) -> Services:
    old.engine.dispose()
    return build_services(settings, clock=clock)


def test_an_unclaimed_intake_is_escalated_once_per_level_across_restarts(
    settings: Settings, services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    intake = services.newproject.submit(draft(), by=REQUESTER)  # Monday 09:00
    services.dispatcher.run_once()
    announce_ts = outbox_row(services, f"newproject:{intake.id}:announce").response_ts

    clock.advance(days=2, seconds=-60)  # Wednesday 08:59: planned, not yet sent
    services.newproject.tick()
    services.dispatcher.run_once()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert outbox_row(services, f"newproject:{intake.id}:escalate:1").status == "pending"

    clock.advance(seconds=60)  # Wednesday 09:00: two business days
    services.newproject.tick()
    services = restart(settings, clock, services)
    services.newproject.tick()
    services.dispatcher.run_once()
    reminders = [c for c in posts(fake_slack, IT_CHANNEL) if c.get("thread_ts")]
    assert len(reminders) == 1
    assert reminders[0]["thread_ts"] == announce_ts and reminders[0]["reply_broadcast"] is True
    assert "still waiting for an IT contact" in str(reminders[0]["blocks"])
    assert outbox_row(services, f"newproject:{intake.id}:escalate:1").late is False
    assert posts(fake_slack, ADMIN) == []

    clock.advance(days=2)  # Friday 09:00: two more
    services.newproject.tick()
    services = restart(settings, clock, services)
    services.newproject.tick()
    services.dispatcher.run_once()
    clock.advance(days=3)
    services.newproject.tick()
    services.dispatcher.run_once()

    assert len(posts(fake_slack, ADMIN)) == 1
    assert "Nobody in IT has taken" in str(posts(fake_slack, ADMIN)[0]["blocks"])
    assert len([c for c in posts(fake_slack, IT_CHANNEL) if c.get("thread_ts")]) == 1
    services.engine.dispose()


def test_escalation_skips_the_weekend(services: Services, fake_slack: FakeSlack, clock: FakeClock) -> None:
    clock.advance(days=4, hours=1)  # Friday 10:00
    services.newproject.submit(draft(), by=REQUESTER)
    services.dispatcher.run_once()

    clock.advance(days=3, minutes=-6)  # Monday 09:54: only one business day has passed
    services.newproject.tick()
    assert not [k for k in outbox_keys(services) if "escalate" in k]

    clock.advance(days=1, minutes=6)  # Tuesday 10:00
    services.newproject.tick()
    assert [k for k in outbox_keys(services) if "escalate" in k] == ["newproject:1:escalate:1"]


def test_a_claimed_intake_is_never_escalated_and_a_pending_nudge_is_dropped(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    first = services.newproject.submit(draft(), by=REQUESTER)
    second = services.newproject.submit(draft(name="Podcast"), by=REQUESTER)
    services.dispatcher.run_once()
    services.newproject.act(first.id, "claim", by=IT_PERSON, it_member=True)

    clock.advance(days=2)
    services.newproject.tick()  # second's reminder is queued...
    services.newproject.act(second.id, "review", by=IT_PERSON, it_member=True)  # ...and made moot before sending
    services.dispatcher.run_once()
    clock.advance(days=7)
    services.newproject.tick()
    services.dispatcher.run_once()

    reminder = outbox_row(services, f"newproject:{second.id}:escalate:1")
    assert reminder.status == "skipped" and "privacy/security review" in (reminder.last_error or "")
    assert not [k for k in outbox_keys(services) if k.startswith(f"newproject:{first.id}:escalate")]
    assert not [c for c in posts(fake_slack, IT_CHANNEL) if c.get("thread_ts")]
    assert posts(fake_slack, ADMIN) == []


def test_without_admins_the_second_escalation_goes_to_the_it_channel(
    fake_slack: FakeSlack, clock: FakeClock, settings: Settings
) -> None:
    services = build_services(Settings(**{**settings.__dict__, "admins": frozenset()}), clock=clock)
    services.newproject.submit(draft(), by=REQUESTER)
    clock.advance(days=4)
    services.newproject.tick()
    services.dispatcher.run_once()

    texts = [str(c["blocks"]) for c in posts(fake_slack, IT_CHANNEL)]
    assert sum("Nobody in IT has taken" in t for t in texts) == 1
    services.engine.dispose()


def test_escalation_thresholds_follow_the_setting(fake_slack: FakeSlack, clock: FakeClock, settings: Settings) -> None:
    services = build_services(Settings(**{**settings.__dict__, "escalation_business_days": 1}), clock=clock)
    services.newproject.submit(draft(), by=REQUESTER)
    clock.advance(days=1)
    services.newproject.tick()
    assert [k for k in outbox_keys(services) if "escalate" in k] == ["newproject:1:escalate:1"]
    services.engine.dispose()


def test_when_slack_refuses_the_announcement_for_good_the_requester_is_told_once(
    services: Services, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("chat.postMessage", error="not_in_channel")
    intake = services.newproject.submit(draft(), by=REQUESTER)
    services.dispatcher.run_once()

    services.newproject.tick()
    services.newproject.tick()
    services.dispatcher.run_once()

    [notice] = posts(fake_slack, REQUESTER)
    assert "wouldn't let me post" in str(notice["blocks"]) and f"<#{IT_CHANNEL}>" in str(notice["blocks"])
    assert outbox_row(services, f"newproject:{intake.id}:announce").status == "failed"


# --- stats ---------------------------------------------------------------------------------------------------------


def test_stats_report_counts_median_lead_time_and_pickup(services: Services, clock: FakeClock) -> None:
    first = services.newproject.submit(draft(launch_date=date(2026, 12, 3)), by=REQUESTER)  # 10 days
    services.newproject.submit(draft(launch_date=date(2026, 12, 23)), by=REQUESTER)  # 30 days
    clock.advance(hours=3)
    services.newproject.act(first.id, "claim", by=IT_PERSON, it_member=True)
    clock.advance(days=10)
    services.newproject.submit(draft(launch_date=date(2027, 1, 2)), by=REQUESTER)  # December, 30 days

    stats = services.newproject.stats()

    assert stats.overall.total == 3 and stats.overall.by_status == {"new": 2, "claimed": 1}
    assert stats.overall.median_lead_days == 30
    assert stats.overall.median_pickup_hours == 3
    assert [(m.label, m.total, m.median_lead_days) for m in stats.months] == [("2026-11", 2, 20), ("2026-12", 1, 30)]
    assert stats.months[1].median_pickup_hours is None

"""/newproject behaviour under failure and concurrency: Slack failing to list the IT channel's members, stale
announcement updates, two IT people taking an intake at once."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from bot.newproject import AlreadyTaken
from bot.services import Services
from storage.newproject import NewProjectRepository
from tests.conftest import ADMIN, IT_CHANNEL, FakeClock, RunningBot
from tests.fake_slack import FakeSlack
from tests.test_newproject_flow import IT_PERSON, actions_of, click, intake_row, submit_intake
from tests.test_newproject_service import draft, outbox_row


def test_when_slack_cannot_list_the_it_channel_the_clicker_is_told_so_and_nothing_changes(it_bot: RunningBot) -> None:
    bot = it_bot
    intake_id = submit_intake(bot)
    bot.dispatch()
    bot.fake.fail_next("conversations.members", error="channel_not_found")

    failed = click(bot, "newproject_claim", intake_id, IT_PERSON)
    assert "couldn't check with Slack" in failed and "channel_not_found" in failed
    assert "Only members" not in failed and "'replace_original': False" in failed
    assert intake_row(bot, intake_id).status == "new"

    retried = click(bot, "newproject_claim", intake_id, IT_PERSON)  # the failure was not remembered
    assert "You're the IT contact" in retried
    assert actions_of(bot, intake_id)[-1] == ("claim", IT_PERSON)


def test_a_bot_admin_acts_without_asking_slack_who_is_in_it(running_bot: RunningBot) -> None:
    bot = running_bot
    intake_id = submit_intake(bot)
    bot.dispatch()
    bot.fake.fail_next("conversations.members", error="channel_not_found", times=5)

    assert "IT contact" in click(bot, "newproject_claim", intake_id, ADMIN)
    assert bot.fake.calls_to("conversations.members") == []


def test_an_older_announcement_update_held_back_by_slack_never_overwrites_a_newer_one(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    intake = services.newproject.submit(draft(), by="UMIA")
    services.dispatcher.run_once()
    services.newproject.act(intake.id, "claim", by=IT_PERSON, it_member=True)
    fake_slack.fail_next("chat.update", status=429, error="ratelimited", retry_after=60)
    assert services.dispatcher.run_once().retried == [f"newproject:{intake.id}:refresh:2"]

    services.newproject.act(intake.id, "approve", by=IT_PERSON, it_member=True)
    services.dispatcher.run_once()
    clock.advance(seconds=61)
    services.dispatcher.run_once()

    updates = fake_slack.calls_to("chat.update")
    assert len(updates) == 2  # the refused one, then the approval; the held-back claim is never re-sent
    assert "Approved for planning" in str(updates[-1]["blocks"])
    assert outbox_row(services, f"newproject:{intake.id}:refresh:2").status == "skipped"


def test_two_it_people_taking_the_same_intake_at_once_get_one_contact(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second click starts while the first is between reading and writing; it must see the first's claim."""
    intake = services.newproject.submit(draft(), by="UMIA")
    outcome: dict[str, object] = {}

    def second_click() -> None:
        try:
            outcome["second"] = services.newproject.act(intake.id, "claim", by="UOTHER", it_member=True)
        except AlreadyTaken as taken:
            outcome["second"] = taken

    original = NewProjectRepository.record
    racer = threading.Thread(target=second_click)

    def record_after_a_rival_started(self: NewProjectRepository, *args: Any, **kwargs: Any) -> Any:
        if not racer.is_alive() and "second" not in outcome and threading.current_thread() is not racer:
            racer.start()
            racer.join(timeout=1)  # it either finishes (no lock held: the bug) or waits for our commit
        return original(self, *args, **kwargs)

    monkeypatch.setattr(NewProjectRepository, "record", record_after_a_rival_started)
    first = services.newproject.act(intake.id, "claim", by=IT_PERSON, it_member=True)
    racer.join()

    assert first.it_contact == IT_PERSON
    assert isinstance(outcome["second"], AlreadyTaken) and outcome["second"].it_contact == IT_PERSON
    stored = services.newproject.get(intake.id)
    assert stored is not None and stored.it_contact == IT_PERSON
    assert [e.action for e in stored.events] == ["submit", "claim"]


def test_a_question_asked_before_the_announcement_went_out_still_reaches_its_thread_once(
    services: Services, fake_slack: FakeSlack
) -> None:
    intake = services.newproject.submit(draft(), by="UMIA")
    services.newproject.act(intake.id, "question", by=IT_PERSON, note="Which CRM fields?")
    services.dispatcher.run_once()  # the announcement, and the DM to the requester
    assert not [c for c in fake_slack.calls_to("chat.postMessage") if c.get("thread_ts")]

    for _ in range(2):
        services.newproject.tick()
        services.dispatcher.run_once()

    announcement = next(c for c in fake_slack.calls_to("chat.postMessage") if c["channel"] == IT_CHANNEL)
    ts = outbox_row(services, f"newproject:{intake.id}:announce").response_ts
    [thread] = [c for c in fake_slack.calls_to("chat.postMessage") if c.get("thread_ts")]
    assert (thread["channel"], thread["thread_ts"]) == (announcement["channel"], ts)
    assert "Which CRM fields?" in str(thread["blocks"])

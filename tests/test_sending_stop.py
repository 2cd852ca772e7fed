"""Slack uninstalls the app or revokes its token: every replica stops sending, keeps what waits, and resumes
once auth.test succeeds again. /healthz says so in its body and still answers 200."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.notify import Outgoing
from bot.scheduler import TOKEN_CHECK_JOB, start_scheduler
from bot.services import Services
from storage.models import OutboxMessage
from tests.conftest import FakeClock, RunningBot, poll_until, restarted, wait_for


def queue_dms(services: Services, *people: str) -> None:
    with services.home.work() as work:
        for person in people:
            work.send(Outgoing(f"test:hello:{person}", {"channel": person, "text": "Hello"}))


def statuses(services: Services) -> list[str]:
    with services.sessions() as session:
        return sorted(session.execute(select(OutboxMessage.status)).scalars())


def health(running_bot: RunningBot) -> tuple[int, dict[str, Any]]:
    with urllib.request.urlopen(f"{running_bot.url}/healthz", timeout=10) as response:
        return response.status, json.loads(response.read())


def lines(caplog: pytest.LogCaptureFixture, start: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(start)]


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"oauth": ["UALICE"], "bot": ["UBOT"]}},
    ],
)
def test_slack_saying_goodbye_stops_every_replica_and_keeps_the_rows_until_a_token_works(
    running_bot: RunningBot,
    settings: Settings,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    event: dict[str, Any],
) -> None:
    first = running_bot.services
    caplog.set_level(logging.INFO)
    with restarted(settings, clock) as second:
        queue_dms(first, "UALICE", "UBOB")
        assert running_bot.slack.event(event).status == 200
        wait_for(lambda: first.sending.stopped() is not None)

        assert first.dispatcher.run_once().sent == []
        assert second.dispatcher.run_once().sent == []
        assert running_bot.fake.calls_to("chat.postMessage") == []
        assert statuses(first) == ["pending", "pending"], "kept, not failed"
        status, body = health(running_bot)
        assert status == 200 and body["ok"] is True
        assert body["sending"].startswith("stopped since ") and event["type"] in body["sending"]
        assert len(lines(caplog, "sending stopped: ")) == 2, "one line per replica"

        running_bot.fake.fail_next("auth.test", error="invalid_auth")
        assert second.sending.check_token() is False
        assert second.dispatcher.run_once().sent == []

        assert second.sending.check_token() is True  # the app was installed again: the token works

        assert sorted(first.dispatcher.run_once().sent) == ["test:hello:UALICE", "test:hello:UBOB"]
        assert second.dispatcher.run_once().sent == []
        assert statuses(first) == ["sent", "sent"]
        assert health(running_bot)[1]["sending"] == "on"
        assert len(lines(caplog, "sending resumed: ")) == 2, "one line per replica"
        assert len(lines(caplog, "sending stopped: ")) == 2


def test_revoking_only_user_tokens_does_not_stop_sending(running_bot: RunningBot) -> None:
    queue_dms(running_bot.services, "UALICE")

    running_bot.slack.event({"type": "tokens_revoked", "tokens": {"oauth": ["UALICE"]}})

    assert running_bot.dispatch().sent == ["test:hello:UALICE"]
    assert health(running_bot)[1]["sending"] == "on"


def test_a_second_goodbye_keeps_the_first_reason(running_bot: RunningBot) -> None:
    running_bot.slack.event({"type": "app_uninstalled"})
    wait_for(lambda: running_bot.services.sending.stopped() is not None)
    running_bot.slack.event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}})

    stopped = running_bot.services.sending.stopped()
    assert stopped is not None and "app_uninstalled" in stopped.reason


def test_while_sending_goes_on_no_token_check_calls_slack(running_bot: RunningBot) -> None:
    assert running_bot.services.sending.check_token() is True
    assert running_bot.fake.calls_to("auth.test") == []


def test_the_scheduler_checks_the_token_at_start(services: Services) -> None:
    checked: list[bool] = []
    scheduler = start_scheduler(services.dispatcher, token_check=lambda: checked.append(True))
    try:
        assert scheduler.get_job(TOKEN_CHECK_JOB) is not None
        poll_until(lambda: checked)
    finally:
        scheduler.shutdown(wait=True)

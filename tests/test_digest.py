"""The leadership digest end to end: `python -m bot digest send` and the scheduled tick against the fake Slack, the
chart drawn in a child process and uploaded, once per period, across restarts."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import digest_chart
from bot.__main__ import main
from bot.digest_chart import PNG_MAGIC
from bot.digest_rules import ChartWeek
from bot.notify import Outgoing
from bot.services import Services
from handlers.envelope import is_slack_upload_url
from storage.digest import IntakeEscalation
from tests.conftest import ADMIN, restarted
from tests.digest_data import EXPECTED_LINES, intake_row, seed
from tests.fake_clock import FakeClock
from tests.fake_slack import FakeSlack
from tests.slack_requests import SIGNING_SECRET

LEAD = "CLEADERS"
SENT_AT = datetime(2026, 11, 30, 10, tzinfo=UTC)  # Monday: the week of 23-29 Nov is over, its digest due at 9:00


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_slack: FakeSlack, database_url: str) -> None:
    """`python -m bot`'s environment: the fake Slack, the test database, a leadership channel; no .env."""
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url,
        "DATABASE_URL": database_url,
        "LEADERSHIP_CHANNEL": LEAD,
        "BOT_ADMINS": ADMIN,
    }.items():
        monkeypatch.setenv(name, value)


def digests(fake: FakeSlack, channel: str = LEAD) -> list[dict[str, Any]]:
    return [c.body for c in fake.delivered("chat.postMessage") if c.body.get("channel") == channel]


def lines_of(message: dict[str, Any]) -> list[str]:
    return [
        line for block in message["blocks"] if block["type"] == "section" for line in block["text"]["text"].split("\n")
    ]


def test_digest_send_posts_one_digest_with_its_chart_and_never_again(
    cli: None, services: Services, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(services.sessions)
    clock = FakeClock(SENT_AT)

    assert main(["digest", "send"], clock=clock) == 0

    [digest] = digests(fake_slack)
    assert digest["blocks"][0]["text"]["text"] == "📊 Marketing × IT: week of 23 Nov – 29 Nov 2026"
    assert [line for line in lines_of(digest) if line.startswith("•")] == list(EXPECTED_LINES)
    [png] = fake_slack.uploads
    assert png.startswith(PNG_MAGIC)
    [upload] = fake_slack.calls_to("files.getUploadURLExternal")
    assert upload["filename"] == "digest-weekly-2026-11-23.png" and "median intake lead time" in upload["alt_txt"]
    [shared] = fake_slack.calls_to("files.completeUploadExternal")
    assert shared["channel_id"] == LEAD
    assert "matplotlib" not in sys.modules, "the chart is drawn in a child process"
    assert "sent the digest for the week of 23 Nov – 29 Nov 2026" in capsys.readouterr().out

    fake_slack.reset()
    assert main(["digest", "send"], clock=clock) == 0  # the same period: nothing more
    clock.advance(days=2)
    settings = replace(services.settings, leadership_channel=LEAD)
    with restarted(settings, clock) as again:  # the bot started again: its tick finds it sent
        again.digest.tick()
        again.dispatcher.run_once()
    assert fake_slack.methods() == []
    assert "was queued or sent already" in capsys.readouterr().out


def test_digest_send_again_sends_it_once_more(cli: None, services: Services, fake_slack: FakeSlack) -> None:
    clock = FakeClock(SENT_AT)
    assert main(["digest", "send"], clock=clock) == 0
    clock.advance(minutes=5)

    assert main(["digest", "send", "--again"], clock=clock) == 0

    assert len(digests(fake_slack)) == 2 and len(fake_slack.uploads) == 2
    first, second = digests(fake_slack)
    assert first["blocks"] == second["blocks"]  # an empty week, both times: zeros and dashes
    assert "• Filed: *0* (before: 0)" in lines_of(first)
    assert "• Median lead time: *—* (before: —)" in lines_of(first)


def test_the_scheduled_digest_goes_out_once_it_is_due(services: Services, fake_slack: FakeSlack) -> None:
    clock = FakeClock(datetime(2026, 11, 30, 8, 59, tzinfo=UTC))
    settings = replace(services.settings, leadership_channel=LEAD)
    with restarted(settings, clock) as bot:
        bot.digest.tick()
        assert bot.dispatcher.run_once().sent == []  # due at 9:00

        clock.advance(minutes=1)
        bot.digest.tick()
        report = bot.dispatcher.run_once()
        assert report.sent == ["digest:weekly:2026-11-23:CLEADERS", "digest:weekly:2026-11-23:CLEADERS:chart"]

        clock.advance(hours=1)
        bot.digest.tick()
        assert bot.dispatcher.run_once().sent == []
    assert len(digests(fake_slack)) == 1 and len(fake_slack.uploads) == 1


def test_a_digest_more_than_a_day_late_is_not_sent_on_its_own_but_digest_send_sends_it(
    cli: None, services: Services, fake_slack: FakeSlack
) -> None:
    clock = FakeClock(datetime(2026, 12, 1, 9, 1, tzinfo=UTC))  # Tuesday: a bot down since, or installed today
    settings = replace(services.settings, leadership_channel=LEAD)
    with restarted(settings, clock) as bot:
        bot.digest.tick()
        assert bot.dispatcher.run_once().sent == []
    assert digests(fake_slack) == []

    assert main(["digest", "send"], clock=clock) == 0  # the admin's way to send it all the same
    assert len(digests(fake_slack)) == 1


def test_without_a_leadership_channel_each_admin_gets_it_by_dm(services: Services, fake_slack: FakeSlack) -> None:
    clock = FakeClock(SENT_AT)
    with restarted(services.settings, clock) as bot:  # the tests' settings: no LEADERSHIP_CHANNEL, one admin
        assert bot.digest.recipients() == [ADMIN]
        bot.digest.tick()
        bot.dispatcher.run_once()

    assert len(digests(fake_slack, ADMIN)) == 1
    [shared] = fake_slack.calls_to("files.completeUploadExternal")
    assert shared["channel_id"] == "D" + ADMIN[1:]  # the DM conversation conversations.open gave


def test_a_chart_slack_refuses_is_retried_and_the_digest_is_not_sent_twice(
    services: Services, fake_slack: FakeSlack
) -> None:
    clock = FakeClock(SENT_AT)
    fake_slack.fail_next("files.completeUploadExternal", error="internal_error")
    with restarted(services.settings, clock) as bot:
        bot.digest.tick()
        first = bot.dispatcher.run_once()
        assert first.retried == ["digest:weekly:2026-11-23:UADMIN:chart"]
        clock.advance(minutes=5)
        bot.digest.tick()
        assert bot.dispatcher.run_once().sent == ["digest:weekly:2026-11-23:UADMIN:chart"]

    assert len(digests(fake_slack, ADMIN)) == 1 and len(fake_slack.calls_to("files.completeUploadExternal")) == 2


def test_an_upload_url_off_slacks_hosts_is_refused(services: Services, fake_slack: FakeSlack) -> None:
    fake_slack.answers["files.getUploadURLExternal"] = {
        "ok": True,
        "upload_url": "https://collector.example/upload/F1",
        "file_id": "F1",
    }
    clock = FakeClock(SENT_AT)
    with restarted(services.settings, clock) as bot:
        bot.digest.tick()
        report = bot.dispatcher.run_once()

    assert report.retried == ["digest:weekly:2026-11-23:UADMIN:chart"]
    assert fake_slack.uploads == [] and fake_slack.calls_to("files.completeUploadExternal") == []


def test_escalations_are_recorded_as_events_when_slack_takes_them(services: Services, clock: FakeClock) -> None:
    with services.sessions.begin() as session:
        session.add(intake_row(clock.now, 30))  # Monday 23 Nov 9:00: reminder Wednesday, admins Friday
    clock.now = datetime(2026, 11, 27, 10, tzinfo=UTC)
    services.newproject.tick()
    services.dispatcher.run_once()
    services.newproject.tick()
    services.dispatcher.run_once()

    with services.sessions() as session:
        rows = session.execute(select(IntakeEscalation.key, IntakeEscalation.level)).all()
    assert sorted(rows) == [("newproject:1:escalate:1", 1), ("newproject:1:escalate:2:UADMIN", 2)]
    period = services.digest.preview().period
    assert services.digest.digest(period).current.intakes.escalations == 2


def test_digest_preview_prints_the_period_so_far(
    cli: None, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(services.sessions)

    assert main(["digest", "preview"], clock=FakeClock(datetime(2026, 11, 29, 12, tzinfo=UTC))) == 0

    out = capsys.readouterr().out
    assert out.startswith("📊 Marketing × IT: week of 23 Nov – 29 Nov 2026 (so far)\n")
    assert "  • Filed: 3 (before: 1)" in out
    assert "  • Most-missed lookups: “roas” ×2, “<!channel>” ×1" in out  # plain text: as typed
    assert "  • Current pair: @UMKT1 (marketing) and @UIT2 (IT); handover in 15 days" in out


def test_upload_urls_go_to_slacks_files_host_or_the_configured_api_only() -> None:
    fake_api = "http://127.0.0.1:5555/api/"
    assert is_slack_upload_url("https://files.slack.com/upload/v1/abc")
    assert is_slack_upload_url("http://127.0.0.1:5555/upload/F1", also_allowed=fake_api)
    assert not is_slack_upload_url("https://files.slack.com.evil.example/upload")
    assert not is_slack_upload_url("http://127.0.0.1:6666/upload/F1", also_allowed=fake_api)
    assert not is_slack_upload_url("https://hooks.slack.com/services/T/B/x")
    assert not is_slack_upload_url(None)


def test_a_failing_hook_on_a_sent_row_never_undoes_its_send(services: Services, fake_slack: FakeSlack) -> None:
    def broken(*_args: Any) -> None:
        raise RuntimeError("a bug in a hook")

    services.dispatcher.on_sent.insert(0, broken)
    with services.digest.work() as work:
        work.send(Outgoing("test:hello", {"channel": LEAD, "text": "hello"}))

    assert services.dispatcher.run_once().sent == ["test:hello"]
    assert services.dispatcher.run_once().sent == []
    assert len(digests(fake_slack)) == 1


@dataclass
class ChartChildren:
    """The chart each drawing child was given, in order; `delay` slows every child down by that many seconds."""

    charts: list[str] = field(default_factory=list)
    delay: float = 0.0


@pytest.fixture
def chart_children(monkeypatch: pytest.MonkeyPatch) -> ChartChildren:
    """Counts the drawing children; no chart is kept from earlier tests."""
    children = ChartChildren()
    real_run = subprocess.run

    def counted(*args: Any, **kwargs: Any) -> Any:
        children.charts.append(kwargs["input"].decode())
        time.sleep(children.delay)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(digest_chart.subprocess, "run", counted)
    digest_chart._drawn.cache_clear()
    return children


def weeks_of(*days: int) -> list[ChartWeek]:
    return [ChartWeek(datetime(2026, 11, day, tzinfo=UTC).date(), 3.0, 5.5, 0.25) for day in days]


def test_a_chart_drawn_again_is_not_drawn_again_but_a_failed_one_is_tried_anew(
    chart_children: ChartChildren, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack refusing an upload, or `digest send` for a period again, asks for the same chart: one child each."""
    weeks = weeks_of(2, 9, 16)

    first = digest_chart.draw_in_child(weeks, "Weeks to 22 Nov")
    again = digest_chart.draw_in_child(list(weeks), "Weeks to 22 Nov")
    other = digest_chart.draw_in_child(weeks[:2], "Weeks to 15 Nov")

    assert first == again and first.startswith(PNG_MAGIC) and other.startswith(PNG_MAGIC) and other != first
    assert len(chart_children.charts) == 2

    monkeypatch.setattr(digest_chart.sys, "executable", "/bin/false")  # the child exits 1 and draws nothing
    for _ in range(2):
        with pytest.raises(digest_chart.ChartFailed):
            digest_chart.draw_in_child(weeks, "A chart that fails")
    assert len(chart_children.charts) == 4, "a failure is not kept: each try runs a child"


def test_a_chart_asked_for_twice_at_once_is_drawn_once(chart_children: ChartChildren) -> None:
    """Two sending lanes can reach the same chart row's drawing at the same moment."""
    chart_children.delay = 0.3  # long enough for the other lane to ask meanwhile
    weeks = weeks_of(2)
    both = threading.Barrier(2)
    drawn: list[bytes] = []

    def lane() -> None:
        both.wait()
        drawn.append(digest_chart.draw_in_child(weeks, "Asked twice"))

    lanes = [threading.Thread(target=lane) for _ in range(2)]
    for thread in lanes:
        thread.start()
    for thread in lanes:
        thread.join(timeout=60)

    assert len(drawn) == 2 and drawn[0] == drawn[1] and drawn[0].startswith(PNG_MAGIC)
    assert len(chart_children.charts) == 1

"""The leadership digest's use cases: its schedule, queuing one digest per period, and the figures it shows.

A digest is two outbox rows per recipient (the leadership channel, or each bot admin by DM without one):
the message (`digest:<period>:<first day>:<recipient>`), rendered when sent from the figures at that moment,
and its chart (the same key with `:chart`), queued by the message's own sending (see `after_sent`) and drawn
when it is sent, in a child process (bot/digest_chart.py). The key is the period's: the scheduled tick and
`python -m bot digest send` write the same one, so a digest goes out once, and a restart only finds it sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import digest_rules as rules
from bot.clock import Clock
from bot.config import Settings
from bot.digest_rules import ChartWeek, Digest, MeetingRow, Period, Rows, Schedule
from bot.kit import Transactions, outbox_key
from bot.notify import Outgoing, enqueue
from bot.outcomes import DraftRejected, NotAllowed
from bot.sitdown_recurrence import occurrences_between
from storage.digest import DigestRepository
from storage.sitdown import SitdownRepository

log = logging.getLogger(__name__)

MESSAGE = "digest"  # the renderers' names (handlers/digest_messages.py)
CHART = "digest_chart"
UPLOAD = "files.upload_v2"  # the chart row's method: sent by a sender, not one Web API call
CHART_SUFFIX = "chart"
SidesReader = Callable[[], dict[str, str]]


def digest_key(period: Period, recipient: str, *extra: object) -> str:
    return outbox_key("digest", period.kind, period.first_day.isoformat(), recipient, *extra)


def period_of(payload: dict[str, Any]) -> Period:
    """The period a digest row names (its payload holds kind, first day and zone)."""
    kind, first_day = str(payload["period"]).split(":")
    return Period(kind, datetime.fromisoformat(first_day).date(), str(payload["zone"]))


CATCH_UP = timedelta(days=1)  # how late the scheduled digest may still go out on its own


class DigestService(Transactions):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        settings: Settings,
        wake_outbox: Callable[[], None],
        sides: SidesReader = dict,
    ) -> None:
        super().__init__(sessions, clock, wake_outbox)
        self.settings = settings
        self.sides = sides

    # --- the schedule ---

    def schedule(self) -> Schedule:
        with self.reading() as work:
            return work.repo(DigestRepository).schedule() or Schedule()

    def set_schedule(self, values: dict[str, str], *, by: str) -> Schedule:
        """A bot admin's new schedule (weekday, at, zone, period as the form gives them)."""
        if not self.settings.is_admin(by):
            raise NotAllowed("Only a bot admin changes when the leadership digest goes out.")
        schedule, errors = rules.check_schedule(
            values.get("weekday", ""), values.get("at", ""), values.get("zone", ""), values.get("period", "")
        )
        if schedule is None:
            raise DraftRejected(errors)
        with self.work() as work:
            work.repo(DigestRepository).save_schedule(schedule, by=by, at=work.now)
        return schedule

    def recipients(self) -> list[str]:
        """The leadership channel, or each bot admin (by DM) without one."""
        if self.settings.leadership_channel:
            return [self.settings.leadership_channel]
        return sorted(self.settings.admins)

    def next_due(self) -> datetime:
        """When the next digest goes out: the last complete period's if it is still to come, else the current's."""
        schedule, now = self.schedule(), self.clock()
        last = rules.last_complete(now, schedule)
        due = rules.due_at(last, schedule)
        if due > now:
            return due
        return rules.due_at(rules.period_containing(now, schedule.period, schedule.zone), schedule)

    def last_sent(self) -> datetime | None:
        """When the last complete period's digest was sent, if it was."""
        period = rules.last_complete(self.clock(), self.schedule())
        with self.reading() as work:
            rows = [work.outbox.get(digest_key(period, recipient)) for recipient in self.recipients()]
        return max((row.sent_at for row in rows if row is not None and row.sent_at), default=None)

    # --- queuing ---

    def tick(self) -> None:
        """The scheduler's: once the last complete period's digest is due, queue it (once, by its key), for a day.
        A bot down for longer, or installed since, does not send a stale digest on its own (`digest send` does):
        a fresh install's first digest is the first one due after it started."""
        now = self.clock()
        schedule = self.schedule()
        period = rules.last_complete(now, schedule)
        due = rules.due_at(period, schedule)
        if due <= now < due + CATCH_UP:
            self.queue(period, now=now)

    def send_last(self, *, again: bool = False) -> tuple[Period, int]:
        """Queue the last complete period's digest (the scheduled one's keys; `again`: once more, new keys)."""
        now = self.clock()
        period = rules.last_complete(now, self.schedule())
        return period, self.queue(period, now=now, again=again)

    def queue(self, period: Period, *, now: datetime, again: bool = False) -> int:
        """How many digests were queued (0 when this period's were already)."""
        recipients = self.recipients()
        if not recipients:
            log.warning("the leadership digest has nowhere to go: set LEADERSHIP_CHANNEL or BOT_ADMINS")
            return 0
        extra = ("again", now.strftime("%Y%m%dT%H%M%S")) if again else ()
        with self.work(now) as work:
            return sum(
                work.send(
                    Outgoing(
                        digest_key(period, recipient, *extra),
                        {"channel": recipient, "period": period.key, "zone": period.zone},
                        render=MESSAGE,
                        subject=period.key,
                    )
                )
                for recipient in recipients
            )

    def after_sent(self, session: Session, key: str, payload: dict[str, Any], now: datetime) -> None:
        """The dispatcher's hook: once a digest message is sent, its chart is queued (in the same transaction)."""
        if not key.startswith("digest:") or payload.get("chart") or key.endswith(f":{CHART_SUFFIX}"):
            return
        chart = Outgoing(f"{key}:{CHART_SUFFIX}", {**payload, "chart": True}, UPLOAD, render=CHART, subject=key[:64])
        enqueue(session, chart, now)

    # --- the figures ---

    def digest(self, period: Period, *, as_of: datetime | None = None, partial: bool = False) -> Digest:
        """The period's figures beside the previous period's; the liaison pair as of `as_of` (default: its end)."""
        rows = self._rows(period.previous().start, period.end)
        short = self.settings.short_notice_days
        return rules.digest(rows, period, short_notice_days=short, as_of=as_of or period.end, partial=partial)

    def preview(self) -> Digest:
        """The current, partial period, as of now."""
        now = self.clock()
        schedule = self.schedule()
        return self.digest(rules.period_containing(now, schedule.period, schedule.zone), as_of=now, partial=True)

    def chart_weeks(self, period: Period) -> list[ChartWeek]:
        with self.reading() as work:
            intakes = work.repo(DigestRepository).intakes()
        short = self.settings.short_notice_days
        return rules.chart_weeks(intakes, period.end, period.zone, short_notice_days=short)

    def _rows(self, since: datetime, until: datetime) -> Rows:
        with self.reading() as work:
            rows = work.repo(DigestRepository).rows(since, self.sides())
            meetings = _meetings(work.repo(SitdownRepository), since, until)
        return replace(rows, meetings=meetings)


def _meetings(repository: SitdownRepository, since: datetime, until: datetime) -> list[MeetingRow]:
    """The occurrences of the active series between the two moments, with skips, moves and holidays applied."""
    series = repository.all_series(("active",))
    overrides = repository.overrides_of([s.id for s in series])
    holidays = repository.holiday_days()
    found = []
    for one in series:
        after = since - timedelta(microseconds=1)
        for occurrence in occurrences_between(one.recurrence, overrides.get(one.id, {}), holidays, after, until):
            found.append(MeetingRow(occurrence.start, occurrence.status))
    return found


def escalation_sent(session: Session, key: str, _payload: dict[str, Any], now: datetime) -> None:
    """The dispatcher's hook: an intake's escalation (`newproject:<id>:escalate:<level>[:<to>]`) Slack took is
    recorded as an event, for the digest's count of escalations sent in a period."""
    parts = key.split(":")
    if len(parts) < 4 or parts[0] != "newproject" or parts[2] != "escalate":
        return
    if not parts[1].isdigit() or not parts[3].isdigit():
        return
    DigestRepository(session).record_escalation(key=key, intake_id=int(parts[1]), level=int(parts[3]), sent_at=now)

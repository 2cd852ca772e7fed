"""The leadership digest's numbers, with no Slack and no SQL: periods in the digest's time zone, and each figure
computed from plain rows, for the period just ended and the one before it.

Cohorts, so a reader can check them (a period is [start, end), local midnight to local midnight):
- intakes filed: submitted in the period; their median lead time (launch minus submission, in days), the share
  under the short-notice threshold (urgent ones included), how many touch personal data, how many name new vendors;
- pickup: median hours from submission to IT's first claim, over the intakes claimed in the period;
- unclaimed at the end: submitted before the end, neither claimed nor closed by then;
- escalations: reminders and admin escalations sent in the period (one per intake and level);
- decisions: IT's approvals, declines and privacy/security reviews made in the period, by kind.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.liaison_rules import valid_zone
from bot.lunchlearn_rules import PRESENTING_SIDE
from bot.newproject_rules import names_new_vendor

WEEKLY, MONTHLY = "weekly", "monthly"
PERIODS = (WEEKLY, MONTHLY)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DECISION_KINDS = ("approve", "decline", "review")
MISSED_SHOWN = 3
CHART_WEEKS = 13  # a quarter


@dataclass(frozen=True)
class Schedule:
    """When the digest goes out: the first `weekday` at `at` (in `zone`) once its period has ended."""

    weekday: int = 0  # Monday
    at: time = time(9, 0)
    zone: str = "UTC"
    period: str = WEEKLY

    def describe(self) -> str:
        when = f"{WEEKDAYS[self.weekday]}s at {self.at:%H:%M} ({self.zone})"
        if self.period == MONTHLY:
            return f"monthly, on the first {WEEKDAYS[self.weekday]} of each month at {self.at:%H:%M} ({self.zone})"
        return f"weekly, {when}"


def check_schedule(weekday: str, at: str, zone: str, period: str) -> tuple[Schedule | None, dict[str, str]]:
    """A schedule from a form's texts, or the errors by field (weekday, at, zone, period)."""
    errors: dict[str, str] = {}
    day = int(weekday) if weekday.isdigit() and int(weekday) < 7 else None
    if day is None:
        errors["weekday"] = "Pick the day the digest goes out."
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", at.strip())
    if not match:
        errors["at"] = "Pick the time the digest goes out (HH:MM, 24-hour)."
    if not valid_zone(zone.strip()):
        errors["zone"] = f"“{zone[:64]}” isn't a time zone I know: use an IANA name such as Europe/London."
    if period not in PERIODS:
        errors["period"] = "Pick weekly or monthly."
    if errors or day is None or match is None:
        return None, errors
    return Schedule(day, time(int(match.group(1)), int(match.group(2))), zone.strip(), period), {}


# --- periods -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str
    first_day: date  # local
    zone: str

    @property
    def start(self) -> datetime:
        return _local_midnight(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        return _local_midnight(self.next_first_day, self.zone)

    @property
    def next_first_day(self) -> date:
        if self.kind == MONTHLY:
            return date(self.first_day.year + self.first_day.month // 12, self.first_day.month % 12 + 1, 1)
        return self.first_day + timedelta(days=7)

    @property
    def key(self) -> str:
        """Names the period in outbox keys: `weekly:2026-11-23`."""
        return f"{self.kind}:{self.first_day.isoformat()}"

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end

    def previous(self) -> Period:
        if self.kind == MONTHLY:
            day = self.first_day - timedelta(days=1)
            return Period(MONTHLY, day.replace(day=1), self.zone)
        return Period(WEEKLY, self.first_day - timedelta(days=7), self.zone)

    def label(self) -> str:
        if self.kind == MONTHLY:
            return f"{self.first_day:%B %Y}"
        last = self.next_first_day - timedelta(days=1)
        return f"week of {self.first_day:%d %b} – {last:%d %b %Y}"


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)


def period_containing(moment: datetime, kind: str, zone: str) -> Period:
    local = moment.astimezone(ZoneInfo(zone)).date()
    if kind == MONTHLY:
        return Period(MONTHLY, local.replace(day=1), zone)
    return Period(WEEKLY, local - timedelta(days=local.weekday()), zone)


def last_complete(now: datetime, schedule: Schedule) -> Period:
    return period_containing(now, schedule.period, schedule.zone).previous()


def due_at(period: Period, schedule: Schedule) -> datetime:
    """The first `schedule.weekday` at `schedule.at`, local, on or after the day the period ends."""
    day = period.next_first_day
    day += timedelta(days=(schedule.weekday - day.weekday()) % 7)
    return datetime.combine(day, schedule.at, ZoneInfo(schedule.zone)).astimezone(UTC)


# --- rows (what storage hands over) --------------------------------------------------------------------------


class IntakeRow(NamedTuple):
    requested_at: datetime
    lead_days: int
    claimed_at: datetime | None
    closed_at: datetime | None
    personal_data: str
    new_vendors: str


class DecisionRow(NamedTuple):
    kind: str  # an intake event's action: approve, decline, review…
    at: datetime


class EscalationRow(NamedTuple):
    intake_id: int
    level: int
    sent_at: datetime


class MeetingRow(NamedTuple):
    start: datetime
    status: str  # scheduled, moved, skipped, holiday


class ActionRow(NamedTuple):
    category: str  # immediate, long_term
    created_at: datetime
    done_at: datetime | None
    due_on: date
    zone: str


class SessionRow(NamedTuple):
    starts_at: datetime
    cancelled: bool
    direction: str
    seated: tuple[str, ...]
    scores: tuple[int, ...]


class TermRow(NamedTuple):
    created_at: datetime


class LookupRow(NamedTuple):
    query: str
    at: datetime
    found: bool


class RequestRow(NamedTuple):
    requested_at: datetime
    defined_at: datetime | None
    status: str


class LiaisonTermRow(NamedTuple):
    starts_at: datetime
    ends_at: datetime
    marketing_user: str | None
    it_user: str | None


@dataclass(frozen=True)
class Rows:
    intakes: Sequence[IntakeRow] = ()
    decisions: Sequence[DecisionRow] = ()
    escalations: Sequence[EscalationRow] = ()
    meetings: Sequence[MeetingRow] = ()
    actions: Sequence[ActionRow] = ()
    sessions: Sequence[SessionRow] = ()
    terms: Sequence[TermRow] = ()
    lookups: Sequence[LookupRow] = ()
    requests: Sequence[RequestRow] = ()
    liaison_terms: Sequence[LiaisonTermRow] = ()
    sides: Mapping[str, str] | None = None  # user ID -> marketing / it


# --- figures -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeFigures:
    filed: int
    median_lead_days: float | None
    short_notice_share: float | None  # 0..1, of those filed
    median_pickup_hours: float | None
    claimed: int
    unclaimed_at_end: int
    escalations: int
    decisions: dict[str, int]
    personal_data: int
    new_vendors: int


@dataclass(frozen=True)
class SitdownFigures:
    held: int
    skipped: int
    opened: dict[str, int]
    closed: dict[str, int]
    overdue: dict[str, int]


@dataclass(frozen=True)
class LunchFigures:
    held: int
    seats_by_side: dict[str, int]
    average_rating: float | None
    ratings: int
    taught_by: dict[str, int]


@dataclass(frozen=True)
class GlossaryFigures:
    added: int
    most_missed: tuple[tuple[str, int], ...]
    open_requests: int


@dataclass(frozen=True)
class Figures:
    intakes: IntakeFigures
    sitdowns: SitdownFigures
    lunches: LunchFigures
    glossary: GlossaryFigures


@dataclass(frozen=True)
class LiaisonNow:
    marketing_user: str | None
    it_user: str | None
    days_to_handover: int | None


@dataclass(frozen=True)
class Digest:
    period: Period
    current: Figures
    previous: Figures
    liaison: LiaisonNow | None
    partial: bool = False


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def intake_figures(rows: Rows, period: Period, *, short_notice_days: int) -> IntakeFigures:
    filed = [row for row in rows.intakes if period.contains(row.requested_at)]
    claimed = [row for row in rows.intakes if period.contains(row.claimed_at)]
    end = period.end
    unclaimed = [
        row
        for row in rows.intakes
        if row.requested_at < end
        and (row.claimed_at is None or row.claimed_at >= end)
        and (row.closed_at is None or row.closed_at >= end)
    ]
    decisions = Counter(d.kind for d in rows.decisions if d.kind in DECISION_KINDS and period.contains(d.at))
    short = sum(1 for row in filed if row.lead_days < short_notice_days)
    pickups = [_hours(row.claimed_at - row.requested_at) for row in claimed if row.claimed_at is not None]
    return IntakeFigures(
        filed=len(filed),
        median_lead_days=median([row.lead_days for row in filed]),
        short_notice_share=short / len(filed) if filed else None,
        median_pickup_hours=median(pickups),
        claimed=len(claimed),
        unclaimed_at_end=len(unclaimed),
        escalations=len({(e.intake_id, e.level) for e in rows.escalations if period.contains(e.sent_at)}),
        decisions={kind: decisions[kind] for kind in DECISION_KINDS},
        personal_data=sum(1 for row in filed if row.personal_data == "yes"),
        new_vendors=sum(1 for row in filed if names_new_vendor(row.new_vendors)),
    )


def _hours(span: timedelta) -> float:
    return span.total_seconds() / 3600


def _by_category(items: Iterable[ActionRow]) -> dict[str, int]:
    counts = Counter(item.category for item in items)
    return {"immediate": counts["immediate"], "long_term": counts["long_term"]}


def sitdown_figures(rows: Rows, period: Period) -> SitdownFigures:
    meetings = [m for m in rows.meetings if period.contains(m.start)]
    end = period.end

    def overdue(item: ActionRow) -> bool:
        still_open = item.done_at is None or item.done_at >= end
        return item.created_at < end and still_open and item.due_on < end.astimezone(ZoneInfo(item.zone)).date()

    return SitdownFigures(
        held=sum(1 for m in meetings if m.status in ("scheduled", "moved")),
        skipped=sum(1 for m in meetings if m.status in ("skipped", "holiday")),
        opened=_by_category(a for a in rows.actions if period.contains(a.created_at)),
        closed=_by_category(a for a in rows.actions if period.contains(a.done_at)),
        overdue=_by_category(a for a in rows.actions if overdue(a)),
    )


def lunch_figures(rows: Rows, period: Period) -> LunchFigures:
    held = [s for s in rows.sessions if not s.cancelled and period.contains(s.starts_at)]
    sides = rows.sides or {}
    seats: Counter[str] = Counter({"marketing": 0, "it": 0, "other": 0})
    taught: Counter[str] = Counter({"marketing": 0, "it": 0, "joint": 0})
    scores: list[int] = []
    for session in held:
        taught[PRESENTING_SIDE.get(session.direction, "joint")] += 1
        scores += session.scores
        for user_id in session.seated:
            side = sides.get(user_id, "other")
            seats[side if side in ("marketing", "it") else "other"] += 1
    average = round(sum(scores) / len(scores), 2) if scores else None
    return LunchFigures(len(held), dict(seats), average, len(scores), dict(taught))


def glossary_figures(rows: Rows, period: Period) -> GlossaryFigures:
    missed = Counter(row.query for row in rows.lookups if not row.found and period.contains(row.at))
    end = period.end
    still_open = [
        r
        for r in rows.requests
        if r.requested_at < end and (r.defined_at is None or r.defined_at >= end) and r.status in ("open", "defined")
    ]
    top = sorted(missed.items(), key=lambda item: (-item[1], item[0]))[:MISSED_SHOWN]
    return GlossaryFigures(
        added=sum(1 for t in rows.terms if period.contains(t.created_at)),
        most_missed=tuple(top),
        open_requests=len(still_open),
    )


def figures(rows: Rows, period: Period, *, short_notice_days: int) -> Figures:
    return Figures(
        intake_figures(rows, period, short_notice_days=short_notice_days),
        sitdown_figures(rows, period),
        lunch_figures(rows, period),
        glossary_figures(rows, period),
    )


def liaison_now(terms: Iterable[LiaisonTermRow], at: datetime) -> LiaisonNow | None:
    """The pair whose term holds `at`, and whole days (rounded up) until it hands over; None without one."""
    for term in sorted(terms, key=lambda t: t.starts_at):
        if term.starts_at <= at < term.ends_at:
            days = math.ceil((term.ends_at - at).total_seconds() / 86400)
            return LiaisonNow(term.marketing_user, term.it_user, days)
    return None


def digest(rows: Rows, period: Period, *, short_notice_days: int, as_of: datetime, partial: bool = False) -> Digest:
    """The period's figures beside the previous period's, and the liaison pair as of `as_of`."""
    return Digest(
        period,
        figures(rows, period, short_notice_days=short_notice_days),
        figures(rows, period.previous(), short_notice_days=short_notice_days),
        liaison_now(rows.liaison_terms, as_of),
        partial,
    )


# --- the chart's numbers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartWeek:
    first_day: date
    median_lead_days: float | None
    median_pickup_hours: float | None
    short_notice_share: float | None


def chart_weeks(
    intakes: Sequence[IntakeRow], until: datetime, zone: str, *, short_notice_days: int, weeks: int = CHART_WEEKS
) -> list[ChartWeek]:
    """One point per local week over the last `weeks` weeks ending with the week before `until`'s week ends."""
    last = period_containing(until - timedelta(microseconds=1), WEEKLY, zone)
    found = []
    week = last
    rows = Rows(intakes=intakes)
    for _ in range(weeks):
        numbers = intake_figures(rows, week, short_notice_days=short_notice_days)
        found.append(
            ChartWeek(week.first_day, numbers.median_lead_days, numbers.median_pickup_hours, numbers.short_notice_share)
        )
        week = week.previous()
    return found[::-1]

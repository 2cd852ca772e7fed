"""/newproject rules: intake validation, lead time and flags, the status machine, business days, stats.

Plain values and functions only: no Slack, no SQL.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bot.outcomes import FieldErrors

MAX_NAME = 150
MAX_TEXT = 3000
MAX_NOTE = 2000

PERSONAL_DATA_CHOICES = {"yes": "Yes", "no": "No", "unsure": "Not sure"}
BUDGET_CHOICES = {
    "none": "No budget needed",
    "under_5k": "Under 5k",
    "5k_25k": "5k–25k",
    "25k_100k": "25k–100k",
    "over_100k": "Over 100k",
    "unknown": "Not known yet",
}

NEW, CLAIMED, REVIEW, APPROVED, DECLINED, WITHDRAWN = "new", "claimed", "review", "approved", "declined", "withdrawn"
OPEN_STATUSES = (NEW, CLAIMED, REVIEW)
STATUSES = (NEW, CLAIMED, REVIEW, APPROVED, DECLINED, WITHDRAWN)
STATUS_LABELS = {
    NEW: "Waiting for an IT contact",
    CLAIMED: "Taken by IT",
    REVIEW: "Needs privacy/security review",
    APPROVED: "Approved for planning",
    DECLINED: "Not now",
    WITHDRAWN: "Withdrawn",
}

# What each action does to the status; None keeps the current one.
IT_ACTIONS = {"claim": None, "review": REVIEW, "approve": APPROVED, "decline": DECLINED}
ACTION_TARGETS: dict[str, str | None] = {**IT_ACTIONS, "withdraw": WITHDRAWN, "question": None, "answer": None}

ACTION_PAST = {
    "submit": "submitted",
    "claim": "taken by IT",
    "review": "sent to a privacy/security review",
    "approve": "approved for planning",
    "decline": "declined for now",
    "withdraw": "withdrawn",
    "question": "asked about",
    "answer": "answered",
}
MAX_ID = 2**31 - 1

_NO_VENDOR_ANSWERS = {"", "no", "none", "nope", "n/a", "na", "-", "nothing", "no new tools", "no new vendors"}


@dataclass(frozen=True)
class IntakeDraft:
    name: str
    business_case: str
    launch_date: date | None
    outcomes: str = ""
    audiences: str = ""
    data_needed: str = ""
    personal_data: str = "unsure"
    integrations: str = ""
    new_vendors: str = ""
    budget: str = ""
    owner: str = ""
    stakeholders: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntakeEvent:
    action: str
    actor: str
    at: datetime
    note: str = ""


@dataclass(frozen=True)
class Intake:
    """An intake as the service hands it out (what a sit-down agenda needs: id, name, requested_by)."""

    id: int
    draft: IntakeDraft
    requested_by: str
    requested_at: datetime
    lead_days: int
    status: str
    it_contact: str | None = None
    claimed_at: datetime | None = None
    closed_at: datetime | None = None
    events: tuple[IntakeEvent, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return self.draft.name

    @property
    def owner(self) -> str:
        return self.draft.owner or self.requested_by

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def people_to_tell(self, *, besides: str) -> list[str]:
        """The requester and the marketing owner (once each), minus whoever caused the news."""
        return [person for person in dict.fromkeys((self.requested_by, self.owner)) if person != besides]


def check_draft(draft: IntakeDraft, today: date) -> dict[str, str]:
    """Form errors by field name; empty when the draft can be stored."""
    errors = FieldErrors()
    errors.text("name", draft.name, MAX_NAME, "the name", missing="Give the project a name, even a working title.")
    errors.check(
        "business_case", bool(draft.business_case.strip()), "Say in a sentence or two why the business wants this."
    )
    errors.check(
        "launch_date",
        draft.launch_date is not None,
        "Pick a target launch date (a best guess is fine; you can say so in the outcomes).",
    )
    errors.check(
        "launch_date",
        draft.launch_date is None or draft.launch_date >= today,
        f"That date is in the past (today is {today:%d %b %Y}). Pick the launch you aim for.",
    )
    errors.check(
        "personal_data",
        draft.personal_data in PERSONAL_DATA_CHOICES,
        "Say whether the data includes personal data (or that you're not sure).",
    )
    errors.check("budget", not draft.budget or draft.budget in BUDGET_CHOICES, "Pick one of the budget ranges.")
    for name in ("business_case", "outcomes", "audiences", "data_needed", "integrations", "new_vendors"):
        errors.text(name, getattr(draft, name), MAX_TEXT)
    return errors


def parse_intake_id(text: str) -> int | None:
    """`12` or `#12` as an intake id; None for anything else (ids are positive 32-bit integers)."""
    digits = text.strip().removeprefix("#")
    if not digits.isascii() or not digits.isdigit():
        return None
    number = int(digits)
    return number if 0 < number <= MAX_ID else None


def lead_time_days(launch: date, submitted_at: datetime) -> int:
    """Whole days from the (UTC) day of submission to the launch day."""
    return (launch - submitted_at.date()).days


def notice_level(lead_days: int, *, short_notice_days: int, urgent_days: int) -> str | None:
    """'urgent' under the urgent threshold, 'short notice' under the short one, else None."""
    if lead_days < urgent_days:
        return "urgent"
    if lead_days < short_notice_days:
        return "short notice"
    return None


def names_new_vendor(answer: str) -> bool:
    return answer.strip().strip(".!").casefold() not in _NO_VENDOR_ANSWERS


def flags(draft: IntakeDraft, lead_days: int, *, short_notice_days: int, urgent_days: int) -> list[str]:
    found = []
    if draft.personal_data == "yes":
        found.append("personal data")
    elif draft.personal_data == "unsure":
        found.append("personal data unclear")
    if names_new_vendor(draft.new_vendors):
        found.append("new vendor")
    level = notice_level(lead_days, short_notice_days=short_notice_days, urgent_days=urgent_days)
    if level:
        found.append(level)
    return found


class TransitionRefused(Exception):
    """The action makes no sense in the intake's current state; the message says why, politely."""


def next_status(current: str, action: str) -> str:
    """The status after `action`, or TransitionRefused when the intake is closed or the action unknown."""
    if action not in ACTION_TARGETS:
        raise TransitionRefused(f"I don't know how to {action} an intake.")
    if current not in OPEN_STATUSES:
        raise TransitionRefused(f"This intake is already closed ({STATUS_LABELS[current].lower()}).")
    target = ACTION_TARGETS[action]
    if action == "claim" and current == NEW:
        return CLAIMED
    if target == REVIEW and current == REVIEW:
        raise TransitionRefused("It's already marked for a privacy/security review.")
    return target or current


# What the announcement offers, in its order: each IT action, and a question (anyone may ask).
CARD_ACTIONS = ("claim", "question", "review", "approve", "decline")
ADMIN_OVERRIDE_NOTE = "Approved by a bot admin while the privacy/security review was still open."


def approval_waits_for_review(status: str) -> bool:
    """An intake under a privacy/security review is approved once the review has passed; there is no "review
    passed" step yet, so until one exists only a bot admin approves it (and its history says so)."""
    return status == REVIEW


def offered_actions(intake: Intake) -> tuple[str, ...]:
    """What the intake's card offers in its state: nothing once decided; no claim once someone took it; no
    second review, and no approval while the review is open."""
    if not intake.is_open:
        return ()
    left_out = {"claim"} if intake.it_contact else set()
    if intake.status == REVIEW:
        left_out |= {"review", "approve"}
    return tuple(action for action in CARD_ACTIONS if action not in left_out)


# --- business days -------------------------------------------------------------------------------------------


def is_business_day(day: date) -> bool:
    return day.weekday() < 5


def add_business_days(start: datetime, days: int) -> datetime:
    """The moment `days` whole business days after `start`, weekends skipped.

    A start on a weekend counts from the following Monday at midnight (of start's zone), so a Saturday
    submission gets the same full two business days as one made first thing on Monday.
    """
    moment = start
    if not is_business_day(moment.date()):
        while not is_business_day(moment.date()):
            moment += timedelta(days=1)
        moment = datetime.combine(moment.date(), time(0), tzinfo=start.tzinfo)
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if is_business_day(moment.date()):
            remaining -= 1
    return moment


def escalation_moments(submitted_at: datetime, business_days: int) -> tuple[datetime, datetime]:
    """When an unclaimed intake gets a reminder in the IT channel, and when the admins are told."""
    reminder = add_business_days(submitted_at, business_days)
    return reminder, add_business_days(reminder, business_days)


# --- stats ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeFacts:
    """What reporting needs of one intake."""

    requested_at: datetime
    lead_days: int
    status: str
    claimed_at: datetime | None


@dataclass(frozen=True)
class PeriodStats:
    label: str
    total: int
    by_status: dict[str, int]
    median_lead_days: float | None
    median_pickup_hours: float | None


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def period_stats(label: str, facts: Iterable[IntakeFacts]) -> PeriodStats:
    rows = list(facts)
    pickups = [(f.claimed_at - f.requested_at).total_seconds() / 3600 for f in rows if f.claimed_at is not None]
    counts = Counter(f.status for f in rows)
    return PeriodStats(
        label=label,
        total=len(rows),
        by_status={status: counts[status] for status in STATUSES if counts[status]},
        median_lead_days=median([f.lead_days for f in rows]),
        median_pickup_hours=median(pickups),
    )


def monthly_stats(facts: Iterable[IntakeFacts]) -> list[PeriodStats]:
    """One PeriodStats per calendar month (UTC) of submission, oldest first."""
    months: dict[str, list[IntakeFacts]] = {}
    for fact in sorted(facts, key=lambda f: f.requested_at):
        months.setdefault(f"{fact.requested_at:%Y-%m}", []).append(fact)
    return [period_stats(label, rows) for label, rows in months.items()]


def agenda_item(intake: Intake) -> str:
    """How a new intake reads on the next joint sit-down's agenda."""
    launch = f", launch {intake.draft.launch_date:%d %b %Y}" if intake.draft.launch_date else ""
    return f"New project intake #{intake.id}: {intake.name}{launch} ({intake.lead_days} days' notice)"

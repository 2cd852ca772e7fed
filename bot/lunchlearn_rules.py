"""Lunch-and-learn rules, with no Slack and no SQL: drafts and their checks, what is due when, stats."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.outcomes import FieldErrors

DIRECTIONS = {
    "marketing_to_it": "Marketing teaches IT",
    "it_to_marketing": "IT teaches marketing",
    "joint": "Joint session",
}
PRESENTING_SIDE = {"marketing_to_it": "marketing", "it_to_marketing": "it", "joint": "joint"}
SIDE_NAMES = {"marketing": "Marketing", "it": "IT", "joint": "Joint", "other": "Other"}
DURATIONS = (30, 45, 60, 90)

MAX_TOPIC = 150
MAX_ABSTRACT = 1000
MAX_PLACE = 300
MAX_PRESENTERS = 5
MAX_CAPACITY = 500
MAX_COMMENT = 1000

DAY_BEFORE = timedelta(days=1)
HOUR_BEFORE = timedelta(hours=1)
SUMMARY_AFTER = timedelta(days=1)
RATING_WINDOW = timedelta(days=2)


@dataclass(frozen=True)
class SessionDraft:
    """A lunch-and-learn as the form gives it, before its rules are checked (`check_draft`)."""

    topic: str
    abstract: str
    presenters: tuple[str, ...]
    direction: str
    starts_at: datetime | None
    duration_minutes: int | None
    place: str
    capacity: int | None


def check_draft(draft: SessionDraft, now: datetime) -> dict[str, str]:
    """Field name -> what is wrong, in words a person can act on (empty when the draft is fine)."""
    errors = FieldErrors()
    errors.text("topic", draft.topic, MAX_TOPIC, "the topic", missing="Give the session a topic.")
    errors.text("abstract", draft.abstract, MAX_ABSTRACT, "the abstract")
    errors.check("presenters", bool(draft.presenters), "Pick at least one presenter.")
    errors.check("presenters", len(draft.presenters) <= MAX_PRESENTERS, f"At most {MAX_PRESENTERS} presenters.")
    errors.check("direction", draft.direction in DIRECTIONS, "Pick who teaches whom.")
    errors.check("starts_at", draft.starts_at is not None, "Pick a date and time.")
    errors.check(
        "starts_at",
        draft.starts_at is None or draft.starts_at > now,
        "That moment has passed: pick a time in the future.",
    )
    errors.check("duration", draft.duration_minutes in DURATIONS, "Pick a duration.")
    errors.text("place", draft.place, MAX_PLACE, "the place", missing="Say where it happens: a room or a video link.")
    capacity_ok = draft.capacity is not None and 1 <= draft.capacity <= MAX_CAPACITY
    errors.check("capacity", capacity_ok, f"Capacity is a whole number from 1 to {MAX_CAPACITY}.")
    return errors


def parse_capacity(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 6 else None


def topic_key(topic: str) -> str:
    """Ideas with the same words (ignoring case, accents, spacing and punctuation) are the same idea."""
    folded = unicodedata.normalize("NFKD", topic).casefold()
    return " ".join(re.findall(r"\w+", folded))[:MAX_TOPIC]


@dataclass(frozen=True)
class SessionView:
    id: int
    topic: str
    abstract: str
    presenters: tuple[str, ...]
    direction: str
    starts_at: datetime
    duration_minutes: int
    place: str
    capacity: int
    status: str
    created_by: str
    created_at: datetime
    channel_id: str
    revision: int
    seated: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()
    cancelled_by: str | None = None

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def seats_left(self) -> int:
        return max(self.capacity - len(self.seated), 0)

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    def status_of(self, user_id: str) -> str | None:
        """'seated', 'waiting' (with waitlist_position) or None."""
        if user_id in self.seated:
            return "seated"
        if user_id in self.waiting:
            return "waiting"
        return None

    def waitlist_position(self, user_id: str) -> int | None:
        return self.waiting.index(user_id) + 1 if user_id in self.waiting else None


@dataclass(frozen=True)
class IdeaView:
    id: int
    topic: str
    created_by: str
    created_at: datetime
    voters: tuple[str, ...]
    channel_id: str
    session_id: int | None = None

    @property
    def votes(self) -> int:
        return len(self.voters)


@dataclass(frozen=True)
class RatingView:
    """One attendee's rating of a session they sat in (1 to 5), and what they wrote."""

    user_id: str
    score: int
    comment: str


@dataclass(frozen=True)
class Due:
    """One message the bot owes someone about a session, at a moment; `kind` names it in the outbox key."""

    kind: str
    user_id: str
    due_at: datetime
    expires: bool = True


def moments_of(session: SessionView) -> tuple[datetime, datetime, datetime, datetime]:
    """When something falls due for a session: the day before, the hour before, its end, a day after its end."""
    return (
        session.starts_at - DAY_BEFORE,
        session.starts_at - HOUR_BEFORE,
        session.ends_at,
        session.ends_at + SUMMARY_AFTER,
    )


def due_messages(session: SessionView, seated_since: Mapping[str, datetime], now: datetime) -> list[Due]:
    """What has come due for a scheduled session by `now`: reminders to people seated before the moment,
    the attendee list to presenters the day before, rating asks at the end, the presenter summary a day later.
    A moment is only owed to people seated before it (someone who signs up an hour before gets no
    day-before reminder)."""
    if session.is_cancelled:
        return []
    owed: list[Due] = []
    day_before, hour_before, _, _ = moments_of(session)
    for kind, moment in (("remind-1d", day_before), ("remind-1h", hour_before)):
        if moment <= now:
            owed += [Due(kind, user, moment) for user, since in seated_since.items() if since <= moment]
    if day_before <= now:
        owed += [Due("attendees", presenter, day_before) for presenter in session.presenters]
    if session.ends_at <= now:
        owed += [Due("rate", user, session.ends_at) for user, since in seated_since.items() if since <= session.ends_at]
    summary_at = session.ends_at + SUMMARY_AFTER
    if summary_at <= now:
        owed += [Due("summary", presenter, summary_at, expires=False) for presenter in session.presenters]
    return owed


def next_moment(session: SessionView, after: datetime) -> datetime | None:
    """The first moment after `after` at which more falls due for the session, or None when nothing ever will.
    Until then (and with the same seats), `due_messages` owes exactly what it owed at `after`."""
    if session.is_cancelled:
        return None
    return min((moment for moment in moments_of(session) if moment > after), default=None)


def expiry_of(due: Due, grace: timedelta) -> datetime | None:
    """Reminders go stale after the grace; a rating ask is useful for two days; a summary never goes stale."""
    if not due.expires:
        return None
    return due.due_at + (RATING_WINDOW if due.kind == "rate" else grace)


@dataclass(frozen=True)
class RatingSummary:
    count: int
    average: float | None
    distribution: dict[int, int]
    comments: tuple[str, ...]


def summarize_ratings(ratings: Sequence[RatingView]) -> RatingSummary:
    scores = [r.score for r in ratings]
    average = round(sum(scores) / len(scores), 2) if scores else None
    distribution = {score: scores.count(score) for score in range(1, 6)}
    return RatingSummary(len(scores), average, distribution, tuple(r.comment for r in ratings if r.comment))


@dataclass(frozen=True)
class LunchStats:
    sessions: int
    presented_by_side: dict[str, int]
    attendance_by_side: dict[str, int]
    ratings: int
    average_rating: float | None
    sides_known: bool = field(default=False)


def compute_stats(
    sessions: Iterable[tuple[str, Sequence[str]]], scores: Sequence[int], sides: Mapping[str, str]
) -> LunchStats:
    """`sessions` holds (direction, seated attendees) of the sessions that were not cancelled;
    `sides` maps a user ID to 'marketing' or 'it' (anyone unmapped counts as 'other')."""
    presented: Counter[str] = Counter({"marketing": 0, "it": 0, "joint": 0})
    attended: Counter[str] = Counter({"marketing": 0, "it": 0, "other": 0})
    count = 0
    for direction, seated in sessions:
        count += 1
        presented[PRESENTING_SIDE.get(direction, "joint")] += 1
        for user_id in seated:
            side = sides.get(user_id, "other")
            attended[side if side in ("marketing", "it") else "other"] += 1
    average = round(sum(scores) / len(scores), 2) if scores else None
    return LunchStats(count, dict(presented), dict(attended), len(scores), average, bool(sides))


def sides_from_groups(marketing: Iterable[str], it: Iterable[str]) -> dict[str, str]:
    """User ID -> side from the two user groups; someone in both counts as neither (ambiguous: 'other')."""
    marketing_set, it_set = set(marketing), set(it)
    sides = {user: "marketing" for user in marketing_set - it_set}
    sides.update({user: "it" for user in it_set - marketing_set})
    return sides

"""Liaison rotation rules, no Slack and no SQL: term calendars, the fair pick, swaps and input checks."""

from __future__ import annotations

import calendar
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SIDES = ("marketing", "it")
SIDE_LABELS = {"marketing": "Marketing", "it": "IT"}
UNITS = ("weeks", "months")
MAX_LENGTH = {"weeks": 52, "months": 24}
PING_HOUR = time(9, 0)
INCOMING_NOTICE = timedelta(days=14)
HANDOVER_NOTICE = timedelta(days=7)
MAX_NOTE = 3000
INTRO_FOLLOW_UP = timedelta(days=3)
MAX_INTRO_WEEKS = 12


# --- the calendar of terms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationPlan:
    """How terms follow each other: from a local start date, every `length` weeks or months, in `tz`."""

    start: date
    length: int
    unit: str
    tz: str

    def term_start_date(self, number: int) -> date:
        if self.unit == "weeks":
            return self.start + timedelta(weeks=self.length * number)
        return add_months(self.start, self.length * number)

    def term_starts_at(self, number: int) -> datetime:
        return local_moment(self.term_start_date(number), self.tz)

    def term_number_at(self, moment: datetime) -> int:
        """The number of the term running at `moment` (-1 before the first term)."""
        if moment < self.term_starts_at(0):
            return -1
        number = 0
        if self.unit == "weeks":
            number = max((moment - self.term_starts_at(0)).days // (7 * self.length) - 1, 0)
        while self.term_starts_at(number + 1) <= moment:
            number += 1
        return number

    def describe(self) -> str:
        unit = self.unit if self.length != 1 else self.unit.rstrip("s")
        return f"{self.length} {unit}"


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_moment(day: date, tz: str) -> datetime:
    """9:00 on `day` in the rotation's zone, as aware UTC (DST-correct through zoneinfo)."""
    return datetime.combine(day, PING_HOUR, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def local_date(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


@dataclass(frozen=True)
class TermMoments:
    incoming_notice: datetime
    handover_ask: datetime
    start: datetime
    checkin: datetime


def term_moments(starts_at: datetime, ends_at: datetime, tz: str) -> TermMoments:
    """When each ping of a term is due: the incoming pair two weeks ahead, the handover ask a week before the
    end, the start, and a check-in half-way (always at 9:00 local)."""
    start_day, end_day = local_date(starts_at, tz), local_date(ends_at, tz)
    middle = start_day + timedelta(days=(end_day - start_day).days // 2)
    return TermMoments(
        incoming_notice=starts_at - INCOMING_NOTICE,
        handover_ask=max(ends_at - HANDOVER_NOTICE, starts_at),
        start=starts_at,
        checkin=local_moment(middle, tz),
    )


# --- the fair pick ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    user_id: str
    side: str
    joined_at: datetime
    away_until: date | None = None

    def is_away_on(self, day: date) -> bool:
        """Away through `away_until`, inclusive: back the day after."""
        return self.away_until is not None and day <= self.away_until


def pick_liaison(
    members: Iterable[Member],
    last_served: Mapping[str, datetime],
    on_day: date,
    *,
    exclude: Iterable[str] = (),
) -> str | None:
    """Whoever served least recently (never first; then earliest joiner) among members not away on `on_day`.

    Picking the least recent server means nobody serves twice before every other member eligible at that
    moment has served since; people away are passed over without their history changing, so they are first
    in line when back.
    """
    excluded = set(exclude)
    eligible = [m for m in members if m.user_id not in excluded and not m.is_away_on(on_day)]
    if not eligible:
        return None
    never = datetime.min.replace(tzinfo=UTC)
    best = min(eligible, key=lambda m: (last_served.get(m.user_id, never), m.joined_at, m.user_id))
    return best.user_id


def queue_order(members: Iterable[Member], last_served: Mapping[str, datetime]) -> list[str]:
    """Everyone on one side, in the order they would be picked if nobody were away."""
    never = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(members, key=lambda m: (last_served.get(m.user_id, never), m.joined_at, m.user_id))
    return [m.user_id for m in ordered]


def last_served_by(terms: Iterable[TermSlots], side: str) -> dict[str, datetime]:
    latest: dict[str, datetime] = {}
    for term in terms:
        user = term.liaisons.get(side)
        if user is not None and (user not in latest or term.starts_at > latest[user]):
            latest[user] = term.starts_at
    return latest


# --- swaps --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TermSlots:
    id: int
    starts_at: datetime
    ends_at: datetime
    liaisons: dict[str, str | None] = field(default_factory=dict)

    def side_of(self, user_id: str) -> str | None:
        return next((side for side, user in self.liaisons.items() if user == user_id), None)


@dataclass(frozen=True)
class SwapChange:
    term_id: int
    side: str
    old: str | None
    new: str


class SwapRefused(Exception):
    pass


def plan_swap(terms: Sequence[TermSlots], giver: str, taker: str, now: datetime) -> list[SwapChange]:
    """`giver`'s next unfinished term goes to `taker`; if `taker` holds a term on the same side that has not
    started, `giver` takes that one in exchange, so nobody's turn is lost."""
    if giver == taker:
        raise SwapRefused("same person")
    unfinished = sorted((t for t in terms if t.ends_at > now), key=lambda t: t.starts_at)
    given = next((t for t in unfinished if t.side_of(giver)), None)
    if given is None:
        raise SwapRefused("no turn")
    side = given.side_of(giver)
    assert side is not None
    changes = [SwapChange(given.id, side, giver, taker)]
    not_started = (t for t in unfinished if t.starts_at > now and t.id != given.id)
    taken = next((t for t in not_started if t.liaisons.get(side) == taker), None)
    if taken is not None:
        changes.append(SwapChange(taken.id, side, taker, giver))
    return changes


def apply_changes(terms: Sequence[TermSlots], changes: Iterable[SwapChange]) -> list[TermSlots]:
    by_id = {t.id: t for t in terms}
    for change in changes:
        term = by_id[change.term_id]
        by_id[change.term_id] = replace(term, liaisons={**term.liaisons, change.side: change.new})
    return [by_id[t.id] for t in terms]


# --- input checks -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationDraft:
    start: date | None
    length_text: str
    unit: str
    tz: str
    channels: tuple[str, ...]
    intro_weeks_text: str = ""


def intro_weeks_of(text: str) -> int | None:
    """Weeks between cross-team intro rounds: 0 (blank) is off; None when it isn't a sensible number."""
    text = text.strip()
    if not text:
        return 0
    if not text.isdigit() or int(text) > MAX_INTRO_WEEKS:
        return None
    return int(text)


def check_rotation(draft: RotationDraft, today: date) -> tuple[RotationPlan | None, dict[str, str]]:
    errors: dict[str, str] = {}
    if draft.unit not in UNITS:
        errors["unit"] = "Pick weeks or months."
    length = int(draft.length_text) if draft.length_text.strip().isdigit() else 0
    limit = MAX_LENGTH.get(draft.unit, 24)
    if not 1 <= length <= limit:
        errors["length"] = f"A whole number from 1 to {limit}."
    if draft.start is None:
        errors["start"] = "Pick the day the first term starts."
    elif draft.start < today:
        errors["start"] = "The first term can't start in the past: pick today or later."
    if not valid_zone(draft.tz):
        errors["tz"] = "An IANA time zone such as Europe/London or America/New_York."
    if not draft.channels:
        errors["channels"] = "Pick at least one channel for the announcements."
    if intro_weeks_of(draft.intro_weeks_text) is None:
        errors["intros"] = f"A whole number of weeks from 1 to {MAX_INTRO_WEEKS}, or 0 for no intros."
    if errors or draft.start is None:
        return None, errors
    return RotationPlan(draft.start, length, draft.unit, draft.tz.strip()), {}


def valid_zone(name: str) -> bool:
    if not name.strip() or name.strip() != name or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_day(text: str) -> date | None:
    """A date typed as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def check_note(text: str) -> str | None:
    if not text.strip():
        return "Write a few lines for the people taking over."
    size = max(len(text), len(text.encode("utf-16-le", "surrogatepass")) // 2)  # as Slack may count it
    if size > MAX_NOTE:
        return f"At most {MAX_NOTE} characters ({size} now)."
    return None


# --- cross-team intros --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntroPairing:
    pairs: list[tuple[str, str]]  # (marketing, it)
    sitting_out: list[str]


def recency_window(marketing_count: int, it_count: int) -> int:
    """How many past rounds a pair must not repeat within: as many as the smaller side allows."""
    return max(min(marketing_count, it_count) - 1, 0)


def pair_for_intros(
    marketing: Sequence[str],
    it: Sequence[str],
    recent_rounds: Sequence[Iterable[tuple[str, str]]],
    sat_out_last: Iterable[str],
    seed: int,
) -> IntroPairing:
    """Marketing people paired with IT people, one each, never the same side.

    No pair from the last `recency_window` rounds (most recent first) repeats while a repeat-free matching
    exists. When none does (earlier rounds can leave none), the round is the one whose repeats are the longest
    ago: the most recent meeting among them is as far back as any full round allows. Whoever sat out last round
    is matched first; the rest of the larger side sits out. The order is shuffled by `seed` so rounds vary, yet
    a round is reproducible.
    """
    rng = random.Random(seed)
    marketing_order, it_order = sorted(set(marketing)), sorted(set(it) - set(marketing))
    rng.shuffle(marketing_order)
    rng.shuffle(it_order)
    window = recency_window(len(marketing_order), len(it_order))
    met_rounds_ago = {
        pair: ago for ago, round_pairs in reversed(list(enumerate(recent_rounds[:window]))) for pair in round_pairs
    }
    priority = set(sat_out_last)
    small_is_marketing = len(marketing_order) <= len(it_order)
    small, large = (marketing_order, it_order) if small_is_marketing else (it_order, marketing_order)
    large.sort(key=lambda person: person not in priority)  # stable: priority first, shuffled otherwise

    def met_at_least(rounds_ago: int) -> Callable[[str, str], bool]:
        """Two may be paired when they have not met within the window, or met at least `rounds_ago` ago."""

        def allowed(small_person: str, large_person: str) -> bool:
            pair = (small_person, large_person) if small_is_marketing else (large_person, small_person)
            ago = met_rounds_ago.get(pair)
            return ago is None or ago >= rounds_ago

        return allowed

    match = _match(small, large, met_at_least(window))  # nobody met within the window
    if len(match) < len(small):
        match = _match_meeting_longest_ago(small, large, met_at_least, window, match)
    pairs = [(s, match[s]) if small_is_marketing else (match[s], s) for s in small if s in match]
    paired = {person for pair in pairs for person in pair}
    return IntroPairing(pairs, [p for p in large if p not in paired])


def _match_meeting_longest_ago(
    small: Sequence[str],
    large: Sequence[str],
    met_at_least: Callable[[int], Callable[[str, str], bool]],
    window: int,
    unmet: dict[str, str],
) -> dict[str, str]:
    """A full matching allowing pairs that met `t` or more rounds ago, for the largest `t` below `window` that
    allows one: found by bisection, as a smaller `t` only allows more (`t` = 0 allows every pair). Each is grown
    from `unmet`, the largest matching of people who have not met, so few pairs are repeats."""
    best, low, high = _match(small, large, met_at_least(0), unmet), 0, window - 1
    while low < high:
        middle = (low + high + 1) // 2
        candidate = _match(small, large, met_at_least(middle), unmet)
        if len(candidate) == len(small):
            best, low = candidate, middle
        else:
            high = middle - 1
    return best


def _match(
    small: Sequence[str],
    large: Sequence[str],
    allowed: Callable[[str, str], bool],
    start: dict[str, str] | None = None,
) -> dict[str, str]:
    """A maximum matching by augmenting paths grown from `large` in order: augmenting never unmatches anyone,
    so earlier large-side people (those who sat out last time) are matched whenever any matching allows. Grown
    from `start` (small -> large) when given, whose people all stay matched."""
    partner_of_small: dict[str, str] = dict(start or {})
    partner_of_large: dict[str, str] = {partner: person for person, partner in partner_of_small.items()}

    def augment_from_large(person: str, seen: set[str]) -> bool:
        for candidate in small:
            if candidate in seen or not allowed(candidate, person):
                continue
            seen.add(candidate)
            if candidate not in partner_of_small or augment_from_large(partner_of_small[candidate], seen):
                partner_of_small[candidate], partner_of_large[person] = person, candidate
                return True
        return False

    for person in large:
        if len(partner_of_small) == len(small):
            break
        if person not in partner_of_large:
            augment_from_large(person, set())
    return partner_of_small

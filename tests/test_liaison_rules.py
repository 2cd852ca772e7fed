"""The rotation's rules, without Slack or a database: term calendars, the fair pick, swaps, input checks."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.liaison_rules import (
    Member,
    RotationDraft,
    RotationPlan,
    SwapChange,
    SwapRefused,
    TermSlots,
    add_months,
    apply_changes,
    check_note,
    check_rotation,
    last_served_by,
    local_moment,
    pair_for_intros,
    pick_liaison,
    plan_swap,
    queue_order,
    recency_window,
    term_moments,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY0 = date(2027, 1, 4)


def members(count: int, side: str = "it") -> list[Member]:
    return [Member(f"U{i:02d}", side, T0 + timedelta(minutes=i)) for i in range(count)]


def simulate(pool: list[Member], terms: int, away: dict[int, set[str]] | None = None) -> list[str | None]:
    """Pick `terms` liaisons in a row, one a week, each counted as served at its term's start."""
    served: dict[str, datetime] = {}
    picks = []
    for number in range(terms):
        start = T0 + timedelta(weeks=number + 1)
        away_now = (away or {}).get(number, set())
        current = [Member(m.user_id, m.side, m.joined_at, DAY0 if m.user_id in away_now else None) for m in pool]
        pick = pick_liaison(current, served, DAY0)
        picks.append(pick)
        if pick is not None:
            served[pick] = start
    return picks


# --- fairness ---


@given(size=st.integers(1, 12), rounds=st.integers(1, 4))
def test_everyone_serves_once_before_anyone_serves_twice(size: int, rounds: int) -> None:
    picks = simulate(members(size), size * rounds)

    for start in range(0, size * rounds, size):
        assert sorted(p for p in picks[start : start + size] if p) == sorted(m.user_id for m in members(size))


@given(
    size=st.integers(2, 10),
    terms=st.integers(1, 30),
    away=st.dictionaries(st.integers(0, 29), st.sets(st.sampled_from([f"U{i:02d}" for i in range(10)]))),
)
@settings(max_examples=200)
def test_no_repeat_before_everyone_eligible_has_served_and_away_people_are_never_picked(
    size: int, terms: int, away: dict[int, set[str]]
) -> None:
    pool = members(size)
    picks = simulate(pool, terms, away)

    for number, pick in enumerate(picks):
        eligible = {m.user_id for m in pool} - away.get(number, set())
        if not eligible:
            assert pick is None
            continue
        assert pick in eligible
        previous = [i for i in range(number) if picks[i] == pick]
        if previous:
            since = set(picks[previous[-1] + 1 : number])
            assert eligible - {pick} <= since, "someone eligible was passed over for a repeat"


@given(size=st.integers(2, 8), away_for=st.integers(1, 6))
def test_someone_away_keeps_their_place_and_goes_first_when_back(size: int, away_for: int) -> None:
    pool = members(size)
    first_in_line = pool[0].user_id
    away = {number: {first_in_line} for number in range(away_for)}

    picks = simulate(pool, away_for + 1, away)

    assert first_in_line not in picks[:away_for]
    assert picks[away_for] == first_in_line


def test_uneven_pools_rotate_independently() -> None:
    marketing, it = members(2, "marketing"), members(5, "it")

    assert simulate(marketing, 4) == ["U00", "U01", "U00", "U01"]
    assert simulate(it, 6) == ["U00", "U01", "U02", "U03", "U04", "U00"]


def test_newcomers_go_first_then_earliest_joiners() -> None:
    pool = members(3)
    served = {"U00": T0 + timedelta(days=1), "U01": T0 + timedelta(days=2)}

    assert pick_liaison(pool, served, DAY0) == "U02"
    assert queue_order(pool, served) == ["U02", "U00", "U01"]
    assert pick_liaison(pool, served, DAY0, exclude={"U02"}) == "U00"


def test_away_is_inclusive_of_the_last_day() -> None:
    person = Member("U1", "it", T0, away_until=date(2027, 1, 10))

    assert person.is_away_on(date(2027, 1, 10))
    assert not person.is_away_on(date(2027, 1, 11))
    assert pick_liaison([person], {}, date(2027, 1, 10)) is None


# --- swaps ---

USERS = [f"U{i}" for i in range(6)]


@st.composite
def schedules(draw: st.DrawFn) -> list[TermSlots]:
    count = draw(st.integers(1, 8))
    return [
        TermSlots(
            number,
            T0 + timedelta(weeks=number),
            T0 + timedelta(weeks=number + 1),
            {"it": draw(st.sampled_from(USERS))},
        )
        for number in range(count)
    ]


@given(terms=schedules(), giver=st.sampled_from(USERS), taker=st.sampled_from(USERS), week=st.integers(0, 8))
def test_a_swap_moves_exactly_one_turn_or_exchanges_two(
    terms: list[TermSlots], giver: str, taker: str, week: int
) -> None:
    now = T0 + timedelta(weeks=week, days=1)
    try:
        changes = plan_swap(terms, giver, taker, now)
    except SwapRefused:
        assert giver == taker or not any(t.ends_at > now and t.liaisons["it"] == giver for t in terms)
        return
    after = apply_changes(terms, changes)

    before_counts = Counter(t.liaisons["it"] for t in terms)
    after_counts = Counter(t.liaisons["it"] for t in after)
    if len(changes) == 1:
        assert after_counts[giver] == before_counts[giver] - 1
        assert after_counts[taker] == before_counts[taker] + 1
    else:
        assert after_counts == before_counts
    assert sum(after_counts.values()) == len(terms)
    finished = [t for t in terms if t.ends_at <= now]
    assert [t for t in after if t.ends_at <= now] == finished, "a finished term changed"


def test_swap_hands_the_next_turn_and_takes_the_takers_later_turn() -> None:
    terms = [
        TermSlots(1, T0, T0 + timedelta(weeks=1), {"it": "UA"}),
        TermSlots(2, T0 + timedelta(weeks=1), T0 + timedelta(weeks=2), {"it": "UB"}),
        TermSlots(3, T0 + timedelta(weeks=2), T0 + timedelta(weeks=3), {"it": "UA"}),
    ]

    changes = plan_swap(terms, "UA", "UB", T0 + timedelta(days=8))

    assert changes == [SwapChange(3, "it", "UA", "UB")]
    assert plan_swap(terms, "UA", "UB", T0) == [SwapChange(1, "it", "UA", "UB"), SwapChange(2, "it", "UB", "UA")]


def test_last_served_counts_the_latest_term_per_side() -> None:
    terms = [
        TermSlots(1, T0, T0 + timedelta(weeks=1), {"it": "UA", "marketing": "UM"}),
        TermSlots(2, T0 + timedelta(weeks=1), T0 + timedelta(weeks=2), {"it": "UA", "marketing": None}),
    ]

    assert last_served_by(terms, "it") == {"UA": T0 + timedelta(weeks=1)}
    assert last_served_by(terms, "marketing") == {"UM": T0}


# --- the calendar ---


def test_months_clamp_to_the_end_of_shorter_months() -> None:
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_terms_start_at_nine_local_across_daylight_saving() -> None:
    plan = RotationPlan(date(2027, 1, 4), 3, "months", "Europe/London")

    assert plan.term_starts_at(0) == datetime(2027, 1, 4, 9, tzinfo=UTC)
    assert plan.term_starts_at(2) == datetime(2027, 7, 4, 8, tzinfo=UTC)  # BST
    assert plan.term_number_at(datetime(2027, 7, 4, 7, 59, tzinfo=UTC)) == 1
    assert plan.term_number_at(datetime(2027, 7, 4, 8, 0, tzinfo=UTC)) == 2
    assert plan.term_number_at(datetime(2027, 1, 1, tzinfo=UTC)) == -1


@given(length=st.integers(1, 6), unit=st.sampled_from(["weeks", "months"]), hours=st.integers(0, 24 * 900))
def test_the_term_number_at_a_moment_is_the_term_containing_it(length: int, unit: str, hours: int) -> None:
    plan = RotationPlan(date(2027, 3, 1), length, unit, "America/New_York")
    moment = plan.term_starts_at(0) + timedelta(hours=hours)

    number = plan.term_number_at(moment)

    assert plan.term_starts_at(number) <= moment < plan.term_starts_at(number + 1)


def test_pings_are_two_weeks_ahead_a_week_before_the_end_and_half_way() -> None:
    start = local_moment(date(2027, 1, 4), "Europe/Paris")
    end = local_moment(date(2027, 4, 4), "Europe/Paris")

    moments = term_moments(start, end, "Europe/Paris")

    assert moments.incoming_notice == start - timedelta(days=14)
    assert moments.handover_ask == end - timedelta(days=7)
    assert moments.checkin == local_moment(date(2027, 2, 18), "Europe/Paris")  # 45 of 90 days in


# --- input checks ---


def draft(**overrides: object) -> RotationDraft:
    values: dict[str, object] = {
        "start": date(2027, 1, 4),
        "length_text": "3",
        "unit": "months",
        "tz": "Europe/London",
        "channels": ("CMARKETING",),
    }
    values.update(overrides)
    return RotationDraft(**values)  # type: ignore[arg-type]


def test_a_good_rotation_draft_becomes_a_plan() -> None:
    plan, errors = check_rotation(draft(), date(2026, 12, 1))

    assert errors == {}
    assert plan == RotationPlan(date(2027, 1, 4), 3, "months", "Europe/London")


def test_bad_rotation_drafts_say_what_is_wrong() -> None:
    plan, errors = check_rotation(
        draft(start=date(2026, 1, 1), length_text="30", tz="Mars/Olympus", channels=()), date(2026, 12, 1)
    )

    assert plan is None
    assert set(errors) == {"start", "length", "tz", "channels"}
    assert check_rotation(draft(length_text="DROP TABLE"), date(2026, 12, 1))[1].keys() == {"length"}
    assert check_rotation(draft(unit="fortnights"), date(2026, 12, 1))[1].keys() == {"unit"}
    assert check_rotation(draft(tz="../../etc/passwd"), date(2026, 12, 1))[1].keys() == {"tz"}
    assert check_rotation(draft(length_text="52", unit="weeks"), date(2026, 12, 1))[1] == {}


def test_handover_notes_must_say_something_and_fit() -> None:
    assert check_note("   ") is not None
    assert check_note("x" * 3001) is not None
    assert check_note("Ask Mia about the CRM budget 🙂") is None


# --- cross-team intros ---


def names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(count)]


def repeat_free_matching_exists(marketing: list[str], it: list[str], recent: set[tuple[str, str]]) -> bool:
    """Hall's condition, checked subset by subset: every group of the smaller side has at least as many people
    on the other side it has not met recently."""
    small, large = (marketing, it) if len(marketing) <= len(it) else (it, marketing)

    def not_met(person: str) -> set[str]:
        return {other for other in large if (person, other) not in recent and (other, person) not in recent}

    return all(
        len(set().union(*(not_met(person) for person in group))) >= size
        for size in range(1, len(small) + 1)
        for group in itertools.combinations(small, size)
    )


@given(m=st.integers(0, 7), i=st.integers(0, 7), rounds=st.integers(1, 12), seed=st.integers(0, 10_000))
@settings(max_examples=150)
@example(m=5, i=6, rounds=5, seed=4744)  # the fifth round has no repeat-free matching left
def test_intro_rounds_pair_across_sides_without_recent_repeats(m: int, i: int, rounds: int, seed: int) -> None:
    marketing, it = names("UM", m), names("UI", i)
    history: list[list[tuple[str, str]]] = []
    sat_out: list[str] = []
    window = recency_window(m, i)
    for number in range(rounds):
        result = pair_for_intros(marketing, it, history, sat_out, seed + number)

        assert len(result.pairs) == min(m, i)
        assert all(a in marketing and b in it for a, b in result.pairs), "always one marketing, one IT"
        people = [p for pair in result.pairs for p in pair] + result.sitting_out
        assert sorted(people) == sorted(marketing + it), "everyone is paired or told they sit out, once"
        recent = {pair for past in history[:window] for pair in past}
        if repeat_free_matching_exists(marketing, it, recent):
            assert not recent & set(result.pairs), "a pair repeated within the recency window"
        else:  # the repeats are as long ago as any full round's can be
            latest_meeting = min(
                ago for ago, past in enumerate(history[:window]) for pair in result.pairs if pair in past
            )
            possible = [
                t for t in range(window) if repeat_free_matching_exists(marketing, it, set().union(*history[:t]))
            ]
            assert latest_meeting == max(possible), "a round with older repeats was possible"
        paired = {p for pair in result.pairs for p in pair}
        if len(sat_out) <= min(m, i):
            assert set(sat_out) <= paired, "who sat out last round goes first"
        history.insert(0, result.pairs)
        sat_out = result.sitting_out


def test_the_odd_one_sits_out_then_goes_first() -> None:
    first = pair_for_intros(["UM1", "UM2", "UM3"], ["UI1", "UI2"], [], [], seed=1)
    second = pair_for_intros(["UM1", "UM2", "UM3"], ["UI1", "UI2"], [first.pairs], first.sitting_out, seed=2)

    assert len(first.sitting_out) == 1
    assert first.sitting_out[0] not in second.sitting_out
    assert recency_window(3, 2) == 1


def test_with_no_repeat_free_round_left_the_one_left_over_meets_whom_they_met_longest_ago() -> None:
    """UM0, UM1 and UM2 have each met UI0, UI1 and UI2 within the window, so only two of them can meet UI3 or
    UI4: the third meets again someone they met, but not the one they met last round."""
    marketing, it = names("UM", 4), names("UI", 5)
    history = [  # most recent first
        [("UM0", "UI0"), ("UM1", "UI1"), ("UM2", "UI2"), ("UM3", "UI3")],
        [("UM0", "UI1"), ("UM1", "UI2"), ("UM2", "UI0"), ("UM3", "UI4")],
        [("UM0", "UI2"), ("UM1", "UI0"), ("UM2", "UI1"), ("UM3", "UI3")],
    ]
    assert not repeat_free_matching_exists(marketing, it, {pair for past in history for pair in past})

    for seed in range(30):
        result = pair_for_intros(marketing, it, history, [], seed)

        repeats = [pair for pair in result.pairs if any(pair in past for past in history)]
        assert len(result.pairs) == 4 and len(repeats) == 1, seed
        assert repeats[0] not in history[0], f"seed {seed}: {repeats[0]} met last round"


def test_a_repeat_is_never_with_last_rounds_partner_when_an_older_one_would_do() -> None:
    """M1 could meet I2 again (last round) or I1 (two rounds ago): with M0-I0 and M2-I2, I1 is possible."""
    history = [[("M0", "I1"), ("M1", "I2")], [("M0", "I2"), ("M1", "I1")]]  # most recent first

    for seed in range(200):
        result = pair_for_intros(["M0", "M1", "M2"], ["I0", "I1", "I2"], history, ["I0"], seed)

        assert not set(result.pairs) & set(history[0]), f"seed {seed}: {result.pairs}"

"""The register's rules, directly: splitting an answer into names, the key spellings share, and when a new
name is merged, asked about, or left alone. The examples either side of ASK_SCORE are why it is 85."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import fuzz

from bot.vendor_rules import (
    APPROVED,
    ASK_SCORE,
    MAX_NAME,
    MAX_NAMES,
    PROPOSED,
    REVIEW,
    Known,
    StatusRefused,
    check_status_change,
    match,
    names_in,
    parse_status,
    vendor_key,
)

# --- splitting -------------------------------------------------------------------------------------------------


def test_an_answer_splits_on_commas_semicolons_new_lines_and_the_word_and() -> None:
    answer = "LoyaltyLion, Typeform; Hotjar\nSegment and Zapier AND Miro"

    assert names_in(answer) == ["LoyaltyLion", "Typeform", "Hotjar", "Segment", "Zapier", "Miro"]


def test_bullets_spaces_and_full_stops_are_trimmed_and_a_name_is_kept_once_by_key() -> None:
    answer = "- LoyaltyLion\n• Loyalty Lion.\n  * loyaltylion.com  \n\n,,"

    assert names_in(answer) == ["LoyaltyLion"]


@pytest.mark.parametrize("answer", ["", "none", "No.", "n/a", " - ", "no new tools", "…, ;"])
def test_no_answer_names_nothing(answer: str) -> None:
    assert names_in(answer) == []


def test_words_that_contain_and_are_not_split() -> None:
    assert names_in("Brandwatch, Sandbox Studio") == ["Brandwatch", "Sandbox Studio"]


def test_an_answer_gives_at_most_twenty_names_each_cut_to_its_limit() -> None:
    names = names_in(", ".join(f"Tool{number}" for number in range(50)) + ", " + "x" * 500)

    assert len(names) == MAX_NAMES and all(len(name) <= MAX_NAME for name in names)
    assert len(names_in("y" * 500)[0]) == MAX_NAME


# --- the key -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        *("LoyaltyLion", "Loyalty Lion", "loyaltylion.com", "www.LoyaltyLion.io", "https://loyaltylion.com/pricing"),
        *("Loyalty-Lion", "LOYALTY LION", "LoyaltyLion Ltd", "LoyaltyLion, Inc."),
    ],
)
def test_spellings_of_one_vendor_share_its_key(spelling: str) -> None:
    assert vendor_key(spelling) == "loyaltylion"


def test_different_vendors_keep_different_keys() -> None:
    keys = {vendor_key(name) for name in ["Salesforce", "Salesloft", "Notion", "Motion", "Monday.com", "Mondai"]}

    assert len(keys) == 6


names = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@given(names)
def test_a_key_is_lower_case_letters_and_digits_and_stays_the_same_keyed_again(name: str) -> None:
    key = vendor_key(name)

    assert key == key.casefold() and all(c.isalnum() for c in key)
    assert vendor_key(key) == key


@given(st.from_regex(r"[A-Za-z][A-Za-z0-9]{2,20}", fullmatch=True), st.sampled_from(["", ".com", ".io", ".ai"]))
def test_case_spaces_www_and_a_domain_never_change_a_key(name: str, domain: str) -> None:
    spaced = " ".join(name)  # "L o y a l t y"

    assert vendor_key(f"  www.{name.upper()}{domain} ") == vendor_key(name) == vendor_key(spaced)


@given(st.lists(st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,20}[A-Za-z0-9]", fullmatch=True), min_size=1, max_size=8))
def test_names_joined_with_any_separator_come_back_each_once(parts: list[str]) -> None:
    parts = [p for p in parts if " and " not in f" {p.casefold()} " and names_in(p) == [p.strip()]]
    distinct = list(dict.fromkeys(vendor_key(p) for p in parts))

    for separator in (", ", "; ", "\n", " and "):
        assert [vendor_key(n) for n in names_in(separator.join(parts))] == distinct


# --- matching ----------------------------------------------------------------------------------------------------

REGISTER = [Known("loyaltylion", 1), Known("salesforce", 2), Known("notion", 3), Known("hubspot", 4)]


@pytest.mark.parametrize("name", ["LoyaltyLion", "Loyalty Lion", "loyaltylion.com"])
def test_a_known_key_joins_its_entry_without_asking(name: str) -> None:
    assert match(vendor_key(name), REGISTER).kind == "same"
    assert match(vendor_key(name), REGISTER).vendor_id == 1


@pytest.mark.parametrize(
    ("name", "candidate"),
    [("LoyaltyLoin", 1), ("Salesforse", 2), ("Hubspt", 4), ("Notions", 3)],
)
def test_a_near_miss_is_asked_about_never_merged(name: str, candidate: int) -> None:
    found = match(vendor_key(name), REGISTER)

    assert (found.kind, found.vendor_id) == ("ask", candidate)
    assert ASK_SCORE <= found.score < 100


@pytest.mark.parametrize("name", ["Salesloft", "Motion", "Zoho", "Shopify", "Box", "Asana"])
def test_a_different_vendor_with_a_close_name_is_neither_merged_nor_asked(name: str) -> None:
    assert match(vendor_key(name), REGISTER).kind == "new"


@pytest.mark.parametrize(
    ("a", "b", "asked"),
    [
        ("loyaltylion", "loyaltyloin", True),  # 90.9: two letters swapped
        ("salesforce", "salesforse", True),  # 90.0: one letter wrong
        ("typeform", "typeforms", True),  # 94.1: a plural
        ("marketo", "marketa", True),  # 85.7: the lowest we still ask about
        ("notion", "motion", False),  # 83.3: two real products
        ("slack", "slick", False),  # 80.0
        ("zoom", "zoho", False),  # 75.0
        ("shopify", "spotify", False),  # 71.4
        ("salesforce", "salesloft", False),  # 63.2
    ],
)
def test_why_the_threshold_is_85(a: str, b: str, asked: bool) -> None:
    assert (fuzz.ratio(a, b) >= ASK_SCORE) is asked


@given(st.text(max_size=30), st.lists(st.tuples(st.text(max_size=30), st.integers(1, 50)), max_size=10))
def test_a_match_merges_only_an_identical_key_and_asks_only_above_the_threshold(
    name: str, spellings: list[tuple[str, int]]
) -> None:
    key = vendor_key(name)
    known = [Known(vendor_key(text), vendor_id) for text, vendor_id in spellings if vendor_key(text)]

    found = match(key, known)

    if found.kind == "same":
        assert Known(key, found.vendor_id) in known
    elif found.kind == "ask":
        assert any(k.vendor_id == found.vendor_id and fuzz.ratio(key, k.key) >= ASK_SCORE for k in known)
        assert all(k.key != key for k in known)
    else:
        assert all(k.key != key for k in known)


# --- statuses ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "status"),
    [("approved", APPROVED), ("Under  Review", REVIEW), ("review", REVIEW), ("proposed", PROPOSED), ("soon", None)],
)
def test_a_typed_status_is_read_kindly(typed: str, status: str | None) -> None:
    assert parse_status(typed) == status


def test_a_status_changes_to_another_known_one_only() -> None:
    check_status_change(PROPOSED, REVIEW)
    with pytest.raises(StatusRefused, match="already proposed"):
        check_status_change(PROPOSED, PROPOSED)
    with pytest.raises(StatusRefused, match="not a status"):
        check_status_change(PROPOSED, "maybe")

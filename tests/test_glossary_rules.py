"""The glossary's rules, without Slack or a database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.glossary import GlossaryIndex, SenseData, TermDraft, TermEntry, check_draft, likely_side, page_of, term_key


def entry(term_id: int, name: str, side: str = "it", definition: str = "words", **extra: object) -> TermEntry:
    return TermEntry(term_id, name, (SenseData(side, definition),), **extra)  # type: ignore[arg-type]


INDEX = GlossaryIndex.build(
    [
        entry(1, "A/B testing", "marketing", "Comparing two versions of a page", aliases=("split test", "A/B test")),
        entry(2, "Load balancer", "it", "Spreads traffic across servers", acronyms=("LB",)),
        entry(3, "Retargeting", "marketing", "Ads shown to past visitors using a pixel"),
        entry(4, "Data warehouse", "it", "A database built for reporting across systems"),
    ]
)


@given(st.text())
def test_term_key_ignores_case_spacing_and_punctuation(text: str) -> None:
    assert term_key(text) == term_key(text.upper().replace(" ", "")) or not text.isascii()
    assert term_key(f" -{text}/. ") == term_key(text)


def test_find_by_name_alias_acronym_and_plural() -> None:
    assert INDEX.find("a-b TESTING").id == 1  # type: ignore[union-attr]
    assert INDEX.find("Split-Test").id == 1  # type: ignore[union-attr]
    assert INDEX.find("lb").id == 2  # type: ignore[union-attr]
    assert INDEX.find("load balancers").id == 2  # type: ignore[union-attr]
    assert INDEX.find("nothing like it") is None


def test_miss_suggests_close_names_and_related_definitions() -> None:
    miss = INDEX.miss("retargetting")
    assert [e.id for e in miss.suggestions] == [3]
    assert [e.id for e in INDEX.miss("traffic servers").related] == [2]


def test_search_requires_every_word_before_falling_back_to_any() -> None:
    assert [e.id for e in INDEX.search("reporting database")] == [4]
    assert {e.id for e in INDEX.search("reporting pixel")} == {3, 4}
    assert INDEX.search("the of and") == []


def test_likely_side_needs_a_clear_majority() -> None:
    it, marketing = entry(1, "x", "it"), entry(2, "y", "marketing")
    assert likely_side([it, it, marketing]) == "it"
    assert likely_side([marketing, marketing]) == "marketing"
    assert likely_side([it, marketing]) == "joint"
    assert likely_side([]) == "joint"


def test_check_draft_reports_each_problem_by_field() -> None:
    draft = TermDraft("LB", (SenseData("sales", ""), SenseData("it", "x" * 701)), aliases=("lb",))
    errors = check_draft(draft, {"lb": "Load balancer"})
    assert set(errors) == {"name", "aliases", "side_1", "definition_1", "definition_2"}
    assert check_draft(TermDraft("New", (SenseData("both", "fine"),)), {}) == {}


def test_pages_clamp_to_the_range() -> None:
    items = list(INDEX.listing(None))
    assert page_of(items, 99, 3).number == 2 and len(page_of(items, 99, 3).items) == 1
    assert page_of([], 1, 3).count == 1
    assert [e.name for e in INDEX.listing("it")] == ["Data warehouse", "Load balancer"]

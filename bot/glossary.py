"""The shared vocabulary: entries, input rules, and the in-memory index behind lookups.

Nothing here knows Slack or SQL. GlossaryIndex is rebuilt from storage when the glossary changes, so a
lookup (hit or miss) is a dictionary probe plus, on a miss, one rapidfuzz pass: no query, no Web API call.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rapidfuzz import fuzz, process

SIDES = ("marketing", "it", "both")
SIDE_LABELS = {"marketing": "Marketing", "it": "IT", "both": "Both sides"}

MAX_NAME = 80
MAX_ALIASES = 12
MAX_SENSES = 3
MAX_DEFINITION = 700
MAX_EXAMPLE = 300
MAX_WHY = 400
MAX_QUERY = 200
MAX_SCAN = 4000  # characters of a text searched for terms (a message's start): the work stays small
MAX_PHRASE_WORDS = 8  # the most words a name, alias or acronym is matched across
MAX_UNKNOWN_ACRONYMS = 5

# All-capitals words of 2 to 6 letters read as acronyms (not @mentions or #channels); a few everyday ones are
# not jargon.
_ACRONYM = re.compile(r"(?<![\w@#])[A-Z]{2,6}(?![\w])")
_NOT_ACRONYMS = frozenset({"OK", "IT", "AM", "PM"})
_WORD = re.compile(r"\w+")

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "how",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "what",
        "when",
        "where",
        "which",
        "who",
        "with",
        "you",
        "your",
        "we",
        "our",
        "their",
        "they",
    ]
)


def term_key(text: str) -> str:
    """Case, spacing and punctuation do not matter: 'A/B testing' == 'a-b testing' == 'AB Testing'."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def split_list(raw: str) -> list[str]:
    """Aliases as a person types them: separated by commas, semicolons or new lines; blanks dropped."""
    return [part.strip() for part in re.split(r"[;,\n]", raw or "") if part.strip()]


@dataclass(frozen=True)
class SenseData:
    side: str
    definition: str
    example: str = ""
    why_it_matters: str = ""


@dataclass(frozen=True)
class TermDraft:
    """A term as submitted by a person or a CSV row, before it is checked."""

    name: str
    senses: tuple[SenseData, ...]
    aliases: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()

    def keys(self) -> list[str]:
        return [term_key(text) for text in (self.name, *self.aliases, *self.acronyms)]


def same_content(entry: TermEntry, draft: TermDraft) -> bool:
    """Whether saving the draft would change nothing people read (then no revision is written)."""

    def clean(texts: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(text.strip() for text in texts if text.strip())

    def sense(s: SenseData) -> tuple[str, ...]:
        return (s.side, s.definition.strip(), s.example.strip(), s.why_it_matters.strip())

    return (
        entry.name.strip() == draft.name.strip()
        and [sense(s) for s in entry.senses] == [sense(s) for s in draft.senses]
        and clean(entry.aliases) == clean(draft.aliases)
        and clean(entry.acronyms) == clean(draft.acronyms)
    )


@dataclass(frozen=True)
class TermEntry:
    id: int
    name: str
    senses: tuple[SenseData, ...]
    aliases: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()
    created_by: str = ""
    created_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None
    version: int = 1

    @property
    def sides(self) -> set[str]:
        return {sense.side for sense in self.senses}

    @property
    def is_ambiguous(self) -> bool:
        return len(self.senses) > 1 and len(self.sides) > 1

    def as_draft(self) -> TermDraft:
        return TermDraft(self.name, self.senses, self.aliases, self.acronyms)


def check_draft(draft: TermDraft, taken: dict[str, str]) -> dict[str, str]:
    """Field name → a friendly error. `taken` maps keys already used by other terms to those terms' names."""
    errors: dict[str, str] = {}
    name = draft.name.strip()
    if not term_key(name):
        errors["name"] = "Give the term a name with at least one letter or digit."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Keep the name under {MAX_NAME} characters (it has {len(name)})."
    elif term_key(name) in taken:
        errors["name"] = f"“{name}” is already in the glossary as “{taken[term_key(name)]}”. Edit that entry instead."
    for field_name, values in (("aliases", draft.aliases), ("acronyms", draft.acronyms)):
        problem = _check_alternate_names(values, draft, taken)
        if problem:
            errors[field_name] = problem
    if not draft.senses:
        errors["definition_1"] = "Write a definition: one or two plain sentences the other side understands."
    for number, sense in enumerate(draft.senses, start=1):
        errors.update(_check_sense(number, sense))
    return errors


def _check_alternate_names(values: Sequence[str], draft: TermDraft, taken: dict[str, str]) -> str | None:
    if len(values) > MAX_ALIASES:
        return f"At most {MAX_ALIASES} here, please."
    own_keys = Counter(draft.keys())
    for value in values:
        key = term_key(value)
        if not key:
            return f"“{value}” has no letters or digits."
        if len(value) > MAX_NAME:
            return f"“{value[:30]}…” is longer than {MAX_NAME} characters."
        if key in taken:
            return f"“{value}” already points to “{taken[key]}”."
        if own_keys[key] > 1:
            return f"“{value}” is the same as the name or another alias (case and punctuation are ignored)."
    return None


def _check_sense(number: int, sense: SenseData) -> dict[str, str]:
    errors: dict[str, str] = {}
    if sense.side not in SIDES:
        errors[f"side_{number}"] = "Choose who uses this meaning: marketing, IT or both."
    if not sense.definition.strip():
        errors[f"definition_{number}"] = "Write a definition: one or two plain sentences the other side understands."
    for field_name, text, limit in (
        ("definition", sense.definition, MAX_DEFINITION),
        ("example", sense.example, MAX_EXAMPLE),
        ("why", sense.why_it_matters, MAX_WHY),
    ):
        if len(text) > limit:
            errors[f"{field_name}_{number}"] = f"Keep this under {limit} characters (it has {len(text)})."
    return errors


def _stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def words_of(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [_stem(w) for w in re.findall(r"\w+", folded) if len(w) > 1 and w not in _STOPWORDS]


TYPO_SCORE = 85  # rapidfuzz ratio: "retargetting" → "retargeting" (96), "pipline" → "pipeline" (93)


@dataclass(frozen=True)
class Miss:
    query: str
    suggestions: tuple[TermEntry, ...]
    related: tuple[TermEntry, ...]
    misspelt: bool = False  # the first suggestion is so near (TYPO_SCORE) that the query is a typo of it

    def likely_side(self) -> str:
        return likely_side([*self.suggestions, *self.related])


def likely_side(neighbours: Iterable[TermEntry]) -> str:
    """'it', 'marketing' or 'joint': the side whose words the nearest entries use, when clearly one side's."""
    counts: Counter[str] = Counter()
    for entry in neighbours:
        counts.update(sense.side for sense in entry.senses if sense.side != "both")
    total = counts["it"] + counts["marketing"]
    for side in ("it", "marketing"):
        if total and counts[side] * 3 >= total * 2:
            return side
    return "joint"


@dataclass(frozen=True)
class TermsInText:
    """The glossary terms a text names, in the order they first appear, and its acronyms the glossary lacks."""

    entries: tuple[TermEntry, ...]
    unknown_acronyms: tuple[str, ...]


def acronyms_in(text: str) -> list[str]:
    """The all-capitals words (2 to 6 letters) of `text`, once each, in order; none when the text shouts
    (most of its words in capitals): then capitals say nothing about acronyms."""
    found = _ACRONYM.findall(text)
    words = [word for word in _WORD.findall(text) if len(word) > 1 and word.isalpha()]
    if len(words) >= 4 and len(found) * 2 > len(words):
        return []
    return [word for word in dict.fromkeys(found) if word not in _NOT_ACRONYMS]


@dataclass
class GlossaryIndex:
    entries: dict[int, TermEntry]
    _by_key: dict[str, int] = field(default_factory=dict)
    _by_name_key: dict[str, int] = field(default_factory=dict)
    _choice_keys: list[str] = field(default_factory=list)
    _choice_ids: list[int] = field(default_factory=list)
    _words: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    _sorted: list[TermEntry] = field(default_factory=list)
    _phrases: dict[tuple[int, str], int] = field(default_factory=dict)  # (how many words, key) → entry
    _longest: int = 1  # the most words of any name, alias or acronym (up to MAX_PHRASE_WORDS)

    @classmethod
    def build(cls, entries: Iterable[TermEntry]) -> GlossaryIndex:
        index = cls(entries={entry.id: entry for entry in entries})
        for entry in index.entries.values():
            index._by_name_key[term_key(entry.name)] = entry.id
            for text in (entry.name, *entry.aliases, *entry.acronyms):
                key = term_key(text)
                index._by_key.setdefault(key, entry.id)
                index._choice_keys.append(key)
                index._choice_ids.append(entry.id)
                words = len(_WORD.findall(unicodedata.normalize("NFKC", text)))
                if 0 < words <= MAX_PHRASE_WORDS:
                    index._phrases.setdefault((words, key), entry.id)
                    index._longest = max(index._longest, words)
            texts = [entry.name, *entry.aliases, *entry.acronyms]
            texts += [part for s in entry.senses for part in (s.definition, s.example, s.why_it_matters)]
            for word in set(words_of(" ".join(texts))):
                index._words[word].add(entry.id)
        index._sorted = sorted(index.entries.values(), key=lambda e: e.name.casefold())
        return index

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, text: str) -> TermEntry | None:
        term_id = self._id_of(term_key(text))
        return self.entries.get(term_id) if term_id is not None else None

    def _id_of(self, key: str) -> int | None:
        """The entry a key names, or, for a plural (`sqls`), its singular does."""
        term_id = self._by_key.get(key)
        if term_id is None and len(key) > 3 and key.endswith("s"):
            term_id = self._by_key.get(key[:-1])
        return term_id

    def terms_in(self, text: str) -> TermsInText:
        """Every entry whose name, alias or acronym `text` holds as whole words (case and the punctuation between
        them ignored: "a/b testing" names *A/B testing*), once each in the order they first appear, the longest
        match first (the words of "customer data platform" name *CDP*, not *data*); and the acronyms of `text`
        that name no entry. Only the first MAX_SCAN characters are read."""
        text = text[:MAX_SCAN]
        words = _WORD.findall(unicodedata.normalize("NFKC", text))
        found: dict[int, TermEntry] = {}
        position = 0
        while position < len(words):
            for size in range(min(self._longest, len(words) - position), 0, -1):
                term_id = self._phrase(words[position : position + size])
                if term_id is not None:
                    found.setdefault(term_id, self.entries[term_id])
                    position += size
                    break
            else:
                position += 1
        unknown = [word for word in acronyms_in(text) if self.find(word) is None]
        return TermsInText(tuple(found.values()), tuple(unknown[:MAX_UNKNOWN_ACRONYMS]))

    def _phrase(self, words: list[str]) -> int | None:
        """The entry named by exactly these words ("I'd" is two words, so it never names *ID*), or by their
        plural (`SQLs`)."""
        key = term_key("".join(words))
        if len(key) < 2:
            return None
        term_id = self._phrases.get((len(words), key))
        if term_id is None and len(key) > 3 and key.endswith("s"):
            term_id = self._phrases.get((len(words), key[:-1]))
        return term_id

    def term_id_named(self, name: str) -> int | None:
        return self._by_name_key.get(term_key(name))

    def suggest(self, text: str, limit: int = 3, cutoff: float = 70) -> list[TermEntry]:
        key = term_key(text)
        if not key:
            return []
        matches = process.extract(
            key, self._choice_keys, scorer=fuzz.ratio, processor=None, limit=limit * 4, score_cutoff=cutoff
        )
        found: dict[int, TermEntry] = {}
        for _choice, _score, position in matches:
            term_id = self._choice_ids[position]
            found.setdefault(term_id, self.entries[term_id])
            if len(found) == limit:
                break
        return list(found.values())

    def search(self, text: str, limit: int = 10) -> list[TermEntry]:
        """Entries whose name or text holds every word (ranked by name matches first), else any word."""
        words = list(dict.fromkeys(words_of(text)))
        if not words:
            return []
        postings = [self._words.get(word, set()) for word in words]
        hits = set.intersection(*postings) if all(postings) else set()
        if not hits:
            hits = set().union(*postings)
        scored = sorted(
            hits,
            key=lambda i: (
                -sum(i in p for p in postings),
                -self._name_overlap(i, words),
                self.entries[i].name,
            ),
        )
        return [self.entries[i] for i in scored[:limit]]

    def _name_overlap(self, term_id: int, words: list[str]) -> int:
        name_words = set(words_of(self.entries[term_id].name))
        return len(name_words.intersection(words))

    def miss(self, text: str) -> Miss:
        suggestions = self.suggest(text)
        related = [entry for entry in self.search(text, limit=5) if entry not in suggestions]
        key = term_key(text)
        best = process.extractOne(key, self._choice_keys, scorer=fuzz.ratio, processor=None) if key else None
        misspelt = bool(suggestions) and best is not None and best[1] >= TYPO_SCORE
        return Miss(text, tuple(suggestions), tuple(related[:3]), misspelt)

    def recent(self, count: int) -> list[TermEntry]:
        """The terms added or changed last, newest first."""
        epoch = datetime.min.replace(tzinfo=UTC)
        return sorted(self.entries.values(), key=lambda e: (e.updated_at or epoch, e.id), reverse=True)[:count]

    def listing(self, side: str | None) -> list[TermEntry]:
        if side is None:
            return list(self._sorted)
        return [entry for entry in self._sorted if side in entry.sides or "both" in entry.sides]

    def pick_random(self, rng: random.Random | None = None) -> TermEntry | None:
        if not self._sorted:
            return None
        return (rng or random).choice(self._sorted)

    def owners_of(self, keys: Iterable[str], excluding: int | None = None) -> dict[str, str]:
        owners = {}
        for key in keys:
            term_id = self._by_key.get(key)
            if term_id is not None and term_id != excluding:
                owners[key] = self.entries[term_id].name
        return owners


@dataclass(frozen=True)
class Page:
    items: tuple[TermEntry, ...]
    number: int
    count: int
    total: int


def page_of(entries: Sequence[TermEntry], number: int, size: int) -> Page:
    count = max(1, -(-len(entries) // size))
    number = min(max(number, 1), count)
    start = (number - 1) * size
    return Page(tuple(entries[start : start + size]), number, count, len(entries))

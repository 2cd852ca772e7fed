"""The register of outside tools: splitting an intake's "new external tools or vendors" answer into names,
the key two spellings of one vendor share, and when a new name is worth asking IT about.

Plain values and functions only: no Slack, no SQL. The migration that reads existing intakes into the
register (storage/migrations/versions/0011_vendors.py) uses `names_in` and `vendor_key` too.

Matching, in order (tests/test_vendor_rules.py shows each case):
1. Same key, same vendor: the key folds case, spaces, punctuation, a leading "www." or "https://", a domain
   suffix (".com", ".io", …) and a trailing company form ("Inc", "Ltd"): "LoyaltyLion", "Loyalty Lion" and
   "loyaltylion.com" are all `loyaltylion`. These merge without asking: nothing but spelling differs.
2. A key close to a known one (rapidfuzz's ratio ≥ ASK_SCORE, both keys at least MIN_ASKED_LENGTH long) is
   a new entry, and IT is asked "Same as …?": a typo ("LoyaltyLoin" 90.9, "Hubspt" 92.3, "Salesforse" 90)
   or a plural ("Typeforms" 94.1) is caught, but a machine never merges it on its own.
3. Anything further is a different vendor and not asked about: "Salesforce"/"Salesloft" (63.2),
   "Notion"/"Motion" (83.3), "Slack"/"Slick" (80), "Shopify"/"Spotify" (71.4), "Zoom"/"Zoho" (75).
   The threshold sits between those: real near-namesakes differ by more than one letter in ten.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.newproject_rules import names_new_vendor

PROPOSED, REVIEW, APPROVED, REJECTED, RETIRED = "proposed", "review", "approved", "rejected", "retired"
STATUSES = (PROPOSED, REVIEW, APPROVED, REJECTED, RETIRED)
STATUS_LABELS = {
    PROPOSED: "Proposed",
    REVIEW: "Under review",
    APPROVED: "Approved",
    REJECTED: "Rejected",
    RETIRED: "Retired",
}
# What a person may type for a status in `/newproject vendors [status]`, folded by `parse_status`.
_STATUS_WORDS = {
    **{status: status for status in STATUSES},
    "under review": REVIEW,
    "under_review": REVIEW,
    "in review": REVIEW,
    "reviewing": REVIEW,
    "approve": APPROVED,
    "reject": REJECTED,
    "retire": RETIRED,
    "new": PROPOSED,
}

ASK_SCORE = 85.0  # rapidfuzz fuzz.ratio of two keys; see the module's docstring for the examples either side
MIN_ASKED_LENGTH = 4  # "box"/"fox" share two letters of three: too short for a score to mean anything
MAX_NAME = 80  # characters of one name kept; longer is a sentence, not a name
MAX_NAMES = 20  # names read from one answer
MAX_ANSWER = 3000  # the form's own limit; the answer is cut to it before any pattern runs

# Linear patterns only (the text is a person's): separators, and the decorations a key drops.
_SEPARATORS = re.compile(r"[,;\n\r]+|\s+and\s+", re.IGNORECASE)
_LEADING = re.compile(r"^(?:https?://)?(?:www\.)?")
_DOMAIN = re.compile(r"\.(?:com|io|ai|co|net|org|app|dev|so|me|tech|cloud|us|eu|de|fr|nl|uk|co\.uk)(?:/\S*)?$")
_COMPANY_FORM = re.compile(r"[\s,]+(?:inc|ltd|llc|gmbh|plc|corp|limited)\.?$")
_NOT_KEY = re.compile(r"[^0-9a-z]+")
_BULLET = re.compile(r"^[\s\-*•·]+")


def names_in(answer: str) -> list[str]:
    """The names in an answer, in order, each once by key: split on commas, semicolons, new lines and
    " and "; bullets and spaces trimmed; "none"-like answers and pieces with no letters or digits dropped."""
    found: dict[str, str] = {}
    for piece in _SEPARATORS.split(answer[:MAX_ANSWER]):
        name = _BULLET.sub("", piece).strip().strip(".").strip()[:MAX_NAME].strip()
        key = vendor_key(name)
        if key and names_new_vendor(name) and key not in found:
            found[key] = name
        if len(found) == MAX_NAMES:
            break
    return list(found.values())


def vendor_key(name: str) -> str:
    """What two spellings of one vendor share: lower-case letters and digits, with "www.", a domain suffix
    and a company form dropped. Empty when the name holds no letters or digits."""
    folded = unicodedata.normalize("NFKC", name[:MAX_NAME]).casefold().strip()
    folded = _LEADING.sub("", folded)
    folded = _DOMAIN.sub("", folded)
    folded = _COMPANY_FORM.sub("", folded)
    return _NOT_KEY.sub("", folded)


@dataclass(frozen=True)
class Known:
    """A spelling already in the register: its key and the entry it belongs to."""

    key: str
    vendor_id: int


@dataclass(frozen=True)
class Match:
    """What a new name is: `same` (it joins `vendor_id`), `ask` (a new entry; IT is asked whether it is
    `vendor_id`), or `new` (a new entry, nobody asked; vendor_id 0)."""

    kind: str
    vendor_id: int = 0
    score: float = 0.0


def match(key: str, known: Iterable[Known]) -> Match:
    """How a name's key relates to the register's spellings (see the module's docstring)."""
    from rapidfuzz import fuzz  # imported on first use: idle memory

    best: Match = Match("new")
    for spelling in known:
        if spelling.key == key:
            return Match("same", spelling.vendor_id, 100.0)
        if min(len(key), len(spelling.key)) < MIN_ASKED_LENGTH:
            continue
        score = fuzz.ratio(key, spelling.key, score_cutoff=ASK_SCORE)
        if score and score > best.score:
            best = Match("ask", spelling.vendor_id, score)
    return best


def parse_status(text: str) -> str | None:
    """A status as typed ("approved", "under review", "Review"), or None when it names none."""
    return _STATUS_WORDS.get(" ".join(text.casefold().split()))


class StatusRefused(Exception):
    """The status change makes no sense now; the message says why."""


def check_status_change(current: str, wanted: str) -> None:
    if wanted not in STATUSES:
        raise StatusRefused("That's not a status I know.")
    if wanted == current:
        raise StatusRefused(f"It's already {STATUS_LABELS[current].lower()}.")


@dataclass(frozen=True)
class VendorUse:
    """One intake that names the vendor, as it named it."""

    intake_id: int
    name: str
    requested_by: str


@dataclass(frozen=True)
class Vendor:
    id: int
    name: str
    status: str
    status_by: str
    status_at: datetime
    personal_data: bool
    first_intake_id: int | None
    requested_by: str
    created_at: datetime
    uses: tuple[VendorUse, ...] = ()
    spellings: tuple[str, ...] = ()

    @property
    def intake_ids(self) -> list[int]:
        return sorted(use.intake_id for use in self.uses)

    def requesters(self, *, besides: str = "") -> list[str]:
        """Everyone whose intake names it, once each, minus `besides`."""
        people = dict.fromkeys(use.requested_by for use in sorted(self.uses, key=lambda u: u.intake_id))
        return [person for person in people if person and person != besides]


ASKED, SAME, DIFFERENT = "asked", "same", "different"


@dataclass(frozen=True)
class VendorQuestion:
    """ "Is `name` (a new entry, `vendor_id`) the same as `candidate`?", asked in an intake's thread."""

    id: int
    intake_id: int
    name: str
    vendor_id: int | None
    candidate_id: int
    candidate_name: str
    status: str
    answered_by: str | None = None
    answered_at: datetime | None = None


@dataclass(frozen=True)
class IntakeVendors:
    """What an intake's thread card shows: the vendors it names, and the questions about them."""

    intake_id: int
    vendors: tuple[Vendor, ...]
    questions: tuple[VendorQuestion, ...]

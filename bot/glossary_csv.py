"""The glossary as CSV: one row per sense; a term's rows are consecutive; aliases on its first row.

Columns: term, aliases, acronyms, side, definition, example, why_it_matters, added_by, added_at.
Aliases and acronyms are separated by ';'. added_by / added_at may be empty (the importer is used).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.glossary import MAX_SENSES, SenseData, TermDraft, TermEntry, check_draft, term_key

COLUMNS = (
    "term",
    "aliases",
    "acronyms",
    "side",
    "definition",
    "example",
    "why_it_matters",
    "added_by",
    "added_at",
)


class GlossaryCsvError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass
class CsvTerm:
    line: int
    name: str
    aliases: list[str] = field(default_factory=list)
    acronyms: list[str] = field(default_factory=list)
    senses: list[SenseData] = field(default_factory=list)
    added_by: str | None = None
    added_at: datetime | None = None

    @property
    def draft(self) -> TermDraft:
        return TermDraft(self.name, tuple(self.senses), tuple(self.aliases), tuple(self.acronyms))


def read_glossary_csv(text: str) -> list[CsvTerm]:
    """Parse and check the whole file; the first bad row raises GlossaryCsvError naming its line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    missing = [c for c in ("term", "side", "definition") if c not in (reader.fieldnames or [])]
    if missing:
        raise GlossaryCsvError(1, f"the header lacks the column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}")
    terms: dict[str, CsvTerm] = {}
    order: list[CsvTerm] = []
    previous_key = None
    for row in reader:
        line = reader.line_num
        if None in row:
            raise GlossaryCsvError(line, "this row has more fields than the header")
        name = (row.get("term") or "").strip()
        key = term_key(name)
        if not key:
            raise GlossaryCsvError(line, "the term is empty")
        term = terms.get(key)
        if term is None:
            term = CsvTerm(line, name, added_by=(row.get("added_by") or "").strip() or None)
            term.added_at = _parse_time(row.get("added_at") or "", line)
            terms[key] = term
            order.append(term)
        elif previous_key != key:
            raise GlossaryCsvError(
                line, f"the rows of “{name}” must be consecutive (it also starts on line {term.line})"
            )
        previous_key = key
        term.aliases += [a for a in _split(row.get("aliases")) if a not in term.aliases]
        term.acronyms += [a for a in _split(row.get("acronyms")) if a not in term.acronyms]
        term.senses.append(
            SenseData(
                side=(row.get("side") or "").strip().lower(),
                definition=(row.get("definition") or "").strip(),
                example=(row.get("example") or "").strip(),
                why_it_matters=(row.get("why_it_matters") or "").strip(),
            )
        )
        if len(term.senses) > MAX_SENSES:
            raise GlossaryCsvError(line, f"“{name}” has more than {MAX_SENSES} senses")
        errors = check_draft(term.draft, {})
        if errors:
            raise GlossaryCsvError(line, next(iter(errors.values())))
    _check_unique_names(order)
    return order


def _check_unique_names(terms: Sequence[CsvTerm]) -> None:
    owners: dict[str, str] = {}
    for term in terms:
        for text in (term.name, *term.aliases, *term.acronyms):
            key = term_key(text)
            if key in owners and owners[key] != term.name:
                raise GlossaryCsvError(term.line, f"“{text}” is used by both “{owners[key]}” and “{term.name}”")
            owners[key] = term.name


def _split(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(";") if part.strip()]


def _parse_time(raw: str, line: int) -> datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise GlossaryCsvError(
            line, f"added_at {raw!r} is not an ISO date-time like 2026-01-31T09:00:00+00:00"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def write_glossary_csv(entries: Sequence[TermEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        for position, sense in enumerate(entry.senses):
            first = position == 0
            writer.writerow(
                [
                    entry.name,
                    ";".join(entry.aliases) if first else "",
                    ";".join(entry.acronyms) if first else "",
                    sense.side,
                    sense.definition,
                    sense.example,
                    sense.why_it_matters,
                    entry.created_by if first else "",
                    entry.created_at.isoformat() if first and entry.created_at else "",
                ]
            )
    return out.getvalue()

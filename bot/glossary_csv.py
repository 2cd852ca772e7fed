"""The glossary as CSV: one row per sense; a term's rows are consecutive; aliases on its first row.

Columns: term, aliases, acronyms, side, definition, example, why_it_matters, added_by, added_at.
Aliases and acronyms are separated by ';'. added_by / added_at may be empty (the importer is used).

A file is read as UTF-8 (with or without a BOM) when it is; otherwise its encoding is detected with
charset-normalizer: Excel's "CSV" on Windows writes the ANSI code page (Windows-1252 in Western Europe and the
Americas). On a short file, the Windows code pages all read as plausible text (cp1250 reads "naïve" as "naďve",
cp1257 "Café" as "Cafķ", and may score better), so Windows-1252 is taken whenever the detector finds it
plausible at all; text it reads as a mess (Polish or Cyrillic saved by Excel there, say) goes by the detector.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
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


PREFERRED_ENCODINGS = ("cp1252",)  # Excel's on Western Windows: chosen whenever it reads the file as plausible text
# Encodings of Latin script the detector may pick for a Western file of a few accented words ("déjà" reads as
# cp1250's "déją" too): then cp1252 wins when it reads every non-ASCII character as a letter or a typographic mark.
LATIN_GUESSES = {"cp1250", "cp1257", "iso8859_2", "iso8859_4", "iso8859_13", "iso8859_15", "latin_1", "mac_roman"}
TYPOGRAPHIC = set("‘’‚“”„–—…•€£©®°±·×«»§")  # not ¿ ¹ ³ ¥ ª º: cp1250 letters read as cp1252
SHIFT_JIS_LEADS = frozenset("ƒˆ")  # 0x83 (katakana) and 0x88 (kanji) in cp1252: the florin sign, a lone circumflex
JAPANESE_ENCODINGS = frozenset(
    {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213", "iso2022_jp"}
)
WESTERN_RUN = 3  # characters beyond ASCII side by side in Western text: "ações" (2), "“…”" (3)
SHOWN_VALUE = 60  # characters of a bad value quoted in the error


class GlossaryCsvError(ValueError):
    """A bad file: the line, and where known the column and the value found there."""

    def __init__(self, line: int, message: str, *, column: str | None = None, value: str | None = None) -> None:
        where = f"line {line}" + (f", column {column}" if column else "")
        if value is not None:
            shown = value if len(value) <= SHOWN_VALUE else value[: SHOWN_VALUE - 1] + "…"
            where += f" (“{shown}”)" if shown.strip() else " (empty)"
        super().__init__(f"{where}: {message}")
        self.line = line
        self.column = column
        self.value = value


def decode_csv(data: bytes) -> str:
    """The file's text: UTF-8 when it is (a BOM is dropped), else the encoding charset-normalizer finds."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # only for a file that is not UTF-8

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise GlossaryCsvError(1, "this is not a text file in any encoding I know; save it as “CSV UTF-8”")
    for preferred in PREFERRED_ENCODINGS:
        if any(preferred in match.could_be_from_charset for match in matches):
            return data.decode(preferred)
    western = _plain_western(data)
    guessed_japanese = best.encoding in JAPANESE_ENCODINGS  # Shift JIS reads as short runs too (see below)
    if western is not None and (
        best.encoding in LATIN_GUESSES or (not guessed_japanese and _accents_within_words(western))
    ):
        return western
    return str(best)


def _accents_within_words(text: str) -> bool:
    """The characters beyond ASCII sit as accents do in Western words ("año", "Zürich", "Ärger"): in runs of at
    most WESTERN_RUN, never glued to a digit, never a capital right after a letter, and never one of SHIFT_JIS_LEADS.

    A short Western file can also read as two-byte Chinese, which the detector may then prefer ("a隳" for
    "año"). Chinese or Korean text read as Windows-1252 mostly makes long runs. Shift JIS does not (a lead
    byte, then often an ASCII one: "ƒAƒJƒE" for "アカウ", "ŠwŠJ" for "学開"), and neither does GB18030's
    four-byte form (digits between). So this is not asked when the detector's guess is Japanese, and the rules
    above turn those readings down."""
    if not SHIFT_JIS_LEADS.isdisjoint(text):
        return False
    for run in re.finditer(r"[^\x00-\x7f]+", text):
        before = text[run.start() - 1] if run.start() else " "
        after = text[run.end()] if run.end() < len(text) else " "
        if len(run.group()) > WESTERN_RUN or before.isdigit() or after.isdigit():
            return False  # too long for accents; or glued to a digit, as GB18030's four-byte characters are
        if before.isascii() and before.isalpha() and run.group()[0].isupper():
            return False  # a capital inside a word ("wŠ"): a two-byte character's lead byte read as a letter
    return True


def _plain_western(data: bytes) -> str | None:
    """The text as Windows-1252 when every character beyond ASCII is a letter or a typographic mark."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    odd = [c for c in text if ord(c) > 127 and not c.isalpha() and c not in TYPOGRAPHIC]
    return None if odd else text


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
            extra = ",".join(str(v) for v in row[None])[:SHOWN_VALUE]
            columns = len(reader.fieldnames or [])
            raise GlossaryCsvError(
                line,
                f"this row has more fields than the header's {columns} (extra: {extra}); "
                "a comma inside a value needs the value in double quotes",
            )
        name = (row.get("term") or "").strip()
        key = term_key(name)
        if not key:
            raise GlossaryCsvError(line, "a term needs at least one letter or digit", column="term", value=name)
        term = terms.get(key)
        if term is None:
            term = CsvTerm(line, name, added_by=(row.get("added_by") or "").strip() or None)
            term.added_at = _parse_time(row.get("added_at") or "", line)
            terms[key] = term
            order.append(term)
        elif previous_key != key:
            raise GlossaryCsvError(
                line,
                f"the rows of a term must be consecutive (it also starts on line {term.line})",
                column="term",
                value=name,
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
            raise GlossaryCsvError(line, f"“{name}” has more than {MAX_SENSES} senses", column="term", value=name)
        errors = check_draft(term.draft, {})
        if errors:
            field_name, message = next(iter(errors.items()))
            column = _column_of(field_name)
            raise GlossaryCsvError(line, _csv_reason(column, message), column=column, value=(row.get(column) or ""))
    _check_unique_names(order)
    return order


# check_draft's field names (a form's) → the CSV's columns
_FIELD_COLUMNS = {"name": "term", "aliases": "aliases", "acronyms": "acronyms", "side": "side"}
_FIELD_COLUMNS |= {"definition": "definition", "example": "example", "why": "why_it_matters"}


def _column_of(field_name: str) -> str:
    return _FIELD_COLUMNS.get(field_name.rsplit("_", 1)[0], field_name)


def _csv_reason(column: str, message: str) -> str:
    """The form's hint, said for a file."""
    if column == "side":
        return "the side must be marketing, it or both"
    if column == "definition" and message.startswith("Write a definition"):
        return "every row needs a definition"
    return message[0].lower() + message[1:]


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
            line, "not an ISO date-time like 2026-01-31T09:00:00+00:00", column="added_at", value=raw
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

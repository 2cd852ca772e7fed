"""Dates as people type them in commands: `2026-12-17`, `17 Dec`, `Dec 17`, `17 December 2026`, `12/17`, `17/12`,
`12/17/2026`. No Slack, no SQL: plain rules, tested directly.

Without a year, the date is the next one on or after `today`. Numbers alone are read month/day or day/month only
when one of them cannot be a month (`12/17`, `17/12`); `3/4` could be either, so it is not guessed at."""

from __future__ import annotations

import re
from datetime import date

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_YEAR = r"(?:,?\s+(\d{4}))?"
DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]{3,9})\.?" + _YEAR)  # 17 Dec [2026]
MONTH_DAY = re.compile(r"([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?" + _YEAR)  # Dec 17[,] [2026]
NUMBERS = re.compile(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}))?")  # 12/17 [/2026]
MAX_TYPED = 40  # longer text is no date: cut before any pattern runs


def is_iso(text: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()) is not None


def read_day(text: str, today: date) -> date | None:
    """The date `text` names, or None when it names none (or could name two)."""
    typed = text.strip().lower()[:MAX_TYPED]
    if is_iso(typed):
        return _date(int(typed[:4]), int(typed[5:7]), int(typed[8:]))
    if match := DAY_MONTH.fullmatch(typed):
        day, month, year = int(match.group(1)), MONTHS.get(match.group(2)), match.group(3)
    elif match := MONTH_DAY.fullmatch(typed):
        day, month, year = int(match.group(2)), MONTHS.get(match.group(1)), match.group(3)
    elif match := NUMBERS.fullmatch(typed):
        first, second, year = int(match.group(1)), int(match.group(2)), match.group(3)
        if first > 12 >= second:
            day, month = first, second
        elif second > 12 >= first:
            day, month = second, first
        else:
            return None  # 3/4: March 4 or 3 April?
    else:
        return None
    if month is None:
        return None
    if year is not None:
        return _date(int(year), month, day)
    this_year = _date(today.year, month, day)
    if this_year is not None and this_year >= today:
        return this_year
    return _date(today.year + 1, month, day) or _date(today.year + 4 - today.year % 4, month, day)  # 29 Feb


def leading_day(text: str, today: date) -> tuple[date, str, str] | None:
    """The date the first words of `text` name (up to four: `December 17, 2026`), what was typed for it, and
    the rest; None when no first words are a date."""
    words = text.split()
    for count in range(min(len(words), 4), 0, -1):
        typed = " ".join(words[:count])
        day = read_day(typed, today)
        if day is not None:
            return day, typed, " ".join(words[count:])
    return None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None

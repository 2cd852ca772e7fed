"""Dates as people type them (bot/typed_dates.py): the forms people use, the year they mean, and no guessing."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.typed_dates import read_day
from storage.liaison import LiaisonMember
from storage.sitdown import SitdownHoliday, SitdownMeeting
from tests.conftest import ADMIN, RunningBot
from tests.test_sitdown_commands import create_series, rows

TODAY = date(2026, 12, 1)


def test_the_forms_people_type() -> None:
    for typed in (
        "2026-12-17",
        "17 Dec",
        "17 december",
        "17th Dec 2026",
        "Dec 17",
        "December 17, 2026",
        "12/17",
        "17/12",
        "12/17/2026",
        "17.12.2026",
        " 17 DEC ",
    ):
        assert read_day(typed, TODAY) == date(2026, 12, 17), typed


def test_without_a_year_the_next_such_date() -> None:
    assert read_day("3 Jan", TODAY) == date(2027, 1, 3)
    assert read_day("1 Dec", TODAY) == date(2026, 12, 1)  # today counts
    assert read_day("30 Nov", TODAY) == date(2027, 11, 30)
    assert read_day("29 Feb", TODAY) == date(2028, 2, 29)


def test_what_is_no_date_or_could_be_two() -> None:
    for typed in (
        "3/4",
        "12/11",
        "31 Feb 2027",
        "17 Decembre",
        "tomorrow",
        "2026-13-01",
        "",
        "17",
        "1/12/2026",
        "9" * 500,
    ):
        assert read_day(typed, TODAY) is None, typed


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 700))
def test_every_date_written_day_and_month_reads_back(day: date, days_before: int) -> None:
    today = day - timedelta(days=days_before)
    if days_before < 365 and not (day.month == 2 and day.day == 29):  # within a year: no year needed
        assert read_day(f"{day.day} {day:%b}", today) == day
    assert read_day(f"{day:%B} {day.day}, {day.year}", today) == day
    assert read_day(day.isoformat(), today) == day


@given(st.text(max_size=60))
def test_any_text_is_a_date_or_none_never_an_error(text: str) -> None:
    assert read_day(text, TODAY) is None or isinstance(read_day(text, TODAY), date)


# --- over signed HTTP: where dates are typed, the forms people type, and the reading echoed ------------------


def test_sitdown_skip_and_holidays_take_typed_dates_and_say_how_they_read_them(running_bot: RunningBot) -> None:
    bot = running_bot
    series = create_series(bot, owner="UALICE")
    upcoming = bot.services.sitdown.next_meeting(series.id)
    assert upcoming is not None
    local = upcoming.start.astimezone(ZoneInfo("America/New_York")).date()

    ambiguous = bot.slack.command("/sitdown", f"skip {series.id} 3/4", user="UALICE")
    assert not rows(bot, SitdownMeeting)
    skipped = bot.slack.command("/sitdown", f"skip {series.id} {local:%b} {local.day}", user="UALICE")
    holiday = bot.slack.command("/sitdown", "holiday add 17 Dec Winter &lt;party&gt;", user=ADMIN)

    assert "isn't a date I can read" in ambiguous.text and "24 Dec or 12/24" in ambiguous.text
    assert "Skipped the meeting" in skipped.text and f"as {local:%a %d %b %Y}" in skipped.text
    (meeting,) = rows(bot, SitdownMeeting)
    assert meeting.status == "skipped"
    assert "I read “17 Dec” as Thu 17 Dec 2026" in holiday.text
    (row,) = rows(bot, SitdownHoliday)
    assert (row.day, row.name) == (date(2026, 12, 17), "Winter <party>")
    iso = bot.slack.command("/sitdown", "holiday add 2026-12-24 Eve", user=ADMIN)
    assert "I read" not in iso.text  # nothing to check when it was typed the one unambiguous way


def test_liaison_away_takes_a_typed_date(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.slack.command("/liaison", "join marketing", user="UBOB")

    away = bot.slack.command("/liaison", "away 15 Jan", user="UBOB")
    unreadable = bot.slack.command("/liaison", "away 3/4", user="UBOB")

    assert "I read “15 Jan” as Fri 15 Jan 2027" in away.text and "out of the picks through 2027-01-15" in away.text
    assert "couldn't read *3/4* as a date" in unreadable.text
    (member,) = rows(bot, LiaisonMember)
    assert member.away_until == date(2027, 1, 15)

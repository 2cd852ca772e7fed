"""Complete drafts for the tests (and bench/) to start from: change only what a test is about."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from bot.newproject_rules import IntakeDraft
from bot.sitdown_rules import WEEKDAY_NAMES, SeriesDraft, SeriesSpec

# A series form as a person fills it in, field by field (every value as the form sends it: text).
TYPED_SERIES: dict[str, Any] = {
    "title": "Marketing × IT",
    "channel_id": "CJOINT",  # tests.conftest.JOINT_CHANNEL
    "cadence": "weekly",
    "weekday": "Tuesday",
    "nth": "",
    "at": "10:00",
    "zone": "Europe/London",
    "duration": "30",
    "leads": ("1440", "15"),
    "starts_on": "",
}
SERIES_DRAFT = SeriesDraft(**TYPED_SERIES)


def series_starting(day: date, **changes: Any) -> SeriesDraft:
    """SERIES_DRAFT with `changes`, its first meeting on `day` (the weekday follows)."""
    return dataclasses.replace(SERIES_DRAFT, weekday=WEEKDAY_NAMES[day.weekday()], starts_on=day.isoformat(), **changes)


def series_spec(draft: SeriesDraft, today: date) -> SeriesSpec:
    """The draft checked as of `today`, which must pass (else the errors are the failure)."""
    spec, errors = draft.check(today)
    assert spec is not None, errors
    return spec


INTAKE_DRAFT = IntakeDraft(
    name="Loyalty app", business_case="Repeat customers buy more.", launch_date=date(2027, 2, 1), personal_data="no"
)


def intake_draft(**changes: Any) -> IntakeDraft:
    """INTAKE_DRAFT (complete, and raising no flag: no personal data, no new vendor) with `changes`."""
    return dataclasses.replace(INTAKE_DRAFT, **changes)

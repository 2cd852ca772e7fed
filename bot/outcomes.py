"""The one family of results a use case gives when it did not do what was asked; nothing was changed.

Every feature raises these (never its own copies), so the edge words each kind once (handlers/answers.py):
"that no longer exists", "only … may", the form's field errors, "someone else got there first".
"""

from __future__ import annotations

from typing import Any


class Outcome(Exception):
    """Nothing was changed; the message, when there is one, is written for the person who asked."""


class NotFound(Outcome):
    """What the request names does not exist (any more)."""


class NotAllowed(Outcome):
    """The person may not do this; the message says who may."""


class Rejected(Outcome):
    """Input that breaks a rule; the message is written for the person who typed it."""


class DraftRejected(Rejected):
    """A form's values break rules: one message per field, shown beside the field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class Refused(Outcome):
    """A request the feature's rules turn down: `reason` names why, `details` hold what the edge needs to word it
    (the feature's messages module words each reason)."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class FieldErrors(dict[str, str]):
    """A form's errors by field, filled by its rules one check at a time; the first error of a field stands."""

    def text(self, field: str, value: str, limit: int, what: str = "this", *, missing: str = "") -> None:
        """A text field: `missing` when it is blank (blank is fine without one); over `limit`, how long `what` (the
        field as a person calls it) may be."""
        if missing and not value.strip():
            self.setdefault(field, missing)
        elif len(value) > limit:
            self.setdefault(field, f"Keep {what} under {limit:,} characters.")

    def check(self, field: str, holds: bool, problem: str) -> None:
        if not holds:
            self.setdefault(field, problem)


class Conflict(Outcome):
    """Someone else changed or took it meanwhile."""


class NoChannelConfigured(Outcome):
    """The channel this needs is not set; `setting` names the setting an admin fills in."""

    def __init__(self, setting: str = "") -> None:
        super().__init__(setting)
        self.setting = setting

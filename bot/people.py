"""People's data: everything the bot holds about one person (`user export`), and forgetting it (`user forget`).

What happens to each table's columns is decided in one place, storage/people.py's POLICY. Jargon lookups the
bot still holds in memory, waiting to be written, are not rows yet: `user forget` (bot/admin_commands.py) has
running bots drop them (bot/glossary_lookups.purge_lookups_of).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.kit import Transactions
from bot.outcomes import Rejected
from storage.people import FORMER_MEMBER, PeopleRepository

USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")

__all__ = ["FORMER_MEMBER", "PeopleService", "PersonData", "checked_user_id"]


@dataclass(frozen=True)
class PersonData:
    user_id: str
    tables: dict[str, list[dict[str, Any]]]

    @property
    def counts(self) -> dict[str, int]:
        """How many rows name the person, per table."""
        return {table: len(rows) for table, rows in self.tables.items()}

    def as_json(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "counts": self.counts, "tables": self.tables}


def checked_user_id(raw: str) -> str:
    """A Slack user id as typed by an admin (U… or W…); anything else is refused before any query runs."""
    user_id = raw.strip().upper()
    if not USER_ID.fullmatch(user_id):
        raise Rejected(f"{raw!r} is not a Slack user id (like U012AB3CD; a profile's ⋮ menu copies it)")
    return user_id


class PeopleService(Transactions):
    def export(self, raw_user_id: str) -> PersonData:
        user_id = checked_user_id(raw_user_id)
        with self.reading() as work:
            return PersonData(user_id, work.repo(PeopleRepository).rows_of(user_id))

    def forget(self, raw_user_id: str) -> dict[str, dict[str, int]]:
        """Remove or anonymise every row naming the person, in one transaction; per table, what was done."""
        user_id = checked_user_id(raw_user_id)
        with self.work() as work:
            return work.repo(PeopleRepository).forget(user_id)

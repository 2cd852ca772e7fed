"""Glossary lookups written in batches, and the requests to forget a person that running bots honour."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from bot.glossary import term_key
from storage.models import ForgetRequest, JargonLookup, add_flushed, in_chunks

QUERY_LENGTH = 200  # jargon_lookups.query_key and query_text


@dataclass(frozen=True)
class Lookup:
    """One lookup, waiting in memory to be written."""

    query: str
    term_id: int | None
    user_id: str
    at: datetime


class LookupRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_many(self, lookups: Sequence[Lookup]) -> None:
        """One INSERT for the batch (executemany)."""
        if not lookups:
            return
        rows = [
            {
                "query_key": term_key(lookup.query)[:QUERY_LENGTH],
                "query_text": lookup.query[:QUERY_LENGTH],
                "term_id": lookup.term_id,
                "user_id": lookup.user_id,
                "looked_up_at": lookup.at,
            }
            for lookup in lookups
        ]
        # Core's executemany, not the ORM's bulk INSERT: a second's batch costs several times less Python.
        table: Any = JargonLookup.__table__
        self.session.connection().execute(insert(table), rows)

    def users_being_forgotten(self) -> set[str]:
        return set(self.session.scalars(select(ForgetRequest.user_id)))

    def delete_of(self, user_ids: Collection[str]) -> None:
        for chunk in in_chunks(user_ids):
            self.session.execute(delete(JargonLookup).where(JargonLookup.user_id.in_(chunk)))

    def request_forget(self, user_id: str, at: datetime) -> int:
        return add_flushed(self.session, ForgetRequest(user_id=user_id, requested_at=at)).id

    def end_forget(self, request_id: int) -> None:
        self.session.execute(delete(ForgetRequest).where(ForgetRequest.id == request_id))

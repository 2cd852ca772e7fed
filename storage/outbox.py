"""Outbox rows: idempotent insert by key, claiming due rows, recording results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import OutboxMessage


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    key: str
    method: str
    payload: dict[str, Any]
    due_at: datetime
    attempts: int


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_if_absent(
        self,
        *,
        key: str,
        method: str,
        payload: dict[str, Any],
        due_at: datetime,
        expire_at: datetime | None,
        now: datetime,
    ) -> bool:
        """Insert the row unless one with this key exists; True when it was inserted."""
        values = {
            "key": key,
            "method": method,
            "payload": payload,
            "status": "pending",
            "due_at": due_at,
            "expire_at": expire_at,
            "next_attempt_at": due_at,
            "attempts": 0,
            "created_at": now,
            "late": False,
        }
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(OutboxMessage)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(OutboxMessage.id)
        )
        return self.session.execute(statement).first() is not None

    def get(self, key: str) -> OutboxMessage | None:
        return self.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))

    def claim_due(self, *, now: datetime, lease_until: datetime, limit: int) -> list[OutboxMessage]:
        """Due rows, plus rows whose sender's lease ran out (it died mid-send); locked so replicas skip them."""
        statement = (
            select(OutboxMessage)
            .where(
                OutboxMessage.next_attempt_at <= now,
                or_(
                    OutboxMessage.status == "pending",
                    (OutboxMessage.status == "sending") & (OutboxMessage.claimed_until < now),
                ),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list(self.session.scalars(statement))
        for row in rows:
            row.status = "sending"
            row.claimed_until = lease_until
            row.attempts += 1
        return rows

    def mark_sent(self, row_id: int, *, now: datetime, late: bool, channel: str | None, ts: str | None) -> None:
        row = self.session.get_one(OutboxMessage, row_id)
        row.status, row.sent_at, row.late, row.claimed_until = "sent", now, late, None
        row.response_channel, row.response_ts = channel, ts

    def mark_retry(self, row_id: int, *, at: datetime, error: str) -> None:
        row = self.session.get_one(OutboxMessage, row_id)
        row.status, row.next_attempt_at, row.last_error, row.claimed_until = "pending", at, error, None

    def mark_final(self, row_id: int, *, status: str, error: str) -> None:
        row = self.session.get_one(OutboxMessage, row_id)
        row.status, row.last_error, row.claimed_until = status, error, None

    def by_status(self, status: str) -> Sequence[OutboxMessage]:
        return self.session.scalars(select(OutboxMessage).where(OutboxMessage.status == status)).all()

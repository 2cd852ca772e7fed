"""Outbox rows: idempotent insert by key, claiming due rows (paced per channel), recording results."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import CursorResult, Integer, String, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base, OutboxMessage, UTCDateTime, dialect_of, in_chunks, insert_for, is_one_of

# Slack allows about one chat.postMessage per second per channel; other methods are limited per workspace.
PACED_METHODS = frozenset({"chat.postMessage"})  # about one per second per conversation
# Methods Slack limits per workspace by its rate tiers: all their rows share one lane, spaced to stay under it.
TIER_LANES = {"chat.update": ("tier3:chat.update", timedelta(seconds=1.2))}  # Tier 3: about 50 a minute
_LANE_SPACING = dict(TIER_LANES.values())


def pacing_channel(method: str, payload: dict[str, Any]) -> str | None:
    """The lane a row is paced on: its conversation (a user ID for a DM) for posts, the method's own lane for a
    method Slack limits per workspace, or None when the method is not paced."""
    if method in TIER_LANES:
        return TIER_LANES[method][0]
    channel = payload.get("channel")
    return str(channel)[:80] if method in PACED_METHODS and channel else None


def lane_spacing(lane: str | None, default: timedelta) -> timedelta:
    """How long a lane waits between two sends."""
    return _LANE_SPACING.get(lane or "", default)


class OutboxChannel(Base):
    """When the dispatcher may next post to a channel: one second after the last post, Retry-After after a
    429, or the end of the lease while a post to it is in flight (so a second replica does not post too)."""

    __tablename__ = "outbox_channels"

    channel: Mapped[str] = mapped_column(String(80), primary_key=True)
    not_before: Mapped[datetime]


class ClaimedMessage(NamedTuple):
    """A row claimed for sending, as it is once claimed (its attempt counted, held until `claimed_until`)."""

    id: int
    key: str
    method: str
    payload: dict[str, Any]
    channel: str | None
    due_at: datetime
    expire_at: datetime | None
    attempts: int
    render: str | None
    subject: str | None
    claimed_until: datetime
    channel_free_at: datetime | None  # when its channel was free to post to again, as read before the claim reserved it


_OUTBOX: Any = OutboxMessage.__table__
_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("row_id"))
    .values(
        status="sent",
        claimed_until=None,
        sent_at=bindparam("sent_at"),
        late=bindparam("late"),
        response_channel=bindparam("response_channel"),
        response_ts=bindparam("response_ts"),
    )
)
COPY_FROM_ROWS = 200  # PostgreSQL: a batch of new rows this large is copied in (OutboxRepository._copy_if_absent)
_SET_NOT_BEFORE: dict[str, Any] = {}  # by database: the upsert of a channel's next free moment


def _bind_processing(dialect: Any, columns: Sequence[str]) -> Callable[[dict[str, Any]], list[Any]]:
    """A row's values in `columns` order, each as its column's type binds it on this database."""
    processors = [(name, _OUTBOX.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in columns]

    def as_bound(row: dict[str, Any]) -> list[Any]:
        return [row[name] if process is None else process(row[name]) for name, process in processors]

    return as_bound


def _without_values(statement: str, error: Any, driver_error: type[Exception]) -> DBAPIError:
    """psycopg's error raised as SQLAlchemy raises it (an outage still reads as one: bot.server), with its first
    line only: for COPY, PostgreSQL adds a CONTEXT line quoting the row's value, people's text which the
    engine's `hide_parameters` keeps out of every other error."""
    quiet = type(error)(error.diag.message_primary or type(error).__name__)
    return DBAPIError.instance(statement, None, quiet, driver_error, hide_parameters=True)


def _claim_statement() -> Any:
    """The rows `claim_due` takes, from bind parameters `now`, `pace_now` and `limit` (see there)."""
    out, lanes = _OUTBOX.c, OutboxChannel.__table__.c
    now, pace_now = bindparam("now", type_=UTCDateTime()), bindparam("pace_now", type_=UTCDateTime())
    paced = exists().where(lanes.channel == out.channel, lanes.not_before > pace_now)
    claimable = and_(
        out.next_attempt_at <= now,
        or_(out.status == "pending", (out.status == "sending") & (out.claimed_until < now)),
        or_(out.channel.is_(None), ~paced),
    )
    place = func.row_number().over(partition_by=out.channel, order_by=(out.due_at, out.id)).label("place")
    first_per_channel = select(out.id, out.channel, out.next_attempt_at, place).where(claimable).subquery()
    chosen = (
        select(first_per_channel.c.id)
        .where(or_(first_per_channel.c.channel.is_(None), first_per_channel.c.place == 1))
        .order_by(first_per_channel.c.next_attempt_at, first_per_channel.c.id)
        .limit(bindparam("limit", type_=Integer()))
    )
    stored = [out[name] for name in ("id", "key", "method", "payload", "channel", "due_at", "expire_at", "attempts")]
    free_at = select(lanes.not_before).where(lanes.channel == out.channel).scalar_subquery()
    return (
        select(*stored, out.render, out.subject, free_at.label("channel_free_at"))
        .where(out.id.in_(chosen), claimable)
        .order_by(out.next_attempt_at, out.id)
        .with_for_update(skip_locked=True)
    )


_CLAIM = _claim_statement()
_MARK_SENDING = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(status="sending", claimed_until=bindparam("lease_until"), attempts=_OUTBOX.c.attempts + 1)
)


def outbox_row(
    *,
    key: str,
    method: str,
    payload: dict[str, Any],
    due_at: datetime,
    expire_at: datetime | None,
    now: datetime,
    render: str | None = None,
    subject: str | None = None,
    replaces: str | None = None,
) -> dict[str, Any]:
    """A new pending row's columns."""
    return {
        "render": render,
        "subject": subject,
        "replaces": replaces,
        "key": key,
        "method": method,
        "payload": payload,
        "channel": pacing_channel(method, payload),
        "status": "pending",
        "due_at": due_at,
        "expire_at": expire_at,
        "next_attempt_at": due_at,
        "attempts": 0,
        "created_at": now,
        "late": False,
    }


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_if_absent(self, **columns: Any) -> bool:
        """Insert the row (outbox_row's columns) unless one with this key exists; True when it was inserted."""
        return self.session.execute(self._insert_if_absent(), outbox_row(**columns)).first() is not None

    def supersede(self, replaces: str, *, by_key: str) -> int:
        """Rows updating the same message that still wait are skipped for the newer one (`by_key`): a burst of
        changes to one card costs one call, and that call renders the state at the moment it is sent."""
        statement = (
            update(OutboxMessage)
            .where(OutboxMessage.replaces == replaces, OutboxMessage.status == "pending", OutboxMessage.key != by_key)
            .values(status="skipped", last_error=f"replaced by a newer update ({by_key[:120]})", claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        return int(cast("CursorResult[Any]", self.session.execute(statement)).rowcount or 0)

    def add_many_if_absent(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert each row (made by `outbox_row`) unless its key exists: how many were new.
        For planners that write thousands of reminders at once. ON CONFLICT skips the rows already there; SQLite
        counts the new ones (one executemany's summed rowcount), so nothing reads the keys first. On PostgreSQL a
        large batch is copied in (`_copy_if_absent`); psycopg reports no rowcount for an executemany, so a small
        one has its keys read first (a RETURNING on the insert cost more: SQLAlchemy then builds multi-row
        VALUES statements)."""
        fresh = list({row["key"]: row for row in rows}.values())
        counted_by_sqlite = dialect_of(self.session) == "sqlite"
        if len(fresh) >= COPY_FROM_ROWS and not counted_by_sqlite:
            return self._copy_if_absent(fresh)
        if fresh and not counted_by_sqlite:
            existing = self.existing_keys([row["key"] for row in fresh])
            fresh = [row for row in fresh if row["key"] not in existing]
        if not fresh:
            return 0
        result = self.session.execute(self._insert_if_absent(returning=False), fresh)
        return int(cast("CursorResult[Any]", result).rowcount) if counted_by_sqlite else len(fresh)

    def _copy_if_absent(self, rows: Sequence[dict[str, Any]]) -> int:
        """PostgreSQL: COPY the rows into a temporary table, then one INSERT … SELECT … ON CONFLICT DO NOTHING,
        whose row count is how many were new. For 20,000 reminders this is a fifth of the executemany's time
        (psycopg's pipeline still sends one INSERT per row) and needs no read of the keys first. Each value goes
        through its column's own bind processing (payload JSON, aware UTC datetimes), as SQLAlchemy's INSERT
        would, before anything is sent: a value that cannot be bound raises StatementError, as there, and leaves
        the transaction usable. The table lives for this call only (dropped here, and by PostgreSQL if the
        transaction ends). Needs the TEMPORARY privilege on the database (PUBLIC has it unless revoked)."""
        import psycopg  # here only: this runs on PostgreSQL alone

        connection = self.session.connection()
        columns = list(rows[0])
        names = ", ".join(f'"{name}"' for name in columns)
        statement = f"COPY outbox_incoming ({names}) FROM STDIN"
        as_bound = _bind_processing(connection.dialect, columns)
        try:
            bound = [as_bound(row) for row in rows]
        except (KeyError, TypeError, ValueError) as error:
            raise StatementError(f"({type(error).__name__}) {error}", statement, None, error) from None
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE outbox_incoming ON COMMIT DROP AS SELECT {names} FROM outbox WITH NO DATA"
        )
        try:
            with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
                for values in bound:
                    copy.write_row(values)
        except psycopg.Error as error:
            raise _without_values(statement, error, psycopg.Error) from None
        inserted = connection.exec_driver_sql(
            f"INSERT INTO outbox ({names}) SELECT {names} FROM outbox_incoming ON CONFLICT (key) DO NOTHING"
        )
        connection.exec_driver_sql("DROP TABLE outbox_incoming")
        return int(inserted.rowcount)

    def _insert_if_absent(self, *, returning: bool = True) -> Any:
        """Built from bind parameters only, so SQLAlchemy compiles it once and reuses it for every row."""
        statement = self._insert(OutboxMessage.__table__).on_conflict_do_nothing(index_elements=["key"])
        return statement.returning(OutboxMessage.id) if returning else statement

    def get(self, key: str) -> OutboxMessage | None:
        return self.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))

    def existing_keys(self, keys: Collection[str]) -> set[str]:
        """Which of these keys have a row (served by the unique index, unlike a prefix LIKE)."""
        found = set[str]()
        for chunk in in_chunks(keys):
            statement = select(OutboxMessage.key).where(is_one_of(self.session, OutboxMessage.key, chunk))
            found.update(self.session.scalars(statement))
        return found

    def claim_due(
        self, *, now: datetime, lease_until: datetime, limit: int, pace_now: datetime | None = None
    ) -> list[ClaimedMessage]:
        """Due rows, plus rows whose sender's lease ran out (it died mid-send); locked so replicas skip them.

        At most one row per paced channel (its earliest by due time, so a retried row keeps its place), and none
        for a channel whose `not_before` is after `pace_now`; each claimed row's channel is then reserved until
        `lease_until`, so no replica posts to it meanwhile. Two statements built once (the dispatcher claims
        before every few sends): the rows as plain tuples, and one UPDATE marking them all as being sent.
        """
        moments = {"now": now, "pace_now": pace_now or now, "limit": limit}
        rows = self.session.execute(_CLAIM, moments).all()
        if not rows:
            return []
        self.session.execute(_MARK_SENDING, {"ids": [row.id for row in rows], "lease_until": lease_until})
        self._set_not_before({row.channel for row in rows if row.channel is not None}, lease_until)
        claimed = [{**row._asdict(), "attempts": row.attempts + 1, "claimed_until": lease_until} for row in rows]
        return [ClaimedMessage(**columns) for columns in claimed]  # as the UPDATE left them

    def next_free_channel_at(self, *, now: datetime, pace_now: datetime) -> datetime | None:
        """The earliest moment a channel with a due row stops being paced, if any is paced now."""
        waiting = and_(
            OutboxMessage.channel == OutboxChannel.channel,
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at <= now,
        )
        return self.session.scalar(
            select(func.min(OutboxChannel.not_before)).where(
                OutboxChannel.not_before > pace_now, exists().where(waiting)
            )
        )

    def pace(self, channel: str | None, *, not_before: datetime) -> None:
        """The next post to `channel` waits until `not_before` (called after every attempt on a paced row)."""
        if channel is not None:
            self._set_not_before({channel}, not_before)

    def mark_sent(self, row_id: int, *, now: datetime, late: bool, channel: str | None, ts: str | None) -> None:
        """One UPDATE by id, built once (no SELECT, no unit-of-work flush): it is half of what a send writes."""
        self.session.connection().execute(
            _MARK_SENT,
            {"row_id": row_id, "sent_at": now, "late": late, "response_channel": channel, "response_ts": ts},
        )

    def mark_retry(self, row_id: int, *, at: datetime, error: str) -> None:
        row = self.session.get_one(OutboxMessage, row_id)
        row.status, row.next_attempt_at, row.last_error, row.claimed_until = "pending", at, error, None

    def renew_claim(self, row_id: int, *, held_until: datetime, lease_until: datetime) -> bool:
        """Extend a claim its sender still holds (the lease it was given is unchanged); False when the lease ran
        out and another sender has claimed the row since."""
        statement = (
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row_id,
                OutboxMessage.status == "sending",
                OutboxMessage.claimed_until == held_until,
            )
            .values(claimed_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        return bool(cast("CursorResult[Any]", self.session.execute(statement)).rowcount)  # an UPDATE's result

    def withdraw(self, keys: Collection[str], *, reason: str) -> set[str]:
        """Rows with these keys that are still waiting to be sent are recorded as skipped, with the reason (a
        message that is no longer true, or that a newer one replaces); the keys of the rows withdrawn."""
        withdrawn = set[str]()
        for chunk in in_chunks(keys):
            statement = (
                update(OutboxMessage)
                .where(OutboxMessage.key.in_(chunk), OutboxMessage.status == "pending")
                .values(status="skipped", last_error=reason, claimed_until=None)
                .returning(OutboxMessage.key)
            )
            withdrawn.update(self.session.scalars(statement))
        return withdrawn

    def mark_final(self, row_id: int, *, status: str, error: str) -> None:
        row = self.session.get_one(OutboxMessage, row_id)
        row.status, row.last_error, row.claimed_until = status, error, None

    def count_by_status(self) -> dict[str, int]:
        """How many rows are in each state (pending, sending, sent, failed, skipped), for the metrics."""
        statement = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return {status: int(count) for status, count in self.session.execute(statement)}

    def by_status(self, status: str) -> Sequence[OutboxMessage]:
        return self.session.scalars(select(OutboxMessage).where(OutboxMessage.status == status)).all()

    def _set_not_before(self, channels: set[str], not_before: datetime) -> None:
        """An upsert per channel, built once per database: the other half of what a send writes."""
        if not channels:
            return
        dialect = self.session.get_bind().dialect.name
        if dialect not in _SET_NOT_BEFORE:
            table: Any = OutboxChannel.__table__
            statement = self._insert(table)
            _SET_NOT_BEFORE[dialect] = statement.on_conflict_do_update(
                index_elements=["channel"], set_={"not_before": statement.excluded.not_before}
            )
        rows = [{"channel": channel, "not_before": not_before} for channel in channels]
        self.session.connection().execute(_SET_NOT_BEFORE[dialect], rows)

    def _insert(self, table: Any) -> Any:
        return insert_for(self.session, table)

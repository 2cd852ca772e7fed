"""Typed SQLAlchemy models: the whole schema, one DeclarativeBase."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    CursorResult,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    any_,
    bindparam,
    inspect,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Mapped, QueryableAttribute, Session, mapped_column, relationship

T = TypeVar("T")
M = TypeVar("M", bound="Base")
V = TypeVar("V")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so it is restored on load)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Any) -> Any:
        """On SQLite, straight to the text SQLAlchemy's DATETIME stores ("YYYY-MM-DD HH:MM:SS.ffffff", UTC), in
        one step: planners write tens of thousands of rows with four datetimes each, and the generic two-step path
        (this type, then SQLite's DATETIME formatting) was a fifth of their time."""
        if dialect.name == "sqlite":
            return _sqlite_text
        return super().bind_processor(dialect)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
    return _utc_text(value)


@lru_cache(maxsize=4096)
def _utc_text(value: datetime) -> str:
    """Remembered: a planner's batch repeats a few moments (now, each session's due and expiry) on every row.
    Aware datetimes are equal exactly when they are the same moment, whatever their zones, as the text is."""
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return text if value.microsecond else f"{text}.000000"


VALUES_PER_QUERY = 500  # an IN list this long stays well under SQLite's and PostgreSQL's bound-parameter limits


def in_chunks(values: Iterable[T]) -> Iterator[list[T]]:
    """`values` in lists short enough for one IN (...) each."""
    ordered = list(values)
    for start in range(0, len(ordered), VALUES_PER_QUERY):
        yield ordered[start : start + VALUES_PER_QUERY]


def dialect_of(session: Session) -> str:
    """The database behind the session ("postgresql" or "sqlite"), for the few statements written per database."""
    return session.get_bind().dialect.name


def insert_for(session: Session, table: Any) -> Any:
    """An INSERT with this database's ON CONFLICT clauses (PostgreSQL's or SQLite's)."""
    return (pg_insert if dialect_of(session) == "postgresql" else sqlite_insert)(table)


def is_one_of(
    session: Session, column: ColumnElement[T] | QueryableAttribute[T], values: Sequence[T]
) -> ColumnElement[bool]:
    """`column IN values`. On PostgreSQL, `column = ANY(array)` with the values as one array parameter: psycopg
    parses a statement's text in Python, and an IN list of a few hundred parameters made that the larger part of a
    planner's lookups."""
    expression: ColumnElement[T] = column.expression if isinstance(column, QueryableAttribute) else column
    if dialect_of(session) == "postgresql":
        return expression == any_(bindparam(None, list(values), type_=ARRAY(expression.type)))
    return expression.in_(values)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def view_of(view: type[V], row: Any, **computed: Any) -> V:
    """The plain view of a row: each of the view's fields read from the row's attribute of the same name, but for
    those the caller computes. Views stay plain values that know nothing of the ORM."""
    names = _FIELD_NAMES.get(view) or _FIELD_NAMES.setdefault(view, tuple(f.name for f in dataclasses.fields(view)))  # type: ignore[arg-type]
    return view(**{name: computed[name] if name in computed else getattr(row, name) for name in names})


def add_flushed(session: Session, row: T) -> T:
    """Add `row` and flush it, so that its id and column defaults are set; returns it."""
    session.add(row)
    session.flush()
    return row


def update_rows(session: Session, model: type[Base], *where: ColumnElement[bool], **values: Any) -> int:
    """UPDATE `model` SET `values` WHERE `where`, in the database only: objects already loaded keep what they
    hold (read them with populate_existing to see the change). How many rows matched."""
    statement = update(model).where(*where).values(**values).execution_options(synchronize_session=False)
    return cast("CursorResult[Any]", session.execute(statement)).rowcount


def lock_rows(session: Session, model: type[Base], *where: ColumnElement[bool], keep: QueryableAttribute[Any]) -> None:
    """Hold the rows `where` selects until commit, with a no-op write (`keep` set to itself): their row locks on
    PostgreSQL, the database's write lock on SQLite, which ignores FOR UPDATE and reads outside a transaction."""
    update_rows(session, model, *where, **{keep.key: keep})


def get_row(session: Session, model: type[M], row_id: int, *, lock: bool, keep: QueryableAttribute[Any]) -> M | None:
    """The row with this primary key; with `lock`, held until commit. SQLite ignores FOR UPDATE and reads outside
    a transaction, so a no-op write comes first (lock_rows, `keep` set to itself): it takes the database's write
    lock (PostgreSQL: the row's lock) before the row is read."""
    if lock:
        lock_rows(session, model, inspect(model).primary_key[0] == row_id, keep=keep)
    return session.get(model, row_id, with_for_update=lock)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Created:
    """Who made the row, and when: everything a person creates names them (a mixin for the tables that hold it)."""

    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class Term(Created, Base):
    __tablename__ = "terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(120), unique=True)
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    aliases: Mapped[list[TermAlias]] = relationship(
        back_populates="term", cascade="all, delete-orphan", order_by="TermAlias.id"
    )
    senses: Mapped[list[Sense]] = relationship(
        back_populates="term", cascade="all, delete-orphan", order_by="Sense.position"
    )


class TermAlias(Base):
    __tablename__ = "term_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "alias" or "acronym"

    term: Mapped[Term] = relationship(back_populates="aliases")


class Sense(Base):
    __tablename__ = "senses"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    side: Mapped[str] = mapped_column(String(16))  # "marketing", "it" or "both"
    definition: Mapped[str] = mapped_column(Text)
    example: Mapped[str] = mapped_column(Text, default="")
    why_it_matters: Mapped[str] = mapped_column(Text, default="")

    term: Mapped[Term] = relationship(back_populates="senses")


class TermRevision(Base):
    """Every change to a term: who, when, and the entry as it was before (None for a creation)."""

    __tablename__ = "term_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int | None] = mapped_column(ForeignKey("terms.id", ondelete="SET NULL"), index=True)
    term_name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(16))  # "create", "edit", "delete", "import"
    changed_by: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime]
    previous: Mapped[dict[str, Any] | None]


class JargonLookup(Base):
    __tablename__ = "jargon_lookups"

    id: Mapped[int] = mapped_column(primary_key=True)
    query_key: Mapped[str] = mapped_column(String(200), index=True)
    query_text: Mapped[str] = mapped_column(String(200))
    term_id: Mapped[int | None] = mapped_column(ForeignKey("terms.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    looked_up_at: Mapped[datetime]


class ForgetRequest(Base):
    """A person being forgotten (`python -m bot user forget`): while the row exists, every running bot drops that
    person's lookups from its in-memory buffer (bot/glossary_lookups.py) instead of writing them."""

    __tablename__ = "forget_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    requested_at: Mapped[datetime]


class DefinitionRequest(Base):
    """One open request per unknown term; everyone who asked for it follows it."""

    __tablename__ = "definition_requests"
    __table_args__ = (
        # At most one open request per term, even when two people click at once.
        Index(
            "uq_definition_requests_open_key",
            "key",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    term_text: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    side: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)  # "open" or "defined"
    requested_by: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime]
    defined_by: Mapped[str | None] = mapped_column(String(32))
    defined_at: Mapped[datetime | None]
    term_id: Mapped[int | None] = mapped_column(ForeignKey("terms.id", ondelete="SET NULL"))

    followers: Mapped[list[RequestFollower]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestFollower.id"
    )


class RequestFollower(Base):
    __tablename__ = "request_followers"
    __table_args__ = (UniqueConstraint("request_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("definition_requests.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    followed_at: Mapped[datetime]

    request: Mapped[DefinitionRequest] = relationship(back_populates="followers")


class OutboxMessage(Base):
    """A Web API call the bot makes on its own, written before it is sent (see bot/notify.py)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_channel", "channel", "status"),
        Index("ix_outbox_replaces", "replaces", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    method: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    channel: Mapped[str | None] = mapped_column(String(80))  # paced per channel; None: not paced (storage/outbox.py)
    status: Mapped[str] = mapped_column(String(16))  # pending, sending, sent, failed, skipped
    due_at: Mapped[datetime]
    expire_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    late: Mapped[bool] = mapped_column(default=False)
    response_channel: Mapped[str | None] = mapped_column(String(32))
    response_ts: Mapped[str | None] = mapped_column(String(32))
    # Rendered when sent: the renderer's name and what it renders (an object's id); the payload holds the rest.
    render: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(64))
    # The message this row updates ("channel:ts"): a newer row for it replaces this one while it waits.
    replaces: Mapped[str | None] = mapped_column(String(120))

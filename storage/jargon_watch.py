"""Jargon watch: the channels where it was turned on (and by whom), and which term was explained where, when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base, insert_for, update_rows


class WatchedChannel(Base):
    """A channel where someone turned the watch on; turning it off keeps the row (who, when), not watching."""

    __tablename__ = "jargon_watched_channels"

    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    watching: Mapped[bool]
    changed_by: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime]


class TermExplained(Base):
    """The last time a term was explained in a channel, and in reply to which message."""

    __tablename__ = "jargon_watch_explained"

    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    term_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    explained_at: Mapped[datetime]
    message_ts: Mapped[str] = mapped_column(String(32))


class JargonWatchRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def is_watched(self, channel_id: str) -> bool:
        row = self.session.get(WatchedChannel, channel_id)
        return row is not None and row.watching

    def set_watching(self, channel_id: str, watching: bool, *, by: str, at: datetime) -> bool:
        """Turn the watch on or off in a channel; False when it already was (nothing is written then)."""
        row = self.session.get(WatchedChannel, channel_id, with_for_update=True)
        if row is None:
            if not watching:
                return False
            self.session.add(WatchedChannel(channel_id=channel_id, watching=True, changed_by=by, changed_at=at))
            self.session.flush()
            return True
        if row.watching == watching:
            return False
        row.watching, row.changed_by, row.changed_at = watching, by, at
        return True

    def watched_channels(self) -> list[str]:
        query = select(WatchedChannel.channel_id).where(WatchedChannel.watching.is_(True))
        return list(self.session.scalars(query.order_by(WatchedChannel.channel_id)))

    def claim(self, channel_id: str, term_id: int, *, at: datetime, not_since: datetime, message_ts: str) -> bool:
        """Take the right to explain the term in the channel now, unless it was explained there after
        `not_since`. One statement each way, so two messages at once cannot both win (the row or its insert is
        what they race for)."""
        renewed = update_rows(
            self.session,
            TermExplained,
            TermExplained.channel_id == channel_id,
            TermExplained.term_id == term_id,
            TermExplained.explained_at <= not_since,
            explained_at=at,
            message_ts=message_ts,
        )
        if renewed:
            return True
        statement = (
            insert_for(self.session, TermExplained.__table__)
            .values(channel_id=channel_id, term_id=term_id, explained_at=at, message_ts=message_ts)
            .on_conflict_do_nothing(index_elements=["channel_id", "term_id"])
            .returning(TermExplained.term_id)  # an insert's rowcount is not told on PostgreSQL (-1): its row is
        )
        return self.session.execute(statement).first() is not None

    def explained(self, channel_id: str) -> dict[int, datetime]:
        """Term id → when it was last explained in the channel."""
        query = select(TermExplained.term_id, TermExplained.explained_at).where(TermExplained.channel_id == channel_id)
        return {term_id: at for term_id, at in self.session.execute(query)}

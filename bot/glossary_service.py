"""Glossary use cases: lookups, edits with history, definition requests routed to the side that knows."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.glossary import (
    GlossaryIndex,
    Miss,
    Page,
    TermDraft,
    TermEntry,
    TermsInText,
    check_draft,
    page_of,
    same_content,
    term_key,
)
from bot.glossary_csv import GlossaryCsvError, read_glossary_csv, write_glossary_csv
from bot.glossary_lookups import LookupBuffer
from bot.glossary_views import AnswerableRequests, RequestView, RevisionView
from bot.kit import Transactions, UnitOfWork, outbox_key
from bot.notify import Outgoing
from bot.outcomes import DraftRejected, NoChannelConfigured, NotAllowed
from storage.glossary import GlossaryRepository, NewTerm

log = logging.getLogger(__name__)

STARTER_GLOSSARY = Path(__file__).parent / "data" / "starter_glossary.csv"
STARTER_AUTHOR = "bridgebot"


class JargonMessages(Protocol):
    """What the bot says on its own about the glossary; rendered at the Slack edge, sent via the outbox."""

    def request_post(self, request: RequestView) -> dict[str, Any]: ...

    def request_closed(
        self, request: RequestView, entry: TermEntry, by: str, channel: str, ts: str
    ) -> dict[str, Any]: ...

    def definition_ready(self, user_id: str, request: RequestView, entry: TermEntry, by: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RequestOutcome:
    """A request for a definition as filed: `created` when this asked it first, `already_following` when the
    asker followed it before."""

    request: RequestView
    created: bool
    already_following: bool


@dataclass(frozen=True)
class SaveOutcome:
    entry: TermEntry
    fulfilled: tuple[RequestView, ...]
    unchanged: bool = False  # the draft said what the entry already says: nothing was written


@dataclass(frozen=True)
class GlossaryStats:
    terms: int
    hits: int
    misses: int
    most_looked_up: list[tuple[str, int]]
    top_misses: list[tuple[str, int]]
    open_requests: list[RequestView]
    open_request_count: int


class GlossaryService(Transactions):
    """Not a FeatureService: it is given the channels and admins it needs rather than the settings."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        messages: JargonMessages,
        *,
        channels: dict[str, str | None],
        admins: frozenset[str],
        wake_outbox: Callable[[], None] = lambda: None,
        refresh_seconds: float = 2.0,
        lookups: LookupBuffer | None = None,
    ) -> None:
        super().__init__(sessions, clock, wake_outbox)
        self.messages = messages
        self.channels = channels
        self.admins = admins
        self.refresh_seconds = refresh_seconds
        self._index: GlossaryIndex | None = None
        self._fingerprint: tuple[int, int, int] | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        # Lookups are written in batches; the buffer's flusher thread is started by `python -m bot`.
        self.lookups = lookups or LookupBuffer(sessions, clock)

    # --- reading -----------------------------------------------------------------------------------------

    def index(self) -> GlossaryIndex:
        """The in-memory index, re-read when another process (or replica) changed the glossary."""
        if self._index is not None and time.monotonic() - self._checked_at < self.refresh_seconds:
            return self._index
        with self._lock:
            with self.reading() as work:
                repository = work.repo(GlossaryRepository)
                fingerprint = repository.fingerprint()
                if self._index is None or fingerprint != self._fingerprint:
                    self._index = GlossaryIndex.build(repository.all_entries())
                    self._fingerprint = fingerprint
            self._checked_at = time.monotonic()
            return self._index

    def _invalidate(self) -> None:
        self._checked_at = 0.0
        self._fingerprint = None

    def lookup(self, query: str) -> TermEntry | Miss:
        index = self.index()
        return index.find(query) or index.miss(query)

    def entry(self, term_id: int) -> TermEntry | None:
        return self.index().entries.get(term_id)

    def search(self, words: str) -> list[TermEntry]:
        return self.index().search(words)

    def terms_in(self, text: str) -> TermsInText:
        """The glossary terms a text (a message, say) names, and its acronyms the glossary lacks."""
        return self.index().terms_in(text)

    def listing(self, side: str | None, page: int, size: int) -> Page:
        return page_of(self.index().listing(side), page, size)

    def recent(self, count: int) -> list[TermEntry]:
        return self.index().recent(count)

    def random_entry(self) -> TermEntry | None:
        return self.index().pick_random()

    def record_lookup(self, query: str, term_id: int | None, user_id: str) -> None:
        """Buffered in memory, written with others within a second (bot/glossary_lookups.py)."""
        self.lookups.record(query, term_id, user_id)

    def history(self, term_id: int) -> list[RevisionView]:
        with self.reading() as work:
            return work.repo(GlossaryRepository).history(term_id)

    def stats(self) -> GlossaryStats:
        """This process's buffered lookups included; another replica's within its flush interval."""
        self.lookups.flush()
        with self.reading() as work:
            repository = work.repo(GlossaryRepository)
            hits, misses = repository.lookup_totals()
            return GlossaryStats(
                terms=repository.count(),
                hits=hits,
                misses=misses,
                most_looked_up=repository.most_looked_up(5),
                top_misses=repository.top_misses(5),
                open_requests=repository.open_requests(5),
                open_request_count=repository.count_open_requests(),
            )

    def requests_to_answer(self, user_id: str, limit: int = 5) -> AnswerableRequests:
        """The most recent open requests `user_id` could answer: which side knows a term nobody has defined is
        hard to tell, so every open request they neither asked nor follow, newest first."""
        with self.reading() as work:
            repository = work.repo(GlossaryRepository)
            return AnswerableRequests(
                requests=tuple(repository.open_requests(limit, newest_first=True, not_asked_by=user_id)),
                count=repository.count_open_requests(not_asked_by=user_id),
            )

    def get_request(self, request_id: int) -> RequestView | None:
        with self.reading() as work:
            return work.repo(GlossaryRepository).get_request(request_id)

    # --- writing -----------------------------------------------------------------------------------------

    def create(self, draft: TermDraft, *, by: str) -> SaveOutcome:
        return self._save(draft, by=by, term_id=None)

    def update(self, term_id: int, draft: TermDraft, *, by: str, seen_version: int | None) -> SaveOutcome:
        current = self._fresh_entry(term_id)
        if current is None:
            raise DraftRejected({"name": "This term was deleted while you were editing it."})
        if seen_version is not None and current.version != seen_version:
            raise DraftRejected(
                {"name": "Someone changed this entry after you opened it. Close this and reopen it to see theirs."}
            )
        if same_content(current, draft):
            return SaveOutcome(current, (), unchanged=True)
        return self._save(draft, by=by, term_id=term_id)

    def _fresh_entry(self, term_id: int) -> TermEntry | None:
        with self.reading() as work:
            return work.repo(GlossaryRepository).entry(term_id)

    def _save(self, draft: TermDraft, *, by: str, term_id: int | None) -> SaveOutcome:
        taken = self.index().owners_of(draft.keys(), excluding=term_id)
        errors = check_draft(draft, taken)
        if errors:
            raise DraftRejected(errors)
        now = self.clock()
        try:
            with self.work(now) as work:
                repository = work.repo(GlossaryRepository)
                if term_id is None:
                    entry = repository.add(draft, by=by, at=now)
                else:
                    entry = repository.replace(term_id, draft, by=by, at=now)
                fulfilled = repository.close_requests(draft.keys(), term_id=entry.id, by=by, at=now)
                self._tell_requesters(work, fulfilled, entry, by)
        except IntegrityError as error:
            log.info("term save lost a race: %s", type(error.orig).__name__)  # the message quotes the text
            self._invalidate()
            raise DraftRejected({"name": "Someone just added a term with this name or alias. Try another."}) from None
        self._invalidate()
        return SaveOutcome(entry, tuple(fulfilled))

    def _tell_requesters(self, work: UnitOfWork, fulfilled: list[RequestView], entry: TermEntry, by: str) -> None:
        for request in fulfilled:
            for user_id in request.followers:
                payload = self.messages.definition_ready(user_id, request, entry, by)
                work.send(Outgoing(request_key(request.id, "defined", user_id), payload))
            posted = work.posted(request_key(request.id, "post"))
            if posted is not None:
                payload = self.messages.request_closed(request, entry, by, *posted)
                work.send(Outgoing.edit(request_key(request.id, "closed"), payload))

    def delete(self, term_id: int, *, by: str) -> TermEntry | None:
        if by not in self.admins:
            raise NotAllowed()
        with self.work() as work:
            removed = work.repo(GlossaryRepository).remove(term_id, by=by, at=work.now)
        self._invalidate()
        return removed

    def request_definition(self, term_text: str, *, by: str) -> RequestOutcome:
        term_text = term_text.strip()
        side = self.index().miss(term_text).likely_side()
        channel = self.channels.get(side) or self.channels.get("joint")
        if channel is None:
            channel = next((c for c in self.channels.values() if c), None)
        if channel is None:
            raise NoChannelConfigured()
        try:
            return self._ask_or_follow(term_text, side, channel, by)
        except IntegrityError:  # someone asked for the same term at the same moment: follow theirs
            return self._ask_or_follow(term_text, side, channel, by)

    def _ask_or_follow(self, term_text: str, side: str, channel: str, by: str) -> RequestOutcome:
        with self.work() as work:
            repository = work.repo(GlossaryRepository)
            existing = repository.open_request(term_key(term_text))
            if existing is not None:
                followed = repository.follow(existing, by, work.now)
                return RequestOutcome(repository.get_request(existing.id), False, not followed)  # type: ignore[arg-type]
            request = repository.create_request(term_text=term_text, side=side, channel_id=channel, by=by, at=work.now)
            view = repository.get_request(request.id)
            assert view is not None
            work.send(Outgoing(request_key(view.id, "post"), self.messages.request_post(view)))
        return RequestOutcome(view, True, False)

    # --- CSV and the starter glossary ----------------------------------------------------------------------

    def export_csv(self) -> str:
        with self.reading() as work:
            entries = work.repo(GlossaryRepository).all_entries()
        return write_glossary_csv(sorted(entries, key=lambda e: e.name.casefold()))

    def import_csv(self, text: str, *, by: str) -> tuple[int, int]:
        """Add new terms and replace existing ones that differ, all or nothing; (added, replaced). A row that
        says what its entry already says writes nothing (re-importing an unchanged export changes nothing)."""
        rows = read_glossary_csv(text)
        index = self.index()
        for row in rows:
            taken = index.owners_of(row.draft.keys(), excluding=index.term_id_named(row.name))
            if taken:
                key, owner = next(iter(taken.items()))
                clash = next(t for t in (row.name, *row.aliases, *row.acronyms) if term_key(t) == key)
                raise GlossaryCsvError(row.line, f"“{clash}” already belongs to “{owner}” in the glossary")
        now = self.clock()
        with self.work(now) as work:
            repository = work.repo(GlossaryRepository)
            existing = repository.ids_by_key()
            new_terms: list[NewTerm] = []
            replaced = 0
            term_ids: dict[str, int] = {}  # every key of the file, to the term it now belongs to
            for row in rows:
                term_id = existing.get(term_key(row.draft.name))
                if term_id is None:
                    new_terms.append(NewTerm(row.draft, row.added_by or by, row.added_at or now))
                else:
                    term_ids.update(dict.fromkeys(row.draft.keys(), term_id))
                    current = repository.entry(term_id)
                    if current is not None and same_content(current, row.draft):
                        continue
                    repository.replace(term_id, row.draft, by=by, at=now, action="import")
                    replaced += 1
            added_ids = repository.add_many(new_terms, action="import")  # in bulk: the starter glossary is all new
            for new in new_terms:
                term_ids.update(dict.fromkeys(new.draft.keys(), added_ids[term_key(new.draft.name)]))
            repository.close_requests_for(term_ids, by=by, at=now)
        self._invalidate()
        return len(new_terms), replaced

    def load_starter_glossary_if_empty(self) -> int:
        with self.reading() as work:
            if work.repo(GlossaryRepository).count():
                return 0
        added, _ = self.import_csv(STARTER_GLOSSARY.read_text(encoding="utf-8"), by=STARTER_AUTHOR)
        log.info("loaded the starter glossary: %s terms", added)
        return added


def request_key(request_id: int, *parts: object) -> str:
    """`jargon:request:<request id>:<part>…`, the key of a message about a definition request."""
    return outbox_key("jargon", "request", request_id, *parts)

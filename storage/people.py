"""One person's rows in every table: what `user export` shows and `user forget` removes or anonymises.

The policy map below is the one place that decides, column by column, what happens to a person's id:

- DELETE_ROW  the row is theirs alone (a lookup, a sign-up, a vote, a DM to them): it goes.
- ANONYMISE   the row is needed by others (a term they defined, an intake they filed): the id becomes
              FORMER_MEMBER, which the edge shows as plain words (handlers.blocks.user escapes a non-id).
- SCRUB_TEXT  free text someone typed, which may mention them (`<@U…>`): the id is replaced in it.
- SCRUB_JSON  a JSON value: their id is dropped from lists and replaced inside strings.
- KEEP        cannot hold a user id (a state, a side, a conversation id, a key derived from text).

Every table must appear in POLICY, and every column that could hold a user id (text of 9 characters or
more, free text, JSON) must have an entry: `missing_policies` names the ones that do not, and a test fails
on them, so a table added later cannot slip past.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import Enum
from typing import Any

from sqlalchemy import JSON, ColumnElement, MetaData, String, Table, Text, cast, delete, false, or_, select, update
from sqlalchemy.orm import Session

import storage.digest
import storage.home
import storage.jargon_watch
import storage.liaison_models
import storage.lunchlearn
import storage.newproject
import storage.outbox
import storage.sending
import storage.sitdown_models
import storage.vendor_models
from storage.models import Base, Term

FORMER_MEMBER = "a former member"
SHORTEST_USER_ID = 9  # "U" + 8: a text column narrower than this cannot hold a Slack user id

# Every model module is imported above, so Base.metadata holds the whole schema.
SCHEMA_MODULES = [
    storage.digest,
    storage.home,
    storage.liaison_models,
    storage.lunchlearn,
    storage.newproject,
    storage.outbox,
]
SCHEMA_MODULES += [storage.sitdown_models, storage.sending, storage.vendor_models, storage.jargon_watch]


class Do(Enum):
    DELETE_ROW = "delete row"
    ANONYMISE = "anonymise"
    SCRUB_TEXT = "scrub text"
    SCRUB_JSON = "scrub JSON"
    KEEP = "keep"


D, A, T, J, K = Do.DELETE_ROW, Do.ANONYMISE, Do.SCRUB_TEXT, Do.SCRUB_JSON, Do.KEEP

POLICY: dict[str, dict[str, Do]] = {
    # the glossary: terms stay, credited to a former member; their lookups and follows go
    "terms": {"name": T, "key": K, "created_by": A, "updated_by": A},
    "term_aliases": {"text": T, "key": K, "kind": K},
    "senses": {"side": K, "definition": T, "example": T, "why_it_matters": T},
    "term_revisions": {"term_name": T, "action": K, "changed_by": A, "previous": J},
    "jargon_lookups": {"user_id": D, "query_key": K, "query_text": T},
    "definition_requests": {
        "term_text": T,
        "key": K,
        "side": K,
        "channel_id": K,
        "status": K,
        "requested_by": A,
        "defined_by": A,
    },
    "request_followers": {"user_id": D},
    "forget_requests": {"user_id": D},  # the forgetting itself, while running bots drop buffered lookups
    # the outbox: DMs to them go, whatever their state (pending ones are so cancelled); others are scrubbed
    "outbox": {
        "channel": D,
        "key": T,
        "method": K,
        "payload": J,
        "status": K,
        "last_error": T,
        "response_channel": K,
        "response_ts": K,
        "render": K,
        "subject": T,
        "replaces": K,
    },
    "outbox_channels": {"channel": D},
    "home_visits": {"user_id": D},
    "sending_stops": {"reason": K},  # the event Slack sent
    # /newproject: an intake stays, its requester, owner and IT contact anonymised
    "newproject_intakes": {
        "name": T,
        "business_case": T,
        "outcomes": T,
        "audiences": T,
        "data_needed": T,
        "personal_data": K,
        "integrations": T,
        "new_vendors": T,
        "budget": T,
        "owner_id": A,
        "stakeholders": J,
        "requested_by": A,
        "status": K,
        "it_contact": A,
    },
    "newproject_events": {"action": K, "actor": A, "note": T},
    # the register of outside tools: tools stay, who asked for them or set their status anonymised
    "vendors": {"name": T, "status": K, "status_by": A, "requested_by": A},
    "vendor_spellings": {"key": K, "name": T},
    "vendor_uses": {"name": T},
    "vendor_questions": {"name": T, "status": K, "answered_by": A},
    "vendor_threads": {},
    # the leadership digest: its schedule names the admin who last set it; escalations are keyed by intake
    # the jargon watch: a channel's switch names who last flipped it (anonymised); what was explained stays
    "jargon_watched_channels": {"channel_id": K, "changed_by": A},
    "jargon_watch_explained": {"channel_id": K, "message_ts": K},
    "digest_schedule": {"local_time": K, "zone": K, "period": K, "updated_by": A},
    "newproject_escalations": {"key": T},  # level 2 keys name the admin told
    # /sitdown: series, meetings and items stay; their mutes go
    "sitdown_series": {
        "title": T,
        "channel_id": K,
        "cadence": K,
        "local_time": K,
        "zone": K,
        "lead_minutes": J,
        "video_link": T,
        "status": K,
        "owner": A,
        "created_by": A,
        "updated_by": A,
    },
    "sitdown_meetings": {"status": K, "changed_by": A, "notes": T, "notes_by": A},
    "sitdown_agenda_items": {"text": T, "source": K, "added_by": A},
    "sitdown_action_items": {
        "text": T,
        "owner": A,
        "category": K,
        "status": K,
        "created_by": A,
        "done_by": A,
    },
    "sitdown_mutes": {"user_id": D},
    "sitdown_holidays": {"name": T, "added_by": A},
    # /lunchlearn: sessions and ideas stay; their seats, ratings and votes go
    "lunchlearn_sessions": {
        "topic": T,
        "abstract": T,
        "presenters": J,
        "direction": K,
        "place": T,
        "status": K,
        "channel_id": K,
        "created_by": A,
        "cancelled_by": A,
    },
    "lunchlearn_signups": {"user_id": D, "status": K},
    "lunchlearn_ratings": {"user_id": D, "comment": T},
    "lunchlearn_ideas": {"topic": T, "key": K, "channel_id": K, "created_by": A},
    "lunchlearn_idea_votes": {"user_id": D},
    # /liaison: their pool and intro membership, intro pairs and sit-outs go; past terms stay, anonymised
    "liaison_members": {"user_id": D, "side": K, "status": K, "source": K, "changed_by": A},
    "liaison_rotations": {"unit": K, "tz": K, "channels": J, "created_by": A},
    "liaison_terms": {"marketing_user": A, "it_user": A, "status": K},
    "liaison_term_events": {"side": K, "kind": K, "user_id": A, "by": A},
    "liaison_handover_notes": {"side": K, "author": A, "text": T},
    "liaison_intro_members": {"user_id": D, "side": K, "status": K},
    "liaison_intro_rounds": {"term_name": T},
    "liaison_intro_pairs": {
        "marketing_user": D,
        "it_user": D,
        "channel": K,
        "outcome": K,
        "answered_by": A,
    },
    "liaison_intro_sitouts": {"user_id": D},
}


# Rows whose change must bump their term's version: replicas keep the glossary in memory, and re-read it when
# the terms' fingerprint (their count and versions, storage/glossary.py) changes.
VERSIONED_BY_TERM = {"terms": "id", "senses": "term_id", "term_aliases": "term_id"}


def can_hold_a_user_id(column: Any) -> bool:
    """Text wide enough for a user id, free text, or JSON: such a column needs a policy."""
    kind = column.type
    if isinstance(kind, Text | JSON):
        return True
    return isinstance(kind, String) and (kind.length is None or kind.length >= SHORTEST_USER_ID)


def missing_policies(metadata: MetaData, policy: dict[str, dict[str, Do]] = POLICY) -> list[str]:
    """What the policy map fails to cover: tables (`table`) and columns (`table.column`) with no entry, and
    entries naming a column that does not exist (`table.column?`)."""
    missing: list[str] = []
    for table in metadata.sorted_tables:
        if table.name not in policy:
            missing.append(table.name)
            continue
        rules = policy[table.name]
        missing += [f"{table.name}.{c.name}" for c in table.columns if can_hold_a_user_id(c) and c.name not in rules]
        missing += [f"{table.name}.{name}?" for name in rules if name not in table.columns]
    return missing


def scrub_text(text: str, user_id: str) -> str:
    return text.replace(f"<@{user_id}>", FORMER_MEMBER).replace(user_id, FORMER_MEMBER)


def scrub_json(value: Any, user_id: str) -> Any:
    """The value with `user_id` dropped from its lists and replaced inside its strings (and its keys)."""
    if isinstance(value, str):
        return scrub_text(value, user_id)
    if isinstance(value, list):
        return [scrub_json(item, user_id) for item in value if item != user_id]
    if isinstance(value, dict):
        return {scrub_text(str(k), user_id): scrub_json(v, user_id) for k, v in value.items()}
    return value


class PeopleRepository:
    """One person's rows across the whole schema, driven by POLICY over Base.metadata."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def rows_of(self, user_id: str) -> dict[str, list[dict[str, Any]]]:
        """Every row that names the person, by table (tables without any left out), as plain values."""
        found: dict[str, list[dict[str, Any]]] = {}
        for table in _tables():
            condition = _names(table, user_id, POLICY[table.name].items())
            rows = self.session.execute(select(table).where(condition)).mappings().all()
            if rows:
                found[table.name] = [dict(row) for row in rows]
        return found

    def forget(self, user_id: str) -> dict[str, dict[str, int]]:
        """Remove or anonymise every trace of the person; per table, how many rows were deleted, anonymised
        and scrubbed. Deletions come first, so a row that goes is not rewritten before."""
        touched_terms = self._terms_naming(user_id)
        counts: dict[str, dict[str, int]] = {}
        for table in _tables():
            rules = POLICY[table.name]
            tally = counts.setdefault(table.name, {})
            deleting = [(name, rule) for name, rule in rules.items() if rule is D]
            if deleting:
                tally["deleted"] = _count(self.session.execute(delete(table).where(_names(table, user_id, deleting))))
            for name, rule in rules.items():
                if rule is A:
                    column = table.c[name]
                    result = self.session.execute(update(table).where(column == user_id).values({name: FORMER_MEMBER}))
                    tally["anonymised"] = tally.get("anonymised", 0) + _count(result)
                elif rule in (T, J):
                    tally["scrubbed"] = tally.get("scrubbed", 0) + self._scrub(table, name, rule, user_id)
        if touched_terms:
            self.session.execute(update(Term).where(Term.id.in_(touched_terms)).values(version=Term.version + 1))
        return {name: tally for name, tally in counts.items() if any(tally.values())}

    def _terms_naming(self, user_id: str) -> set[int]:
        touched: set[int] = set()
        for name, column in VERSIONED_BY_TERM.items():
            table = Base.metadata.tables[name]
            rules = [(c, r) for c, r in POLICY[name].items() if r is not D]
            touched.update(self.session.execute(select(table.c[column]).where(_names(table, user_id, rules))).scalars())
        return touched

    def _scrub(self, table: Table, name: str, rule: Do, user_id: str) -> int:
        column = table.c[name]
        key = list(table.primary_key.columns)
        rows = self.session.execute(select(*key, column).where(_names(table, user_id, [(name, rule)]))).all()
        for row in rows:
            value = row[-1]
            new = scrub_json(value, user_id) if rule is J else scrub_text(value, user_id)
            where = [c == row[i] for i, c in enumerate(key)]
            self.session.execute(update(table).where(*where).values({name: new}))
        return len(rows)


def _tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


def _names(table: Table, user_id: str, rules: Iterable[tuple[str, Do]]) -> ColumnElement[bool]:
    """Rows whose columns (under these rules) hold the id: equal to it, or containing it for text and JSON."""
    conditions: list[ColumnElement[bool]] = []
    for name, rule in rules:
        column = table.c[name]
        if rule in (D, A):
            conditions.append(column == user_id)
        elif rule is T:
            conditions.append(column.contains(user_id, autoescape=True))
        elif rule is J:
            conditions.append(cast(column, Text).contains(json.dumps(user_id)[1:-1], autoescape=True))
    return or_(false(), *conditions)


def _count(result: Any) -> int:
    return int(result.rowcount or 0)

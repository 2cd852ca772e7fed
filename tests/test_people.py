"""People's data: `user forget` leaves no trace of the person in any table, and keeps everyone else's rows.

The database is filled from the models' metadata itself: every table gets a row for the person and one for
someone else, with their id in every column the policy map says can hold it (and a mention in free text and
JSON), so a table added later is filled, and checked, without this test knowing it."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy.orm import Session

from bot.outcomes import Rejected
from bot.services import Services
from storage.models import Base, UTCDateTime
from storage.people import FORMER_MEMBER, POLICY, Do, missing_policies, scrub_json
from tests.conftest import FakeClock

FORGOTTEN = "UFORGET001"
KEPT = "UKEEPER001"


def test_every_table_and_every_column_that_can_hold_a_user_id_has_a_policy() -> None:
    assert missing_policies(Base.metadata) == []


def test_the_checker_names_a_new_table_a_new_column_and_a_stale_entry() -> None:
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    Table(
        "badges",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("given_to", String(32)),
        Column("colour", String(8)),  # too narrow for a user id: needs no policy
    )

    assert missing_policies(metadata) == ["badges"]
    assert missing_policies(metadata, {**POLICY, "badges": {}}) == ["badges.given_to"]
    stale = {**POLICY, "badges": {"given_to": Do.DELETE_ROW, "given_by": Do.ANONYMISE}}
    assert missing_policies(metadata, stale) == ["badges.given_by?"]
    Table("terms", metadata, Column("note", Text), extend_existing=True)
    assert missing_policies(metadata, {**POLICY, "badges": {"given_to": Do.DELETE_ROW}}) == ["terms.note"]


def test_scrubbing_json_drops_the_id_from_lists_and_replaces_it_in_text() -> None:
    value = {"users": [FORGOTTEN, KEPT], "text": f"ask <@{FORGOTTEN}>", FORGOTTEN: {"n": 1}}
    value["ids"] = f"{KEPT},{FORGOTTEN}"
    assert scrub_json(value, FORGOTTEN) == {
        "users": [KEPT],
        "text": f"ask {FORMER_MEMBER}",
        FORMER_MEMBER: {"n": 1},
        "ids": f"{KEPT},{FORMER_MEMBER}",
    }


def test_forget_leaves_no_trace_of_the_person_anywhere_and_keeps_the_others_rows(
    services: Services, clock: FakeClock
) -> None:
    with services.sessions.begin() as session:
        for number, person in enumerate((FORGOTTEN, KEPT)):
            fill_every_table(session, person, number, clock())
    kept_before = rows_naming(services, KEPT)
    assert traces_of(services, FORGOTTEN), "the filler put the person's id in the database"

    done = services.people.forget(FORGOTTEN)

    assert traces_of(services, FORGOTTEN) == []
    assert rows_naming(services, KEPT) == kept_before
    assert set(done) == set(POLICY) - {t for t, rules in POLICY.items() if set(rules.values()) <= {Do.KEEP}}
    # What others need stays, credited to a former member.
    with services.sessions() as session:
        for table, column in [("terms", "created_by"), ("newproject_intakes", "requested_by")]:
            credited = session.execute(select(Base.metadata.tables[table].c[column])).scalars().all()
            assert sorted(credited) == sorted([FORMER_MEMBER, KEPT]), table


def test_export_lists_every_row_that_names_the_person_and_only_those(services: Services, clock: FakeClock) -> None:
    with services.sessions.begin() as session:
        for number, person in enumerate((FORGOTTEN, KEPT)):
            fill_every_table(session, person, number, clock())

    found = services.people.export(FORGOTTEN.lower())

    personal = {t for t, rules in POLICY.items() if set(rules.values()) - {Do.KEEP}}
    assert found.counts == dict.fromkeys(sorted(personal, key=list(found.counts).index), 1)
    assert all(KEPT not in json.dumps(rows, default=str) for rows in found.tables.values())
    assert found.tables["jargon_lookups"][0]["user_id"] == FORGOTTEN
    assert json.loads(json.dumps(found.as_json(), default=str))["counts"]["jargon_lookups"] == 1


@pytest.mark.parametrize("typed", ["", "alice", "U12; DROP TABLE terms", "C0123ABCD", "%"])
def test_a_malformed_user_id_is_refused_before_any_query(services: Services, typed: str) -> None:
    with pytest.raises(Rejected, match="not a Slack user id"):
        services.people.export(typed)
    with pytest.raises(Rejected):
        services.people.forget(typed)


# --- filling every table from the metadata ------------------------------------------------------------------


def fill_every_table(session: Session, person: str, number: int, now: datetime) -> None:
    """One row per table for `person`, children pointing at the person's own parent rows."""
    ids: dict[str, Any] = {}
    for table in Base.metadata.sorted_tables:
        values = {c.name: value_for(c, person, number, now, ids) for c in table.columns if not _generated(c)}
        result = session.execute(insert(table).values(values))
        ids[table.name] = result.inserted_primary_key[0] if result.inserted_primary_key else None


def _generated(column: Column[Any]) -> bool:
    """The database numbers it: the table's one integer key (a key of several columns is given, like any value)."""
    return column.table.autoincrement_column is column


def value_for(column: Column[Any], person: str, number: int, now: datetime, ids: dict[str, Any]) -> Any:
    if column.foreign_keys:
        return ids[next(iter(column.foreign_keys)).column.table.name]
    rule = POLICY[column.table.name].get(column.name, Do.KEEP)
    kind = column.type
    if isinstance(kind, JSON):
        return {"to": person, "users": [person], "text": f"ask <@{person}>"} if rule is Do.SCRUB_JSON else [number]
    if isinstance(kind, String | Text):
        length = getattr(kind, "length", None) or 200
        if rule in (Do.DELETE_ROW, Do.ANONYMISE):
            return person
        if rule is Do.SCRUB_TEXT:
            return f"<@{person}>{number}"[:length]
        return f"k{column.name}{number}"[:length]
    if isinstance(kind, UTCDateTime):
        return now + timedelta(days=number)
    if isinstance(kind, Date):
        return date(2026, 12, 1) + timedelta(days=number)
    if isinstance(kind, Boolean):
        return False
    return 1


def every_row(services: Services) -> list[tuple[str, str]]:
    """(table, the row as JSON text) for every row of every table."""
    found = []
    with services.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                found.append((table.name, json.dumps(dict(row), default=str, sort_keys=True)))
    return found


def traces_of(services: Services, user_id: str) -> list[tuple[str, str]]:
    return [(table, row) for table, row in every_row(services) if user_id in row]


def rows_naming(services: Services, user_id: str) -> list[tuple[str, str]]:
    return sorted(traces_of(services, user_id))

"""The repositories' batch statements the planners lean on, on SQLite and on PostgreSQL (where several are
written differently: `= ANY(array)` for long ID lists, one UPDATE from unnest for watermarks)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.exc import DataError, StatementError

from bot.lunchlearn_rules import SessionDraft
from bot.notify import Outgoing, enqueue, enqueue_many
from bot.services import Services
from storage.lunchlearn import LunchLearnRepository
from storage.models import VALUES_PER_QUERY
from storage.outbox import COPY_FROM_ROWS, OutboxRepository
from storage.sitdown import SitdownRepository
from tests.builders import series_spec, series_starting
from tests.conftest import FakeClock


def add_series(services: Services, clock: FakeClock, count: int) -> list[int]:
    tomorrow = (clock() + timedelta(days=1)).date()
    with services.sessions.begin() as session:
        repository = SitdownRepository(session)
        ids = []
        for number in range(count):
            draft = series_starting(
                tomorrow, title=f"Sit-down {number}", at=f"{9 + number % 8:02d}:00", zone="Europe/Paris", leads=("60",)
            )
            ids.append(repository.add_series(series_spec(draft, clock().date()), by="UOWNER", at=clock()).id)
    return ids


def watermarks(services: Services, ids: list[int]) -> dict[int, datetime]:
    with services.sessions() as session:
        repository = SitdownRepository(session)
        return {series_id: view.planned_until for series_id in ids if (view := repository.series(series_id))}


def test_watermarks_of_many_series_are_set_each_to_its_own_moment_and_no_other_series_moves(
    services: Services, clock: FakeClock
) -> None:
    ids = add_series(services, clock, 5)
    untouched = watermarks(services, ids[-1:])
    wanted = {series_id: clock() + timedelta(hours=n, microseconds=n) for n, series_id in enumerate(ids[:-1], 1)}

    with services.sessions.begin() as session:
        SitdownRepository(session).set_planned_until_many(wanted)

    assert watermarks(services, ids) == {**wanted, **untouched}


def test_existing_keys_finds_exactly_the_stored_keys_among_more_than_one_query_holds(
    services: Services, clock: FakeClock
) -> None:
    stored = [f"k:{n}" for n in range(0, VALUES_PER_QUERY * 2, 3)]
    with services.sessions.begin() as session:
        enqueue_many(session, [Outgoing(key, {"channel": "C1", "text": key}) for key in stored], clock())
    asked = [f"k:{n}" for n in range(VALUES_PER_QUERY * 2 + 10)] + ["k:'; DROP TABLE outbox; --", "K:0"]

    with services.sessions() as session:
        assert OutboxRepository(session).existing_keys(asked) == set(stored)
        assert OutboxRepository(session).existing_keys([]) == set()


def test_sessions_with_seats_come_back_for_exactly_the_ids_asked(services: Services, clock: FakeClock) -> None:
    with services.sessions.begin() as session:
        repository = LunchLearnRepository(session)
        ids = []
        for number in range(4):
            draft = SessionDraft(
                topic=f"Talk {number}",
                abstract="",
                presenters=("UPRESENTER",),
                direction="joint",
                starts_at=clock() + timedelta(days=1, hours=number),
                duration_minutes=45,
                place="Room 4",
                capacity=5,
            )
            view = repository.add_session(draft, channel_id="CJOINT", by="UADMIN", at=clock(), idea_id=None)
            for seat in range(number):
                repository.take_seat(view.id)
                repository.add_signup(view.id, f"U{number}{seat}", seated=True, at=clock() + timedelta(minutes=seat))
            ids.append(view.id)

    asked = [ids[3], ids[1], 999_999, ids[2]]
    with services.sessions() as session:
        repository = LunchLearnRepository(session)
        found = repository.with_seats(asked)

    assert [view.id for view, _ in found] == [ids[3], ids[1], ids[2]], "in the order asked; unknown ids left out"
    assert [sorted(seats) for _, seats in found] == [["U30", "U31", "U32"], ["U10"], ["U20", "U21"]]
    assert found[0][1]["U31"] == clock() + timedelta(minutes=1)


def test_overrides_of_many_series_hold_only_their_own_moves_and_skips(services: Services, clock: FakeClock) -> None:
    ids = add_series(services, clock, 3)
    start = datetime.combine(date(2026, 12, 1), datetime.min.time(), tzinfo=clock().tzinfo) + timedelta(hours=9)
    with services.sessions.begin() as session:
        repository = SitdownRepository(session)
        moved = repository.ensure_meeting(ids[0], start, start)
        repository.override(moved.id, start=start + timedelta(hours=2), status="moved", by="UOWNER", at=clock())
        kept = repository.ensure_meeting(ids[1], start, start)
        assert kept.id != moved.id

    with services.sessions() as session:
        overrides = SitdownRepository(session).overrides_of(ids)

    assert list(overrides) == [ids[0]]
    assert overrides[ids[0]][start].start == start + timedelta(hours=2)


def test_a_batch_large_enough_to_be_copied_in_stores_each_row_as_a_single_enqueue_would(
    services: Services, clock: FakeClock
) -> None:
    """On PostgreSQL a batch of COPY_FROM_ROWS new rows or more goes through COPY (storage/outbox.py); SQLite
    takes the same batch through its executemany. Text that COPY's own format would mangle comes back intact."""
    awkward = ["tab\there", "back\\slash", "new\nline", 'quote"', "\\N", "é 🙂", "", "comma, and ;semicolon"]
    later = clock() + timedelta(hours=3)

    def outgoing(prefix: str, count: int) -> list[Outgoing]:
        return [
            Outgoing(
                f"{prefix}:{n}",
                {"channel": f"C{n % 7}", "text": awkward[n % len(awkward)], "blocks": [{"n": n}]},
                "chat.update" if n % 5 == 0 else "chat.postMessage",
                due_at=later + timedelta(microseconds=n),
                expire_at=later + timedelta(hours=1) if n % 3 == 0 else None,
                subject=awkward[n % len(awkward)] or None,  # a plain text column: COPY's own escaping
            )
            for n in range(count)
        ]

    count = COPY_FROM_ROWS + 40
    with services.sessions.begin() as session:
        for single in outgoing("one", 10 + len(awkward)):
            enqueue(session, single, clock())
        enqueue_many(session, outgoing("many", 10), clock())  # already there when the big batch comes
    with services.sessions.begin() as session:
        first = enqueue_many(session, outgoing("many", count), clock())
        again = enqueue_many(session, outgoing("many", count + 5), clock())  # a second copy in one transaction

    assert (first, again) == (count - 10, 5)
    with services.sessions() as session:
        repository = OutboxRepository(session)
        stored = {
            key: repository.get(key)
            for key in (f"{prefix}:{n}" for prefix in ("one", "many") for n in range(10 + len(awkward)))
        }
        assert len(repository.existing_keys([f"many:{n}" for n in range(count + 10)])) == count + 5

    def columns(key: str) -> tuple[object, ...]:
        message = stored[key]
        assert message is not None
        return (
            message.method, message.payload, message.channel, message.status, message.due_at, message.expire_at,
            message.next_attempt_at, message.attempts, message.created_at, message.late, message.render,
            message.subject,
        )  # fmt: skip

    for n in range(10, 10 + len(awkward)):  # every awkward text, copied and inserted alike
        assert columns(f"many:{n}") == columns(f"one:{n}")
    assert stored["many:10"] is not None and stored["many:10"].payload["text"] == awkward[10 % len(awkward)]


def test_a_copied_batch_in_a_transaction_that_fails_leaves_nothing(services: Services, clock: FakeClock) -> None:
    batch = [Outgoing(f"lost:{n}", {"channel": "C1", "text": str(n)}) for n in range(COPY_FROM_ROWS)]
    try:
        with services.sessions.begin() as session:
            assert enqueue_many(session, batch, clock()) == COPY_FROM_ROWS
            raise RuntimeError("the planner failed after writing")
    except RuntimeError:
        pass

    with services.sessions() as session:
        assert OutboxRepository(session).existing_keys([outgoing.key for outgoing in batch]) == set()
    with services.sessions.begin() as session:
        assert enqueue_many(session, batch, clock()) == COPY_FROM_ROWS, "and the next try writes them all"


def test_a_copied_batch_with_a_value_that_cannot_be_bound_fails_as_an_insert_does_and_the_session_goes_on(
    services: Services, clock: FakeClock
) -> None:
    batch = [Outgoing(f"naive:{n}", {"channel": "C1", "text": str(n)}, due_at=clock()) for n in range(COPY_FROM_ROWS)]
    batch[-1] = Outgoing("naive:last", {"channel": "C1", "text": "late"}, due_at=clock().replace(tzinfo=None))

    with services.sessions.begin() as session:
        with pytest.raises(StatementError, match="naive datetimes are not stored"):
            enqueue_many(session, batch, clock())
        assert enqueue_many(session, batch[:-1], clock()) == COPY_FROM_ROWS - 1, "the transaction is still usable"

    with services.sessions() as session:
        assert len(OutboxRepository(session).existing_keys([outgoing.key for outgoing in batch])) == COPY_FROM_ROWS - 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_copy_postgresql_refuses_says_why_without_quoting_the_value(services: Services, clock: FakeClock) -> None:
    """PostgreSQL's COPY error names the row's value in a CONTEXT line: people's text, kept out of the error."""
    secret = "Private words of Alice " * 4  # longer than the 64 characters `subject` holds
    batch = [Outgoing(f"long:{n}", {"channel": "C1", "text": "x"}, subject="ok") for n in range(COPY_FROM_ROWS)]
    batch[3] = Outgoing("long:3", {"channel": "C1", "text": "x"}, subject=secret)

    with pytest.raises(DataError) as raised, services.sessions.begin() as session:
        enqueue_many(session, batch, clock())

    assert "too long" in str(raised.value) and "Alice" not in str(raised.value)
    assert raised.value.__cause__ is None and "Alice" not in str(raised.value.orig)
    with services.sessions() as session:
        assert OutboxRepository(session).existing_keys([outgoing.key for outgoing in batch]) == set()

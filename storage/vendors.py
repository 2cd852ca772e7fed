"""The register of outside tools: persistence (models in storage/vendor_models.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session, selectinload

from bot.vendor_rules import (
    ASKED,
    PROPOSED,
    IntakeVendors,
    Known,
    Vendor,
    VendorQuestion,
    VendorUse,
)
from storage.models import add_flushed, dialect_of, get_row, update_rows
from storage.newproject import NewProjectIntake
from storage.vendor_models import VendorQuestionRow, VendorRow, VendorSpelling, VendorThread, VendorUseRow

REGISTER_LOCK_KEY = 0x76656E64  # "vend": PostgreSQL's advisory lock on the register's spellings


class VendorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def hold(self) -> None:
        """One writer of spellings and merges at a time, until this transaction ends: two intakes naming a new
        tool at once would otherwise both add its key (and the second fail on the unique index), and a merge
        could move a spelling while an intake joins its entry. SQLite takes one writer anyway."""
        if dialect_of(self.session) == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REGISTER_LOCK_KEY})

    # --- reading -----------------------------------------------------------------------------------------------

    def known(self) -> list[Known]:
        """Every spelling in the register (a few per vendor: the matcher reads them all)."""
        rows = self.session.execute(select(VendorSpelling.key, VendorSpelling.vendor_id)).all()
        return [Known(key, vendor_id) for key, vendor_id in rows]

    def get(self, vendor_id: int, *, lock: bool = False) -> Vendor | None:
        row = get_row(self.session, VendorRow, vendor_id, lock=lock, keep=VendorRow.version)
        return self._views([row])[0] if row is not None else None

    def listing(self, status: str | None = None, *, limit: int | None = None) -> tuple[list[Vendor], int]:
        """Vendors by name (those of one status when given), the first `limit`, and how many there are."""
        where = VendorRow.status == status if status else VendorRow.id.is_not(None)
        statement = select(VendorRow).where(where).order_by(func.lower(VendorRow.name), VendorRow.id)
        if limit is not None:
            statement = statement.limit(limit)
        rows = list(self.session.scalars(statement.options(selectinload(VendorRow.spellings))))
        total = self.session.scalar(select(func.count()).select_from(VendorRow).where(where))
        return self._views(rows), int(total or 0)

    def of_intake(self, intake_id: int) -> IntakeVendors:
        """The vendors an intake names and the questions asked about them, for its thread card."""
        ids = select(VendorUseRow.vendor_id).where(VendorUseRow.intake_id == intake_id)
        rows = self.session.scalars(select(VendorRow).where(VendorRow.id.in_(ids)).order_by(VendorRow.id))
        asked = self.session.scalars(
            select(VendorQuestionRow).where(VendorQuestionRow.intake_id == intake_id).order_by(VendorQuestionRow.id)
        )
        return IntakeVendors(intake_id, tuple(self._views(list(rows))), tuple(self._questions(list(asked))))

    def question(self, question_id: int, *, lock: bool = False) -> VendorQuestion | None:
        row = get_row(self.session, VendorQuestionRow, question_id, lock=lock, keep=VendorQuestionRow.status)
        return self._questions([row])[0] if row is not None else None

    def version_of(self, vendor_id: int) -> int:
        return int(self.session.scalar(select(VendorRow.version).where(VendorRow.id == vendor_id)) or 0)

    def intakes_of(self, vendor_id: int) -> list[int]:
        statement = select(VendorUseRow.intake_id).where(VendorUseRow.vendor_id == vendor_id)
        return sorted(self.session.scalars(statement))

    # --- writing -----------------------------------------------------------------------------------------------

    def add(self, name: str, key: str, *, intake_id: int, by: str, at: datetime) -> int:
        """A new entry, proposed by whoever asked in intake `intake_id` (its first use comes with `use`)."""
        row = VendorRow(
            name=name,
            status=PROPOSED,
            status_by=by,
            status_at=at,
            personal_data=False,
            first_intake_id=intake_id,
            requested_by=by,
            created_at=at,
            version=1,
        )
        row.spellings.append(VendorSpelling(key=key, name=name))
        return add_flushed(self.session, row).id

    def use(self, vendor_id: int, intake_id: int, name: str, *, personal_data: bool) -> bool:
        """Record that the intake names the vendor (once); True when it is new."""
        exists = select(VendorUseRow.id).where(VendorUseRow.vendor_id == vendor_id, VendorUseRow.intake_id == intake_id)
        if self.session.scalar(exists) is not None:
            return False
        self.session.add(VendorUseRow(vendor_id=vendor_id, intake_id=intake_id, name=name))
        if personal_data:
            update_rows(self.session, VendorRow, VendorRow.id == vendor_id, personal_data=True)
        self.session.flush()
        return True

    def ask(self, intake_id: int, name: str, vendor_id: int, candidate_id: int, *, at: datetime) -> None:
        self.session.add(
            VendorQuestionRow(
                intake_id=intake_id,
                name=name,
                vendor_id=vendor_id,
                candidate_id=candidate_id,
                status=ASKED,
                asked_at=at,
            )
        )
        self.session.flush()

    def set_status(self, vendor_id: int, status: str, *, by: str, at: datetime) -> Vendor:
        row = self.session.get_one(VendorRow, vendor_id)
        row.status, row.status_by, row.status_at = status, by, at
        row.version += 1
        self.session.flush()
        return self._views([row])[0]

    def answer(self, question_id: int, status: str, *, by: str, at: datetime) -> None:
        row = self.session.get_one(VendorQuestionRow, question_id)
        row.status, row.answered_by, row.answered_at = status, by, at
        self.session.flush()

    def merge(self, vendor_id: int, into: int) -> None:
        """Entry `vendor_id` becomes part of `into`: its spellings, its intakes (each once) and its personal-data
        flag move over, questions about it name `into`; then it is gone."""
        gone = self.session.get_one(VendorRow, vendor_id)
        kept = self.session.get_one(VendorRow, into)
        kept.personal_data = kept.personal_data or gone.personal_data
        kept.version += 1
        self.session.flush()
        kept_intakes = set(self.intakes_of(into))
        update_rows(self.session, VendorSpelling, VendorSpelling.vendor_id == vendor_id, vendor_id=into)
        moving = VendorUseRow.vendor_id == vendor_id
        update_rows(self.session, VendorUseRow, moving, VendorUseRow.intake_id.not_in(kept_intakes), vendor_id=into)
        update_rows(self.session, VendorQuestionRow, VendorQuestionRow.candidate_id == vendor_id, candidate_id=into)
        update_rows(self.session, VendorQuestionRow, VendorQuestionRow.vendor_id == vendor_id, vendor_id=None)
        self.session.execute(delete(VendorRow).where(VendorRow.id == vendor_id))
        self.session.expire_all()

    # --- the intakes' thread cards -------------------------------------------------------------------------

    def changed(self, intake_ids: Iterable[int], *, create: bool = False) -> None:
        """The intakes' cards show something new (their versions go up); with `create`, an intake without a card
        gets one, posted later (an intake read in by the migration has none, and gets none)."""
        for intake_id in intake_ids:
            row = self.session.get(VendorThread, intake_id)
            if row is not None:
                row.version += 1
            elif create:
                self.session.add(VendorThread(intake_id=intake_id, planned=False, version=1, refreshed_version=0))
        self.session.flush()

    def cards_due(self) -> list[tuple[int, bool, int]]:
        """Cards to post (not planned yet) or to update (changed since): intake id, planned, version."""
        stale = VendorThread.refreshed_version < VendorThread.version
        statement = select(VendorThread.intake_id, VendorThread.planned, VendorThread.version).where(
            VendorThread.planned.is_(False) | stale
        )
        return [(intake_id, planned, version) for intake_id, planned, version in self.session.execute(statement)]

    def card_version(self, intake_id: int) -> int | None:
        return self.session.scalar(select(VendorThread.version).where(VendorThread.intake_id == intake_id))

    def card_sent(self, intake_id: int, *, version: int, planned: bool = True) -> None:
        where = VendorThread.intake_id == intake_id
        update_rows(self.session, VendorThread, where, planned=planned, refreshed_version=version)

    # --- views ---------------------------------------------------------------------------------------------------

    def _views(self, rows: Sequence[VendorRow]) -> list[Vendor]:
        ids = [row.id for row in rows]
        uses: dict[int, list[VendorUse]] = {vendor_id: [] for vendor_id in ids}
        if ids:
            statement = (
                select(VendorUseRow.vendor_id, VendorUseRow.intake_id, VendorUseRow.name, NewProjectIntake.requested_by)
                .join(NewProjectIntake, NewProjectIntake.id == VendorUseRow.intake_id)
                .where(VendorUseRow.vendor_id.in_(ids))
                .order_by(VendorUseRow.intake_id)
            )
            for vendor_id, intake_id, name, requested_by in self.session.execute(statement):
                uses[vendor_id].append(VendorUse(intake_id, name, requested_by))
        return [
            Vendor(
                **_columns(row, Vendor, "uses", "spellings"),
                uses=tuple(uses[row.id]),
                spellings=tuple(spelling.name for spelling in row.spellings),
            )
            for row in rows
        ]

    def _questions(self, rows: Sequence[VendorQuestionRow]) -> list[VendorQuestion]:
        names = dict(
            self.session.execute(
                select(VendorRow.id, VendorRow.name).where(VendorRow.id.in_({row.candidate_id for row in rows}))
            ).all()
        )
        return [
            VendorQuestion(
                **_columns(row, VendorQuestion, "candidate_name"), candidate_name=names.get(row.candidate_id, "")
            )
            for row in rows
        ]


def _columns(row: object, view: type, *besides: str) -> dict[str, Any]:
    """The view's fields that the row holds under the same names (all but `besides`)."""
    return {field.name: getattr(row, field.name) for field in fields(view) if field.name not in besides}

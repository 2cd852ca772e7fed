"""The register of outside tools: every vendor or tool an intake names, matched across spellings, with the
status IT gives it.

An intake's names join the register in the intake's own transaction (`record_intake`, hooked into
NewProjectService.submit). Each intake naming a vendor gets a card in its announcement's thread, posted once
the announcement is (by `tick`, as the announcement's own thread replies wait for it): the vendors with their
status, and IT's "Same as …?" questions about names close to a known one. A change to a vendor updates the
cards that show it in place, and the people whose intakes name it hear of a new status by DM.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from bot.kit import FeatureService, UnitOfWork, outbox_key
from bot.newproject import announcement_key
from bot.newproject_rules import Intake
from bot.notify import Outgoing
from bot.outcomes import Conflict, NotAllowed, NotFound, Rejected
from bot.vendor_rules import (
    ASKED,
    DIFFERENT,
    REVIEW,
    SAME,
    STATUS_LABELS,
    IntakeVendors,
    Known,
    StatusRefused,
    Vendor,
    VendorQuestion,
    check_status_change,
    match,
    names_in,
    vendor_key,
)
from storage.vendors import VendorRepository

CARD = "vendors.card"  # rendered when sent (handlers/vendors.py registers its renderer)
IT_ONLY = "Only members of the IT intake channel (or bot admins) can do that."


class VendorMessages(Protocol):
    """What the bot says on its own about the register; rendered at the Slack edge, sent via the outbox."""

    def status_dm(self, user_id: str, vendor: Vendor) -> dict[str, Any]: ...


class AlreadyAnswered(Conflict):
    """Someone in IT answered the question meanwhile."""

    def __init__(self, question: VendorQuestion) -> None:
        super().__init__(question.answered_by or "")
        self.question = question


@dataclass(frozen=True)
class VendorPage:
    """The first vendors of a list, by name, and how many the whole list holds."""

    vendors: list[Vendor]
    total: int


class VendorService(FeatureService[VendorMessages]):
    # --- reading -------------------------------------------------------------------------------------------

    def register(self, status: str | None = None, *, limit: int | None = None) -> VendorPage:
        """The register by name, all of it or one status's entries."""
        with self.reading() as work:
            return VendorPage(*work.repo(VendorRepository).listing(status, limit=limit))

    def under_review(self, *, limit: int) -> VendorPage:
        return self.register(REVIEW, limit=limit)

    def get(self, vendor_id: int) -> Vendor | None:
        with self.reading() as work:
            return work.repo(VendorRepository).get(vendor_id)

    def card(self, intake_id: int) -> IntakeVendors:
        """What the intake's thread card shows now."""
        with self.reading() as work:
            return work.repo(VendorRepository).of_intake(intake_id)

    def export_csv(self) -> str:
        """The whole register as CSV, one vendor a row (for `python -m bot vendors export FILE`)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                *("name", "status", "status_set_by", "status_set_at", "personal_data", "first_intake"),
                *("requested_by", "intakes", "spellings", "created_at"),
            ]
        )
        for vendor in self.register().vendors:
            writer.writerow(
                [
                    vendor.name,
                    STATUS_LABELS[vendor.status],
                    vendor.status_by,
                    vendor.status_at.isoformat(),
                    "yes" if vendor.personal_data else "no",
                    vendor.first_intake_id or "",
                    vendor.requested_by,
                    " ".join(str(intake_id) for intake_id in vendor.intake_ids),
                    "; ".join(vendor.spellings),
                    vendor.created_at.isoformat(),
                ]
            )
        return out.getvalue()

    # --- writing -------------------------------------------------------------------------------------------

    def record_intake(self, work: UnitOfWork, intake: Intake) -> None:
        """The intake's names into the register, in its transaction: a name whose key is known joins that
        entry; any other is a new entry, and one close to a known spelling gets IT's "Same as …?" question."""
        names = names_in(intake.draft.new_vendors)
        if not names:
            return
        repository = work.repo(VendorRepository)
        repository.hold()
        known = repository.known()
        personal = intake.draft.personal_data == "yes"
        for name in names:
            key = vendor_key(name)
            found = match(key, known)
            vendor_id = found.vendor_id
            if found.kind != "same":
                vendor_id = repository.add(name, key, intake_id=intake.id, by=intake.requested_by, at=work.now)
                if found.kind == "ask":
                    repository.ask(intake.id, name, vendor_id, found.vendor_id, at=work.now)
                known.append(Known(key, vendor_id))
            repository.use(vendor_id, intake.id, name, personal_data=personal)
        repository.changed([intake.id], create=True)

    def set_status(self, vendor_id: int, status: str, *, by: str, it_member: bool) -> Vendor:
        """IT's decision on a vendor; whoever's intake names it is told by DM, and its cards follow."""
        self._check_it(by, it_member)
        with self.work() as work:
            repository = work.repo(VendorRepository)
            current = _found(repository.get(vendor_id, lock=True))
            try:
                check_status_change(current.status, status)
            except StatusRefused as refused:
                raise Rejected(str(refused)) from refused
            vendor = repository.set_status(vendor_id, status, by=by, at=work.now)
            version = repository.version_of(vendor_id)
            for person in vendor.requesters(besides=by):
                work.send(Outgoing(_key(vendor_id, version, "dm", person), self.messages.status_dm(person, vendor)))
            self._cards_changed(work, vendor.intake_ids)
        return vendor

    def answer(self, question_id: int, *, same: bool, by: str, it_member: bool) -> VendorQuestion:
        """IT's answer to "Same as …?": Yes merges the new entry into the known one; No keeps them apart, and
        as the new entry keeps its spelling, that name is never asked about again."""
        self._check_it(by, it_member)
        with self.work() as work:
            repository = work.repo(VendorRepository)
            repository.hold()
            question = _found(repository.question(question_id, lock=True))
            if question.status != ASKED:
                raise AlreadyAnswered(question)
            touched = {question.intake_id, *repository.intakes_of(question.candidate_id)}
            if same and question.vendor_id is not None and question.vendor_id != question.candidate_id:
                touched |= set(repository.intakes_of(question.vendor_id))
                repository.merge(question.vendor_id, into=question.candidate_id)
            repository.answer(question_id, SAME if same else DIFFERENT, by=by, at=work.now)
            self._cards_changed(work, sorted(touched))
            return _found(repository.question(question_id))

    def _check_it(self, by: str, it_member: bool) -> None:
        if not (it_member or self.settings.is_admin(by)):
            raise NotAllowed(IT_ONLY)

    def _cards_changed(self, work: UnitOfWork, intake_ids: list[int]) -> None:
        """Cards already posted are updated now; one not posted yet is rendered from the state when it is."""
        repository = work.repo(VendorRepository)
        repository.changed(intake_ids)
        for intake_id in intake_ids:
            version = repository.card_version(intake_id)
            if version is not None:
                self._refresh_card(work, intake_id, version)

    def _refresh_card(self, work: UnitOfWork, intake_id: int, version: int) -> None:
        posted = work.posted(card_key(intake_id))
        if posted is None:
            return
        channel, ts = posted
        work.send(
            Outgoing.update(_card_key(intake_id, version), render=CARD, subject=intake_id, channel=channel, ts=ts)
        )
        work.repo(VendorRepository).card_sent(intake_id, version=version)

    # --- the scheduler -------------------------------------------------------------------------------------

    def tick(self) -> None:
        """Post the cards whose announcement is posted now, and bring changed ones up to date (by key, once)."""
        with self.work() as work:
            repository = work.repo(VendorRepository)
            for intake_id, planned, version in repository.cards_due():
                if planned:
                    self._refresh_card(work, intake_id, version)
                    continue
                announced = work.posted(announcement_key(intake_id))
                if announced is None:
                    continue
                channel, ts = announced
                target = {"channel": channel, "thread_ts": ts}
                work.send(Outgoing(card_key(intake_id), target, render=CARD, subject=str(intake_id)))
                repository.card_sent(intake_id, version=version)


Found = TypeVar("Found")


def _found(value: Found | None) -> Found:
    """What was asked for, or NotFound: it does not exist (any more)."""
    if value is None:
        raise NotFound()
    return value


def card_key(intake_id: int) -> str:
    """The outbox key of the intake's card in its announcement's thread."""
    return outbox_key("vendors", "intake", intake_id, "card")


def _card_key(intake_id: int, version: int) -> str:
    return outbox_key("vendors", "intake", intake_id, "card", version)


def _key(vendor_id: int, *parts: object) -> str:
    return outbox_key("vendors", vendor_id, *parts)

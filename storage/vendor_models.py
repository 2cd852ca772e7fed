"""The register of outside tools: vendors, their spellings, the intakes that name them, IT's "same as?"
questions, and each intake's thread card."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models import Base


class VendorRow(Base):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))  # as first named
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_by: Mapped[str] = mapped_column(String(32))
    status_at: Mapped[datetime]
    personal_data: Mapped[bool]  # an intake naming it said it handles personal data
    first_intake_id: Mapped[int | None] = mapped_column(
        ForeignKey("newproject_intakes.id", ondelete="SET NULL", name="fk_vendors_first_intake_id")
    )
    requested_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)  # bumped by every change: the outbox keys of its DMs

    spellings: Mapped[list[VendorSpelling]] = relationship(cascade="all, delete-orphan", order_by="VendorSpelling.id")
    uses: Mapped[list[VendorUseRow]] = relationship(cascade="all, delete-orphan", order_by="VendorUseRow.intake_id")


class VendorSpelling(Base):
    """Every key the vendor is known by (vendor_rules.vendor_key): a name with one of them joins it."""

    __tablename__ = "vendor_spellings"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE", name="fk_vendor_spellings_vendor_id"), index=True
    )
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(80))


class VendorUseRow(Base):
    __tablename__ = "vendor_uses"
    __table_args__ = (UniqueConstraint("vendor_id", "intake_id", name="uq_vendor_uses_vendor_intake"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE", name="fk_vendor_uses_vendor_id")
    )
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("newproject_intakes.id", ondelete="CASCADE", name="fk_vendor_uses_intake_id"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))  # as this intake named it


class VendorQuestionRow(Base):
    """ "Is `name` the same as the candidate?", asked in the intake's thread. `vendor_id` is the entry the name
    got meanwhile (None once merged away); an answer "different" stays, so the pair is never asked again."""

    __tablename__ = "vendor_questions"
    __table_args__ = (Index("ix_vendor_questions_intake", "intake_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("newproject_intakes.id", ondelete="CASCADE", name="fk_vendor_questions_intake_id")
    )
    name: Mapped[str] = mapped_column(String(80))
    vendor_id: Mapped[int | None] = mapped_column(
        ForeignKey("vendors.id", ondelete="SET NULL", name="fk_vendor_questions_vendor_id")
    )
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE", name="fk_vendor_questions_candidate_id")
    )
    status: Mapped[str] = mapped_column(String(16))  # asked, same, different
    asked_at: Mapped[datetime]
    answered_by: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None]


class VendorThread(Base):
    """An intake's vendor card, posted in its announcement's thread once that is posted (`planned`), and
    updated in place when a vendor on it changes (`version` ahead of `refreshed_version`)."""

    __tablename__ = "vendor_threads"

    intake_id: Mapped[int] = mapped_column(
        ForeignKey("newproject_intakes.id", ondelete="CASCADE", name="fk_vendor_threads_intake_id"), primary_key=True
    )
    planned: Mapped[bool] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(Integer)
    refreshed_version: Mapped[int] = mapped_column(Integer)

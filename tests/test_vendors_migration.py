"""The register's migration reads the intakes a database already holds into it (on each database), and
`python -m bot vendors export FILE` writes the register as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, insert, select

from bot.app import build_services
from bot.config import Settings
from storage import db
from storage.newproject import NewProjectIntake
from storage.vendor_models import VendorQuestionRow, VendorRow, VendorThread, VendorUseRow
from tests.builders import intake_draft
from tests.fake_clock import FakeClock
from tests.test_config_and_cli import cli, sqlite_url

SUBMITTED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

EXISTING = [  # (answer, personal data, requested by), oldest first
    ("LoyaltyLion, Typeform", "no", "UANNA"),
    ("Loyalty Lion and loyaltylion.com", "yes", "UBEN"),
    ("none", "no", "UCARA"),
    ("Salesloft\nLoyaltyLoin", "unsure", "UCARA"),
]


def intake_row(number: int, answer: str, personal_data: str, by: str) -> dict[str, object]:
    return {
        "name": f"Project {number}",
        "business_case": "Because.",
        "outcomes": "",
        "launch_date": date(2026, 6, 1),
        "audiences": "",
        "data_needed": "",
        "personal_data": personal_data,
        "integrations": "",
        "new_vendors": answer,
        "budget": "",
        "owner_id": by,
        "stakeholders": [],
        "requested_by": by,
        "requested_at": SUBMITTED + timedelta(days=number),
        "lead_days": 90,
        "status": "new",
        "version": 1,
        "refreshed_version": 1,
    }


@pytest.mark.empty_database
def test_the_migration_reads_existing_intakes_into_the_register(database_url: str) -> None:
    engine = db.create_engine_for(database_url)
    try:
        command.upgrade(db.alembic_config(engine), "0009")
        with engine.begin() as connection:
            for number, (answer, personal, by) in enumerate(EXISTING, start=1):
                connection.execute(insert(NewProjectIntake.__table__).values(intake_row(number, answer, personal, by)))

        db.upgrade(engine)

        sessions = db.make_session_factory(engine)
        with sessions() as session:
            vendors = {row.name: row for row in session.scalars(select(VendorRow))}
            uses = {
                name: sorted(session.scalars(select(VendorUseRow.intake_id).where(VendorUseRow.vendor_id == row.id)))
                for name, row in vendors.items()
            }
            asked = session.scalar(select(func.count()).select_from(VendorQuestionRow))
            cards = session.scalar(select(func.count()).select_from(VendorThread))
    finally:
        engine.dispose()

    assert uses == {"LoyaltyLion": [1, 2], "Typeform": [1], "Salesloft": [4], "LoyaltyLoin": [4]}
    lion = vendors["LoyaltyLion"]
    assert (lion.first_intake_id, lion.requested_by, lion.personal_data, lion.status) == (1, "UANNA", True, "proposed")
    assert (lion.status_by, lion.status_at, lion.created_at) == ("UANNA", SUBMITTED + timedelta(days=1), lion.status_at)
    assert not vendors["Salesloft"].personal_data, "not sure is not yes"
    assert (asked, cards) == (0, 0), "old threads get no questions and no cards"


def test_vendors_export_writes_the_register_as_csv(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "bridgebot.db")
    services = build_services(
        Settings(bot_token="xoxb-test", signing_secret="", database_url=url, it_intake_channel="CIT"),
        clock=FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
    )
    try:
        services.newproject.submit(intake_draft(new_vendors="LoyaltyLion; Hotjar", personal_data="yes"), by="UMIA")
        services.newproject.submit(intake_draft(new_vendors="loyaltylion.com"), by="UZOE")
    finally:
        services.engine.dispose()

    result = cli(tmp_path, "vendors", "export", "register.csv", DATABASE_URL=url)

    assert result.returncode == 0, result.stderr
    assert "register.csv" in result.stdout
    rows = list(csv.DictReader(io.StringIO((tmp_path / "register.csv").read_text("utf-8"))))
    assert [(r["name"], r["status"], r["intakes"], r["personal_data"], r["requested_by"]) for r in rows] == [
        ("Hotjar", "Proposed", "1", "yes", "UMIA"),
        ("LoyaltyLion", "Proposed", "1 2", "yes", "UMIA"),
    ]
    assert rows[0]["status_set_at"] == "2026-11-23T09:00:00+00:00"

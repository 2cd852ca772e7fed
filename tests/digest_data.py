"""A partnership's week, written straight into the database, for the digest's tests: the week of 23-29 Nov 2026
(UTC, the digest's default zone) and the week before, with figures worked out by hand in EXPECTED_LINES."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from storage.digest import IntakeEscalation
from storage.liaison_models import LiaisonMember, LiaisonRotation, LiaisonTerm
from storage.lunchlearn import LunchRating, LunchSession, LunchSignup
from storage.models import DefinitionRequest, JargonLookup, Term
from storage.newproject import NewProjectEvent, NewProjectIntake
from storage.sitdown_models import SitdownActionItem, SitdownMeeting, SitdownSeries

MARKETER, ENGINEER, ADMIN = "UMKT1", "UIT2", "UADMIN"


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def intake_row(
    requested: datetime, lead_days: int, *, claimed: datetime | None = None, personal: str = "no", vendors: str = "none"
) -> NewProjectIntake:
    intake = NewProjectIntake(
        name="Project",
        business_case="Because",
        outcomes="",
        launch_date=date(2027, 1, 1),
        audiences="",
        data_needed="",
        personal_data=personal,
        integrations="",
        new_vendors=vendors,
        budget="",
        owner_id=MARKETER,
        stakeholders=[],
        requested_by=MARKETER,
        requested_at=requested,
        lead_days=lead_days,
        status="claimed" if claimed else "new",
        it_contact=ENGINEER if claimed else None,
        claimed_at=claimed,
        version=1,
        refreshed_version=1,
    )
    intake.events.append(NewProjectEvent(action="submit", actor=MARKETER, at=requested, note=""))
    if claimed:
        intake.events.append(NewProjectEvent(action="claim", actor=ENGINEER, at=claimed, note=""))
    return intake


def seed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        urgent = intake_row(at(27, 9), 10, claimed=at(27, 17))  # picked up in 8 h, then approved
        urgent.events.append(NewProjectEvent(action="approve", actor=ENGINEER, at=at(28, 10), note=""))
        unclaimed = intake_row(at(26, 9), 20, vendors="Acme CDP")  # short notice, never taken
        session.add_all(
            [
                intake_row(at(24, 10), 40, claimed=at(24, 14), personal="yes"),  # picked up in 4 h
                unclaimed,
                urgent,
                intake_row(at(17), 60, claimed=at(18)),  # the week before: picked up in 24 h
            ]
        )
        session.flush()
        session.add(IntakeEscalation(key="newproject:2:escalate:1", intake_id=unclaimed.id, level=1, sent_at=at(28)))
        _sitdowns(session)
        _lunch(session)
        _liaisons(session)
        _glossary(session)


def _sitdowns(session: Session) -> None:
    series = SitdownSeries(
        title="Marketing × IT",
        channel_id="CJOINT",
        cadence="weekly",
        weekday=1,  # Tuesdays at 10:00 UTC: 17 Nov (skipped) and 24 Nov (held)
        nth=None,
        local_time="10:00",
        zone="UTC",
        starts_on=date(2026, 11, 3),
        duration_minutes=30,
        lead_minutes=[],
        video_link=None,
        status="active",
        owner=ADMIN,
        created_by=ADMIN,
        created_at=at(2),
        updated_by=ADMIN,
        updated_at=at(2),
        planned_until=at(2),
    )
    session.add(series)
    session.flush()
    session.add(SitdownMeeting(series_id=series.id, original_start=at(17, 10), start=at(17, 10), status="skipped"))
    session.add(
        SitdownActionItem(
            series_id=series.id,
            text="Share the tracking plan",
            owner=ENGINEER,
            due_on=date(2026, 11, 26),  # open at the week's end: overdue
            category="immediate",
            status="open",
            created_by=ADMIN,
            created_at=at(24, 10, 30),
        )
    )


def _lunch(session: Session) -> None:
    lunch = LunchSession(
        topic="APIs for marketers",
        abstract="",
        presenters=[ENGINEER],
        direction="it_to_marketing",
        starts_at=at(25),
        duration_minutes=45,
        place="Room 1",
        capacity=10,
        taken=2,
        status="scheduled",
        channel_id="CJOINT",
        created_by=ENGINEER,
        created_at=at(20),
    )
    session.add(lunch)
    session.flush()
    for user_id, score in ((MARKETER, 5), (ENGINEER, 4)):
        session.add(
            LunchSignup(session_id=lunch.id, user_id=user_id, status="seated", signed_up_at=at(20), seated_at=at(20))
        )
        session.add(LunchRating(session_id=lunch.id, user_id=user_id, score=score, comment="", rated_at=at(25, 14)))


def _liaisons(session: Session) -> None:
    for user_id, side in ((MARKETER, "marketing"), (ENGINEER, "it")):
        member = LiaisonMember(user_id=user_id, side=side, status="active", source="manual", joined_at=at(1))
        member.changed_by, member.changed_at = ADMIN, at(1)
        session.add(member)
    rotation = LiaisonRotation(
        start_date=date(2026, 11, 16),
        length=4,
        unit="weeks",
        tz="UTC",
        channels=[],
        active=True,
        created_by=ADMIN,
        created_at=at(1),
    )
    session.add(rotation)
    session.flush()
    ends = datetime(2026, 12, 14, tzinfo=UTC)  # 14 days after the week's end
    session.add(
        LiaisonTerm(
            rotation_id=rotation.id,
            number=0,
            starts_at=at(16, 0),
            ends_at=ends,
            marketing_user=MARKETER,
            it_user=ENGINEER,
            status="planned",
            planned_at=at(1),
        )
    )


def _glossary(session: Session) -> None:
    session.add(
        Term(
            name="Attribution",
            key="attribution",
            created_by=MARKETER,
            created_at=at(25),
            updated_by=MARKETER,
            updated_at=at(25),
        )
    )
    for text, day in (("ROAS", 24), ("roas", 25), ("<!channel>", 26), ("ROAS", 20)):
        session.add(JargonLookup(query_key=text.lower(), query_text=text, user_id=MARKETER, looked_up_at=at(day)))
    session.add(
        DefinitionRequest(
            term_text="ROAS",
            key="roas",
            side="marketing",
            channel_id="CMARKETING",
            status="open",
            requested_by=MARKETER,
            requested_at=at(26),
        )
    )


# What the digest of the week of 23-29 Nov says, worked out by hand from the rows above.
EXPECTED_LINES = (
    "• Filed: *3* (before: 1)",
    "• Median lead time: *20 days* (before: 60 days)",  # of 40, 20, 10; the week before: 60
    "• Short notice or urgent: *67%* (before: 0%)",  # 20 and 10 days are under 30
    "• Median time to pickup: *6 h* (before: 24 h), over 2 intakes claimed",  # of 4 h and 8 h
    "• Unclaimed at the end: *1* (before: 0)",
    "• Escalations sent: *1* (before: 0)",
    "• Decisions: *1 approved, 0 declined, 0 sent to review* (before: 0 approved, 0 declined, 0 sent to review)",
    "• Touching personal data: *1* (before: 0)",
    "• Naming new vendors: *1* (before: 0)",
    "• Meetings held: *1* (before: 0) · skipped: *0* (before: 1)",
    "• Action items opened: *1 immediate, 0 long-term* (before: 0 immediate, 0 long-term)",
    "• Action items closed: *0 immediate, 0 long-term* (before: 0 immediate, 0 long-term)",
    "• Overdue at the end: *1 immediate, 0 long-term* (before: 0 immediate, 0 long-term)",
    "• Sessions held: *1* (before: 0)",
    "• Seats taken: *1 Marketing, 1 IT, 0 other* (before: 0 Marketing, 0 IT, 0 other)",
    "• Average rating: *4.5/5* (before: —), from 2 ratings",
    "• Taught by: *0 Marketing, 1 IT, 0 joint* (before: 0 Marketing, 0 IT, 0 joint)",
    "• Terms added: *1* (before: 0)",
    "• Most-missed lookups: “roas” ×2, “&lt;!channel&gt;” ×1",
    "• Open definition requests at the end: *1* (before: 0)",
    "• Current pair: <@UMKT1> (marketing) and <@UIT2> (IT); handover in 14 days",
)

"""The leadership digest's persistence: its schedule, the escalations sent (as events), and the queries that hand
the digest's rules plain rows (bot/digest_rules.py)."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Integer, String, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot import digest_rules as rules
from bot.digest_rules import Schedule
from storage.liaison_models import LiaisonTerm
from storage.lunchlearn import LunchRating, LunchSession, LunchSignup
from storage.models import Base, DefinitionRequest, JargonLookup, Term, insert_for
from storage.newproject import NewProjectEvent, NewProjectIntake
from storage.sitdown_models import SitdownActionItem, SitdownSeries

SCHEDULE_ROW = 1  # the one schedule


class DigestSchedule(Base):
    """When the leadership digest goes out; one row (id 1), written by a bot admin from Home."""

    __tablename__ = "digest_schedule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    local_time: Mapped[str] = mapped_column(String(5))  # HH:MM in `zone`
    zone: Mapped[str] = mapped_column(String(64))  # IANA name
    period: Mapped[str] = mapped_column(String(16))  # weekly or monthly
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class IntakeEscalation(Base):
    """An escalation of an unclaimed intake, recorded when Slack took it: level 1 is the reminder in IT's channel,
    level 2 the admins' (one row per recipient). `key` is the outbox row's, so each is recorded once."""

    __tablename__ = "newproject_escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    intake_id: Mapped[int] = mapped_column(Integer, index=True)
    level: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(index=True)


class DigestRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- the schedule ---

    def schedule(self) -> Schedule | None:
        row = self.session.get(DigestSchedule, SCHEDULE_ROW)
        if row is None:
            return None
        hours, minutes = (int(part) for part in row.local_time.split(":"))
        return Schedule(row.weekday, time(hours, minutes), row.zone, row.period)

    def save_schedule(self, schedule: Schedule, *, by: str, at: datetime) -> None:
        row = self.session.get(DigestSchedule, SCHEDULE_ROW)
        if row is None:
            row = DigestSchedule(id=SCHEDULE_ROW)
            self.session.add(row)
        row.weekday, row.local_time, row.zone, row.period = (
            schedule.weekday,
            f"{schedule.at:%H:%M}",
            schedule.zone,
            schedule.period,
        )
        row.updated_by, row.updated_at = by, at

    # --- escalations ---

    def record_escalation(self, *, key: str, intake_id: int, level: int, sent_at: datetime) -> None:
        statement = insert_for(self.session, IntakeEscalation).values(
            key=key, intake_id=intake_id, level=level, sent_at=sent_at
        )
        self.session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))

    # --- rows for the figures ---

    def rows(self, since: datetime, sides: dict[str, str]) -> rules.Rows:
        """What the figures of periods from `since` on need (meetings aside: they are computed occurrences)."""
        return rules.Rows(
            intakes=self.intakes(),
            decisions=self._decisions(since),
            escalations=self._escalations(since),
            actions=self._actions(since),
            sessions=self._sessions(since),
            terms=[
                rules.TermRow(at)
                for at in self.session.scalars(select(Term.created_at).where(Term.created_at >= since))
            ],
            lookups=self._missed_lookups(since),
            requests=self._requests(since),
            liaison_terms=self._liaison_terms(since),
            sides=sides,
        )

    def intakes(self) -> list[rules.IntakeRow]:
        """Every intake (an old one can still be unclaimed at a period's end)."""
        columns = (
            NewProjectIntake.requested_at,
            NewProjectIntake.lead_days,
            NewProjectIntake.claimed_at,
            NewProjectIntake.closed_at,
            NewProjectIntake.personal_data,
            NewProjectIntake.new_vendors,
        )
        return [rules.IntakeRow(*row) for row in self.session.execute(select(*columns)).all()]

    def _decisions(self, since: datetime) -> list[rules.DecisionRow]:
        statement = select(NewProjectEvent.action, NewProjectEvent.at).where(
            NewProjectEvent.action.in_(rules.DECISION_KINDS), NewProjectEvent.at >= since
        )
        return [rules.DecisionRow(*row) for row in self.session.execute(statement).all()]

    def _escalations(self, since: datetime) -> list[rules.EscalationRow]:
        statement = select(IntakeEscalation.intake_id, IntakeEscalation.level, IntakeEscalation.sent_at).where(
            IntakeEscalation.sent_at >= since
        )
        return [rules.EscalationRow(*row) for row in self.session.execute(statement).all()]

    def _actions(self, since: datetime) -> list[rules.ActionRow]:
        item = SitdownActionItem
        statement = (
            select(item.category, item.created_at, item.done_at, item.due_on, SitdownSeries.zone)
            .join(SitdownSeries, SitdownSeries.id == item.series_id)
            .where(or_(item.done_at.is_(None), item.done_at >= since))
        )
        return [rules.ActionRow(*row) for row in self.session.execute(statement).all()]

    def _sessions(self, since: datetime) -> list[rules.SessionRow]:
        sessions = list(self.session.scalars(select(LunchSession).where(LunchSession.starts_at >= since)))
        ids = [s.id for s in sessions]
        seated: dict[int, list[str]] = {}
        scores: dict[int, list[int]] = {}
        if ids:
            signups = select(LunchSignup.session_id, LunchSignup.user_id).where(
                LunchSignup.session_id.in_(ids), LunchSignup.status == "seated"
            )
            for session_id, user_id in self.session.execute(signups.order_by(LunchSignup.id)).all():
                seated.setdefault(session_id, []).append(user_id)
            ratings = select(LunchRating.session_id, LunchRating.score).where(LunchRating.session_id.in_(ids))
            for session_id, score in self.session.execute(ratings.order_by(LunchRating.id)).all():
                scores.setdefault(session_id, []).append(score)
        return [
            rules.SessionRow(
                s.starts_at,
                s.status == "cancelled",
                s.direction,
                tuple(seated.get(s.id, ())),
                tuple(scores.get(s.id, ())),
            )
            for s in sessions
        ]

    def _missed_lookups(self, since: datetime) -> list[rules.LookupRow]:
        statement = select(JargonLookup.query_text, JargonLookup.looked_up_at).where(
            JargonLookup.term_id.is_(None), JargonLookup.looked_up_at >= since
        )
        return [
            rules.LookupRow(text.strip().casefold(), at, False) for text, at in self.session.execute(statement).all()
        ]

    def _requests(self, since: datetime) -> list[rules.RequestRow]:
        request = DefinitionRequest
        statement = select(request.requested_at, request.defined_at, request.status).where(
            or_(request.status == "open", request.defined_at >= since)
        )
        return [rules.RequestRow(*row) for row in self.session.execute(statement).all()]

    def _liaison_terms(self, since: datetime) -> list[rules.LiaisonTermRow]:
        term = LiaisonTerm
        statement = select(term.starts_at, term.ends_at, term.marketing_user, term.it_user).where(
            term.status == "planned", term.ends_at >= since
        )
        return [rules.LiaisonTermRow(*row) for row in self.session.execute(statement).all()]

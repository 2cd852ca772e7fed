"""`user forget` after the person used every feature through its real use cases, and the bot sent what it sends:
whatever column the code put their id in (by content, not by name), no trace is left; the others' data stays."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.glossary import SenseData, TermDraft, TermEntry
from bot.liaison_rules import RotationDraft
from bot.lunchlearn_rules import SessionDraft
from bot.services import Services
from storage.liaison_models import LiaisonMember
from storage.lunchlearn import LunchSignup
from storage.newproject import NewProjectIntake
from storage.people import FORMER_MEMBER
from tests.builders import intake_draft, series_starting
from tests.conftest import ADMIN, JOINT_CHANNEL, FakeClock
from tests.test_people import traces_of

FORGOTTEN = "UFORGET002"
KEPT = "UKEEPER002"


def use_every_feature(services: Services, clock: FakeClock) -> None:
    glossary = services.glossary
    for person, name in ((FORGOTTEN, "Pipeline"), (KEPT, "Backlog")):
        saved = glossary.create(TermDraft(name, (SenseData("both", f"Ask <@{person}> about it."),)), by=person)
        glossary.record_lookup(name.lower(), saved.entry.id, person)
        glossary.record_lookup("nothing like it", None, person)
        glossary.request_definition("Flywheel", by=person)
        services.newproject.submit(intake_draft(owner=person, stakeholders=(FORGOTTEN, KEPT)), by=person)
    series = services.sitdown.create_series(series_starting(clock().date() + timedelta(days=2)), by=KEPT)
    services.sitdown.add_agenda_to_series(series.id, f"Budget, with <@{FORGOTTEN}>", by=FORGOTTEN)
    services.sitdown.mute(series.id, FORGOTTEN)
    lunch = services.lunchlearn.create(
        SessionDraft(
            topic="APIs for marketers",
            abstract="What an API is.",
            presenters=(FORGOTTEN, KEPT),
            direction="it_to_marketing",
            starts_at=clock() + timedelta(days=3),
            duration_minutes=60,
            place="Room 4.12",
            capacity=10,
        ),
        by=FORGOTTEN,
    )
    services.lunchlearn.sign_up(lunch.id, FORGOTTEN)
    services.lunchlearn.sign_up(lunch.id, KEPT)
    services.liaison.join(FORGOTTEN, "marketing")
    services.liaison.join(KEPT, "it")
    services.liaison.intros_opt_in(FORGOTTEN, "marketing")
    rotation = RotationDraft(clock().date(), "2", "weeks", "Europe/London", (JOINT_CHANNEL,), "2")
    services.liaison.configure(rotation, by=ADMIN)
    services.home.opened(FORGOTTEN)
    for plan in services.planners():
        plan()
    services.dispatcher.run_once()


def test_forget_after_every_feature_leaves_no_trace_and_keeps_the_others(services: Services, clock: FakeClock) -> None:
    use_every_feature(services, clock)
    services.glossary.lookups.flush()  # lookups wait in memory for a second; the running bot writes them so
    found = services.people.export(FORGOTTEN)
    assert {"terms", "jargon_lookups", "newproject_intakes", "sitdown_mutes", "lunchlearn_signups"} <= set(found.tables)
    assert {"liaison_members", "outbox", "home_visits"} <= set(found.tables)

    services.people.forget(FORGOTTEN)

    assert traces_of(services, FORGOTTEN) == []
    services.glossary.refresh_seconds = 0  # the glossary in memory is re-read once its fingerprint changes
    pipeline = services.glossary.lookup("pipeline")
    assert isinstance(pipeline, TermEntry) and pipeline.created_by == FORMER_MEMBER
    assert pipeline.senses[0].definition == f"Ask {FORMER_MEMBER} about it."
    backlog = services.glossary.lookup("backlog")
    assert isinstance(backlog, TermEntry) and backlog.created_by == KEPT
    with services.sessions() as session:
        requesters = session.execute(select(NewProjectIntake.requested_by, NewProjectIntake.stakeholders)).all()
        assert sorted(requesters) == sorted([(FORMER_MEMBER, [KEPT]), (KEPT, [KEPT])])
        assert session.execute(select(LunchSignup.user_id)).scalars().all() == [KEPT]
        assert session.execute(select(LiaisonMember.user_id)).scalars().all() == [KEPT]
    assert traces_of(services, KEPT)

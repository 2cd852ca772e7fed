"""Importing a glossary CSV: new terms are added in bulk, known ones replaced, and the definition requests the
file answers are closed, each by the term that answers it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.glossary import SenseData, TermDraft, TermEntry
from bot.glossary_csv import GlossaryCsvError
from bot.glossary_service import STARTER_AUTHOR
from bot.services import Services
from storage.models import DefinitionRequest
from tests.conftest import FakeClock

IMPORTED = """\
term,aliases,acronyms,side,definition,example,why_it_matters,added_by,added_at
Marketing qualified lead,,MQL,marketing,  A lead marketing judges ready for sales.  ,A demo request.,Sales calls it.,\
UMARKETER,2026-01-05T09:00:00+00:00
Churn,attrition,,marketing,Customers who stop buying in a period.,,,,
Churn,,,it,Code that changes often.,,,,
Latency,lag;delay,,it,The wait before a system answers.,,,,
"""


def entry(services: Services, name: str) -> TermEntry:
    found = services.glossary.lookup(name)
    assert isinstance(found, TermEntry), name
    return found


def test_an_import_adds_new_terms_and_replaces_known_ones(services: Services, clock: FakeClock) -> None:
    created_at = clock()
    churn = services.glossary.create(
        TermDraft("churn", (SenseData("marketing", "Customers we lose."),), ("customer loss",)), by="UEDITOR"
    ).entry
    clock.advance(days=1)

    added, replaced = services.glossary.import_csv(IMPORTED, by="UIMPORTER")

    assert (added, replaced) == (2, 1)
    mql = entry(services, "mql")
    assert mql.name == "Marketing qualified lead"
    assert mql.acronyms == ("MQL",) and mql.aliases == ()
    assert mql.senses == (
        SenseData("marketing", "A lead marketing judges ready for sales.", "A demo request.", "Sales calls it."),
    )
    assert (mql.created_by, mql.created_at, mql.version) == ("UMARKETER", datetime(2026, 1, 5, 9, tzinfo=UTC), 1)
    latency = entry(services, "delay")
    assert latency.aliases == ("lag", "delay")
    assert (latency.created_by, latency.created_at, latency.updated_by) == ("UIMPORTER", clock(), "UIMPORTER")
    [revision] = services.glossary.history(latency.id)
    assert (revision.action, revision.changed_by, revision.changed_at, revision.previous) == (
        "import",
        "UIMPORTER",
        clock(),
        None,
    )

    replaced_churn = entry(services, "attrition")
    assert replaced_churn.id == churn.id
    assert [s.side for s in replaced_churn.senses] == ["marketing", "it"]
    assert replaced_churn.aliases == ("attrition",)
    assert entry(services, "churn").id == churn.id
    assert not isinstance(services.glossary.lookup("customer loss"), TermEntry), "the old alias went with the edit"
    assert (replaced_churn.created_by, replaced_churn.created_at, replaced_churn.version) == ("UEDITOR", created_at, 2)
    latest = services.glossary.history(churn.id)[0]
    assert (latest.action, latest.changed_by) == ("import", "UIMPORTER")
    assert latest.previous is not None and latest.previous["aliases"] == ["customer loss"]


def test_an_import_closes_the_requests_it_answers_each_by_its_own_term(services: Services, clock: FakeClock) -> None:
    services.glossary.create(TermDraft("Churn", (SenseData("marketing", "Customers we lose."),)), by="UEDITOR")
    asked = {
        text: services.glossary.request_definition(text, by="UASKER").request.id
        for text in ("MQL", "attrition", "lag", "Kubernetes")
    }
    clock.advance(hours=1)

    services.glossary.import_csv(IMPORTED, by="UIMPORTER")

    with services.sessions() as session:
        for text, term in (("MQL", "Marketing qualified lead"), ("attrition", "Churn"), ("lag", "Latency")):
            row = session.get_one(DefinitionRequest, asked[text])
            assert (row.status, row.defined_by, row.defined_at, row.term_id) == (
                "defined",
                "UIMPORTER",
                clock(),
                entry(services, term).id,
            ), text
        assert session.get_one(DefinitionRequest, asked["Kubernetes"]).status == "open", "not in the file"


def test_a_failed_import_adds_nothing(services: Services) -> None:
    services.glossary.create(TermDraft("Pipeline", (SenseData("it", "A CI/CD build."),), ("lag",)), by="UEDITOR")

    with pytest.raises(GlossaryCsvError, match="lag"):
        services.glossary.import_csv(IMPORTED, by="UIMPORTER")

    assert services.glossary.stats().terms == 1


def test_each_starter_term_is_bridgebots_with_one_import_revision(services: Services, clock: FakeClock) -> None:
    services.glossary.load_starter_glossary_if_empty()

    entries = list(services.glossary.index().entries.values())
    assert {(e.created_by, e.created_at, e.updated_by, e.version) for e in entries} == {
        (STARTER_AUTHOR, clock(), STARTER_AUTHOR, 1)
    }
    for term in (entries[0], entries[-1]):
        [revision] = services.glossary.history(term.id)
        assert (revision.action, revision.changed_by, revision.changed_at, revision.previous) == (
            "import",
            STARTER_AUTHOR,
            clock(),
            None,
        )

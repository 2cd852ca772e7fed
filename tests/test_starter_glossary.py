"""The starter glossary: loaded into an empty database once, broad, and round-tripping through CSV."""

from __future__ import annotations

from bot.glossary_csv import read_glossary_csv
from bot.glossary_service import STARTER_GLOSSARY
from bot.services import Services


def test_starter_glossary_is_loaded_once_into_an_empty_database(services: Services) -> None:
    added = services.glossary.load_starter_glossary_if_empty()

    assert added >= 150
    assert services.glossary.load_starter_glossary_if_empty() == 0
    index = services.glossary.index()
    assert len(index) == added
    sides = [sense.side for entry in index.entries.values() for sense in entry.senses]
    assert sides.count("it") >= 50 and sides.count("marketing") >= 50
    sql = index.find("sql")
    assert sql is not None and {s.side for s in sql.senses} == {"it", "marketing"}


def test_starter_csv_exports_back_to_the_same_terms(services: Services) -> None:
    services.glossary.load_starter_glossary_if_empty()

    exported = read_glossary_csv(services.glossary.export_csv())
    original = read_glossary_csv(STARTER_GLOSSARY.read_text(encoding="utf-8"))

    assert sorted((t.draft for t in exported), key=lambda d: d.name) == sorted(
        (t.draft for t in original), key=lambda d: d.name
    )

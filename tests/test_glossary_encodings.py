"""The glossary file an admin actually has: Excel's CSV on Windows (Windows-1252), UTF-8 with or without a BOM,
and a bad row reported by its line, its column and the value found there."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.__main__ import main
from bot.glossary import TermEntry
from bot.glossary_csv import GlossaryCsvError, decode_csv, read_glossary_csv
from bot.services import Services

HEADER = "term,aliases,acronyms,side,definition,example,why_it_matters,added_by,added_at\r\n"
EXCEL_ROWS = (
    "Café,coffee shop,,marketing,A naïve “quote” costs 5 €.,Le coût d’acquisition – en €.,Größe zählt.,,\r\n"
    "Déjà vu,,,it,The same bug again… ‘twice’.,,,,\r\n"
)


@pytest.fixture
def admin_cli(services: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Services:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("DATABASE_URL", services.settings.database_url or "")
    return services


def entry(services: Services, name: str) -> TermEntry:
    found = services.glossary.lookup(name)
    assert isinstance(found, TermEntry), name
    return found


def test_a_csv_saved_by_excel_in_windows_1252_imports_through_the_cli(
    admin_cli: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (HEADER + EXCEL_ROWS).encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # what used to end the import in a traceback
    (tmp_path / "excel.csv").write_bytes(data)

    assert main(["glossary", "import", "excel.csv"]) == 0

    assert "2 terms added" in capsys.readouterr().out
    cafe = entry(admin_cli, "coffee shop")
    assert cafe.name == "Café"
    assert cafe.senses[0].definition == "A naïve “quote” costs 5 €."
    assert cafe.senses[0].example == "Le coût d’acquisition – en €."
    assert cafe.senses[0].why_it_matters == "Größe zählt."
    assert entry(admin_cli, "déjà vu").senses[0].definition == "The same bug again… ‘twice’."


def test_utf_8_with_a_bom_still_imports(admin_cli: Services, tmp_path: Path) -> None:
    (tmp_path / "bom.csv").write_bytes(codecs.BOM_UTF8 + (HEADER + EXCEL_ROWS).encode("utf-8"))

    assert main(["glossary", "import", "bom.csv"]) == 0

    assert entry(admin_cli, "café").senses[0].definition == "A naïve “quote” costs 5 €."


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("Lead,,,sales,Someone.,,,,", "line 3, column side (“sales”): the side must be marketing, it or both"),
        ("Lead,,,it,,,,,", "line 3, column definition (empty): every row needs a definition"),
        ("…,,,it,Dots.,,,,", "line 3, column term (“…”): a term needs at least one letter or digit"),
        (
            "Lead,,,it,Someone.,,,,yesterday",
            "line 3, column added_at (“yesterday”): not an ISO date-time like 2026-01-31T09:00:00+00:00",
        ),
        ("Lead,,,it,Someone.,,,,,surplus", "line 3: this row has more fields than the header's 9 (extra: surplus)"),
    ],
)
def test_a_bad_row_is_reported_by_line_column_and_value_and_nothing_is_imported(
    admin_cli: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str], row: str, expected: str
) -> None:
    text = HEADER + "Café,,,marketing,A place.,,,,\r\n" + row + "\r\n"
    (tmp_path / "bad.csv").write_bytes(text.encode("cp1252"))

    assert main(["glossary", "import", "bad.csv"]) == 2

    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"bridgebot: bad.csv: {expected}")
    assert line.endswith("; nothing was imported")
    assert admin_cli.glossary.export_csv() == HEADER.replace("\r\n", "\n")


def test_a_long_bad_value_is_cut_in_the_message() -> None:
    with pytest.raises(GlossaryCsvError) as raised:
        read_glossary_csv(HEADER + "Lead,,," + "x" * 500 + ",Someone.,,,,\r\n")
    assert str(raised.value) == f"line 2, column side (“{'x' * 59}…”): the side must be marketing, it or both"


def test_bytes_in_no_known_encoding_are_refused_in_one_line() -> None:
    with pytest.raises(GlossaryCsvError, match="not a text file"):
        decode_csv(bytes(range(256)) * 4)


WESTERN_WORDS = st.sampled_from(
    [
        "Café",
        "naïve",
        "déjà",
        "vu",
        "coût",
        "d’acquisition",
        "“quoted”",
        "‘single’",
        "5",
        "€",
        "–",
        "—",
        "…",
        "Größe",
        "Straße",
        "Ärger",
        "œuvre",
        "señor",
        "año",
        "piñata",
        "façade",
        "rôle",
        "crème",
        "brûlée",
        "Zürich",
        "naïveté",
        "résumé",
        "fiancée",
        "lead",
        "churn",
        "budget",
    ]
)
SENTENCES = st.lists(WESTERN_WORDS, min_size=3, max_size=25).map(" ".join)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definition=SENTENCES, example=SENTENCES)
@example(definition="Café déjà déjà", example="déjà déjà déjà déjà")  # the detector's guess alone: cp1250's "déją"
@example(definition="5 5 año", example="5 año año")  # the detector's guess alone: Big5's "a隳"
def test_western_text_saved_as_windows_1252_reads_back_exactly(definition: str, example: str) -> None:
    text = HEADER + f'Term,,,marketing,"{definition}","{example}",,,\r\n'
    assert decode_csv(text.encode("cp1252")) == text


@given(text=st.text(st.characters(exclude_categories=("Cs",))))
def test_any_utf_8_text_reads_back_exactly_with_or_without_a_bom(text: str) -> None:
    assert decode_csv(text.encode("utf-8")) == text
    assert decode_csv(codecs.BOM_UTF8 + text.encode("utf-8")) == text


@pytest.mark.parametrize(
    ("encoding", "row"),
    [
        ("cp1250", "Zażółć,,,it,Gęślą jaźń — łódź żółta. Świętość, źdźbło.,,,,\r\n"),
        ("cp1250", "Wynik,,,it,Sprawdź wyniki sprzedaży.,,,,\r\n"),
        ("cp1251", "Привет,,,it,Это определение термина для маркетинга.,,,,\r\n"),
        ("shift_jis", "顧客,,,marketing,製品やサービスを購入する人や会社のこと。,,,,\r\n"),
        ("gb18030", "客户,,,marketing,购买产品或服务的个人或公司。市场部门负责吸引新客户。,,,,\r\n"),
        ("big5", "客戶,,,marketing,購買產品或服務的個人或公司。市場部門負責吸引新客戶。,,,,\r\n"),
        # Short files that also read as plain Windows-1252 letters and marks, in short runs:
        ("shift_jis", "Account,アカウント,,it,A user login.,,,,\r\n"),  # "ƒAƒJƒEƒ“ƒg"
        ("shift_jis", "System,システム,,it,The whole platform.,,,,\r\n"),
        ("shift_jis", "Users,用者学開,,it,People who log in.,,,,\r\n"),  # "—pŽÒŠwŠJ"
        ("gb18030", "Customer,고객,,marketing,Someone who buys.,,,,\r\n"),  # four bytes each, two of them digits
    ],
)
def test_text_windows_1252_reads_as_a_mess_goes_by_the_detector(encoding: str, row: str) -> None:
    assert decode_csv((HEADER + row).encode(encoding)) == HEADER + row

"""`python -m bot user export|forget`: what an admin types, what they read, and what the database then holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.services import Services
from tests.conftest import FakeClock
from tests.test_people import FORGOTTEN, KEPT, fill_every_table, traces_of


@pytest.fixture
def filled(services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Services:
    with services.sessions.begin() as session:
        for number, person in enumerate((FORGOTTEN, KEPT)):
            fill_every_table(session, person, number, clock())
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("DATABASE_URL", services.settings.database_url or "")
    return services


def no_wait(_seconds: float) -> None:
    """Stands in for the wait `user forget` leaves running bots to flush: no bot runs in these tests (the purge
    with running bots is tests/test_lookup_buffer.py's)."""


class Terminal:
    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def isatty(self) -> bool:
        return True

    def input(self, prompt: str) -> str:
        self.asked.append(prompt)
        return self.answer


def at_a_terminal(monkeypatch: pytest.MonkeyPatch, answer: str) -> Terminal:
    terminal = Terminal(answer)
    monkeypatch.setattr("sys.stdin", terminal)
    monkeypatch.setattr("builtins.input", terminal.input)
    return terminal


def test_export_writes_json_to_stdout_and_lists_what_it_found(
    filled: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["user", "export", FORGOTTEN]) == 0

    out, err = capsys.readouterr()
    exported = json.loads(out)
    assert exported["user_id"] == FORGOTTEN
    assert exported["counts"]["lunchlearn_signups"] == 1
    assert exported["tables"]["lunchlearn_signups"][0]["user_id"] == FORGOTTEN
    assert KEPT not in out
    assert err.startswith(f"{FORGOTTEN}: ") and "jargon_lookups 1" in err


def test_export_to_a_file(filled: Services, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["user", "export", FORGOTTEN, "me.json"]) == 0

    out, err = capsys.readouterr()
    assert out == ""
    assert json.loads((tmp_path / "me.json").read_text("utf-8"))["counts"]["sitdown_mutes"] == 1
    assert "written to me.json" in err


def test_forget_asks_first_and_a_no_changes_nothing(
    filled: Services, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = at_a_terminal(monkeypatch, "n")

    assert main(["user", "forget", FORGOTTEN]) == 1

    assert terminal.asked == [f"Forget {FORGOTTEN}? This cannot be undone. Type 'yes' to go on: "]
    assert "nothing was changed" in capsys.readouterr().out
    assert traces_of(filled, FORGOTTEN)


def test_forget_after_yes_leaves_no_trace(
    filled: Services, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    at_a_terminal(monkeypatch, "yes")
    waited: list[float] = []

    assert main(["user", "forget", FORGOTTEN], sleep=waited.append) == 0

    out, err = capsys.readouterr()
    assert f"forgot {FORGOTTEN}: " in out and "terms (anonymised 2" in out
    assert waited == [2] and f"waiting 2 s for running bots to drop lookups of {FORGOTTEN}" in err
    assert traces_of(filled, FORGOTTEN) == []
    assert traces_of(filled, KEPT)


def test_forget_without_a_terminal_needs_yes(filled: Services, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["user", "forget", FORGOTTEN]) == 2  # pytest's stdin is not a terminal
    assert "--yes" in capsys.readouterr().err
    assert traces_of(filled, FORGOTTEN)

    assert main(["user", "forget", FORGOTTEN, "--yes"], sleep=no_wait) == 0
    assert traces_of(filled, FORGOTTEN) == []
    assert main(["user", "forget", FORGOTTEN, "--yes"], sleep=no_wait) == 0
    assert "nothing to forget" in capsys.readouterr().out


def test_a_malformed_id_is_one_line(filled: Services, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["user", "export", "alice"]) == 2
    assert capsys.readouterr().err.strip() == (
        "bridgebot: 'alice' is not a Slack user id (like U012AB3CD; a profile's ⋮ menu copies it)"
    )

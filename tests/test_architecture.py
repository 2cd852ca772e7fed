"""The shape of the house, read from the code's own imports: layers import one way, modules stay small.

- no import circles among the modules of bot/, handlers/ and storage/ (TYPE_CHECKING imports included);
- handlers/ (the Slack edge) never imports storage/;
- storage/ never imports handlers/, nor the use cases (the modules that stand on bot.kit), nor the assembly;
- the use cases never import handlers/, Bolt or slack_sdk: Slack stays at the edge;
- no module of bot/, handlers/ or storage/ is over 450 lines (released migrations aside).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("bot", "handlers", "storage")
MAX_LINES = 450
ASSEMBLY = {"bot.app", "bot.services", "bot.__main__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    found = {}
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


@cache
def imports_of(name: str) -> frozenset[str]:
    """The project modules this one imports (`from x import y` counts x.y when that is a module)."""
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(
        target for target in found if target in modules() or target.split(".")[0] in {"slack_bolt", "slack_sdk"}
    )


def project_imports(name: str) -> set[str]:
    return {target for target in imports_of(name) if target in modules() and target != name}


def use_case_modules() -> set[str]:
    return {name for name in modules() if "bot.kit" in imports_of(name)}


def test_there_are_no_import_circles() -> None:
    graph = {name: project_imports(name) for name in modules()}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        assert name not in visiting, "import circle: " + " → ".join([*visiting[visiting.index(name) :], name])
        visiting.append(name)
        for target in sorted(graph[name]):
            visit(target)
        visiting.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_the_slack_edge_never_imports_storage() -> None:
    offenders = {
        name: sorted(t for t in project_imports(name) if t.startswith("storage"))
        for name in modules()
        if name.startswith("handlers")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_storage_never_imports_the_edge_the_use_cases_or_the_assembly() -> None:
    forbidden = use_case_modules() | ASSEMBLY
    offenders = {
        name: sorted(t for t in project_imports(name) if t.startswith("handlers") or t in forbidden)
        for name in modules()
        if name.startswith("storage")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_use_cases_never_import_slack_or_the_edge() -> None:
    assert use_case_modules(), "the use cases are the modules that stand on bot.kit"
    offenders = {
        name: sorted(t for t in imports_of(name) if t.startswith(("handlers", "slack_bolt", "slack_sdk")))
        for name in use_case_modules()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


@pytest.mark.parametrize("name", sorted(modules()))
def test_a_module_stays_small_enough_to_have_one_reason_to_change(name: str) -> None:
    lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{modules()[name].relative_to(ROOT)} has {lines} lines"


# Libraries a running bot loads only when it first needs them (idle memory, start-up time): the chart's drawing
# (a child process draws it), the migrations (a child process runs them), and the calendar files.
LOADED_ON_FIRST_USE = {"matplotlib", "alembic", "mako", "icalendar", "prometheus_client"}


def test_the_assembled_bot_leaves_heavy_libraries_for_their_first_use(database_url: str) -> None:
    code = (
        "import sys; from bot.app import build_services, create_app; from bot.config import Settings\n"
        "services = build_services(Settings(bot_token='xoxb-test', signing_secret='s', database_url=sys.argv[1]))\n"
        "create_app(services, token_verification=False)\n"
        f"print(sorted({{name.split('.')[0] for name in sys.modules}} & set({sorted(LOADED_ON_FIRST_USE)!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, database_url], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )

    assert done.stdout.strip() == "[]"

"""The layering rules of DESIGN.md section 7 and STYLE.md rule 3."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "crypto").rglob("*.py")), ids=lambda p: p.name)
def test_crypto_is_pure(path: Path) -> None:
    forbidden = {"voting", "flask", "sqlalchemy", "flask_sqlalchemy", "logging", "requests"}
    assert not (_imported_modules(path) & forbidden)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "voting" / "services").rglob("*.py")), ids=lambda p: p.name
)
def test_services_know_nothing_of_flask(path: Path) -> None:
    assert not (_imported_modules(path) & {"flask", "flask_sqlalchemy", "werkzeug"})


def test_layering_test_sees_files() -> None:
    # Guard against the parametrised tests above silently collecting nothing.
    assert len(list((ROOT / "crypto").rglob("*.py"))) >= 5


def test_observer_tools_load_without_flask_or_a_database() -> None:
    # An observer runs the verifier with only crypto/ and voting.rules:
    # importing them must not pull in the web application's stack.
    import subprocess
    import sys

    probe = (
        "import sys, voting.verify, voting.rules; "
        "loaded = {'flask', 'sqlalchemy', 'werkzeug', 'requests'} & set(sys.modules); "
        "print(sorted(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"

"""Every test docs/threat-model.md names exists: a renamed or deleted attack test fails here.

A row names a file (`tests/…/x.py`, optionally `::test_name`) and may name more
tests of the same file as `::other_test`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(
    r"`((?:tests|benchmarks)/[\w/.-]+\.py)(?:::([\w-]+)[^`]*)?`|`::([\w-]+)[^`]*`"
)


def references(text: str) -> list[tuple[str, str | None]]:
    """(file, test or None) for each reference in the table rows of ``text``."""
    found: list[tuple[str, str | None]] = []
    for line in text.splitlines():
        current = None
        for match in REFERENCE.finditer(line) if line.startswith("|") else ():
            if match.group(1):
                current = match.group(1)
                found.append((current, match.group(2)))
            elif current is not None:
                found.append((current, match.group(3)))
    return found


def _functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_named_test_exists() -> None:
    found = references((ROOT / "docs" / "threat-model.md").read_text())
    assert len(found) > 50
    missing = [
        f"{file}::{name}" if name else file
        for file, name in found
        if not (ROOT / file).is_file() or (name and name not in _functions(ROOT / file))
    ]
    assert missing == []


def test_a_missing_test_is_found() -> None:
    row = "| x | y | z | `tests/adversary/test_trust_roots.py::no_such_test`, `::neither` |"
    assert references(row) == [
        ("tests/adversary/test_trust_roots.py", "no_such_test"),
        ("tests/adversary/test_trust_roots.py", "neither"),
    ]

"""The verifier uses only crypto/, the pure voting.rules, the tile reader and the standard library.

No web framework, no database, no network: an observer runs it on the
record alone. One opt-in exception: the Dask backend (``--scheduler``, issue
15) imports ``distributed`` inside the function that runs it, and only there;
importing the verifier does not load it. Checked statically (imports of
every module of voting/tools/verify and voting/rules) and by running it in a
process where Flask, SQLAlchemy, Werkzeug, requests and the database drivers
cannot be imported at all.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.voting.record_tamper import Keys
from voting.rehearsal.rehearse import RehearsalSummary

ROOT = Path(__file__).resolve().parents[2]
VERIFY = sorted((ROOT / "voting" / "tools" / "verify").glob("*.py"))
VERIFY.append(ROOT / "voting" / "tools" / "tiles.py")  # the tile reader (--tiles)
RULES = sorted((ROOT / "voting" / "rules").glob("*.py"))
ALLOWED_VOTING = ("voting.tools.verify", "voting.tools.tiles", "voting.rules")
OPT_IN = {"backends.py": {"distributed", "dask.config"}}
"""third-party imports a module may make inside a function, for an option the user chooses"""
FORBIDDEN = (
    "flask",
    "flask_sqlalchemy",
    "flask_migrate",
    "sqlalchemy",
    "werkzeug",
    "requests",
    "psycopg",
    "alembic",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", VERIFY + RULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_imports_only_crypto_rules_and_stdlib(path: Path) -> None:
    top_level = _imports_at_top(path)
    for name in _imports(path):
        if name in OPT_IN.get(path.name, set()) and path.parent.name == "verify":
            assert name not in top_level, f"{path.name} imports {name} at import time"
            continue
        top = name.split(".")[0]
        if top == "voting":
            assert name.startswith(ALLOWED_VOTING), f"{path.name} imports {name}"
        else:
            assert top == "crypto" or top in sys.stdlib_module_names, f"{path.name} imports {name}"


def _imports_at_top(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_importing_the_verifier_loads_no_cluster_engine() -> None:
    probe = (
        "import sys, voting.verify, voting.tools.verify.__main__; "
        "print(sorted({'distributed', 'dask'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"


def test_the_files_are_seen() -> None:
    assert len(VERIFY) >= 8 and len(RULES) >= 4


BLOCKED_RUN = """
import importlib.abc, sys, types
FORBIDDEN = {forbidden!r}

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in FORBIDDEN:
            raise ImportError(f"the verifier must not import {{name}}")
        return None

sys.meta_path.insert(0, Block())
# voting/__init__.py builds the web app; the verifier needs only the package's path.
package = types.ModuleType("voting")
package.__path__ = [{voting!r}]
sys.modules["voting"] = package
from voting.tools.verify.__main__ import main
code = main([{record!r}, "--jobs", "2", "--no-progress"])
loaded = sorted(n for n in sys.modules if n.split(".")[0] in FORBIDDEN)
assert not loaded, loaded
sys.exit(code)
"""


def test_verifier_runs_without_flask_or_a_database(
    rehearsed: tuple[RehearsalSummary, Keys],
) -> None:
    script = BLOCKED_RUN.format(
        forbidden=set(FORBIDDEN), voting=str(ROOT / "voting"), record=str(rehearsed[0].record)
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]
    assert "The record is VALID." in done.stdout

"""The rooms of the code and what each may import (DESIGN.md section 9, STYLE.md rule 3).

Each package's docstring says what its room is for and what it may import;
this test holds every module to it, by the modules its source names (import
statements at any depth, including those inside functions).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

WEB = ("flask", "flask_sqlalchemy", "flask_wtf", "flask_babel", "flask_migrate", "werkzeug")
DATABASE = ("sqlalchemy", "psycopg", "alembic")
SERVER_ROOMS = (
    "voting.app",
    "voting.cli",
    "voting.models",
    "voting.services",
    "voting.log",
    "voting.views",
    "voting.rehearsal",
)


@dataclass(frozen=True)
class Rule:
    """Modules under ``room`` import none of ``forbidden`` (dotted prefixes)."""

    room: str
    forbidden: tuple[str, ...]
    why: str


RULES = (
    Rule(
        "crypto",
        ("voting", "logging", "requests", *WEB, *DATABASE),
        "crypto/ is pure: no I/O, no logging of secrets, nothing of the application",
    ),
    Rule("voting.errors", ("voting", *WEB, *DATABASE), "domain errors know no framework"),
    Rule("voting.rules", ("voting", "crypto", *WEB, *DATABASE), "the outcome rules are pure"),
    Rule(
        "voting.models",
        ("voting.services", "voting.log", "voting.views", "voting.cli", "voting.rehearsal"),
        "models only persist data",
    ),
    Rule(
        "voting.log",
        (*WEB, "voting.services", "voting.views", "voting.cli", "voting.rehearsal"),
        "the log knows no Flask and calls no service",
    ),
    Rule(
        "voting.services",
        (*WEB, "voting.views", "voting.cli", "voting.app", "voting.rehearsal", "voting.tools"),
        "domain services know nothing of Flask",
    ),
    Rule(
        "voting.views",
        ("voting.cli", "voting.rehearsal", "voting.tools"),
        "views call services; they do not run commands or rehearsals",
    ),
    Rule(
        "voting.tools",
        (*WEB, *DATABASE, *SERVER_ROOMS, "voting.errors"),
        "other parties' programs run without the server's stack",
    ),
    Rule(
        "voting.registrar",
        (*WEB, "voting.app", "voting.views", "voting.cli", "voting.log", "voting.rehearsal"),
        "the registrar works offline",
    ),
)


def imported_modules(source: str, filename: str = "<source>") -> set[str]:
    """Every module a source names, with ``from a import b`` counted as ``a`` and ``a.b``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def violations(source: str, rule: Rule, filename: str = "<source>") -> list[str]:
    """The imports of ``source`` that ``rule`` forbids."""
    found = []
    for name in sorted(imported_modules(source, filename)):
        if _within(name, rule.room):  # a room may import itself
            continue
        if any(_within(name, prefix) for prefix in rule.forbidden):
            found.append(f"{name} ({rule.why})")
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def modules_of(room: str) -> list[Path]:
    base = ROOT.joinpath(*room.split("."))
    single = base.with_suffix(".py")
    return [single] if single.is_file() else sorted(base.rglob("*.py"))


CASES = [(rule, path) for rule in RULES for path in modules_of(rule.room)]


@pytest.mark.parametrize(("rule", "path"), CASES, ids=[module_name(path) for _, path in CASES])
def test_module_keeps_to_its_room(rule: Rule, path: Path) -> None:
    assert violations(path.read_text(), rule, str(path)) == []


def test_every_room_has_modules() -> None:
    # Guard against a rule that silently collects nothing (a renamed room).
    for rule in RULES:
        assert modules_of(rule.room), rule.room


def test_voting_top_level_holds_only_the_package_errors_and_command_aliases() -> None:
    aliases = {"verify", "trustee", "witness", "clerk", "client", "receipt", "returncodes"}
    loose = {path.stem for path in (ROOT / "voting").glob("*.py")}
    assert loose == {"__init__", "errors"} | aliases
    for name in aliases:  # an alias is a few lines that run the tool of voting.tools
        source = (ROOT / "voting" / f"{name}.py").read_text()
        assert len(source.splitlines()) <= 8
        assert all(_within(module, f"voting.tools.{name}") for module in imported_modules(source))


def test_every_package_says_what_its_room_is_for_and_may_import() -> None:
    for init in [
        *(ROOT / "voting").glob("*/__init__.py"),
        *(ROOT / "crypto").glob("*/__init__.py"),
    ]:
        if init.parent.name == "data":  # package data, no code
            continue
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert "may import" in doc.lower(), f"{init} does not say what its room may import"


WRITES = {"commit", "add", "add_all", "delete", "flush", "merge"}


def session_writes(source: str) -> list[str]:
    """Calls such as ``db.session.commit()`` or ``session.add(row)`` in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
            and "session" in ast.unparse(node.func.value)
        ):
            found.append(ast.unparse(node.func))
    return found


@pytest.mark.parametrize("path", modules_of("voting.views"), ids=module_name)
def test_views_leave_writes_and_commits_to_the_services(path: Path) -> None:
    assert session_writes(path.read_text()) == []


def test_a_view_that_commits_is_named() -> None:
    assert session_writes("def v():\n    db.session.add(row)\n    db.session.commit()\n") == [
        "db.session.add",
        "db.session.commit",
    ]


@pytest.mark.parametrize(
    ("room", "source", "expected"),
    [
        ("crypto", "from voting.log import bulletin\n", "voting.log"),
        ("voting.services", "def f():\n    from flask import request\n", "flask"),
        ("voting.log", "import voting.services.casting\n", "voting.services.casting"),
        ("voting.tools", "import sqlalchemy.orm as so\n", "sqlalchemy.orm"),
        ("voting.tools", "from voting import models\n", "voting.models"),
        ("voting.errors", "from werkzeug.exceptions import HTTPException\n", "werkzeug"),
        ("voting.rules", "from crypto.group import Point\n", "crypto.group"),
        ("voting.models", "from voting.services.casting import cast_ballot\n", "voting.services"),
    ],
)
def test_a_broken_rule_is_named(room: str, source: str, expected: str) -> None:
    rule = next(rule for rule in RULES if rule.room == room)
    found = violations(source, rule)
    assert found and any(item.startswith(expected) for item in found)


def test_observer_tools_load_without_flask_or_a_database() -> None:
    # An observer runs the verifier with only crypto/ and voting.rules:
    # importing them must not pull in the web application's stack.
    probe = (
        "import sys, voting.verify, voting.tools.verify, voting.rules; "
        "loaded = {'flask', 'sqlalchemy', 'werkzeug', 'requests'} & set(sys.modules); "
        "print(sorted(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"

"""Every command the README and docs/ name still runs (its ``--help`` answers).

The commands are read from the documents themselves, so a command that is
documented but moved or renamed fails here: ``python -m voting.X [sub]`` as
its own process (the way an observer or trustee runs it), ``flask --app app
GROUP [sub]`` through the app's command line.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
WORD = r"[a-z][a-z0-9-]*"  # a subcommand, not an option, file or placeholder


def _documented(pattern: str) -> list[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for document in DOCUMENTS:
        for match in re.finditer(pattern, document.read_text()):
            found.add(tuple(word for word in match.groups() if word))
    return sorted(found)


MODULE_COMMANDS = _documented(rf"python3? -m (voting\.\w+)(?: ({WORD})\b(?![.\w/]))?")
FLASK_COMMANDS = _documented(rf"flask --app app ({WORD})(?: ({WORD})\b(?![.\w/]))?")


def test_the_documents_name_commands() -> None:
    modules = {command[0] for command in MODULE_COMMANDS}
    assert {"voting.verify", "voting.trustee", "voting.witness", "voting.clerk"} <= modules
    assert {"demo", "tally", "record"} <= {command[0] for command in FLASK_COMMANDS}


def _help(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command, "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize("command", MODULE_COMMANDS, ids=" ".join)
def test_documented_module_command_answers_help(command: tuple[str, ...]) -> None:
    module, *sub = command
    top = _help(module)
    assert top.returncode == 0, top.stderr
    if sub and sub[0] in top.stdout:  # a subcommand (not prose that follows the command)
        result = _help(module, *sub)
        assert result.returncode == 0, result.stderr
        assert "usage" in result.stdout.lower()


@pytest.mark.parametrize("command", FLASK_COMMANDS, ids=" ".join)
def test_documented_flask_command_answers_help(
    runner: FlaskCliRunner, command: tuple[str, ...]
) -> None:
    result = runner.invoke(args=[*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output

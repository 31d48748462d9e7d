"""The README's two set-up commands stay true and .ci/run runs the test one."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"^    (\S.*)$", text, flags=re.MULTILINE)


def test_readme_opens_with_exactly_two_commands() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    assert "flask --app app demo" in commands[0]
    assert "scripts/test" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert _readme_commands()[1] in ci.splitlines()


def test_the_test_script_runs_the_suite_on_sqlite_and_on_postgresql() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "scripts" / "test").read_text().splitlines()
        if "python3 -m pytest" in line and not line.lstrip().startswith("#")
    ]
    assert len(lines) == 2
    assert lines[0].startswith("env -u URNA_TEST_DATABASE_URL ")
    assert lines[1].startswith('URNA_TEST_DATABASE_URL="$POSTGRES_URL" ')
    assert "--database-tests-only" in lines[1]  # the tests marked `database` (docs/testing.md)
    assert all(line.endswith('"$@"') for line in lines)

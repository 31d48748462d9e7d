"""The `database` marker that picks scripts/test's PostgreSQL pass stays true (docs/testing.md).

A test reaches the suite's database only through ``URNA_TEST_DATABASE_URL``: it is read in
tests/conftest.py (``migrated_database``, hence ``app``, ``client``, ``runner``,
``db_session``), whose users are marked at collection. A new reader of the variable elsewhere
would take its tests out of the PostgreSQL pass unseen; this test names it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
VARIABLE = "URNA_TEST_DATABASE_URL"
READERS = {
    "tests/conftest.py": "the suite's database: migrated_database and app",
    "tests/production/test_migrations_postgresql.py": (
        "PostgreSQL in every pass (URNA_TEST_POSTGRES_URL in the SQLite one, which "
        "scripts/test points at the same server): run once, in the SQLite pass"
    ),
    "tests/production/_server.py": "removes it from gunicorn's environment",
    "tests/test_readme.py": "reads scripts/test's text, not the variable",
}
"""Every Python file that mentions the variable in code, and why its tests are classified."""


def _python_files() -> list[Path]:
    folders = ("tests", "voting", "crypto", "benchmarks", "scripts")
    return [p for folder in folders for p in (ROOT / folder).rglob("*.py")] + [ROOT / "app.py"]


def test_only_the_known_files_read_the_database_variable() -> None:
    this = Path(__file__).resolve()
    mentions = {
        str(path.relative_to(ROOT))
        for path in _python_files()
        if path.resolve() != this and _reads(path.read_text(encoding="utf-8"))
    }
    assert mentions == set(READERS), (
        f"{sorted(mentions ^ set(READERS))}: a file that reads {VARIABLE} decides which "
        "database its tests use; mark them `database` and list the file here (docs/testing.md)"
    )


def _reads(source: str) -> bool:
    """Whether the variable appears outside comments and docstrings (in code or a string)."""
    code = re.sub(r'"""[\s\S]*?"""', "", source)
    return any(VARIABLE in line.split("#", 1)[0] for line in code.splitlines())


def test_a_test_using_the_client_is_marked(
    client: FlaskClient, request: pytest.FixtureRequest
) -> None:
    assert client.get("/").status_code == 200
    assert request.node.get_closest_marker("database") is not None


def test_a_test_without_the_database_is_not_marked(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("database") is None


@pytest.mark.parametrize("only", [False, True])
def test_the_postgresql_pass_keeps_exactly_the_marked_tests(
    pytester: pytest.Pytester, only: bool
) -> None:
    """--database-tests-only deselects the unmarked tests and keeps fixture users and the
    tests marked by hand."""
    pytester.makeconftest(
        "import pytest\n"
        "from tests.conftest import pytest_addoption, pytest_collection_modifyitems\n"
        "@pytest.fixture(scope='session')\n"
        "def migrated_database():\n    return 'sqlite://'\n"
        "@pytest.fixture()\n"
        "def app(migrated_database):\n    return migrated_database\n"
    )
    pytester.makeini("[pytest]\nmarkers =\n    database: uses the suite's database\n")
    pytester.makepyfile(
        "import pytest\n"
        "def test_pure():\n    pass\n"
        "def test_app(app):\n    pass\n"
        "@pytest.mark.database\n"
        "def test_by_hand():\n    pass\n"
    )
    args = ["--database-tests-only"] if only else []
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", *args)
    if only:
        result.assert_outcomes(passed=2, deselected=1)
    else:
        result.assert_outcomes(passed=3)

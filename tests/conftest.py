"""Shared fixtures: ``app``, ``client``, ``runner`` and ``db_session`` (as in flaskr).

The database is SQLite by default. Set ``URNA_TEST_DATABASE_URL`` (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) to run the same suite on
PostgreSQL. The schema is built once per run with the Alembic migrations;
each test then starts from empty tables.

Every test whose fixtures reach that database (``migrated_database``, through
``app``, ``client``, ``runner``, ``db_session`` or any fixture built on them) is
marked ``database`` at collection; ``--database-tests-only`` runs only those, as
the PostgreSQL pass of scripts/test does (docs/testing.md).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask
from flask.testing import FlaskClient
from flask.testing import FlaskCliRunner
from flask_migrate import upgrade

from tests.official_actions import OfficialActions
from voting.app import create_app
from voting.app.extensions import db

pytest_plugins = ["tests.fixtures_casting", "tests.returncode_authorities", "pytester"]

POSTGRES_URL = os.environ.get("URNA_TEST_DATABASE_URL", "")
DATABASE_FIXTURE = "migrated_database"
"""The one fixture that reaches the suite's database: a test whose fixture closure holds it
is marked ``database`` (:func:`pytest_collection_modifyitems`)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests marked `database` (scripts/test's PostgreSQL pass)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that use the suite's database; with ``--database-tests-only``,
    deselect the others (they do the same on every database: docs/testing.md)."""
    for item in items:
        if DATABASE_FIXTURE in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.database)
    if not config.getoption("--database-tests-only"):
        return
    keep = [item for item in items if item.get_closest_marker("database")]
    dropped = [item for item in items if not item.get_closest_marker("database")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_report_collectionfinish(config: pytest.Config, items: list[pytest.Item]) -> str:
    database = sum(1 for item in items if item.get_closest_marker("database"))
    if config.getoption("--database-tests-only"):
        return f"database tests only: {len(items)} tests use the database"
    return f"{database} of {len(items)} tests use the database (marked `database`)"


def _config(database_url: str, instance: Path) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "URNA_INSTANCE": str(instance),
        "URNA_LOG_KEY_PATH": str(instance / "log-signing.key"),
        "WTF_CSRF_ENABLED": True,
    }


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database URL whose schema is at Alembic head (built once per run)."""
    instance = tmp_path_factory.mktemp("template")
    url = POSTGRES_URL or f"sqlite:///{instance / 'template.sqlite'}"
    if POSTGRES_URL:  # before create_app: it checks the log key against stored checkpoints
        _raw_sql(url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    app = create_app(_config(url, instance))
    with app.app_context():
        upgrade()
        if POSTGRES_URL:
            with db.engine.begin() as conn:
                conn.execute(sa.text(_RESET_FUNCTION))
        db.engine.dispose()
    return url


@pytest.fixture()
def app(migrated_database: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    if request.node.get_closest_marker("database") is None:  # reached through getfixturevalue
        pytest.fail(
            f"{request.node.nodeid} uses the database but is not marked `database`, so the "
            "PostgreSQL pass would leave it out: add @pytest.mark.database (docs/testing.md)",
            pytrace=False,
        )
    if POSTGRES_URL:
        url = migrated_database
    else:
        template = Path(migrated_database.removeprefix("sqlite:///"))
        copy = tmp_path / "urna.sqlite"
        shutil.copyfile(template, copy)
        url = f"sqlite:///{copy}"
    if POSTGRES_URL:  # emptied before create_app, which checks the log key against them
        _raw_sql(url, "SELECT urna_test_reset(:tables)", {"tables": _table_names()})
    app = create_app(_config(url, tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


# Emptying the tables before each test on PostgreSQL: DELETE (children first)
# and every sequence back to 1, as TRUNCATE ... RESTART IDENTITY would, but in
# a few milliseconds instead of about 70 (TRUNCATE replaces each table's files;
# the tables of a test hold a handful of rows).
_RESET_FUNCTION = """
CREATE OR REPLACE FUNCTION urna_test_reset(tables text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    name text;
    seq regclass;
BEGIN
    FOREACH name IN ARRAY tables LOOP
        EXECUTE format('DELETE FROM %I', name);
    END LOOP;
    FOR seq IN SELECT c.oid::regclass FROM pg_class c
               WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace LOOP
        PERFORM setval(seq, 1, false);
    END LOOP;
END $$
"""


def _table_names() -> list[str]:
    from voting import models  # noqa: F401  (registers the tables)

    return [t.name for t in reversed(db.metadata.sorted_tables)]  # children first


def _raw_sql(url: str, statement: str, params: dict[str, object] | None = None) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement), params or {})
    finally:
        engine.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture()
def db_session(app: Flask) -> so.Session:
    return db.session


@pytest.fixture()
def official_actions(client: FlaskClient) -> OfficialActions:
    """Create officials and log in as one (tests/official_actions.py)."""
    return OfficialActions(client)

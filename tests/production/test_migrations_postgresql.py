"""Alembic on PostgreSQL: upgrade from an empty schema to head, match the models, back to base.

tests/voting/test_migrations.py does the same on SQLite. This runs in every
suite run (SQLite or PostgreSQL), in a schema of its own in the PostgreSQL
database of ``URNA_TEST_DATABASE_URL`` or ``URNA_TEST_POSTGRES_URL`` (default:
CI's ``test``), so it never touches the suite's tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade
from flask_migrate import upgrade

from tests.postgres_schema import scratch_schema
from voting.app import create_app
from voting.app.extensions import db

POSTGRES_URL = (
    os.environ.get("URNA_TEST_DATABASE_URL")
    or os.environ.get("URNA_TEST_POSTGRES_URL")  # as tests/voting/test_log_backends.py
    or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture()
def empty_schema_url() -> Iterator[str]:
    with scratch_schema(POSTGRES_URL, "urna_migrations", what="migrations") as url:
        yield url


def test_upgrade_from_empty_matches_the_models_and_downgrades(
    empty_schema_url: str, tmp_path: Path
) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_schema_url, "URNA_INSTANCE": str(tmp_path)})
    with app.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} | {"alembic_version"} == tables
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], "the migrations and the models differ on PostgreSQL"
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.session.remove()
        db.engine.dispose()

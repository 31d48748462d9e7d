"""A scratch schema in a PostgreSQL database, for tests that need PostgreSQL in every run."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa


@contextmanager
def scratch_schema(url: str, prefix: str, *, what: str) -> Iterator[str]:
    """Create a schema of its own in the database of ``url``; drop it afterwards.

    Yields the URL whose connections use that schema (``search_path``). An
    unreachable server fails the test, saying that ``what`` must be tested on
    PostgreSQL.
    """
    admin = sa.create_engine(url)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is unreachable at {url} ({exc.orig}): scripts/postgres-up starts it "
            f"(or set URNA_TEST_POSTGRES_URL); {what} must be tested on PostgreSQL",
            pytrace=False,
        )
    schema = f"{prefix}_{secrets.token_hex(4)}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

"""Alembic: upgrade from empty to head, and back down to base."""

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade
from flask_migrate import upgrade

from voting.app import create_app
from voting.app.extensions import db


def test_upgrade_from_empty_and_downgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "URNA_INSTANCE": str(tmp_path)})
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert "alembic_version" in tables
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()

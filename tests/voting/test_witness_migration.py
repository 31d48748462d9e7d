"""Migration 0003 creates the witness tables exactly as the models declare them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from voting.app.extensions import db
from voting.models.witness import LogWitness
from voting.models.witness import WitnessAggregate
from voting.models.witness import WitnessCosignature


@pytest.mark.parametrize("model", [LogWitness, WitnessCosignature, WitnessAggregate])
def test_columns_and_constraints_match_the_models(app: Flask, model: type) -> None:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    inspector = sa.inspect(db.engine)
    migrated = {c["name"]: c for c in inspector.get_columns(table.name)}
    assert set(migrated) == {c.name for c in table.columns}
    for column in table.columns:
        assert migrated[column.name]["nullable"] == column.nullable, column.name
    unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table.name)}
    declared = {
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    }
    assert declared <= unique
    keys = inspector.get_foreign_keys(table.name)
    foreign = {(f["referred_table"], tuple(f["constrained_columns"])) for f in keys}
    assert foreign == {(fk.column.table.name, (fk.parent.name,)) for fk in table.foreign_keys}

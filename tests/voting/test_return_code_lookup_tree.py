"""The committed lookup tree: stored once at opening, proofs folded from O(log n) hashes.

docs/return-codes.md, "Lookup table". The proof and the root read from the
stored subtree hashes must be byte-identical to the in-memory RFC 9162 tree
(:mod:`crypto.merkle`) over the entries, for sizes that are and are not powers of two.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade
from flask_migrate import upgrade

from crypto import merkle
from voting.app import create_app
from voting.app.extensions import db
from voting.models.returncodes import ReturnCodeEntry
from voting.models.returncodes import ReturnCodeLookupNode
from voting.rehearsal.demo import load_demo
from voting.services import return_code_setup
from voting.services.return_code_setup import LookupTreeMissing

VOTE_DAY = "2026-06-14-ch"


def _entries(size: int) -> list[tuple[str, str]]:
    """``size`` entries: a lookup key and a sealed value (hex), each distinct."""
    return [
        (hashlib.sha256(b"lookup %d" % n).hexdigest(), hashlib.sha256(b"sealed %d" % n).hexdigest())
        for n in range(size)
    ]


def _store(entries: list[tuple[str, str]]) -> None:
    db.session.execute(sa.delete(ReturnCodeEntry).where(ReturnCodeEntry.vote_day_id == VOTE_DAY))
    db.session.add_all(
        ReturnCodeEntry(vote_day_id=VOTE_DAY, lookup=a, sealed=b, position=n)
        for n, (a, b) in enumerate(entries)
    )
    db.session.flush()


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 16, 33])
def test_stored_proofs_match_the_in_memory_tree(app: Flask, size: int) -> None:
    list(load_demo())
    entries = _entries(size)
    _store(entries)
    leaves = [merkle.leaf_hash(return_code_setup.entry_leaf(a, b)) for a, b in entries]
    stored_size, root = return_code_setup.store_lookup_tree(db.session, VOTE_DAY)
    db.session.commit()
    assert (stored_size, root) == (size, merkle.root_hash(leaves))
    for position in range(size):
        inclusion = return_code_setup.lookup_inclusion(db.session, VOTE_DAY, position)
        expected = [h.hex() for h in merkle.inclusion_proof(leaves, position)]
        assert inclusion == {"size": size, "root": root.hex(), "proof": expected}
        merkle.verify_inclusion(
            leaves[position], position, size, [bytes.fromhex(h) for h in expected], root
        )


def test_the_tree_is_replaced_not_added_to(app: Flask) -> None:
    list(load_demo())
    _store(_entries(6))
    return_code_setup.store_lookup_tree(db.session, VOTE_DAY)
    _store(_entries(5))
    _, root = return_code_setup.store_lookup_tree(db.session, VOTE_DAY)
    db.session.commit()
    stored = db.session.scalar(
        sa.select(sa.func.count()).where(ReturnCodeLookupNode.vote_day_id == VOTE_DAY)
    )
    assert stored == 3  # 5 leaves: two nodes of 2, one of 4
    assert return_code_setup.lookup_inclusion(db.session, VOTE_DAY, 4)["root"] == root.hex()


def test_a_missing_stored_hash_is_named(app: Flask) -> None:
    list(load_demo())
    _store(_entries(4))
    return_code_setup.store_lookup_tree(db.session, VOTE_DAY)
    db.session.execute(sa.delete(ReturnCodeLookupNode).where(ReturnCodeLookupNode.level == 2))
    db.session.commit()
    with pytest.raises(LookupTreeMissing, match=r"\(2, 0\).*0014_return_code_lookup_tree"):
        return_code_setup.lookup_inclusion(db.session, VOTE_DAY, 0)


def test_the_migration_stores_the_tree_of_a_table_stored_before_it(tmp_path: Path) -> None:
    """0014 backfills the tree of every table already stored; the downgrade drops it."""
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "URNA_INSTANCE": str(tmp_path)})
    entries = _entries(11)
    with app.app_context():
        upgrade(revision="0013_return_codes")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO return_code_entries (vote_day_id, lookup, position, sealed)"
                    " VALUES (:day, :lookup, :position, :sealed)"
                ),
                [
                    {"day": VOTE_DAY, "lookup": a, "position": n, "sealed": b}
                    for n, (a, b) in enumerate(entries)
                ],
            )
        upgrade()
        leaves = [merkle.leaf_hash(return_code_setup.entry_leaf(a, b)) for a, b in entries]
        for position in (0, 7, 10):
            inclusion = return_code_setup.lookup_inclusion(db.session, VOTE_DAY, position)
            assert inclusion["root"] == merkle.root_hash(leaves).hex()
            assert inclusion["proof"] == [h.hex() for h in merkle.inclusion_proof(leaves, position)]
        db.session.remove()
        downgrade(revision="0013_return_codes")
        assert "return_code_lookup_nodes" not in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()

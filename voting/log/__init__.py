"""The bulletin board: one append-only Merkle log per vote day (DESIGN.md section 5).

Appending under the log lock (:mod:`voting.log.bulletin`), the tree's stored
subtree hashes (:mod:`voting.log._tree`), O(log n) reads and proofs
(:mod:`voting.log.reads`), the signing key (:mod:`voting.log.keys`), audits
(:mod:`voting.log.audit`), the explorer's read-only views
(:mod:`voting.log.explorer`) and the witnesses' roster and cosignatures
(:mod:`voting.log.witnesses`).

May import: :mod:`crypto`, :mod:`voting.models`, :mod:`voting.errors`,
SQLAlchemy. Never Flask, the views or the services: services call the log,
the log calls no service.
"""

"""Urna's pure cryptography: no Flask, no database, no I/O, no logging of secrets.

Public modules: :mod:`crypto.group`, :mod:`crypto.ed25519`, :mod:`crypto.elgamal`,
:mod:`crypto.proofs`, :mod:`crypto.ballot`, :mod:`crypto.merkle`, :mod:`crypto.note`,
:mod:`crypto.encoding`, :mod:`crypto.errors`, the return codes
(:mod:`crypto.returncodes`, :mod:`crypto.returncode_table`,
:mod:`crypto.returncode_messages`, :mod:`crypto.returncode_setup`), and two
rooms: :mod:`crypto.trustees` (key ceremony and threshold decryption) and
:mod:`crypto.witness` (witness keys, rosters and cosignatures). Modules whose
names start with an underscore are private to their package.

May import: PyNaCl, rbcl (the election group, in :mod:`crypto._group` only),
py-ecc (the witnesses' BLS only), rfc8785 and the standard library. Never
:mod:`voting`, Flask, SQLAlchemy, logging or the network.

The byte-level specification is ``docs/spec.md``.
"""

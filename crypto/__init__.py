"""Urna's pure cryptography: no Flask, no database, no I/O, no logging of secrets.

Public modules: :mod:`crypto.group`, :mod:`crypto.elgamal`, :mod:`crypto.proofs`,
:mod:`crypto.ballot`, :mod:`crypto.trustees`, :mod:`crypto.merkle`,
:mod:`crypto.encoding`, :mod:`crypto.errors`. Modules whose names start with an
underscore are private to this package.

The byte-level specification is ``docs/spec.md``.
"""

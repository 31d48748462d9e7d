"""py_ecc, imported without its raised recursion limit.

py_ecc's ``__init__`` raises Python's recursion limit to 100,000 at import.
Nothing in Urna needs it (py_ecc's optimised BLS12-381 code does not recurse
deeply), and with it a deeply nested JSON body overflows the C stack of a
server worker instead of raising ``RecursionError``. This module is imported
by :mod:`crypto.witness` before anything of py_ecc, and puts the limit back.
"""

from __future__ import annotations

import importlib
import sys

_LIMIT = sys.getrecursionlimit()
importlib.import_module("py_ecc")
sys.setrecursionlimit(_LIMIT)

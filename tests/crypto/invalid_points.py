"""Encodings the election group must refuse: RFC 9496 Appendix A.2 (facts).

Loaded from tests/vectors/rfc9496.json, which the browser tests read too.
"""

from __future__ import annotations

import json
from pathlib import Path

_RFC9496 = json.loads(
    (Path(__file__).resolve().parent.parent / "vectors" / "rfc9496.json").read_text()
)

INVALID_ENCODINGS: list[tuple[str, str]] = [
    (case["reason"], case["encoding"]) for case in _RFC9496["invalid_encodings"]["cases"]
]
"""(reason, hex) for each of the RFC's invalid encodings."""

ONE_OF_EACH: dict[str, str] = {}
"""One invalid encoding per reason: non-canonical, negative, non-square, negative xy, y = 0."""
for _reason, _encoding in INVALID_ENCODINGS:
    ONE_OF_EACH.setdefault(_reason, _encoding)

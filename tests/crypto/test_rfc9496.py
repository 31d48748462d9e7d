"""The group reproduces RFC 9496 Appendix A (tests/vectors/rfc9496.json).

The same file checks the browser's group (tests/js/group.test.mjs), so the
server, the verifier and the citizen's browser agree with the RFC and with
each other byte for byte.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from crypto.errors import InvalidEncoding
from crypto.group import G
from crypto.group import Point
from crypto.group import Scalar
from tests.vectors.build import VECTORS_DIR

RFC = json.loads((VECTORS_DIR / "rfc9496.json").read_text())


def test_multiples_of_the_generator() -> None:
    encodings = RFC["multiples_of_generator"]["encodings"]
    assert len(encodings) == 16
    total = Point.identity()
    for k, expected in enumerate(encodings):
        assert Point.base_times(Scalar.from_int(k)).hex() == expected, k
        assert (G * Scalar.from_int(k)).hex() == expected, k
        assert total.hex() == expected, k
        if k:
            assert Point.from_hex(expected) == total
        total = total + G


@pytest.mark.parametrize(
    "case", RFC["invalid_encodings"]["cases"], ids=lambda c: f"{c['reason']}:{c['encoding'][:8]}"
)
def test_invalid_encodings(case: dict[str, str]) -> None:
    with pytest.raises(InvalidEncoding):
        Point.from_hex(case["encoding"])


def test_hash_to_group() -> None:
    for case in RFC["hash_to_group"]["cases"]:
        digest = hashlib.sha512(case["label"].encode()).digest()
        assert digest.hex() == case["hash"]
        assert Point.from_uniform_bytes(digest).hex() == case["element"]

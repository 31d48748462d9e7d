"""Canonical JSON: the fast path is byte-identical to the RFC 8785 reference."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from crypto.encoding import canonical_json
from crypto.errors import InvalidEncoding

scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | st.text()
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


def _reference(value: Any) -> bytes | None:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, ValueError, TypeError):
        return None


@given(json_values)
@settings(max_examples=400)
def test_matches_reference_implementation(value: Any) -> None:
    expected = _reference(value)
    if expected is None:
        with pytest.raises(InvalidEncoding):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [1, 2, {"d": "\u20ac", "c": '\n\t"\\\u0001'}]},
        {"é": 1, "e": 2, "\U0001f600": 3, "\uff61": 4},  # non-ASCII keys: UTF-16 order
        {"big": 2**60},
        "\u2028\u2029",
    ],
)
def test_known_cases(value: Any) -> None:
    expected = _reference(value)
    if expected is None:
        with pytest.raises(InvalidEncoding):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


@pytest.mark.parametrize(
    "bad", [1.5, {"a": 0.0}, [float("nan")], {1: "x"}, {"a": object()}, "\ud800"]
)
def test_refused(bad: Any) -> None:
    with pytest.raises(InvalidEncoding):
        canonical_json(bad)

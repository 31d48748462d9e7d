"""JSON from strangers, bounded before it is parsed (docs/security.md, "Request bodies").

Every JSON body the server reads goes through :func:`parse_json` (the views
through :func:`voting.views._json.json_body`, which also bounds the bytes it
reads, with or without ``Content-Length``). Before ``json.loads`` runs, the
text is checked for size and nesting depth; while it runs, every number's
length is checked. A body that breaks a bound raises :class:`BodyTooLarge`
(413) or :class:`MalformedJson` (400) and nothing else happens.
"""

from __future__ import annotations

import json
import re
from typing import Any

from voting.errors import InvalidRequest

MAX_BODY_BYTES = 64 * 1024
"""Default size limit of a JSON body (a ballot is at most 64 KiB too)."""
MAX_DEPTH = 32
"""Deepest nesting of arrays and objects accepted (Urna's messages use fewer than 10)."""
MAX_NUMBER_DIGITS = 100
"""Longest number accepted, in characters (Urna's numbers are counts and indexes)."""

_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
"""A JSON string, or an unterminated one up to the end of the body.

Written as runs of plain characters between escapes (Friedl's unrolled loop:
four times faster than one alternation per character). Its closing quote is
optional so that the scan is linear: with it required,
each of 32,000 quotes of ``"\\"\\"\\…`` began a string that ran to the end and
failed (12 s of CPU for a 64 KB body). JSON's own decoder stops at an
unterminated string, so the brackets after one are never parsed either.
"""
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = frozenset(b"[{")


class BodyTooLarge(InvalidRequest):
    code = "body_too_large"
    status = 413


class MalformedJson(InvalidRequest):
    code = "malformed_json"


def parse_json(body: bytes, *, max_bytes: int = MAX_BODY_BYTES) -> Any:
    """``body`` decoded as JSON, within the size, depth and number bounds.

    Raises:
        BodyTooLarge: more than ``max_bytes`` bytes.
        MalformedJson: not JSON, nested deeper than :data:`MAX_DEPTH`, or a
            number longer than :data:`MAX_NUMBER_DIGITS` characters.
    """
    if len(body) > max_bytes:
        raise BodyTooLarge(f"the request body is at most {max_bytes} bytes")
    check_depth(body)
    try:
        return json.loads(body, parse_int=_int, parse_float=_float, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise MalformedJson(f"the request body is not JSON: {exc}") from exc


def check_depth(body: bytes) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` (strings are skipped, so ``"[["`` is fine).

    Raises:
        MalformedJson: nested too deep.
    """
    # The strings go first, then everything but the brackets (both in C): what
    # is left is a few dozen brackets, not the thousands of bytes of a ballot.
    brackets = _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = 0
    for bracket in brackets:
        if bracket in _OPENING:
            depth += 1
            if depth > MAX_DEPTH:
                raise MalformedJson(f"the request body is nested deeper than {MAX_DEPTH} levels")
        else:
            depth -= 1


def _number(text: str) -> str:
    if len(text) > MAX_NUMBER_DIGITS:
        raise MalformedJson(
            f"a number in the request body is longer than {MAX_NUMBER_DIGITS} digits"
        )
    return text


def _int(text: str) -> int:
    return int(_number(text))


def _float(text: str) -> float:
    return float(_number(text))


def _no_constant(text: str) -> Any:
    raise MalformedJson(f"{text} is not a JSON number")

"""The one reader of JSON request bodies (docs/security.md, "Request bodies").

:func:`json_body` reads at most ``max_bytes`` (+1) bytes of the body, whether
the client sent a ``Content-Length`` or a chunked body without one, and
hands them to :func:`voting.services.json_input.parse_json`, which bounds the
nesting depth and the length of numbers before and while parsing. No view
calls ``request.get_json``.
"""

from __future__ import annotations

from typing import Any

from flask import request

from voting.services.json_input import MAX_BODY_BYTES
from voting.services.json_input import BodyTooLarge
from voting.services.json_input import parse_json


def body_bytes(max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, refused beyond ``max_bytes`` before more is read.

    Raises:
        BodyTooLarge: the declared or actual body is longer than ``max_bytes``.
    """
    cached = request.environ.get("urna.body")
    if cached is not None:
        body: bytes = cached
    else:
        length = request.content_length
        if length is not None and length > max_bytes:
            raise BodyTooLarge(f"the request body is at most {max_bytes} bytes, got {length}")
        body = request.stream.read(max_bytes + 1)
        request.environ["urna.body"] = body  # read once per request
    if len(body) > max_bytes:
        raise BodyTooLarge(f"the request body is at most {max_bytes} bytes")
    return body


def json_body(max_bytes: int = MAX_BODY_BYTES) -> Any:
    """The body parsed as bounded JSON (any JSON value; the caller checks its shape).

    Raises:
        BodyTooLarge: longer than ``max_bytes``.
        MalformedJson: empty, not JSON, too deep, or a number too long.
    """
    return parse_json(body_bytes(max_bytes), max_bytes=max_bytes)

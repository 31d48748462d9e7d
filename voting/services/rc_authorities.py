"""The casting server's client of the return-code authorities: every authority at once.

docs/return-codes.md. The server asks all authorities of a vote day in
parallel (a shared thread pool, :data:`MAX_THREADS`), each request bounded by
a socket timeout and the whole exchange by :data:`DEADLINE_FACTOR` × that
timeout, so a dead or slow authority costs the voter seconds, not a hung
worker. An authority's answer is only its claim: the caller checks every
answer's proof (:mod:`voting.services.return_codes`) before using it.
Redirects are not followed (a 30x is the authority's answer). No database
transaction is open while the authorities are asked.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait
from dataclasses import dataclass
from typing import Any

DEFAULT_TIMEOUT = 5.0
"""seconds per socket operation of one authority's request"""
DEADLINE_FACTOR = 2
MAX_ANSWER_BYTES = 256 * 1024
MAX_THREADS = 32
_POOL = ThreadPoolExecutor(max_workers=MAX_THREADS, thread_name_prefix="rc-authority")


@dataclass(frozen=True)
class AuthorityReply:
    """What one authority said: an HTTP status and its JSON body, or why there was none."""

    name: str
    status: int | None
    """None: unreachable, too slow, or not JSON (see ``failure``)"""
    body: Any = None
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and isinstance(self.body, dict)

    def describe(self) -> str:
        """The reply's failure in words (for the voter's 503 and the operator's log)."""
        if self.failure is not None:
            return f"{self.name}: {self.failure}"
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return f"{self.name}: HTTP {self.status}" + (f" ({error})" if error else "")


Poster = Callable[[str, bytes, float], tuple[int, bytes]]
"""``(url, body, timeout) -> (HTTP status, answer body)``; raises OSError when unreachable."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_post(url: str, body: bytes, timeout: float) -> tuple[int, bytes]:
    """POST JSON ``body`` to ``url``: the status and at most :data:`MAX_ANSWER_BYTES`."""
    if not url.startswith(("http://", "https://")):
        raise OSError(f"not an http(s) URL: {url!r}")
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return answer.status, answer.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(MAX_ANSWER_BYTES)
    except (urllib.error.URLError, ValueError) as exc:
        raise OSError(str(getattr(exc, "reason", exc))) from exc


def ask_all(
    authorities: Sequence[Mapping[str, str]],
    path: str,
    payload: Mapping[str, Any],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    post: Poster = http_post,
) -> list[AuthorityReply]:
    """POST ``payload`` (JSON) to ``<url><path>`` of every authority at once; one reply each,
    in the authorities' order. Never raises for an authority's failure."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    futures = [
        _POOL.submit(_ask, a["name"], a.get("url", "") + path, body, timeout, post)
        for a in authorities
    ]
    deadline = time.monotonic() + DEADLINE_FACTOR * timeout
    wait(futures, timeout=max(0.0, deadline - time.monotonic()))
    replies = []
    for authority, future in zip(authorities, futures, strict=True):
        if future.done():
            replies.append(future.result())
        else:
            future.cancel()  # a thread already running finishes alone; its reply is ignored
            replies.append(
                AuthorityReply(authority["name"], None, failure=f"no answer in {timeout:g} s")
            )
    return replies


def _ask(name: str, url: str, body: bytes, timeout: float, post: Poster) -> AuthorityReply:
    try:
        status, raw = post(url, body, timeout)
    except OSError as exc:
        return AuthorityReply(name, None, failure=f"unreachable or too slow: {exc}")
    try:
        return AuthorityReply(name, status, json.loads(raw))
    except ValueError:
        return AuthorityReply(name, None, failure=f"HTTP {status} with a body that is not JSON")

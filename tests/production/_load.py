"""Voters on loopback: many threads posting prepared ballots at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

REQUEST_SECONDS = 60


@dataclass(frozen=True)
class Answer:
    """What one voter got: an HTTP status and JSON body, or a connection error."""

    voter: int
    status: int | None
    body: Any
    error: str = ""

    @property
    def receipt(self) -> dict[str, Any] | None:
        return self.body if self.status == 201 else None


def post_ballot(base_url: str, vote_day: str, voter: int, body: bytes) -> Answer:
    url = f"{base_url}/api/vote-days/{vote_day}/ballots"
    try:
        response = requests.post(
            url, data=body, headers={"Content-Type": "application/json"}, timeout=REQUEST_SECONDS
        )
    except requests.RequestException as exc:  # the server died under us (crash test)
        return Answer(voter, None, None, type(exc).__name__)
    try:
        parsed = response.json()
    except ValueError:
        parsed = response.text
    return Answer(voter, response.status_code, parsed)


def cast_together(
    base_url: str,
    vote_day: str,
    ballots: Sequence[tuple[int, bytes]],
    *,
    on_answer: Callable[[Answer], None] | None = None,
) -> list[Answer]:
    """Post every ``(voter, body)`` from its own thread, all released at the same moment."""
    barrier = threading.Barrier(len(ballots))

    def voter(item: tuple[int, bytes]) -> Answer:
        barrier.wait(timeout=REQUEST_SECONDS)
        answer = post_ballot(base_url, vote_day, *item)
        if on_answer is not None:
            on_answer(answer)
        return answer

    with ThreadPoolExecutor(max_workers=len(ballots)) as pool:
        return list(pool.map(voter, ballots))


def cast_stream(
    base_url: str,
    vote_day: str,
    ballots: Sequence[tuple[int, bytes]],
    *,
    clients: int,
    on_answer: Callable[[Answer], None] | None = None,
) -> list[Answer]:
    """Post the ballots from ``clients`` threads, each taking the next one as it finishes."""

    def voter(item: tuple[int, bytes]) -> Answer:
        answer = post_ballot(base_url, vote_day, *item)
        if on_answer is not None:
            on_answer(answer)
        return answer

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(voter, ballots))

"""A ballot's canonical JSON, built from its answers' once: byte for byte RFC 8785's.

The signature, the content key and the log record all hash or sign these
bytes; a difference of one byte would refuse every honest ballot or let a
second encoding of one through (docs/spec.md, "Ballots").
"""

from __future__ import annotations

import dataclasses

import pytest
import rfc8785

from crypto.ballot import Ballot
from crypto.ballot import EncryptedAnswer
from crypto.ballot import signed_message
from crypto.encoding import canonical_json
from tests.crypto.conftest import CastBallot


def test_the_canonical_forms_are_rfc8785_of_the_json(cast: CastBallot) -> None:
    ballot, _ = cast()
    assert ballot.canonical() == rfc8785.dumps(ballot.to_json())
    assert ballot.canonical_unsigned() == rfc8785.dumps(ballot.unsigned_json())
    assert ballot.canonical() == canonical_json(ballot.to_json())


def test_a_parsed_ballot_has_the_canonical_forms_of_its_json(cast: CastBallot) -> None:
    ballot, _ = cast()
    parsed = Ballot.from_json(ballot.to_json())
    assert parsed.canonical_unsigned() == rfc8785.dumps(parsed.unsigned_json())
    assert parsed.canonical() == ballot.canonical()


@pytest.mark.parametrize(
    "vote_day",
    ["2026-03-08-ch", 'a"quote', "back\\slash", "zürich-2026", "\u2028line", "😀-day"],
)
def test_any_vote_day_text_is_encoded_as_rfc8785_does(cast: CastBallot, vote_day: str) -> None:
    """Escapes and non-ASCII in a member take RFC 8785's path, not the fast one."""
    ballot = dataclasses.replace(cast()[0], vote_day_id=vote_day)
    assert ballot.canonical() == rfc8785.dumps(ballot.to_json())
    assert ballot.canonical_unsigned() == rfc8785.dumps(ballot.unsigned_json())


def test_the_signed_message_covers_the_canonical_unsigned_ballot(cast: CastBallot) -> None:
    ballot, _ = cast()
    message = signed_message(ballot)
    assert message.endswith(rfc8785.dumps(ballot.unsigned_json()))


def test_the_cached_answers_belong_to_their_ballot(cast: CastBallot) -> None:
    """A ballot with other answers (a copy with one answer swapped) has its own encoding."""
    first, _ = cast()
    second, _ = cast()
    first.canonical()  # fills the first ballot's cache
    swapped_answers: tuple[EncryptedAnswer, ...] = (second.answers[0], *first.answers[1:])
    swapped = dataclasses.replace(first, answers=swapped_answers)
    assert swapped.canonical() == rfc8785.dumps(swapped.to_json())
    assert swapped.canonical() != first.canonical()
    assert swapped == dataclasses.replace(first, answers=swapped_answers)  # the cache is no field

"""The signed return-code status request (crypto/returncode_status.py): a known answer shared
with tests/js/returncodes.test.mjs, and tamper tests."""

from __future__ import annotations

import pytest

from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.errors import InvalidSignature
from crypto.returncode_status import sign_status_request
from crypto.returncode_status import status_message
from crypto.returncode_status import verify_status_request
from crypto.testing import deterministic_rng

DAY = "2026-06-14-ch"


def test_the_signed_bytes_are_the_tagged_canonical_request() -> None:
    expected = (  # the same bytes tests/js/returncodes.test.mjs expects of statusMessage
        b"\x00\x00\x00\x11urna/v1/rc-status\x00\x00\x00\x6c"
        b'{"credential":"' + bytes(range(32)).hex().encode() + b'","vote_day":"2026-06-14-ch"}'
    )
    assert status_message(DAY, bytes(range(32))) == expected


def test_only_the_credentials_own_signature_for_this_vote_day_verifies() -> None:
    mine = derive_credential(generate_code(rng=deterministic_rng(b"mine")), DAY)
    other = derive_credential(generate_code(rng=deterministic_rng(b"other")), DAY)
    signature = sign_status_request(DAY, mine)
    verify_status_request(DAY, mine.public_key, signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    for day, key, sig in (
        ("2026-06-15-ch", mine.public_key, signature),  # another vote day
        (DAY, other.public_key, signature),  # another credential
        (DAY, mine.public_key, sign_status_request(DAY, other)),  # signed by another
        (DAY, mine.public_key, flipped),  # a flipped bit
        (DAY, mine.public_key, signature[:63]),  # too short
    ):
        with pytest.raises(InvalidSignature, match="does not verify"):
            verify_status_request(day, key, sig)

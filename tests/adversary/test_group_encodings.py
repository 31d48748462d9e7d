"""Second encodings of group elements, through the public HTTP API.

Attacker (docs/threat-model.md, "Group elements"): a voter with a code of
their own, whose device runs any code. Every ristretto255 element has one
encoding (RFC 9496), but libsodium 1.0.18 — the one ``rbcl`` bundles —
ignores bit 255 when decoding, so ``s`` and ``s + 2^255`` would both be read
as the same element. The ballot-content rule (docs/spec.md 6.8: every
ciphertext on the log once) keys on the encoding: with a second encoding, a
ciphertext whose nonce an audit made public could be cast again by another
voter under a fresh key — the copy's proofs, made over the new bytes, verify.
``crypto._group.Point.from_bytes`` refuses bit 255; without that check this
test's ballot is answered 201 and counted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

import crypto.ballot
import crypto.proofs
from crypto.elgamal import Ciphertext
from crypto.elgamal import encrypt_with_nonce
from crypto.group import Point
from crypto.group import Scalar
from tests.adversary.test_ballot_replay import ANSWERS
from tests.adversary.test_ballot_replay import _ballot
from tests.adversary.test_ballot_replay import _post
from tests.adversary.test_ballot_replay import _refused
from tests.fixtures_casting import OpenVoteDay


def _second_encoding(p: Point) -> Point:
    """The same element to libsodium 1.0.18: bit 255 set (built without validation)."""
    return Point(bytes([*p.encoded[:31], p.encoded[31] | 0x80]))


def _canonical(p: Point) -> Point:
    return Point(bytes([*p.encoded[:31], p.encoded[31] & 0x7F]))


def test_a_re_encoded_ciphertext_of_an_audited_ballot_is_refused(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = prepare_vote_day(revote_policy="last-counts")
    client = app.test_client()
    ballot, secrets = _ballot(opened, 0, ANSWERS, "audited", "audit")
    body = {"ballot": ballot, "secrets": secrets}
    assert _post(client, opened.vote_day, "audits", body).status_code == 201
    first = ballot["answers"][0]["question"]
    public = [Scalar.from_hex(n) for n in secrets["nonces"][first]]  # (1) public nonces
    real_encrypt = crypto.ballot.encrypt
    real_prove = crypto.ballot.prove_range
    real_challenge = crypto.proofs._range_challenge

    def reuse(value: int, key: Point, *, rng: Any) -> tuple[Ciphertext, Scalar]:
        if public:  # (2) the audited ciphertext, its pad re-encoded
            nonce = public.pop(0)
            ct = encrypt_with_nonce(value, key, nonce)
            return Ciphertext(pad=_second_encoding(ct.pad), data=ct.data), nonce
        return real_encrypt(value, key, rng=rng)

    def prove(ciphertext: Ciphertext, **kwargs: Any) -> Any:
        # (3) the proof is made for the element and hashed over the new bytes
        canonical = Ciphertext(pad=_canonical(ciphertext.pad), data=ciphertext.data)
        if canonical == ciphertext:
            return real_prove(ciphertext, **kwargs)

        def over_new_bytes(context: Any, public: Point, ct: Ciphertext, *rest: Any) -> Scalar:
            return real_challenge(context, public, ciphertext, *rest)

        crypto.proofs._range_challenge = over_new_bytes  # type: ignore[assignment]
        try:
            return real_prove(canonical, **kwargs)
        finally:
            crypto.proofs._range_challenge = real_challenge

    monkeypatch.setattr(crypto.ballot, "encrypt", reuse)
    monkeypatch.setattr(crypto.ballot, "prove_range", prove)
    copied, _ = _ballot(opened, 1, ANSWERS, "copier", "cast")
    monkeypatch.undo()
    theirs = ballot["answers"][0]["ciphertexts"]
    mine = copied["answers"][0]["ciphertexts"]
    assert [c["data"] for c in mine] == [c["data"] for c in theirs]
    assert all(m["pad"] != t["pad"] for m, t in zip(mine, theirs, strict=True))
    _refused(client, opened.vote_day, "ballots", copied, "malformed_ballot")
    own, _ = _ballot(opened, 1, ANSWERS, "honest", "cast")
    assert _post(client, opened.vote_day, "ballots", own).status_code == 201

"""Build the deterministic test vectors of docs/spec.md.

``python -m tests.vectors.build`` rewrites ``tests/vectors/*.json``;
``tests/crypto/test_vectors.py`` checks that the code still produces exactly
these files, and the browser code is checked against the same files.
Randomness comes from :func:`crypto.testing.deterministic_rng`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crypto._transcript import hash_to_scalar
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import encrypt_ballot
from crypto.ballot import sign_ballot
from crypto.ballot import signed_message
from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.elgamal import encrypt_with_nonce
from crypto.elgamal import generate_keypair
from crypto.encoding import canonical_json
from crypto.encoding import sha256_hex
from crypto.group import Point
from crypto.group import Scalar
from crypto.proofs import prove_equal_logs
from crypto.proofs import prove_knowledge
from crypto.proofs import prove_range
from crypto.testing import deterministic_rng
from tests.vectors.build_returncodes import returncode_vectors
from tests.vectors.build_returncodes_device import returncode_device_vectors

VECTORS_DIR = Path(__file__).resolve().parent


def transcript_vectors() -> dict[str, Any]:
    cases = [
        (b"urna/v1/test", []),
        (b"urna/v1/test", [b""]),
        (b"urna/v1/test", [b"abc", b"\x00\x01"]),
        (b"urna/v1/range", [bytes(range(32)), b"x" * 100]),
    ]
    return {
        "description": "hash_to_scalar: SHA-512(lp(tag) ‖ lp(part)…) mod L, little-endian",
        "cases": [
            {
                "tag": tag.decode(),
                "parts": [p.hex() for p in parts],
                "scalar": hash_to_scalar(tag, parts).hex(),
            }
            for tag, parts in cases
        ],
    }


def group_vectors() -> dict[str, Any]:
    scalars = [1, 2, 3, 255, 2**128 + 7, 2**252]
    rng = deterministic_rng(b"urna/v1/vectors/group")
    random_scalars = [Scalar.random(rng=rng) for _ in range(3)]
    return {
        "description": "s·G for the standard base point; random scalars drawn as in docs/spec.md",
        "base_multiples": [
            {
                "scalar": Scalar.from_int(n).hex(),
                "point": Point.base_times(Scalar.from_int(n)).hex(),
            }
            for n in scalars
        ],
        "random_scalars_seed": "urna/v1/vectors/group",
        "random_scalars": [s.hex() for s in random_scalars],
    }


def elgamal_vectors() -> dict[str, Any]:
    rng = deterministic_rng(b"urna/v1/vectors/elgamal")
    key = generate_keypair(rng=rng)
    cases = []
    for m in (0, 1, 7):
        nonce = Scalar.random(rng=rng)
        ct = encrypt_with_nonce(m, key.public, nonce)
        cases.append({"m": m, "nonce": nonce.hex(), "ciphertext": ct.to_json()})
    return {
        "description": "Enc(m; r) = (r·G, m·G + r·h)",
        "secret": key.secret.hex(),
        "public": key.public.hex(),
        "cases": cases,
    }


def proof_vectors() -> dict[str, Any]:
    rng = deterministic_rng(b"urna/v1/vectors/proofs")
    key = generate_keypair(rng=rng)
    context = [b"urna vectors", bytes(32)]
    schnorr = prove_knowledge(key.secret, key.public, context=context, rng=rng)
    alpha = Point.base_times(Scalar.random(rng=rng))
    share = alpha * key.secret
    cp = prove_equal_logs(
        key.secret, base=alpha, public=key.public, result=share, context=context, rng=rng
    )
    nonce = Scalar.random(rng=rng)
    ct = encrypt_with_nonce(2, key.public, nonce)
    rp = prove_range(
        ct, value=2, nonce=nonce, public=key.public, lo=1, hi=3, context=context, rng=rng
    )
    return {
        "description": "Proofs made with the deterministic rng seeded as below",
        "seed": "urna/v1/vectors/proofs",
        "context": [c.hex() for c in context],
        "secret": key.secret.hex(),
        "public": key.public.hex(),
        "schnorr": schnorr.to_json(),
        "chaum_pedersen": {"base": alpha.hex(), "result": share.hex(), "proof": cp.to_json()},
        "range": {
            "lo": 1,
            "hi": 3,
            "value": 2,
            "nonce": nonce.hex(),
            "ciphertext": ct.to_json(),
            "proof": rp.to_json(),
        },
    }


def credential_vectors() -> dict[str, Any]:
    rng = deterministic_rng(b"urna/v1/vectors/credentials")
    cases = []
    for vote_day in ("2026-03-08-ch", "2026-06-14-ch"):
        code = generate_code(rng=rng)
        cred = derive_credential(code, vote_day)
        cases.append({"code": code, "vote_day": vote_day, "public_key": cred.public_key.hex()})
    return {"description": "voting codes and their credential public keys", "cases": cases}


def ballot_vectors() -> dict[str, Any]:
    rng = deterministic_rng(b"urna/v1/vectors/ballot")
    key = generate_keypair(rng=rng)
    manifest = {
        "vote_day": "2026-03-08-ch",
        "questions": ["federal-1", "canton-zh-1", "commune-261-1"],
    }
    manifest_hash = bytes.fromhex(sha256_hex(canonical_json(manifest)))
    election = ElectionContext("2026-03-08-ch", manifest_hash, key.public)
    questions = [
        QuestionSpec("federal-1", 2, 0, 1),
        QuestionSpec("canton-zh-1", 2, 0, 1),
        QuestionSpec("commune-261-1", 3, 1, 2),
    ]
    code = generate_code(rng=rng)
    credential = derive_credential(code, election.vote_day_id)
    selections = {"federal-1": [1, 0], "canton-zh-1": [0, 0], "commune-261-1": [1, 0, 1]}
    ballot, secrets = encrypt_ballot(
        selections, questions=questions, election=election, credential=credential, rng=rng
    )
    return {
        "description": "a whole ballot: everything after the key and the code is drawn from rng",
        "seed": "urna/v1/vectors/ballot",
        "election": {
            "vote_day": election.vote_day_id,
            "manifest": manifest,
            "manifest_hash": manifest_hash.hex(),
            "secret": key.secret.hex(),
            "public_key": key.public.hex(),
        },
        "questions": [
            {
                "id": q.question_id,
                "options": q.options,
                "min": q.min_selections,
                "max": q.max_selections,
            }
            for q in questions
        ],
        "code": code,
        "selections": selections,
        "signed_message": signed_message(ballot).hex(),
        "audit_signed_message": signed_message(ballot, "audit").hex(),
        "audit_signature": sign_ballot(ballot, credential, purpose="audit").signature.hex(),
        "ballot": ballot.to_json(),
        "secrets": secrets.to_json(),
    }


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "transcript": transcript_vectors,
    "group": group_vectors,
    "elgamal": elgamal_vectors,
    "proofs": proof_vectors,
    "credentials": credential_vectors,
    "ballot": ballot_vectors,
    "returncodes": returncode_vectors,
    "returncodes_device": returncode_device_vectors,
}


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    for name, build in BUILDERS.items():
        (VECTORS_DIR / f"{name}.json").write_text(render(build()))


if __name__ == "__main__":
    main()

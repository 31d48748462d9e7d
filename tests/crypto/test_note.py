"""crypto.note: C2SP signed notes and tlog checkpoints."""

from __future__ import annotations

import base64

import pytest

from crypto.errors import InvalidSignature
from crypto.note import Checkpoint
from crypto.note import MalformedNote
from crypto.note import Note
from crypto.note import NoteSigner
from crypto.note import Signature
from crypto.note import VerifierKey
from crypto.note import add_signatures
from crypto.note import format_checkpoint
from crypto.note import key_id
from crypto.note import parse_checkpoint
from crypto.note import parse_note
from crypto.note import sign_checkpoint
from crypto.note import verify_checkpoint
from crypto.note import verify_note

# The example of golang.org/x/mod/sumdb/note's documentation: its signer key
# (type 0x01 followed by the Ed25519 seed), verifier key and signed note.
GO_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgK"
    "vqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ORIGIN = "urna.example/log/2026-03-08-ch"


@pytest.fixture()
def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, bytes(range(32)))


def _checkpoint(signer: NoteSigner, size: int = 7, root: bytes = b"\x11" * 32) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, root), signer)


def test_go_example_signs_byte_for_byte() -> None:
    signer = NoteSigner("PeterNeumann", GO_SEED)
    assert str(signer.verifier) == GO_VKEY
    assert Note(GO_TEXT, (signer.sign(GO_TEXT),)).to_text() == GO_NOTE


def test_go_example_verifies() -> None:
    key = VerifierKey.parse(GO_VKEY)
    assert key.key_id.hex() == "c74f20a3" == key_id("PeterNeumann", 1, key.public_key).hex()
    assert verify_note(GO_NOTE, key).text == GO_TEXT
    with pytest.raises(InvalidSignature, match="invalid"):
        verify_note(GO_NOTE.replace("cryptography", "cryptographY"), key)


def test_checkpoint_round_trip(signer: NoteSigner) -> None:
    checkpoint = Checkpoint(ORIGIN, 12, bytes(range(32)), ("ext one", "ext two"))
    note = sign_checkpoint(checkpoint, signer)
    assert note.startswith(
        f"{ORIGIN}\n12\n{base64.b64encode(bytes(range(32))).decode()}\next one\n"
    )
    assert verify_checkpoint(note, VerifierKey.parse(str(signer.verifier))) == checkpoint


def test_unknown_signatures_are_ignored(signer: NoteSigner) -> None:
    note = _checkpoint(signer)
    other = NoteSigner("witness.example", b"\x07" * 32)
    same_name_other_key = NoteSigner(ORIGIN, b"\x08" * 32)
    text = parse_note(note).text
    extended = add_signatures(note, [other.sign(text), same_name_other_key.sign(text).line()])
    assert len(parse_note(extended).signatures) == 3
    assert verify_checkpoint(extended, signer.verifier).size == 7


def test_note_without_known_signature_is_rejected(signer: NoteSigner) -> None:
    stranger = NoteSigner(ORIGIN, b"\x09" * 32)
    with pytest.raises(InvalidSignature, match="no signature by"):
        verify_checkpoint(_checkpoint(stranger), signer.verifier)


def test_failing_known_signature_rejects_note(signer: NoteSigner) -> None:
    note = _checkpoint(signer)
    text = parse_note(note).text
    forged = Signature(ORIGIN, signer.verifier.key_id, bytes(64))
    with pytest.raises(InvalidSignature, match="invalid"):
        verify_checkpoint(add_signatures(note, [forged]), signer.verifier)
    tampered = note.replace("\n7\n", "\n8\n")
    assert tampered != note and text in note
    with pytest.raises(InvalidSignature):
        verify_checkpoint(tampered, signer.verifier)


def test_origin_must_be_key_name(signer: NoteSigner) -> None:
    other = NoteSigner("elsewhere.example/log", bytes(range(32)))
    with pytest.raises(MalformedNote, match="differs from origin"):
        sign_checkpoint(Checkpoint(ORIGIN, 1, b"\x00" * 32), other)


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("no signatures\n", "blank line"),
        ("text\n\n", "at least one signature"),
        ("text\n\n- name AAAAAAAA\n", "em dash"),
        ("text\n\n— name AAAA*AAA\n", "base64"),
        ("text\n\n— name AAAA\n", "too short"),
        ("text\n\n— na+me AAAAAAAA\n", "'\\+'"),
        ("text\n\n— name  AAAAAAAA\n", "signature line must be"),
        ("te\x01xt\n\n— name AAAAAAAA\n", "control"),
        ("text\n\n— name AAAAAAAA", "ending in a newline"),
    ],
)
def test_malformed_notes(note: str, message: str) -> None:
    with pytest.raises(MalformedNote, match=message):
        parse_note(note)


def test_note_must_be_utf8() -> None:
    with pytest.raises(MalformedNote, match="UTF-8"):
        parse_note(b"\xff\n\n\xe2\x80\x94 name AAAAAAAA\n")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("origin\n7\n", "origin, a size and a root"),
        ("\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "origin line is empty"),
        ("o\n07\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "canonical decimal"),
        ("o\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "canonical decimal"),
        ("o\n" + "9" * 5000 + "\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "canonical"),
        ("o\n18446744073709551616\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "64 bits"),
        ("o\n7\nAAAA\n", "32 bytes"),
        ("o\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n", "canonical base64"),
        ("o\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\nx\n", "extension"),
    ],
)
def test_malformed_checkpoints(body: str, message: str) -> None:
    with pytest.raises(MalformedNote, match=message):
        parse_checkpoint(body)


def test_format_checkpoint_refuses_bad_fields() -> None:
    with pytest.raises(MalformedNote):
        format_checkpoint(Checkpoint("two\nlines", 1, b"\x00" * 32))
    with pytest.raises(MalformedNote):
        format_checkpoint(Checkpoint("o", 1, b"\x00" * 31))


@pytest.mark.parametrize(
    "text",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong ID
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # upper hex
        "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # type 0x02
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",  # short
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # no name
        "x+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # not a valid point
    ],
)
def test_bad_verifier_keys(text: str) -> None:
    with pytest.raises(MalformedNote):
        VerifierKey.parse(text)


def test_signer_repr_hides_seed(signer: NoteSigner) -> None:
    assert bytes(range(32)).hex() not in repr(signer)
    assert ORIGIN in repr(signer)

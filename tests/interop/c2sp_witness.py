"""A C2SP Ed25519 witness written from the specs alone, with PyNaCl and hashlib.

It imports nothing of Urna's: the signed-note format (c2sp.org/signed-note),
the checkpoint (c2sp.org/tlog-checkpoint), the ``add-checkpoint`` checks
(c2sp.org/tlog-witness, with C2SP/C2SP#280: a size-0 root other than
SHA-256("") and a same-size fork are 422), the RFC 9162 2.1.4.2 consistency
check and the ``cosignature/v1`` line (c2sp.org/tlog-cosignature) are
written here again, so that the interop tests compare two implementations,
not one with itself.
"""

from __future__ import annotations

import base64
import hashlib
import struct

import nacl.exceptions
import nacl.signing


def _key_id(name: str, key_type: bytes, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + key_type + public_key).digest()[:4]


def _is_hash(line: str) -> bool:
    try:
        return len(base64.b64decode(line, validate=True)) == 32
    except ValueError:
        return False


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def consistent(m: int, n: int, proof: list[bytes], old: bytes, new: bytes) -> bool:
    """RFC 9162 2.1.4.2: is the tree (m, old) a prefix of the tree (n, new)?"""
    if m == 0:
        return not proof and old == hashlib.sha256(b"").digest()
    if m == n:
        return not proof and old == new
    if m > n or not proof:
        return False
    if m & (m - 1) == 0:
        proof = [old, *proof]
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old and sr == new and sn == 0


class SpecWitness:
    """One witness following one log: its Ed25519 key, the log's vkey, the last size and root."""

    def __init__(self, name: str, seed: bytes, log_vkey: str) -> None:
        self.name, self.key = name, nacl.signing.SigningKey(seed)
        log_name, key_id, material = log_vkey.split("+", 2)
        raw = base64.b64decode(material)
        assert raw[0] == 1 and bytes.fromhex(key_id) == _key_id(log_name, b"\x01", raw[1:])
        self.origin, self.log_key = log_name, nacl.signing.VerifyKey(raw[1:])
        self.log_key_id = bytes.fromhex(key_id)
        self.size, self.root = 0, hashlib.sha256(b"").digest()

    def vkey(self) -> str:
        public = bytes(self.key.verify_key)
        key_id = _key_id(self.name, b"\x04", public).hex()
        material = base64.b64encode(b"\x04" + public).decode()
        return f"{self.name}+{key_id}+{material}"

    def add_checkpoint(self, body: str, now: int) -> tuple[int, str]:
        """(HTTP status, response body) for an ``add-checkpoint`` request body."""
        head, blank, note = body.partition("\n\n")
        old_line, *proof_lines = head.split("\n")
        digits = old_line.removeprefix("old ")
        malformed = (
            not blank
            or not old_line.startswith("old ")
            or not digits.isdigit()
            or (digits != "0" and digits.startswith("0"))
            or len(proof_lines) > 63  # "The client MUST NOT send more than 63"
            or any(not _is_hash(line) for line in proof_lines)
        )
        text, _, signatures = note.rpartition("\n\n")
        text += "\n"
        body_lines = text.split("\n")
        if malformed or len(body_lines) < 4 or not body_lines[1].isdigit():
            return 400, "malformed request\n"
        old = int(digits)
        proof = [base64.b64decode(line) for line in proof_lines]
        origin, size_line, root_line = body_lines[:3]
        if origin != self.origin:
            return 404, "unknown origin\n"
        if not any(self._log_signed(line, text) for line in signatures.splitlines()):
            return 403, "no valid log signature\n"
        size, root = int(size_line), base64.b64decode(root_line)
        if old > size:
            return 400, "old size above the checkpoint size\n"
        if old != self.size:
            return 409, f"{self.size}\n"
        if size == 0 and root != hashlib.sha256(b"").digest():
            return 422, "a size-0 checkpoint must have the empty tree's root\n"
        if old == size and root != self.root:
            return 422, "same size, another root\n"
        if not consistent(old, size, proof, self.root, root):
            return 422, "the consistency proof does not verify\n"
        self.size, self.root = size, root
        message = f"cosignature/v1\ntime {now}\n{text}".encode()
        signature = self.key.sign(message).signature
        key_id = _key_id(self.name, b"\x04", bytes(self.key.verify_key))
        payload = key_id + struct.pack(">Q", now) + signature
        return 200, f"— {self.name} {base64.b64encode(payload).decode()}\n"

    def _log_signed(self, line: str, text: str) -> bool:
        name, _, encoded = line.removeprefix("— ").partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            return False
        if name != self.origin or raw[:4] != self.log_key_id or len(raw) != 68:
            return False
        try:
            self.log_key.verify(text.encode(), raw[4:])
        except nacl.exceptions.BadSignatureError:
            return False
        return True

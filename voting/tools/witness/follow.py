"""``follow``: poll an Urna log, cosign each new checkpoint, send the cosignature.

One round (:func:`follow_once`):

1. fetch ``<log>/checkpoint`` (the signed note);
2. if it is the checkpoint last cosigned and the log already has our
   cosignature, stop; otherwise fetch ``<log>/proof/consistency?old=&new=``
   from the last cosigned size;
3. :meth:`Witness.add_checkpoint` verifies signature and proof, refuses
   rollbacks and forks (keeping evidence), signs and persists the new state;
4. only then ``POST <log>/cosignatures``; on success the state records it.

HTTP goes through a :class:`Transport` so that tests can route it to the
Flask test client.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import Protocol
from urllib.parse import urlencode

from crypto.note import VerifierKey
from crypto.note import parse_checkpoint
from crypto.note import parse_note
from voting.tools.witness.core import Cosigned
from voting.tools.witness.core import Misbehaviour
from voting.tools.witness.core import Refusal
from voting.tools.witness.core import Witness


class FollowError(Exception):
    """The log could not be reached or answered something unusable (retry later)."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    content_type: str
    body: bytes


class Transport(Protocol):
    def get(self, url: str) -> HttpResponse: ...

    def post(self, url: str, body: bytes, content_type: str) -> HttpResponse: ...


class RequestsTransport:
    """HTTP over :mod:`requests`, with timeouts."""

    def __init__(self, timeout: float = 10.0) -> None:
        import requests

        self._session = requests.Session()
        self._timeout = timeout
        self._errors = (requests.RequestException,)

    def get(self, url: str) -> HttpResponse:
        return self._send("GET", url, None, None)

    def post(self, url: str, body: bytes, content_type: str) -> HttpResponse:
        return self._send("POST", url, body, content_type)

    def _send(
        self, method: str, url: str, body: bytes | None, content_type: str | None
    ) -> HttpResponse:
        headers = {"Content-Type": content_type} if content_type else {}
        try:
            r = self._session.request(
                method, url, data=body, headers=headers, timeout=self._timeout
            )
        except self._errors as exc:
            raise FollowError(f"{method} {url} failed: {exc}") from exc
        return HttpResponse(r.status_code, r.headers.get("Content-Type", ""), r.content)


@dataclass(frozen=True)
class Round:
    """What one round did: ``cosigned`` is None when nothing new was there."""

    size: int
    cosigned: Cosigned | None
    submitted: bool


class LogClient:
    """The Urna log endpoints a witness uses (docs/api.md)."""

    def __init__(self, base_url: str, transport: Transport) -> None:
        self.base = base_url.rstrip("/")
        self.transport = transport

    def checkpoint(self) -> str:
        response = self._ok(self.transport.get(f"{self.base}/checkpoint"), "checkpoint")
        try:
            return response.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FollowError("the log's checkpoint is not UTF-8") from exc

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        url = f"{self.base}/proof/consistency?{urlencode({'old': old, 'new': new})}"
        document = self._json(self._ok(self.transport.get(url), "consistency proof"))
        proof = document.get("proof")
        if not isinstance(proof, list) or not all(isinstance(h, str) for h in proof):
            raise FollowError("the log's consistency proof has no list of hex hashes")
        try:
            return [bytes.fromhex(h) for h in proof]
        except ValueError as exc:
            raise FollowError("the log's consistency proof is not hexadecimal") from exc

    @property
    def log_name(self) -> str:
        """The log's name: the last segment of ``.../api/logs/<name>``."""
        return self.base.rsplit("/", 1)[-1]

    def register(self, registration: dict[str, str]) -> dict[str, Any]:
        body = json.dumps(registration).encode()
        response = self.transport.post(f"{self.base}/witnesses", body, "application/json")
        return self._json(self._ok(response, "registration"))

    def submit(self, name: str, note: str, signature: bytes, auth: bytes) -> None:
        body = json.dumps(
            {"witness": name, "checkpoint": note, "signature": signature.hex(), "auth": auth.hex()}
        )
        response = self.transport.post(
            f"{self.base}/cosignatures", body.encode(), "application/json"
        )
        self._ok(response, "cosignature")

    def _ok(self, response: HttpResponse, what: str) -> HttpResponse:
        if not 200 <= response.status < 300:
            detail = response.body[:500].decode("utf-8", "replace")
            raise FollowError(f"the log refused the {what} request ({response.status}): {detail}")
        return response

    @staticmethod
    def _json(response: HttpResponse) -> dict[str, Any]:
        try:
            document = json.loads(response.body)
        except ValueError as exc:
            raise FollowError("the log did not answer JSON") from exc
        if not isinstance(document, dict):
            raise FollowError("the log's JSON answer is not an object")
        return document


def follow_once(witness: Witness, log: LogClient, log_key: VerifierKey) -> Round:
    """One polling round (see the module docstring).

    Raises:
        Misbehaviour: a rollback or fork (evidence kept); the caller must stop.
        Refusal: another reason not to cosign.
        FollowError: the log could not be reached or answered nonsense.
    """
    note = log.checkpoint()  # (1)
    try:
        checkpoint = parse_checkpoint(parse_note(note).text)
    except ValueError as exc:
        raise FollowError(f"the log served no checkpoint: {exc}") from exc
    origin, size = checkpoint.origin, checkpoint.size
    if origin != log_key.name:
        raise FollowError(f"the log's origin {origin!r} is not the key's name {log_key.name!r}")
    last = witness.directory.load().get(origin)
    if last is not None and last.submitted:  # (2) nothing new
        if (last.size, last.root) == (size, _b64(checkpoint.root_hash)):
            return Round(size, None, submitted=True)
    old = last.size if last else 0
    proof = log.consistency_proof(old, size) if 0 < old < size else []
    cosigned = witness.add_checkpoint(note, old, proof)  # (3): state is on disk from here
    text = parse_note(note).text
    auth = witness.keys.submission_auth(log.log_name, text, cosigned.bls_signature)
    log.submit(witness.keys.name, note, cosigned.bls_signature, auth)  # (4)
    witness.mark_submitted(origin, size)
    return Round(size, cosigned, submitted=True)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def follow(
    witness: Witness,
    log: LogClient,
    log_key: VerifierKey,
    *,
    interval: float,
    report: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    rounds: int | None = None,
) -> None:
    """Poll forever (or ``rounds`` times); transient errors are reported and retried.

    Raises:
        Misbehaviour: stop at once; the operator must look at the evidence.
    """
    done = 0
    while rounds is None or done < rounds:
        try:
            result = follow_once(witness, log, log_key)
            if result.cosigned is not None:
                report(f"cosigned {log_key.name} at size {result.size}")
        except Misbehaviour:
            raise
        except (FollowError, Refusal) as exc:
            report(f"will retry: {exc}")
        done += 1
        if rounds is None or done < rounds:
            sleep(interval)

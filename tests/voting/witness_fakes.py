"""A small in-memory log that speaks the witness-facing HTTP API, for witness tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import parse_qs
from urllib.parse import urlsplit

from crypto.merkle import consistency_proof
from crypto.merkle import leaf_hash
from crypto.merkle import root_hash
from crypto.note import Checkpoint
from crypto.note import NoteSigner
from crypto.note import sign_checkpoint
from voting.tools.witness.follow import FollowError
from voting.tools.witness.follow import HttpResponse

ORIGIN = "urna.test/log/2026-11-29"
BASE = "http://log.test/api/logs/2026-11-29"


@dataclass
class FakeLog:
    """Leaves, a signer, and what it received; ``fail_posts`` simulates a dead link."""

    signer: NoteSigner = field(default_factory=lambda: NoteSigner(ORIGIN, b"\x11" * 32))
    leaves: list[bytes] = field(default_factory=list)
    served: str | None = None
    received: list[dict[str, str]] = field(default_factory=list)
    fail_posts: bool = False

    def append(self, *data: bytes) -> str:
        self.leaves.extend(leaf_hash(d) for d in data)
        self.served = self.note_at(len(self.leaves))
        return self.served

    def note_at(self, size: int, leaves: list[bytes] | None = None) -> str:
        hashes = (leaves if leaves is not None else self.leaves)[:size]
        origin = self.signer.name
        return sign_checkpoint(Checkpoint(origin, size, root_hash(hashes)), self.signer)

    # the Transport protocol
    def get(self, url: str) -> HttpResponse:
        parts = urlsplit(url)
        if parts.path.endswith("/checkpoint") and self.served is not None:
            return HttpResponse(200, "text/plain", self.served.encode())
        if parts.path.endswith("/proof/consistency"):
            query = parse_qs(parts.query)
            old, new = int(query["old"][0]), int(query["new"][0])
            proof = consistency_proof(self.leaves[:new], old)
            body = json.dumps({"proof": [h.hex() for h in proof]}).encode()
            return HttpResponse(200, "application/json", body)
        return HttpResponse(404, "application/json", b'{"error": "not_found"}')

    def post(self, url: str, body: bytes, content_type: str) -> HttpResponse:
        if self.fail_posts:
            raise FollowError("connection reset (simulated)")
        self.received.append(json.loads(body))
        return HttpResponse(201, "application/json", b"{}")

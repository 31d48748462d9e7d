"""``setup``: answer the registrar's setup request (docs/return-codes.md, "Setup files").

The request is read line by line (JSON Lines) and the answer written the same
way, so a vote day of millions of voters needs memory for one line. The
manifest hash and the election key come from the operator (as published on
the log), never from the request: a header that differs is refused before
anything is written. Setup is pinned once: the same request again rewrites
the same answers (fresh proofs, the same values); another request file (its
SHA-256 is pinned) is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from typing import Any

from crypto.encoding import canonical_json
from crypto.errors import InvalidEncoding
from crypto.group import Point
from crypto.returncode_setup import SetupHeader
from crypto.returncode_setup import SetupVoter
from crypto.returncode_setup import answer_header
from crypto.returncode_setup import answer_voter
from voting.tools.returncodes.state import AuthorityKeys
from voting.tools.returncodes.state import AuthorityState

MAX_LINE = 1 << 20


class SetupRefused(Exception):
    """The request is malformed, differs from the pinned parameters, or from an earlier setup."""


def run_setup(
    keys: AuthorityKeys,
    state: AuthorityState,
    request: Path,
    answer: Path,
    *,
    manifest_hash: bytes,
    election_key: Point,
) -> int:
    """Check ``request``, store its voters, write the signed ``answer``; return the voter count.

    Raises:
        SetupRefused: see the class; nothing is stored and no answer is written.
    """
    with open(request, "rb") as source:
        lines = _lines(source)
        header = _header(next(lines, None), manifest_hash, election_key)
        digest = file_sha256(request)
        pinned = state.pinned()
        if pinned is not None and pinned[1] != digest:
            raise SetupRefused(
                "this authority was set up with another request (vote day "
                f"{pinned[0]['vote_day']!r}); one authority directory serves one setup"
            )
        partial = answer.with_name(answer.name + ".partial")
        try:
            count = _answer_all(keys, state, header, lines, partial, digest, pinned is None)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, answer)
    return count


def _answer_all(
    keys: AuthorityKeys,
    state: AuthorityState,
    header: SetupHeader,
    lines: Iterator[tuple[int, bytes]],
    partial: Path,
    digest: str,
    first: bool,
) -> int:
    db = state.db
    seen: set[bytes] = set()
    db.execute("BEGIN IMMEDIATE")
    try:
        with open(partial, "wb") as out:
            head = answer_header(header, authority=keys.name, signing_key=keys.signing_key)
            out.write(canonical_json(head) + b"\n")
            for number, raw in lines:
                voter = _voter(raw, number, header)
                if voter.credential in seen:
                    raise SetupRefused(f"line {number}: the credential appears twice")
                seen.add(voter.credential)
                _store(db, voter, number)
                line = answer_voter(
                    voter,
                    header,
                    authority=keys.name,
                    authority_secret=keys.secret,
                    signing_key=keys.signing_key,
                )
                out.write(canonical_json(line) + b"\n")
            out.flush()
            os.fsync(out.fileno())
        if len(seen) != header.voters:
            raise SetupRefused(
                f"the header announces {header.voters} voters, the file has {len(seen)}"
            )
        if first:
            db.execute(
                "INSERT INTO setup VALUES (1, ?, ?, ?)",
                (header.vote_day_id, json.dumps(header.to_json()), digest),
            )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return len(seen)


def _lines(source: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    for number, raw in enumerate(iter(lambda: source.readline(MAX_LINE + 1), b""), start=1):
        if len(raw) > MAX_LINE:
            raise SetupRefused(f"line {number} is longer than {MAX_LINE} bytes")
        if raw.strip():
            yield number, raw


def _parse(raw: bytes, number: int) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise SetupRefused(f"line {number} is not JSON") from exc


def _header(
    first: tuple[int, bytes] | None, manifest_hash: bytes, election_key: Point
) -> SetupHeader:
    if first is None:
        raise SetupRefused("the request file is empty")
    try:
        header = SetupHeader.from_json(_parse(first[1], first[0]))
    except InvalidEncoding as exc:
        raise SetupRefused(f"line {first[0]} (header): {exc}") from exc
    if header.manifest_hash != manifest_hash:
        raise SetupRefused(
            f"the request's manifest hash {header.manifest_hash.hex()} is not the one "
            f"you gave ({manifest_hash.hex()})"
        )
    if header.election_key != election_key:
        raise SetupRefused(
            f"the request's election key {header.election_key.hex()} is not the one "
            f"you gave ({election_key.hex()})"
        )
    return header


def _voter(raw: bytes, number: int, header: SetupHeader) -> SetupVoter:
    try:
        return SetupVoter.from_json(_parse(raw, number), header)
    except InvalidEncoding as exc:
        raise SetupRefused(f"line {number}: {exc}") from exc


def _store(db: sqlite3.Connection, voter: SetupVoter, number: int) -> None:
    questions = json.dumps(list(voter.questions))
    row = db.execute(
        "SELECT voter_key, questions FROM voters WHERE credential = ?", (voter.credential,)
    ).fetchone()
    if row is None:
        db.execute(
            "INSERT INTO voters VALUES (?, ?, ?)",
            (voter.credential, voter.voter_key.to_bytes(), questions),
        )
    elif (row[0], row[1]) != (voter.voter_key.to_bytes(), questions):
        raise SetupRefused(f"line {number}: the credential was set up with another X_c or ballot")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

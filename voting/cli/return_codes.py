"""``flask --app app credentials return-codes-*``: the registrar's return-code setup
(docs/return-codes.md, "The casting server").

``return-codes-request`` reads the codes file of ``credentials generate
--codes-file`` and writes the request every authority answers with
``python -m voting.returncodes setup`` (with the manifest hash it prints),
and the registrar's secret pending file; ``return-codes-finish`` checks the
authorities' answers and writes the server's document and the cards with
their codes; ``return-codes-upload`` stores the document (before opening).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from crypto.ballot import QuestionSpec
from crypto.credentials import derive_credential
from crypto.encoding import canonical_json
from crypto.errors import CryptoError
from crypto.group import Point
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import VotingError
from voting.models.elections import Election
from voting.models.votedays import VoteDay
from voting.registrar import returncodes as registrar
from voting.registrar.cards import Card
from voting.registrar.cards import CardWriter
from voting.registrar.cards import card_text
from voting.services import return_code_setup
from voting.services import votedays
from voting.services.credentials import unit_of_credential
from voting.services.lifecycle import planned_manifest_hash


def _write_secret(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _day(vote_day: str) -> VoteDay:
    day = db.session.get(VoteDay, vote_day)
    if day is None or day.return_codes is None:
        raise click.ClickException(f"vote day {vote_day!r} does not exist or has no return codes")
    return day


def request_command(vote_day: str, codes: Path, out_dir: Path) -> None:
    """Write the authorities' setup request and the registrar's SECRET pending file."""
    _day(vote_day)
    document = json.loads(codes.read_text(encoding="utf-8"))
    pinned = planned_manifest_hash(db.session, vote_day, signing=log_signing())
    specs = [
        QuestionSpec(q.question_id, q.options, q.min_selections, q.max_selections)
        for q in votedays.question_specs(db.session, vote_day)
    ]
    voters = []
    for card in document["cards"]:
        key = derive_credential(card["code"], vote_day).public_key.hex()
        unit = unit_of_credential(db.session, vote_day, key)
        tiers = votedays.ballot_for_unit(db.session, vote_day, unit, require_open=False)
        ids = tuple(q.key for tier in tiers for q in tier.questions)
        voters.append(registrar.Voter(card["code"], ids))
    election = db.session.get_one(Election, vote_day)
    pending = registrar.build_requests(
        vote_day=vote_day,
        voters=voters,
        questions=specs,
        election_key=Point.from_hex(str(election.public_key)),
        manifest_hash=bytes.fromhex(pinned),
    )
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    request = out_dir / f"rc-request-{vote_day}.jsonl"
    request.write_bytes(b"".join(canonical_json(line) + b"\n" for line in pending.request_lines()))
    _write_secret(out_dir / f"rc-pending-{vote_day}.json", canonical_json(pending.to_json()))
    click.echo(f"request for every authority: {request}")
    click.echo(f"manifest hash: {pinned}")
    click.echo(f"election key: {election.public_key}")
    click.echo(f"registrar's pending setup: {out_dir / f'rc-pending-{vote_day}.json'} (SECRET)")


def finish_command(
    vote_day: str,
    pending_path: Path,
    answers: tuple[str, ...],
    out_dir: Path,
    lang: str,
    base_url: str,
) -> None:
    """Check the authorities' answers; write the server's document and the cards' codes."""
    day = _day(vote_day)
    pending = registrar.Pending.from_json(json.loads(pending_path.read_text(encoding="utf-8")))
    lines: dict[str, list[Any]] = {}
    for item in answers:
        name, _, path = item.partition("=")
        text = Path(path).read_text(encoding="utf-8")
        lines[name] = [json.loads(line) for line in text.splitlines() if line.strip()]
    try:
        finished = registrar.finish(pending, lines, return_code_setup.authorities(day))
    except registrar.ReturnCodeSetupError as exc:
        raise click.ClickException(f"nothing written: {exc}") from exc
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    document = out_dir / f"return-codes-{vote_day}.json"
    document.write_bytes(canonical_json(finished.server_document))
    questions = [
        {"id": q.key, "titles": q.titles, "option_texts": [o["texts"] for o in q.options]}
        for q in day.questions
    ]
    cards = out_dir / f"cards-with-codes-{vote_day}.pdf"
    title = day.titles.get(lang) or next(iter(day.titles.values()))
    plain = out_dir / f"cards-with-codes-{vote_day}.txt"  # the accessible alternative
    texts: list[str] = []
    with CardWriter(cards, base_url=base_url, document_title=title, lang=lang) as writer:
        for card in finished.cards:
            codes = registrar.card_return_codes(card, questions, lang)
            unit = unit_of_credential(db.session, vote_day, card.credential).name(lang)
            printed = Card(vote_day, title, unit, lang, card.code, codes)
            writer.add(printed)
            texts.append(card_text(printed, base_url=base_url))
    descriptor = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write("\f\n".join(texts))  # a form feed between cards, as between pages
    click.echo(f"for the server: {document} (upload with credentials return-codes-upload)")
    click.echo(f"cards with their codes: {cards} (SECRET: print, then destroy)")
    click.echo(f"the same cards as plain text (screen readers, braille): {plain} (SECRET)")


def upload_command(vote_day: str, file: Path) -> None:
    """Store the registrar's return-code document (before the vote day opens)."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
        stored = return_code_setup.store_setup(db.session, vote_day, document)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"nothing stored: {file} is not JSON: {exc}") from exc
    except (VotingError, CryptoError) as exc:
        raise click.ClickException(f"nothing stored: {exc}") from exc
    click.echo(f"stored the return codes of {stored.voters} voters ({stored.entries} entries)")

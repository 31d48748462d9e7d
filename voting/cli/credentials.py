"""``flask --app app credentials ...``: the registrar's commands (docs/credentials.md).

``generate`` works offline (``--units FILE``): it never touches the database
unless asked to read the units from it (``--units db``).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app

from voting.app.extensions import db
from voting.cli import return_codes
from voting.errors import VotingError
from voting.registrar.card_texts import CARD_LANGUAGES
from voting.registrar.generate import UnitSpec
from voting.registrar.generate import generate
from voting.registrar.generate import read_units_file
from voting.services import credentials


@click.group("credentials")
def credentials_group() -> None:
    """Voting codes, public credential lists and voting cards.

    generate makes one secret code per voter and the voting cards (PDF), and the
    public credential list; upload stores that list (before the vote day opens);
    show prints what is registered (docs/credentials.md). On a vote day with
    return codes (docs/return-codes.md): return-codes-request, the authorities'
    setup, return-codes-finish (the cards with their codes), return-codes-upload.

    \b
    Example:
      flask --app app credentials generate --vote-day 2026-06-14-ch --units db --out cards/
      flask --app app credentials upload cards/credentials-2026-06-14-ch.json
      flask --app app credentials show --vote-day 2026-06-14-ch
      flask --app app credentials return-codes-request --vote-day 2026-06-14-ch \\
          --codes cards/codes-2026-06-14-ch.json --out rc/
    """


@credentials_group.command("generate")
@click.option("--vote-day", "vote_day", required=True, help="The vote day's id.")
@click.option(
    "--units",
    required=True,
    help='A JSON file {"unit": voters, ...} (offline), or "db" for the leaf units stored here.',
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A new directory for the cards (PDF) and the public credential list.",
)
@click.option("--base-url", help="The site's address (default: the URNA_BASE_URL setting).")
@click.option(
    "--lang",
    type=click.Choice(CARD_LANGUAGES),
    default="de",
    show_default=True,
    help="The language of the cards' text.",
)
@click.option("--title", help="The vote day's title on the cards (default: from the database).")
@click.option(
    "--codes-file/--no-codes-file",
    default=False,
    help="Also write the codes as JSON (demos and tests only: it holds every secret).",
)
@click.option(
    "--font-ko",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TrueType font with Hangul to embed in Korean cards (e.g. NanumGothic.ttf).",
)
def generate_command(
    vote_day: str,
    units: str,
    out_dir: Path,
    base_url: str | None,
    lang: str,
    title: str | None,
    codes_file: bool,
    font_ko: Path | None,
) -> None:
    """Make one code per voter, the public credential list and the voting cards PDF."""
    base_url = base_url or current_app.config.get("URNA_BASE_URL")
    if not base_url:
        raise click.UsageError("give --base-url (or set URNA_BASE_URL)")
    try:
        if units == "db":
            specs, db_title = _units_from_database(vote_day, lang)
        else:
            specs, db_title = read_units_file(Path(units)), None
        result = generate(
            vote_day=vote_day,
            units=specs,
            out_dir=out_dir,
            base_url=base_url,
            title=title or db_title or vote_day,
            lang=lang,
            write_codes=codes_file,
            korean_font=font_ko,
        )
    except VotingError as exc:
        raise click.ClickException(exc.message) from exc
    rate = result.total / result.seconds if result.seconds else 0.0
    click.echo(f"{result.total} cards in {len(result.counts)} units, {rate:.0f} cards/s")
    click.echo(f"public list: {result.list_path}")
    click.echo(f"voting cards: {result.cards_path} (keep secret; print, then destroy)")
    if result.codes_path is not None:
        click.echo(f"codes: {result.codes_path} (SECRET: for demos and tests only)", err=True)


def _units_from_database(vote_day: str, lang: str) -> tuple[list[UnitSpec], str | None]:
    from voting.models.votedays import VoteDay

    units = credentials.leaf_units_with_voters(db.session)
    if not units:
        raise click.ClickException("no leaf units with an electorate are stored")
    day = db.session.get(VoteDay, vote_day)
    title = None
    if day is not None:
        title = day.titles.get(lang) or next(iter(day.titles.values()), None)
    specs = [UnitSpec(u.ref, u.electorate or 0, u.name(lang)) for u in units]
    return specs, title


@credentials_group.command("upload")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--vote-day", "vote_day", help="Refuse the list unless it is for this vote day.")
def upload_command(file: Path, vote_day: str | None) -> None:
    """Validate the public credential list FILE and store it (before the vote day opens)."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"nothing stored: {file} is not JSON: {exc}") from exc
    try:
        stored = credentials.store_credential_list(db.session, document, vote_day_id=vote_day)
    except VotingError as exc:
        raise click.ClickException(f"nothing stored: {exc.message}") from exc
    click.echo(f"stored {stored}")


@credentials_group.command("show")
@click.option("--vote-day", "vote_day", required=True, help="The vote day's id.")
def show_command(vote_day: str) -> None:
    """Print the registered credentials per unit."""
    counts = credentials.credential_counts(db.session, vote_day)
    for unit, count in counts.items():
        click.echo(f"{unit}\t{count}")
    click.echo(f"total\t{sum(counts.values())}")


@credentials_group.command("return-codes-request")
@click.option("--vote-day", "vote_day", required=True, help="The vote day's id.")
@click.option(
    "--codes",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The codes file of generate --codes-file (SECRET).",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the request and the registrar's SECRET pending file.",
)
def return_codes_request(vote_day: str, codes: Path, out_dir: Path) -> None:
    """Write the setup request every return-code authority answers."""
    try:
        return_codes.request_command(vote_day, codes, out_dir)
    except (VotingError, OSError, ValueError, KeyError) as exc:
        raise click.ClickException(f"nothing written: {exc}") from exc


@credentials_group.command("return-codes-finish")
@click.option("--vote-day", "vote_day", required=True, help="The vote day's id.")
@click.option(
    "--pending",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The registrar's pending file of return-codes-request.",
)
@click.option(
    "--answer",
    "answers",
    multiple=True,
    required=True,
    help="NAME=FILE: an authority's answer file (once per authority).",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the server's document and the cards with their codes.",
)
@click.option(
    "--lang",
    type=click.Choice(CARD_LANGUAGES),
    default="de",
    show_default=True,
    help="The language of the cards' text.",
)
@click.option("--base-url", help="The site's address (default: the URNA_BASE_URL setting).")
def return_codes_finish(
    vote_day: str,
    pending: Path,
    answers: tuple[str, ...],
    out_dir: Path,
    lang: str,
    base_url: str | None,
) -> None:
    """Check every authority's answers; write the server's document and the cards."""
    base_url = base_url or current_app.config.get("URNA_BASE_URL")
    if not base_url:
        raise click.UsageError("give --base-url (or set URNA_BASE_URL)")
    try:
        return_codes.finish_command(vote_day, pending, answers, out_dir, lang, base_url)
    except (VotingError, OSError, ValueError, KeyError) as exc:
        raise click.ClickException(f"nothing written: {exc}") from exc


@credentials_group.command("return-codes-upload")
@click.option("--vote-day", "vote_day", required=True, help="The vote day's id.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def return_codes_upload(vote_day: str, file: Path) -> None:
    """Store the registrar's return-code document FILE (before the vote day opens)."""
    return_codes.upload_command(vote_day, file)

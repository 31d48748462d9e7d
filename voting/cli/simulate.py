"""``flask --app app simulate``: rehearse a whole vote day end to end (rehearsal.rehearse)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from voting.rehearsal.rehearse import RehearsalRefused
from voting.rehearsal.rehearse import rehearse as _run


@click.command("simulate")
@click.option(
    "--voters",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="How many voters cast a ballot (some also audit or vote twice).",
)
@click.option(
    "--record",
    type=click.Path(path_type=Path),
    required=True,
    help="Where to write the election record: a new directory, or a .zip file.",
)
@click.option(
    "--seed", help="Make codes, answers and every nonce reproducible (never in production)."
)
@click.option(
    "--database",
    help="An EMPTY database URL to run on (default: fresh SQLite in a temporary directory).",
)
@click.option("--workdir", type=click.Path(path_type=Path), help="Keep the database and keys here.")
@click.option(
    "--witnesses",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="How many local witnesses cosign the log.",
)
@click.option(
    "--jobs", type=click.IntRange(min=1), help="Processes preparing ballots (default: all cores)."
)
def simulate_command(
    voters: int,
    record: Path,
    seed: str | None,
    database: str | None,
    workdir: Path | None,
    witnesses: int,
    jobs: int | None,
) -> None:
    """Rehearse a vote day: ceremony, N voters over HTTP, postal counts, tally, record.

    Runs on its own database, not the app's. Check the record afterwards with
    python -m voting.verify RECORD.

    \b
    Example:
      flask --app app simulate --voters 200 --record rehearsal.zip --seed demo
      python -m voting.verify rehearsal.zip
    """
    if record.exists():
        raise click.ClickException(f"{record} exists: choose a new record path")
    with tempfile.TemporaryDirectory(prefix="urna-rehearsal-") as tmp:
        try:
            summary = _run(
                voters=voters,
                record=record,
                workdir=workdir or Path(tmp),
                seed=seed.encode() if seed is not None else None,
                database_url=database,
                witnesses=witnesses,
                jobs=jobs,
                echo=click.echo,
            )
        except RehearsalRefused as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Vote day {summary.vote_day} ({summary.status}): {summary.voters} voters cast "
        f"{summary.ballots_cast} ballots, {summary.audits} audits, {summary.refused_second} "
        f"second ballots refused; {summary.postal_ballots} postal ballots in Bern; "
        f"{summary.units} units tallied by 2 of 3 trustees."
    )
    click.echo(
        f"Record: {summary.record} ({summary.entries} entries, final checkpoint cosigned by "
        f"{summary.witnesses_cosigned} witnesses) in {sum(summary.seconds.values()):.1f} s."
    )
    click.echo(f"Verify it with: python -m voting.verify {summary.record}")

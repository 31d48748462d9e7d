"""``flask --app app jurisdictions ...``: import and inspect the jurisdiction tree."""

from __future__ import annotations

import time
from pathlib import Path

import click

from voting.app.extensions import db
from voting.errors import ImportRejected
from voting.errors import UnitNotFound
from voting.services.jurisdictions import canton_electorates
from voting.services.jurisdictions import import_file


@click.group("jurisdictions")
def jurisdictions_group() -> None:
    """The tree nation → canton → district → municipality → village/quarter.

    import reads the tree and its electorates from Urna JSON, CSV or the Federal
    Statistical Office's sd-t-17-02 JSON (docs/jurisdictions.md); cantons prints
    each canton's electorate.

    \b
    Example:
      flask --app app jurisdictions import sd-t-17-02-20260614.json   # the BFS's file
      flask --app app jurisdictions cantons
    """


@jurisdictions_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Import FILE (Urna JSON, CSV, or BFS sd-t-17-02 JSON; see docs/jurisdictions.md).

    The file is imported whole or not at all.
    """
    started = time.perf_counter()
    try:
        summary = import_file(db.session, file)
    except ImportRejected as exc:
        raise click.ClickException(f"nothing imported: {exc.message}") from exc
    click.echo(f"{summary} in {time.perf_counter() - started:.2f} s")


@jurisdictions_group.command("cantons")
@click.option("--nation", default="CH", show_default=True, help="The nation's code (its cantons).")
def cantons_command(nation: str) -> None:
    """Print each canton's electorate (the sum of its leaf units)."""
    try:
        totals = canton_electorates(db.session, nation)
    except UnitNotFound as exc:
        raise click.ClickException(exc.message) from exc
    for code, electorate in totals.items():
        click.echo(f"{code}\t{electorate}")

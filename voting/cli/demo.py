"""``flask --app app demo``: the demo data, the demo vote day open for voting, and the server.

    flask --app app demo [--no-serve] [--port 5000]
    flask --app app demo tally

``demo tally`` closes the demo vote day, lets the demo's trustees decrypt the
totals, publishes the results, lets the demo's witnesses cosign the final
checkpoint and builds the record that ``python -m voting.verify`` checks.
"""

from typing import Any

import click
from flask import Flask
from flask import current_app
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from voting.errors import VotingError


@click.group("demo", invoke_without_command=True)
@click.option("--serve/--no-serve", default=True, help="Start the development server afterwards.")
@click.option("--port", default=5000, show_default=True, help="The development server's port.")
@click.pass_context
def demo_command(ctx: click.Context, serve: bool, port: int) -> None:
    """Create the SQLite database, load the demo data, open the demo vote day and serve.

    
    Example (then open http://127.0.0.1:5000):
      flask --app app demo
      flask --app app demo tally    # later: close, tally, publish, verify
    """
    if ctx.invoked_subcommand is not None:
        return
    from voting.rehearsal.demo import load_demo
    from voting.rehearsal.demo_vote import DemoRefused
    from voting.rehearsal.demo_vote import check_demo_allowed
    from voting.rehearsal.demo_vote import demo_lines

    try:
        check_demo_allowed(current_app)
    except DemoRefused as exc:
        raise click.ClickException(exc.message) from exc
    upgrade()
    current_app.config["URNA_DEMO"] = True
    for line in load_demo():
        click.echo(line)
    for line in demo_lines(current_app, base_url=f"http://127.0.0.1:{port}"):
        click.echo(line)
    if serve:  # app.run() is a no-op under the flask command: serve with werkzeug directly
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        running = _serve_authorities(app)
        try:
            run_simple("127.0.0.1", port, app, threaded=True)
        finally:
            if running is not None:
                running.stop()


def _serve_authorities(app: Flask) -> Any:
    """The four demo return-code authorities, served from threads while the demo serves."""
    from voting.app.extensions import db
    from voting.rehearsal.demo_returncodes import serve_demo_authorities
    from voting.rehearsal.demo_vote import DEMO_VOTE_DAY
    from voting.rehearsal.demo_vote import demo_folder
    from voting.services.return_code_setup import pinned_manifest_hash
    from voting.services.votedays import get_vote_day

    if get_vote_day(db.session, DEMO_VOTE_DAY).status != "open":
        return None
    if pinned_manifest_hash(db.session, DEMO_VOTE_DAY) is None:
        return None
    running = serve_demo_authorities(demo_folder(app), DEMO_VOTE_DAY)
    click.echo(f"The {len(running.servers)} demo return-code authorities are serving.")
    return running


@demo_command.command("tally")
@click.option("--port", default=5000, show_default=True, help="The demo server's port (links).")
def tally_command(port: int) -> None:
    """Close the demo vote day, tally it with the demo trustees, publish, build the record."""
    from voting.rehearsal.demo_tally import tally_demo
    from voting.rehearsal.demo_tally import verify_lines

    try:
        for line in tally_demo(current_app):
            click.echo(line)
    except VotingError as exc:
        raise click.ClickException(exc.message) from exc
    for line in verify_lines(current_app, base_url=f"http://127.0.0.1:{port}"):
        click.echo(line)

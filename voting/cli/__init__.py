"""``flask --app app ...`` commands. Each command group lives in its own module."""

import click
from flask import Flask
from flask import current_app
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from voting.cli_ceremony import ceremony_group
from voting.cli_credentials import credentials_group
from voting.cli_jurisdictions import jurisdictions_group
from voting.cli_log import log_group
from voting.cli_officials import officials_group
from voting.cli_record import record_group
from voting.cli_schedule import schedule_group
from voting.cli_simulate import simulate_command
from voting.cli_tally import tally_group


@click.command("demo")
@click.option("--serve/--no-serve", default=True, help="Start the development server afterwards.")
@click.option("--port", default=5000, show_default=True)
def demo_command(serve: bool, port: int) -> None:
    """Create the SQLite database, load the demo data, open the demo vote day and serve."""
    from voting.demo import load_demo
    from voting.demo_vote import DemoRefused
    from voting.demo_vote import check_demo_allowed
    from voting.demo_vote import demo_lines

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
        run_simple("127.0.0.1", port, app, threaded=True)


def register_commands(app: Flask) -> None:
    """Attach every command group to the app's CLI."""
    app.cli.add_command(demo_command)
    app.cli.add_command(jurisdictions_group)
    app.cli.add_command(officials_group)
    app.cli.add_command(credentials_group)
    app.cli.add_command(log_group)
    app.cli.add_command(record_group)
    app.cli.add_command(simulate_command)
    app.cli.add_command(tally_group)
    app.cli.add_command(ceremony_group)
    app.cli.add_command(schedule_group)

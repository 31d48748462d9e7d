"""Every ``flask --app app ...`` command group, one module per group.

Commands parse their options, call a service in :mod:`voting.services` or
:mod:`voting.log` (or a rehearsal in :mod:`voting.rehearsal`) and print.

May import: Flask and click, every room of :mod:`voting` but the views.
"""

from flask import Flask

from voting.cli.ceremony import ceremony_group
from voting.cli.credentials import credentials_group
from voting.cli.demo import demo_command
from voting.cli.jurisdictions import jurisdictions_group
from voting.cli.log import log_group
from voting.cli.officials import officials_group
from voting.cli.record import record_group
from voting.cli.schedule import schedule_group
from voting.cli.simulate import simulate_command
from voting.cli.tally import tally_group
from voting.cli.witness import witness_group


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
    app.cli.add_command(witness_group)

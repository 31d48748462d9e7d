"""``flask --app app demo``: the demo data, the demo vote day open for voting, and the server."""

import click
from flask import current_app
from flask_migrate import upgrade
from werkzeug.serving import run_simple


@click.command("demo")
@click.option("--serve/--no-serve", default=True, help="Start the development server afterwards.")
@click.option("--port", default=5000, show_default=True, help="The development server's port.")
def demo_command(serve: bool, port: int) -> None:
    """Create the SQLite database, load the demo data, open the demo vote day and serve.

    \b
    Example (then open http://127.0.0.1:5000):
      flask --app app demo
    """
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
        run_simple("127.0.0.1", port, app, threaded=True)

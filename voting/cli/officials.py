"""``flask --app app officials ...``: accounts and role grants (docs/security.md)."""

from __future__ import annotations

from pathlib import Path

import click

from voting.app.extensions import db
from voting.errors import VotingError
from voting.models.officials import ROLES
from voting.models.officials import Official
from voting.services import officials
from voting.services import throttle


@click.group("officials")
def officials_group() -> None:
    """Officials' accounts and their roles.

    Roles: administrator, registrar, returning_officer and clerk (of a unit),
    trustee (docs/security.md). Passwords are asked for, never passed as options.

    \b
    Example:
      flask --app app officials create-admin admin
      flask --app app officials create clerk-bern
      flask --app app officials grant clerk-bern clerk --jurisdiction municipality:351
      flask --app app officials list
    """


def _password(password_file: Path | None) -> str:
    if password_file is None:
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    lines = password_file.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise click.ClickException(f"{password_file} is empty")
    return lines[0]


def _fail(exc: VotingError) -> click.ClickException:
    return click.ClickException(exc.message)


def _describe(official: Official) -> str:
    grants = ", ".join(g.describe() for g in official.grants) or "no roles"
    state = "" if official.active else " [disabled]"
    return f"{official.username}{state}\t{grants}"


password_file_option = click.option(
    "--password-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the password from the first line of this file instead of prompting.",
)


@officials_group.command("create-admin")
@click.argument("username")
@password_file_option
@click.option("--display-name", help="The name shown on pages.")
def create_admin_command(
    username: str, password_file: Path | None, display_name: str | None
) -> None:
    """Create an administrator account USERNAME (the first account of a site)."""
    try:
        official = officials.create_official(
            db.session, username, _password(password_file), display_name=display_name
        )
        officials.grant_role(db.session, official, "administrator")
    except VotingError as exc:
        raise _fail(exc) from exc
    click.echo(f"created administrator {official.username}")


@officials_group.command("create")
@click.argument("username")
@password_file_option
@click.option("--display-name", help="The name shown on pages.")
def create_command(username: str, password_file: Path | None, display_name: str | None) -> None:
    """Create an account USERNAME without roles (grant them with ``officials grant``)."""
    try:
        official = officials.create_official(
            db.session, username, _password(password_file), display_name=display_name
        )
    except VotingError as exc:
        raise _fail(exc) from exc
    click.echo(f"created {official.username}")


@officials_group.command("grant")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--jurisdiction", help="level:code for returning_officer and clerk (canton:ZH).")
def grant_command(username: str, role: str, jurisdiction: str | None) -> None:
    """Grant ROLE to USERNAME."""
    try:
        official = officials.get_official(db.session, username)
        grant = officials.grant_role(db.session, official, role, jurisdiction)
    except VotingError as exc:
        raise _fail(exc) from exc
    click.echo(f"{official.username} is now {grant.describe()}")


@officials_group.command("revoke")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--jurisdiction", help="level:code of the grant to remove.")
def revoke_command(username: str, role: str, jurisdiction: str | None) -> None:
    """Remove ROLE from USERNAME."""
    try:
        official = officials.get_official(db.session, username)
        officials.revoke_role(db.session, official, role, jurisdiction)
    except VotingError as exc:
        raise _fail(exc) from exc
    click.echo(f"revoked {role} from {official.username}")


@officials_group.command("list")
def list_command() -> None:
    """Print every account and its roles."""
    for official in officials.list_officials(db.session):
        click.echo(_describe(official))


@officials_group.command("set-password")
@click.argument("username")
@password_file_option
def set_password_command(username: str, password_file: Path | None) -> None:
    """Set a new password for USERNAME (ends its sessions)."""
    try:
        official = officials.get_official(db.session, username)
        officials.set_password(db.session, official, _password(password_file))
    except VotingError as exc:
        raise _fail(exc) from exc
    click.echo(f"password of {official.username} changed; its sessions were ended")


@officials_group.command("disable")
@click.argument("username")
def disable_command(username: str) -> None:
    """Disable USERNAME (it can no longer log in; its sessions end)."""
    try:
        officials.set_active(db.session, officials.get_official(db.session, username), False)
    except VotingError as exc:
        raise _fail(exc) from exc
    click.echo(f"disabled {username}")


@officials_group.command("enable")
@click.argument("username")
def enable_command(username: str) -> None:
    """Enable USERNAME again."""
    try:
        officials.set_active(db.session, officials.get_official(db.session, username), True)
    except VotingError as exc:
        raise _fail(exc) from exc
    click.echo(f"enabled {username}")


@officials_group.command("unlock")
@click.argument("username")
def unlock_command(username: str) -> None:
    """Clear the failed-login counter of USERNAME (after a lockout)."""
    throttle.clear(db.session, officials.account_throttle_key(username))
    click.echo(f"login attempts of {username} cleared")

"""Command-line tools: ``flask --app marketplace users …``, ``… demo …``, ``… catalogue …``
and ``… storage …``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.errors import AppError

users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="The demo data set.")
catalogue_cli = AppGroup("catalogue", help="The catalogue's prepared data.")
storage_cli = AppGroup("storage", help="The stored files (originals, releases, renditions).")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option(
    "--name", "display_name", default=None, help="Display name (default: from the email)."
)
def create_admin(email: str, password: str, display_name: str | None) -> None:
    """Create an admin account, or make an existing account an admin."""
    from marketplace.admin.services import create_admin as create

    try:
        user, created = create(email, password, display_name)
    except AppError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{'Created' if created else 'Promoted'} admin {user.email} (user id {user.id}).")


@demo_cli.command("seed")
def seed() -> None:
    """Add the demo people and applications (does nothing to what is already there)."""
    from flask import current_app

    from marketplace.demo import DEMO_LOGINS, seed_demo

    # Seeding runs before the demo's Redis is up (``make demo``), and already processes its
    # photos here: its few tasks (welcome emails, notices) run in this process too.
    current_app.config["TASKS_INLINE"] = True
    created = seed_demo()
    click.echo(
        "Demo data: " + (", ".join(created) if created else "already present, left as it was")
    )
    for role, email, password in DEMO_LOGINS:
        click.echo(f"  {role:<9} {email}  /  {password}")


@catalogue_cli.command("refresh-related")
@click.option(
    "--all", "everything", is_flag=True, help="Recompute every work (default: only those missing)."
)
def refresh_related(everything: bool) -> None:
    """Prepare the similar work and more-from-the-artist lists of work for sale."""
    from marketplace.catalogue.related_store import refresh_all

    written = refresh_all(missing_only=not everything)
    click.echo(f"Related work prepared for {written} works.")


@storage_cli.command("verify")
def verify_storage() -> None:
    """Re-read every stored file and check its SHA-256 against the database.

    Lists each missing or corrupt file as it is found and exits with status 1 if there is any,
    so a scheduled run (cron, a systemd timer) can alert. Changes nothing."""
    from marketplace.storage.verify import verify_stored_files

    report = verify_stored_files(on_problem=lambda problem: click.echo(problem.line()))
    click.echo(report.summary())
    if not report.ok:
        raise SystemExit(1)

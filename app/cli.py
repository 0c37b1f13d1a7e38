"""Command-line commands: `flask loupan ...` for set-up and operations."""
import os

import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade

loupan = AppGroup("loupan", help="Loupan set-up and operations.")


@loupan.command("seed")
def seed():
    """Create permissions, the shipped roles and the lookup lists (safe to re-run)."""
    from app.core.services import setup
    setup.seed_roles()
    setup.seed_lookups()
    click.echo("Roles, permissions and lookup lists are in place.")


@loupan.command("create-admin")
@click.option("--password", envvar="LOUPAN_ADMIN_PASSWORD", default=None)
def create_admin(password):
    """Create the user `admin` with the 管理员 role if it does not exist."""
    from app.core.services import setup
    created = setup.ensure_admin(password)
    click.echo("admin created." if created else "admin already exists.")


@loupan.command("demo")
def demo():
    """Load the demo organisation and logins into an empty database."""
    from app import demo as demo_data
    if not demo_data.is_empty():
        click.echo("The database already has data; demo data not loaded.")
        return
    demo_data.load()
    click.echo("Demo data loaded.")


@loupan.command("setup")
@click.option("--demo/--no-demo", default=True)
def setup_command(demo):
    """What `make run` does before serving: migrate, seed, first admin, demo data."""
    from app import demo as demo_data
    from app.core.services import setup
    upgrade(directory=current_app.extensions["migrate"].directory)
    setup.seed_roles()
    setup.seed_lookups()
    password = setup.ensure_admin(os.environ.get("LOUPAN_ADMIN_PASSWORD"))
    loaded = False
    if demo and demo_data.is_empty():
        demo_data.load()
        loaded = True
    port = os.environ.get("PORT", "5000")
    click.echo("")
    click.echo("Loupan is ready at http://127.0.0.1:%s" % port)
    if password:
        click.echo("  admin / %s   (管理员; shown once, change it after logging in)" % password)
    else:
        click.echo("  admin / (the password set on first start)")
    if loaded or not demo_data.is_empty():
        for username, role, *_rest in demo_data.DEMO_LOGINS:
            click.echo("  %-8s / %s   (%s)" % (username, demo_data.DEMO_PASSWORD, role))
    click.echo("")


def init_app(app):
    app.cli.add_command(loupan)
    for extra in _extra_commands:
        app.cli.add_command(extra)


_extra_commands = []


def register(command):
    """Modules add their own command groups (e.g. `flask scheduler`)."""
    _extra_commands.append(command)
    return command

"""Commands for operators: ``flask --app timetics <command>``."""
from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import create_engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from . import jobs
from .auth.services import AccountError, create_user, find_user_by_email
from .booking import guest_data
from .datamove import MoveRefused, copy_data
from .extensions import db
from .keys import rotate_secrets
from .mail import one_connection
from .models import AvailabilityRule, Location, MeetingKind, MeetingType, Role, User
from .security import hash_password
from .settings.services import save_zoom_settings, zoom_redirect_url
from .validation import normalize_email, zone_or_none

DEMO_ADMIN = ("admin@example.com", "Demo Admin")
DEMO_STAFF = ("staff@example.com", "Alex Rivera")
DEMO_TYPES = (
    dict(slug="intro-call", name="Intro call", duration_minutes=30,
         kind=MeetingKind.ONE_TO_ONE, capacity=1,
         description="A first 30-minute conversation to see how we can help."),
    dict(slug="group-session", name="Group session", duration_minutes=60,
         kind=MeetingKind.ONE_TO_MANY, capacity=5,
         description="An hour-long group session for up to five guests."),
)


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(run_jobs_command)
    app.cli.add_command(set_zoom_app_command)
    app.cli.add_command(rotate_encryption_key_command)
    app.cli.add_command(copy_data_command)
    app.cli.add_command(setup_link_command)
    app.cli.add_command(erase_guest_command)


@click.command("rotate-encryption-key")
@with_appcontext
def rotate_encryption_key_command() -> None:
    """Re-encrypt every stored secret under the first key of ENCRYPTION_KEY.

    Put the new key first and keep the old ones after it, run this, then drop the old keys.
    """
    counts = rotate_secrets()
    db.session.commit()
    click.echo("Re-encrypted " + ", ".join(f"{n} {what}" for what, n in counts.items()) + ".")


@click.command("copy-data")
@click.option("--to", "target_url", required=True, metavar="URL",
              help="The new database, e.g. postgresql+psycopg://timetics:PASSWORD@HOST/timetics")
@with_appcontext
def copy_data_command(target_url: str) -> None:
    """Copy every row of this app's database into an empty one that `db upgrade` made.

    The move from SQLite to PostgreSQL (docs/deploy.md): stop the app and the job runner
    first, so that nothing is written meanwhile.
    """
    try:
        target = create_engine(target_url)
    except ArgumentError:  # the message would repeat the URL, password included
        raise click.ClickException("--to is not a database URL that SQLAlchemy knows, e.g. "
                                   "postgresql+psycopg://USER:PASSWORD@HOST/NAME") from None
    except ImportError as e:
        raise click.ClickException(f"The database driver {e.name} is not installed (for "
                                   "PostgreSQL: pip install 'psycopg[binary]').") from None
    try:
        counts = copy_data(db.engine, target)
    except MoveRefused as e:
        raise click.ClickException(str(e)) from None
    except OperationalError as e:
        reason = " ".join(str(e.orig).split())  # psycopg's message spans lines
        raise click.ClickException(f"Cannot reach the target database: {reason}") from None
    finally:
        target.dispose()
    for name, rows in counts.items():
        click.echo(f"{name}: {rows}")
    where = make_url(target_url).render_as_string(hide_password=True)
    click.echo(f"Copied {sum(counts.values())} rows into {where}.")


@click.command("setup-link")
@with_appcontext
def setup_link_command() -> None:
    """Print the one-time link that creates the first admin (only while there is none)."""
    from .auth.first_run import setup_link

    link = setup_link()
    if link is None:
        raise click.ClickException("An admin exists already: log in, or use create-user.")
    click.echo(link)


@click.command("set-zoom-app")
@click.option("--client-id", required=True)
@click.option("--client-secret", required=True)
@click.option("--secret-token", default="", help="For event notifications (deauthorization).")
@with_appcontext
def set_zoom_app_command(client_id: str, client_secret: str, secret_token: str) -> None:
    """Store the Zoom app's credentials (what Settings > Integrations > Zoom does)."""
    if not client_id.strip() or not client_secret.strip():
        raise click.ClickException("The Client ID and Client Secret must not be empty.")
    save_zoom_settings(client_id=client_id, client_secret=client_secret,
                       secret_token=secret_token)
    click.echo(f"Zoom app {client_id} saved; the Redirect URL is {zoom_redirect_url()}")


ERASE_EVERY_SECONDS = 3600  # old guests' data goes within the hour


@click.command("erase-guest")
@click.option("--email", required=True, help="The guest's email address.")
@with_appcontext
def erase_guest_command(email: str) -> None:
    """Erase one guest's data from every booking, past and future (future ones are
    cancelled first, with the usual emails and Zoom delete)."""
    try:
        address = normalize_email(email)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--email") from None
    with one_connection():
        result = guest_data.erase_guest(address)
    click.echo(f"Erased the guest data of {result.erased} booking"
               f"{'s' if result.erased != 1 else ''}; cancelled {result.cancelled} future "
               f"booking{'s' if result.cancelled != 1 else ''} first.")


@click.command("run-jobs")
@click.option("--once", is_flag=True, help="Work through what is due now, then exit.")
@click.option("--all", "everything", is_flag=True,
              help="Run every pending job, whatever its due time.")
@click.option("--interval", default=5.0, show_default=True,
              help="Seconds between rounds when not --once.")
@with_appcontext
def run_jobs_command(once: bool, everything: bool, interval: float) -> None:
    """Retry deferred Zoom calls and emails, keep idle Zoom connections alive, and erase
    expired guest data (for cron, a systemd timer, or a service)."""
    erased_at: float | None = None  # the first round erases
    while True:
        with one_connection():
            ran = jobs.run_round(everything=everything)
        if erased_at is None or time.monotonic() - erased_at >= ERASE_EVERY_SECONDS:
            guest_data.erase_expired()  # GUEST_DATA_RETENTION_DAYS
            erased_at = time.monotonic()
        if once:
            click.echo(f"Ran {ran} job{'s' if ran != 1 else ''}.")
            return
        db.session.remove()
        time.sleep(interval)


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, help="admin or staff")
@click.option("--timezone", default="UTC", show_default=True, help="IANA zone, e.g. Europe/Berlin")
@with_appcontext
def create_user_command(email: str, name: str, password: str, role: str, timezone: str) -> None:
    """Create a user who can log in at once."""
    if not password:
        raise click.ClickException("The password must not be empty.")
    try:
        user = create_user(email=email, name=name, role=role, timezone=timezone, password=password)
    except AccountError as e:
        raise click.ClickException(str(e)) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} ({user.timezone}).")


@click.command("seed-demo")
@click.option("--password", default="demo-password", show_default=True)
@click.option("--timezone", default="America/New_York", show_default=True)
@with_appcontext
def seed_demo_command(password: str, timezone: str) -> None:
    """Create the demo admin, staff member, hours and meeting types (safe to run again)."""
    if zone_or_none(timezone) is None:
        raise click.ClickException(f"Unknown time zone {timezone!r}: use an IANA name.")
    admin = _demo_user(*DEMO_ADMIN, Role.ADMIN, password, timezone)
    staff = _demo_user(*DEMO_STAFF, Role.STAFF, password, timezone)
    if not staff.availability_rules:
        for weekday in range(5):
            staff.availability_rules.append(
                AvailabilityRule(weekday=weekday, start_minute=9 * 60, end_minute=17 * 60)
            )
        click.echo("Set Monday-Friday 09:00-17:00 hours for the staff member.")
    for values in DEMO_TYPES:
        existing = db.session.scalar(
            db.select(MeetingType).where(MeetingType.slug == values["slug"])
        )
        if existing is None:
            db.session.add(MeetingType(
                host=staff, location=Location.ZOOM, buffer_before_minutes=0,
                buffer_after_minutes=0, min_notice_minutes=60, window_days=60, **values,
            ))
            click.echo(f"Created meeting type {values['slug']} ({values['name']}).")
        else:
            click.echo(f"Meeting type {values['slug']} exists.")
    db.session.commit()
    click.echo(f"Log in as {admin.email} or {staff.email} with the password {password!r}.")


def _demo_user(email: str, name: str, role: Role, password: str, timezone: str) -> User:
    user = find_user_by_email(email)
    if user is None:
        user = create_user(email=email, name=name, role=role, timezone=timezone,
                           password=password)
        click.echo(f"Created {role} {email} ({name}).")
    else:
        user.password_hash = hash_password(password)
        user.timezone = timezone
        user.active = True
        click.echo(f"{role.capitalize()} {email} exists; password and time zone reset.")
    return user

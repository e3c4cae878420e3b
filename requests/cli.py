"""Command line: `flask --app portal requests holidays 2026`, `requests deadline 2026-01-31`.

The same functions the screens use; nothing is written.
"""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from requests import deadlines

requests_cli = AppGroup("requests", help="Privacy requests (AVG).")


@requests_cli.command("holidays")
@click.argument("year", type=int)
def holidays(year: int) -> None:
    """List the days on which no period ends in YEAR: public and extra holidays."""
    from requests.models import ExtraHoliday
    from requests.operations import extra_holidays

    if year < deadlines.FIRST_YEAR:
        raise click.BadParameter(f"kies een jaar vanaf {deadlines.FIRST_YEAR}", param_hint="YEAR")
    names = dict(deadlines.public_holidays(year))
    extra = {day for day in extra_holidays() if day.year == year}
    if extra:
        from sqlalchemy import select

        from portal.extensions import db

        for holiday in db.session.scalars(select(ExtraHoliday).where(ExtraHoliday.day.in_(extra))):
            names[holiday.day] = holiday.reason
    for day in sorted(names):
        click.echo(f"{day.isoformat()}  {names[day]}")


@requests_cli.command("deadline")
@click.argument("received", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--extended", is_flag=True, help="Three months instead of one.")
def deadline(received, extended: bool) -> None:
    """Print the deadline of a request received on RECEIVED (YYYY-MM-DD)."""
    from requests.operations import extra_holidays, wait_policy

    received_on: date = received.date()
    if received_on.year < deadlines.FIRST_YEAR:
        raise click.BadParameter(
            f"kies een datum vanaf {deadlines.FIRST_YEAR}", param_hint="RECEIVED"
        )
    click.echo(
        deadlines.request_deadline(
            received_on,
            extended=extended,
            policy=wait_policy(),
            extra_holidays=extra_holidays(),
        ).isoformat()
    )


@requests_cli.command("send-letters")
@click.option("--limit", type=int, default=200, show_default=True)
def send_letters(limit: int) -> None:
    """Email the request letters still waiting for it (a mail server that was down)."""
    from requests.letters import send_pending

    report = send_pending(limit)
    click.echo(f"verstuurd: {report.sent}, mislukt: {report.failed}")

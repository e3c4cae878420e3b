"""Command line: `flask --app portal requests holidays 2026`, `requests deadline 2026-01-31`,
`requests remind` (daily, from cron).

The same functions the screens use; nothing is written.
"""

from __future__ import annotations

from datetime import date, timedelta

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


REMIND_WORKING_DAYS = 5


def due_for_reminder(on: date, extra_holidays=()) -> list:
    """Open requests (the clock runs) whose deadline is at most 5 working days after `on`, or
    already past; the earliest deadline first (issue 6, item 7)."""
    import sqlalchemy as sa

    from portal.extensions import db
    from requests.models import OPEN_STATUSES, PrivacyRequest

    # 5 working days never span more than 5 + weekends + holidays: 31 calendar days is ample.
    candidates = db.session.scalars(
        sa.select(PrivacyRequest)
        .where(
            PrivacyRequest.status.in_(OPEN_STATUSES),
            PrivacyRequest.deadline <= on + timedelta(days=31),
        )
        .order_by(PrivacyRequest.deadline, PrivacyRequest.id)
    ).all()
    return [
        r
        for r in candidates
        if deadlines.working_days_between(on, r.deadline, extra_holidays) <= REMIND_WORKING_DAYS
    ]


def reminder_body(name: str, due: list, on: date) -> str:
    """Plain text; references, types and dates only, no personal data of the requester."""
    from requests.labels import status_label, type_label

    lines = [
        f"Beste {name},",
        "",
        "Deze AVG-verzoeken staan op uw naam. De uiterste datum is binnen 5 werkdagen of al "
        "voorbij:",
        "",
    ]
    for r in due:
        late = " (te laat)" if r.deadline < on else ""
        lines.append(
            f"- {r.reference}: {type_label(r.type)}, {status_label(r.status)}, "
            f"uiterlijk {r.deadline.isoformat()}{late}"
        )
    lines += ["", "Dit bericht is automatisch verstuurd door het regieteamportaal."]
    return "\n".join(lines)


@requests_cli.command("remind")
@click.option(
    "--today",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Count from this day (YYYY-MM-DD) instead of today.",
)
def remind(on) -> None:
    """Email each assignee their open requests due within 5 working days (daily, from cron).
    Requests without an assignee are listed here, not sent to anyone."""
    import smtplib

    from flask_babel import force_locale

    from portal import mail
    from requests.operations import extra_holidays

    day: date = on.date() if on else deadlines.today()
    due = due_for_reminder(day, extra_holidays())
    by_assignee: dict = {}
    nobody = []
    for r in due:
        if r.assignee is None:
            nobody.append(r)
        else:
            by_assignee.setdefault(r.assignee, []).append(r)
    failed = 0
    with force_locale("nl"):
        for user, mine in sorted(by_assignee.items(), key=lambda item: item[0].id):
            subject = f"AVG-verzoeken met een termijn binnen 5 werkdagen ({len(mine)})"
            try:
                mail.send(user.email, subject, reminder_body(user.name, mine, day))
            except (OSError, smtplib.SMTPException) as problem:
                failed += 1
                click.echo(f"niet verstuurd aan {user.email}: {problem}", err=True)
            else:
                click.echo(f"verstuurd aan {user.email}: {len(mine)} verzoek(en)")
        for r in nobody:
            click.echo(f"zonder behandelaar: {r.reference}, uiterlijk {r.deadline.isoformat()}")
    if failed:
        raise SystemExit(1)

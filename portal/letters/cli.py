"""`flask --app portal letters batch NAME --by EMAIL --output FILE`: a print run of letters.

The command reuses the operations of the staff screens; it commits after each letter, so an
interrupted run is continued by running the same command again.
"""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from portal import access
from portal.extensions import db
from portal.letters import batch as batches
from portal.letters.models import LetterKind
from portal.letters.registry import LANGUAGES
from portal.models import User
from portal.operations import RuleViolation

letters_cli = AppGroup("letters", help="Letters (PDF): print runs.")


def _staff(email: str) -> User:
    user = db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == email.strip().lower())
    )
    if user is None or not access.has_access(user):
        raise click.ClickException(f"No active staff account with a VOG on record: {email}")
    return user


@letters_cli.command("batch")
@click.argument("name")
@click.option("--by", "by_email", required=True, help="E-mail address of the sending staff member.")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the print-ready PDF.",
)
@click.option(
    "--kind",
    type=click.Choice([kind.value for kind in batches.BATCH_BUILDERS]),
    default=LetterKind.INFORMATION.value,
    show_default=True,
)
@click.option("--language", type=click.Choice(LANGUAGES), default="nl", show_default=True)
@click.option(
    "--case",
    "case_references",
    multiple=True,
    help="Only this case (reference); repeatable. Default: every open case the sender may record "
    "in whose persons have not had the current information letter.",
)
def batch_command(name, by_email, output, kind, language, case_references) -> None:
    """Send letters in one print run NAME and write them to one PDF for duplex printing.

    Running the same NAME again continues an interrupted run: letters already sent are not sent
    again, and the PDF holds every letter of the run once."""
    actor = _staff(by_email)
    run = batches.find_batch(name)
    created = False
    if run is None:
        targets = batches.information_targets(actor, case_references)
        try:
            run = batches.create_batch(actor, name, LetterKind(kind), language, targets)
        except RuleViolation as problem:
            db.session.rollback()
            # Another run created this name a moment ago: continue that one.
            run = batches.find_batch(name) if problem.code == "name_taken" else None
            if run is None:
                raise click.ClickException(problem.message) from problem
        else:
            db.session.commit()
            created = True
            click.echo(f"Print run {name!r} created with {len(targets)} letters.")
    if not created:
        if run.kind.value != kind or run.language != language:
            raise click.ClickException(
                f"Print run {name!r} exists for {run.kind.value}/{run.language}; "
                "use another name for other letters."
            )
        done, total = batches.batch_counts(run)
        click.echo(f"Continuing print run {name!r}: {done} of {total} letters already sent.")
    pending = batches.open_items(run)
    with click.progressbar(length=len(pending), label="Letters", show_pos=True) as bar:
        try:
            batches.run(actor, run, progress=lambda _item: bar.update(1))
        except RuleViolation as problem:
            raise click.ClickException(
                f"{problem.message} Run the same command again to continue."
            ) from problem
    pdf = batches.assemble(actor, run)
    db.session.commit()
    output.write_bytes(pdf)
    done, total = batches.batch_counts(run)
    click.echo(f"{done} of {total} letters in {output} ({len(pdf) // 1024} KiB).")

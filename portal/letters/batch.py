"""Print runs: many letters into one print-ready PDF, resumable without duplicates.

A batch freezes its list of recipients when it is created. Each item is sent (rendered, stored,
audited) and marked done in one transaction, so after an interruption a rerun continues with the
items still open and nobody gets a letter twice. The print file is put together from the stored
PDFs - what was sent is what is printed - with a blank page after a letter of an odd number of
pages, so each letter starts on the front of a sheet in duplex printing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from io import BytesIO
from typing import Optional

import sqlalchemy as sa
from pypdf import PdfReader, PdfWriter

from portal import access, audit
from portal.extensions import db
from portal.letters import content
from portal.letters.models import Letter, LetterBatch, LetterBatchItem, LetterChannel, LetterKind
from portal.letters.operations import send_letter
from portal.letters.registry import LANGUAGES, template_for
from portal.models import Case, Decision, Person, User, utcnow
from portal.operations import RuleViolation

# The kinds a batch can send: their builder needs no more than a person and a case.
BATCH_BUILDERS: dict[LetterKind, Callable] = {
    LetterKind.INFORMATION: lambda person, case, language: content.information(
        person, case, language=language
    ),
}


def information_targets(actor: User, case_references: Iterable[str] = ()) -> list[tuple]:
    """(person, case) pairs that have not yet had the current information letter for the case:
    every person of an open case the actor may record in, or of the cases named."""
    version = template_for(LetterKind.INFORMATION).version
    query = (
        sa.select(Person, Case)
        .join(Case, Case.household_id == Person.household_id)
        .where(
            Case.decision != Decision.NOT_PICKED_UP,
            Case.closed_on.is_(None),
            access.case_scope(actor),
            ~sa.exists().where(
                Letter.person_id == Person.id,
                Letter.case_id == Case.id,
                Letter.kind == LetterKind.INFORMATION,
                Letter.template_version == version,
            ),
        )
        .order_by(Case.reference, Person.id)
    )
    references = [ref.strip() for ref in case_references if ref.strip()]
    if references:
        query = query.where(Case.reference.in_(references))
    return [(person, case) for person, case in db.session.execute(query).tuples()]


def create_batch(
    actor: User, name: str, kind: LetterKind, language: str, targets: list[tuple]
) -> LetterBatch:
    if kind not in BATCH_BUILDERS:
        raise RuleViolation("not_batchable", "Deze soort brief kan niet in een printrun.")
    if language not in LANGUAGES:
        raise RuleViolation("unknown_language", "Kies Nederlands of Engels.")
    if not name.strip():
        raise RuleViolation("no_name", "Geef de printrun een naam.")
    if db.session.scalar(sa.select(LetterBatch.id).where(LetterBatch.name == name)) is not None:
        raise RuleViolation("name_taken", "Er is al een printrun met deze naam.")
    for _person, case in targets:
        if not access.can_change_case(actor, case):
            raise RuleViolation(
                "out_of_scope", f"U mag geen brieven versturen voor casus {case.reference}."
            )
    batch = LetterBatch(name=name.strip(), kind=kind, language=language, created_by=actor)
    try:
        with db.session.begin_nested():
            db.session.add(batch)
            db.session.flush()
    except sa.exc.IntegrityError:
        # Two runs of a new name started at once: the other one created it first.
        if find_batch(name.strip()) is None:
            raise
        raise RuleViolation("name_taken", "Er is al een printrun met deze naam.") from None
    for position, (person, case) in enumerate(targets, start=1):
        db.session.add(LetterBatchItem(batch=batch, position=position, person=person, case=case))
    db.session.flush()
    audit.record(
        audit.Action.CREATE,
        user=actor,
        object_type="letter_batch",
        object_id=batch.id,
        processing_activity="brieven",
        purpose=f"printrun aanmaken: {len(targets)} brieven",
    )
    return batch


def find_batch(name: str) -> Optional[LetterBatch]:
    return db.session.scalar(sa.select(LetterBatch).where(LetterBatch.name == name))


def open_items(batch: LetterBatch) -> list[LetterBatchItem]:
    return list(
        db.session.scalars(
            sa.select(LetterBatchItem)
            .where(LetterBatchItem.batch_id == batch.id, LetterBatchItem.letter_id.is_(None))
            .order_by(LetterBatchItem.position)
        ).all()
    )


def send_item(actor: User, batch: LetterBatch, item: LetterBatchItem) -> Letter:
    """Send one item and mark it done; the caller commits both together.

    The mark is conditional: should two runs of the same batch race, the second finds the item
    taken and its letter is rolled back with the RuleViolation."""
    build = BATCH_BUILDERS[batch.kind]
    letter = send_letter(
        actor, build(item.person, item.case, batch.language), channel=LetterChannel.POST
    )
    taken = db.session.execute(
        sa.update(LetterBatchItem)
        .where(LetterBatchItem.id == item.id, LetterBatchItem.letter_id.is_(None))
        .values(letter_id=letter.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise RuleViolation("item_taken", "Deze brief is al door een andere run verstuurd.")
    db.session.refresh(item)
    return letter


def run(
    actor: User,
    batch: LetterBatch,
    *,
    progress: Optional[Callable[[LetterBatchItem], None]] = None,
) -> int:
    """Send every open item, committing after each; returns how many were sent now."""
    sent = 0
    for item in open_items(batch):
        try:
            send_item(actor, batch, item)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        sent += 1
        if progress is not None:
            progress(item)
    if batch.finished_at is None:
        batch.finished_at = utcnow()
        db.session.commit()
    return sent


def assemble(actor: User, batch: LetterBatch) -> bytes:
    """One print file from the stored letters, in order; a blank page after every letter with
    an odd number of pages (duplex). Audited as an export."""
    writer = PdfWriter()
    items = db.session.scalars(
        sa.select(LetterBatchItem)
        .where(LetterBatchItem.batch_id == batch.id, LetterBatchItem.letter_id.is_not(None))
        .order_by(LetterBatchItem.position)
    ).all()
    for item in items:
        writer.append(PdfReader(BytesIO(item.letter.pdf)))
        if len(writer.pages) % 2:
            writer.add_blank_page()
        db.session.expire(item.letter, ["pdf"])  # keep memory flat over a large run
    output = BytesIO()
    writer.write(output)
    audit.record(
        audit.Action.EXPORT,
        user=actor,
        object_type="letter_batch",
        object_id=batch.id,
        processing_activity="brieven",
        purpose=f"printbestand maken: {len(items)} brieven",
    )
    return output.getvalue()


def batch_counts(batch: LetterBatch) -> tuple[int, int]:
    """(done, total)."""
    total = db.session.scalar(
        sa.select(sa.func.count()).where(LetterBatchItem.batch_id == batch.id)
    )
    done = db.session.scalar(
        sa.select(sa.func.count()).where(
            LetterBatchItem.batch_id == batch.id, LetterBatchItem.letter_id.is_not(None)
        )
    )
    return done, total

"""The audit trail is hash-chained: altering, deleting or inserting a row is detected and named
(issue 2, "Audit trail"). Every read of personal data leaves an entry (Privacyreglement,
Beveiliging: "de toegang tot de persoonsgegevens en de lees- en schrijfbevoegdheden")."""
from __future__ import annotations

import sqlalchemy as sa

from portal import audit
from portal.audit import AuditEntry, verify_chain
from portal.extensions import db
from portal.models import Role
from tests import factories as f


def _chain(n: int, user) -> list[AuditEntry]:
    return [
        audit.record(
            audit.Action.READ, user=user, person_id=i, processing_activity="casusregie",
            purpose="test",
        )
        for i in range(n)
    ]


def _execute(statement) -> None:
    db.session.execute(statement)
    db.session.expire_all()


def test_intact_chain_verifies(ctx):
    _chain(5, f.user())
    assert verify_chain() is None


def test_each_entry_links_to_the_one_before(ctx):
    entries = _chain(3, f.user())
    assert entries[0].prev_hash == audit.GENESIS or entries[0].seq > 1
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert entries[2].seq == entries[1].seq + 1


def test_altered_row_is_named(ctx):
    entries = _chain(5, f.user())
    target = entries[2]
    _execute(sa.update(AuditEntry).where(AuditEntry.id == target.id).values(person_id=999))
    problem = verify_chain()
    assert problem is not None
    assert (problem.seq, problem.kind) == (target.seq, "altered")


def test_altered_hash_is_named_at_the_next_row(ctx):
    # Rewriting a row together with its own hash still breaks the link from the next row.
    entries = _chain(4, f.user())
    target = entries[1]
    _execute(sa.update(AuditEntry).where(AuditEntry.id == target.id).values(
        purpose="verborgen", hash="f" * 64))
    problem = verify_chain()
    assert problem is not None and problem.seq == target.seq


def test_deleted_row_is_named(ctx):
    entries = _chain(5, f.user())
    target = entries[3]
    _execute(sa.delete(AuditEntry).where(AuditEntry.id == target.id))
    problem = verify_chain()
    assert problem is not None
    assert (problem.seq, problem.kind) == (target.seq, "missing")


def test_deleted_last_rows_cannot_hide_in_the_middle(ctx):
    entries = _chain(3, f.user())
    _execute(sa.delete(AuditEntry).where(AuditEntry.id == entries[0].id))
    problem = verify_chain()
    assert problem is not None and problem.seq == entries[0].seq


def test_inserted_row_is_named(ctx):
    entries = _chain(4, f.user())
    # Make room after row 2 and insert a forged row with a self-consistent hash.
    after = entries[1]
    for entry in reversed(entries[2:]):
        _execute(sa.update(AuditEntry).where(AuditEntry.id == entry.id).values(seq=entry.seq + 1))
    forged = AuditEntry(
        seq=after.seq + 1, at=after.at, action="read", processing_activity="casusregie",
        purpose="vervalst", confidentiality="normal", retain_until=after.retain_until,
        prev_hash=after.hash,
    )
    forged.hash = forged.compute_hash()
    db.session.add(forged)
    db.session.flush()
    db.session.expire_all()
    problem = verify_chain()
    assert problem is not None
    assert problem.seq == after.seq + 2  # the first genuine row that no longer follows
    assert problem.kind == "inserted"


def test_cli_names_the_first_broken_row(app, ctx):
    entries = _chain(3, f.user())
    _execute(sa.update(AuditEntry).where(AuditEntry.id == entries[1].id).values(action="delete"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"row {entries[1].seq}" in result.output
    assert "altered" in result.output


def test_cli_reports_intact_chain(app, ctx):
    _chain(2, f.user())
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert "intact" in result.output


def test_entries_hold_ids_not_personal_data(ctx):
    # An entry never holds names, addresses or BSNs, so erasure never has to rewrite the chain.
    person = f.person(given_name="Unieknaam", bsn="111222333")
    rows = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.person_id == person.id)).all()
    assert rows, "creating a person is audited"
    text = " ".join(str(getattr(row, col.name)) for row in rows for col in AuditEntry.__table__.c)
    assert "Unieknaam" not in text and "111222333" not in text


def test_reading_a_case_page_leaves_an_entry(client, auth, seed):
    with seed():
        user = f.user(Role.PROCESREGISSEUR)
        case = f.case(procesregisseur=user)
        case_id = case.id
    auth.login(user)
    with seed():
        before = f.count(AuditEntry)
    assert client.get(f"/cases/{case_id}").status_code == 200
    with seed():
        after = db.session.scalars(
            sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)
        ).one()
        assert f.count(AuditEntry) == before + 1
        assert (after.action, after.case_id, after.user_id, after.role) == (
            "read", case_id, user.id, "procesregisseur"
        )
        assert after.partner_code == user.partner.code
        assert verify_chain() is None


def test_refused_read_leaves_no_entry_and_answers_404(client, auth, seed):
    with seed():
        outsider = f.user(Role.TEAM_MEMBER)
        case_id = f.case().id
        before = f.count(AuditEntry)
    auth.login(outsider)
    assert client.get(f"/cases/{case_id}").status_code == 404
    with seed():
        assert f.count(AuditEntry) == before

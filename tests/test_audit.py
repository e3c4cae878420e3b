"""The audit trail is hash-chained: altering, deleting or inserting a row is detected and named
(issue 2, "Audit trail"). Every read of personal data leaves an entry (Privacyreglement,
Beveiliging: "de toegang tot de persoonsgegevens en de lees- en schrijfbevoegdheden")."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from portal import audit
from portal.audit import AuditEntry, verify_chain
from portal.extensions import db
from portal.models import Role
from tests import factories as f


def _chain(n: int, user) -> list[AuditEntry]:
    """`n` entries, committed: the commit seals them into the chain."""
    entries = [
        audit.record(
            audit.Action.READ, user=user, person_id=i, processing_activity="casusregie",
            purpose="test",
        )
        for i in range(n)
    ]
    db.session.commit()
    return entries


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
            sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)
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


# --- sealing at commit --------------------------------------------------------------------------


def test_an_entry_joins_the_chain_when_its_transaction_commits(ctx):
    user = f.user()
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.max(AuditEntry.seq))) or 0
    entry = audit.record(
        audit.Action.READ, user=user, person_id=1, processing_activity="casusregie", purpose="t"
    )
    assert (entry.seq, entry.hash, entry.prev_hash) == (None, None, None)
    db.session.commit()
    assert entry.seq == before + 1
    assert entry.hash == entry.compute_hash()
    assert verify_chain() is None


def test_a_rolled_back_entry_leaves_no_gap(ctx):
    user = f.user()
    first = _chain(1, user)[0]
    audit.record(audit.Action.READ, person_id=2, processing_activity="casusregie", purpose="weg")
    db.session.rollback()
    after = _chain(1, user)[0]
    assert after.seq == first.seq + 1 and after.prev_hash == first.hash
    assert verify_chain() is None


def test_while_another_transaction_seals_entries_commit_unsealed_and_the_next_seal_takes_them(
    app, ctx, monkeypatch
):
    user = f.user()
    first = _chain(1, user)[0]
    # The chain's lock is taken (another transaction is sealing): the commit does not wait.
    monkeypatch.setattr(audit, "_lock_chain", lambda session, *, wait: wait)
    waiting = _chain(2, user)
    assert [entry.seq for entry in waiting] == [None, None]
    assert audit.waiting_to_be_sealed() == 2
    assert verify_chain() is None  # waiting is not broken
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "2 entries wait to be sealed" in result.output
    monkeypatch.undo()
    # The next commit that writes entries seals those waiting first, in the order written.
    later = _chain(1, user)[0]
    db.session.expire_all()
    assert [e.seq for e in (*waiting, later)] == [first.seq + 1, first.seq + 2, first.seq + 3]
    assert waiting[0].prev_hash == first.hash and later.prev_hash == waiting[1].hash
    assert audit.waiting_to_be_sealed() == 0
    assert verify_chain() is None


def test_flask_audit_seal_seals_what_is_left(app, ctx, monkeypatch):
    user = f.user()
    monkeypatch.setattr(audit, "_lock_chain", lambda session, *, wait: wait)
    _chain(3, user)
    assert audit.waiting_to_be_sealed() == 3
    result = app.test_cli_runner().invoke(args=["audit", "seal"])
    assert result.exit_code == 0 and "Sealed 3 audit entries." in result.output
    assert audit.waiting_to_be_sealed() == 0
    assert verify_chain() is None


@pytest.fixture
def committed(app):
    """An app context on the real engine; every table emptied afterwards."""
    db.session.remove()
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.drop_all()
            db.create_all()


def test_parallel_writers_keep_one_gapless_chain(app, committed):
    """Entries are written without the chain's lock and sealed at commit, by whichever
    transaction holds the lock: writers that commit at the same moment still end up with
    consecutive numbers, each linked to the one before, and no entry lost or numbered twice."""
    writers, per_writer = 4, 8
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with app.app_context():
                start.wait(timeout=30)
                for i in range(per_writer):
                    audit.record(
                        audit.Action.READ, person_id=n * 100 + i,
                        processing_activity="casusregie", purpose=f"writer {n}",
                    )
                    db.session.commit()
                db.session.remove()
        except BaseException as error:  # reported in the main thread
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    # Writers that found another sealing left theirs for the next seal; none is left out.
    audit.seal(db.session, wait=True)
    db.session.commit()
    seqs = db.session.scalars(
        sa.select(AuditEntry.seq).where(AuditEntry.purpose.like("writer %"))
    ).all()
    assert len(seqs) == writers * per_writer
    assert verify_chain() is None
    total = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    assert sorted(
        db.session.scalars(sa.select(AuditEntry.seq)).all()
    ) == list(range(1, total + 1))

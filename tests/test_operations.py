"""Domain rules on the shared model, tested on the operations directly."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portal import operations
from portal.extensions import db
from portal.models import CaseEntry, Decision, EntryKind, Person, Phase
from tests import factories as f


def test_no_entries_before_phase_5(ctx):
    # Afwegingskader: "Vanaf punt 5 worden persoonsgegevens [...] vastgelegd in VIS2".
    user = f.user()
    early = f.case(procesregisseur=user, phase=Phase.ASSIGNMENT)
    with pytest.raises(operations.RuleViolation) as problem:
        operations.add_entry(user, early, kind=EntryKind.PLAN, domain=f.domain(), text="Plan")
    assert problem.value.code == "phase_too_early"
    assert f.count(CaseEntry) == 0


def test_entry_keeps_its_source_partner_and_author(ctx):
    # Privacyprotocol art. 5: the partner that brought data in keeps control over it.
    user = f.user()
    case = f.case(procesregisseur=user)
    entry = operations.add_entry(user, case, kind=EntryKind.PROGRESS, domain=f.domain(),
                                 text="  Huurachterstand besproken.  ")
    assert entry.source_partner_id == user.partner_id and entry.author_id == user.id
    assert entry.text == "Huurachterstand besproken."


def test_entry_text_is_encrypted_at_rest(ctx):
    user = f.user()
    entry = operations.add_entry(user, f.case(procesregisseur=user), kind=EntryKind.ACTION,
                                 domain=f.domain(), text="Geheime tekst over schulden")
    raw = db.session.execute(sa.text("SELECT text FROM case_entry WHERE id = :id"),
                             {"id": entry.id}).scalar_one()
    assert b"Geheime" not in bytes(raw)


def test_entry_about_a_person_outside_the_household_is_refused(ctx):
    user = f.user()
    case = f.case(procesregisseur=user)
    with pytest.raises(operations.RuleViolation, match="huishouden"):
        operations.add_entry(user, case, kind=EntryKind.ACTION, domain=f.domain(), text="x",
                             person=f.person())


def test_closed_case_takes_no_entries(ctx):
    user = f.user()
    case = f.case(procesregisseur=user, closed_on=date(2026, 3, 1))
    with pytest.raises(operations.RuleViolation, match="afgesloten"):
        operations.add_entry(user, case, kind=EntryKind.ACTION, domain=f.domain(), text="x")


def test_not_picked_up_closes_the_signal_and_keeps_nothing(ctx):
    # Afwegingskader stap 3: "Niet oppakken: Gegevens worden niet opgeslagen in VIS2."
    user = f.user()
    case = f.case(procesregisseur=user, phase=Phase.INFORMATION)
    operations.decide(user, case, Decision.NOT_PICKED_UP)
    assert case.is_closed and case.entries == [] and case.phase == Phase.INFORMATION
    with pytest.raises(operations.RuleViolation):
        operations.advance_phase(user, case)


def test_not_picked_up_case_cannot_reach_phase_4_in_the_database(ctx):
    case = f.case(phase=Phase.INFORMATION)
    case.decision = Decision.NOT_PICKED_UP
    db.session.flush()
    case.phase = Phase.ASSIGNMENT
    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            db.session.flush()


def test_phase_4_needs_a_decision(ctx):
    user = f.user()
    case = f.case(procesregisseur=user, phase=Phase.INFORMATION)
    with pytest.raises(operations.RuleViolation, match="Besluit"):
        operations.advance_phase(user, case)
    operations.decide(user, case, Decision.PICK_UP)
    assert case.phase == Phase.ASSIGNMENT


def test_closing_records_the_date_retention_counts_from(ctx):
    user = f.user()
    case = f.case(procesregisseur=user, phase=Phase.MONITORING)
    operations.close_case(user, case, on=date(2026, 6, 30))
    assert (case.phase, case.closed_on) == (Phase.CLOSING, date(2026, 6, 30))


def test_bsn_is_checked_and_stored_as_hash_beside_encrypted_value(ctx):
    person = f.person(bsn="111222333")
    assert operations.reveal_bsn(person) == "111222333"
    assert person.bsn_hash and "111222333" not in person.bsn_hash
    assert b"111222333" not in person.bsn_encrypted
    assert operations.find_person_by_bsn("111 222 333").id == person.id
    with pytest.raises(operations.RuleViolation) as problem:
        f.person(bsn="123456789")
    assert problem.value.code == "invalid_bsn"


def test_bsn_is_unique(ctx):
    f.person(bsn="111222333")
    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            f.person(bsn="111222333")


def test_minor_below_16_needs_representative_for_consent(ctx):
    child = f.person(birth_date=date(2012, 7, 1))
    assert child.is_minor_on(date(2028, 6, 30))
    assert not child.is_minor_on(date(2028, 7, 1))


def test_nobody_represents_themselves(ctx):
    user = f.user()
    person = f.person()
    with pytest.raises(operations.RuleViolation):
        operations.update_person(user, person, given_name="A", family_name="B", birth_date=None,
                                 bsn=None, legal_representative=person)
    assert db.session.get(Person, person.id).legal_representative_id is None


def test_undecided_case_cannot_be_closed(ctx):
    user = f.user()
    case = f.case(procesregisseur=user, phase=Phase.ASSESSMENT)
    with pytest.raises(operations.RuleViolation) as problem:
        operations.close_case(user, case)
    assert problem.value.code == "decide_first"


def test_picking_up_is_decided_in_phase_3_turning_away_from_phase_2(ctx):
    user = f.user()
    signal = f.case(procesregisseur=user, phase=Phase.SIGNAL)
    with pytest.raises(operations.RuleViolation):
        operations.decide(user, signal, Decision.NOT_PICKED_UP)
    assessed = f.case(procesregisseur=user, phase=Phase.ASSESSMENT)
    with pytest.raises(operations.RuleViolation):
        operations.decide(user, assessed, Decision.PICK_UP)
    operations.decide(user, assessed, Decision.NOT_PICKED_UP, on=date(2026, 4, 1))
    assert (assessed.closed_on, assessed.phase) == (date(2026, 4, 1), Phase.ASSESSMENT)

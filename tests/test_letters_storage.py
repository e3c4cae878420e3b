"""Every letter sent is stored once with its SHA-256 and template version, never changed, and
served unchanged (issue 4, point 1)."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
import sqlalchemy as sa

from portal import access, audit
from portal.extensions import db
from portal.letters import content, operations
from portal.letters.models import ImmutableLetter, Letter, LetterChannel, LetterKind
from portal.letters.registry import TEMPLATES, current_information_version
from portal.models import Role
from portal.operations import RuleViolation
from tests import factories as f
from tests.test_letters_content import build_world


def test_sent_letter_is_stored_with_hash_version_and_channel(ctx):
    world = build_world()
    letter = operations.send_letter(
        world.manager,
        content.information(world.person, world.case, language="en"),
        channel=LetterChannel.EMAIL,
    )
    db.session.expire_all()
    stored = db.session.get(Letter, letter.id)
    assert stored.sha256 == hashlib.sha256(stored.pdf).hexdigest()
    assert stored.pdf.startswith(b"%PDF-") and stored.size_bytes == len(stored.pdf)
    assert (stored.kind, stored.language, stored.channel) == (
        LetterKind.INFORMATION,
        "en",
        LetterChannel.EMAIL,
    )
    assert stored.template == "letters/en/information.html"
    assert stored.template_version == current_information_version() == "informatiebrief-2026-01"
    assert (stored.person_id, stored.case_id, stored.created_by_id) == (
        world.person.id,
        world.case.id,
        world.manager.id,
    )
    assert stored.page_count >= 2


def test_pdf_is_encrypted_at_rest(ctx):
    world = build_world()
    letter = operations.send_letter(world.manager, content.information(world.person, world.case))
    raw = db.session.execute(
        sa.text("SELECT pdf FROM letter WHERE id = :id"), {"id": letter.id}
    ).scalar_one()
    assert not bytes(raw).startswith(b"%PDF") and world.person.family_name.encode() not in raw


def test_sending_is_audited(ctx):
    world = build_world()
    letter = operations.send_letter(world.manager, content.information(world.person, world.case))
    entry = db.session.scalar(
        sa.select(audit.AuditEntry).where(
            audit.AuditEntry.object_type == "letter", audit.AuditEntry.object_id == letter.id
        )
    )
    assert entry.action == "create" and entry.person_id == world.person.id
    assert entry.user_id == world.manager.id


def test_a_sent_letter_is_never_changed(ctx):
    world = build_world()
    letter = operations.send_letter(world.manager, content.information(world.person, world.case))
    letter.channel = LetterChannel.PORTAL
    with pytest.raises(ImmutableLetter):
        db.session.flush()
    db.session.rollback()


def test_download_serves_the_stored_bytes_unchanged_and_audits_an_export(ctx):
    world = build_world()
    letter = operations.send_letter(world.manager, content.information(world.person, world.case))
    original = letter.pdf
    served = operations.stored_pdf(world.regisseur, letter)
    assert served == original
    assert hashlib.sha256(served).hexdigest() == letter.sha256
    export = db.session.scalar(
        sa.select(audit.AuditEntry).where(audit.AuditEntry.action == "export")
    )
    assert export.object_id == letter.id and export.user_id == world.regisseur.id


def test_a_letter_whose_bytes_do_not_match_its_hash_is_not_served(ctx):
    world = build_world()
    letter = operations.send_letter(world.manager, content.information(world.person, world.case))
    db.session.execute(sa.update(Letter).where(Letter.id == letter.id).values(sha256="0" * 64))
    db.session.expire_all()
    with pytest.raises(RuleViolation) as refused:
        operations.stored_pdf(world.regisseur, db.session.get(Letter, letter.id))
    assert refused.value.code == "hash_mismatch"


def test_sending_again_stores_a_new_letter_and_leaves_the_first_alone(ctx):
    world = build_world()
    first = operations.send_letter(world.manager, content.information(world.person, world.case))
    first_bytes = first.pdf
    second = operations.send_letter(world.manager, content.information(world.person, world.case))
    assert second.id != first.id
    db.session.expire_all()
    assert db.session.get(Letter, first.id).pdf == first_bytes
    assert [letter.id for letter in operations.letters_for(world.person)] == [second.id, first.id]


def test_history_includes_letters_to_the_household_address(ctx):
    world = build_world()
    turned_away = world.not_picked_up_case
    person_there = f.person(turned_away.household)
    household_letter = operations.send_letter(world.regisseur, content.not_picked_up(turned_away))
    assert household_letter.person_id is None
    assert household_letter.household_id == turned_away.household_id
    assert operations.letters_for(person_there) == [household_letter]
    assert operations.letters_for(world.person) == []


def test_household_letters_go_by_post_and_email_needs_an_address(ctx):
    world = build_world()
    with pytest.raises(RuleViolation) as by_email:
        operations.send_letter(
            world.regisseur,
            content.not_picked_up(world.not_picked_up_case),
            channel=LetterChannel.EMAIL,
        )
    assert by_email.value.code == "household_by_post"
    world.person.email = None
    with pytest.raises(RuleViolation) as no_address:
        operations.send_letter(
            world.manager,
            content.information(world.person, world.case),
            channel=LetterChannel.EMAIL,
        )
    assert no_address.value.code == "no_email"


def test_information_versions_received_name_what_the_ledger_can_record(ctx):
    world = build_world()
    assert operations.information_versions_received(world.person) == []
    operations.send_letter(world.manager, content.information(world.person, world.case))
    assert operations.information_versions_received(world.person) == ["informatiebrief-2026-01"]


def test_versions_are_unique_per_kind():
    versions = [template.version for template in TEMPLATES.values()]
    assert len(versions) == len(set(versions))
    assert set(TEMPLATES) == set(LetterKind)


def test_a_minor_is_written_to_through_the_legal_representative(ctx):
    world = build_world()
    parent = world.person
    child = f.person(parent.household, given_name="Noor", birth_date=date(2018, 1, 1))
    child.legal_representative = parent
    db.session.flush()
    context = operations.letter_context(
        content.information(child, world.case, sharing=[]), signer="x"
    )
    assert context["recipient"][0] == "Aan de wettelijk vertegenwoordiger van"
    assert context["salutation"] == f"Beste {parent.full_name},"


def test_letters_of_a_team_member_outside_the_case_are_not_visible(ctx):
    world = build_world()
    letter = operations.send_letter(world.manager, content.information(world.person, world.case))
    outsider = f.user(Role.TEAM_MEMBER)
    desk = f.user(Role.PRIVACY_DESK)
    assert access.can_view_letter(world.manager, letter)
    assert access.can_view_letter(desk, letter)
    assert not access.can_view_letter(outsider, letter)
    household_letter = operations.send_letter(
        world.regisseur, content.not_picked_up(world.not_picked_up_case)
    )
    assert access.can_view_letter(world.regisseur, household_letter)
    assert not access.can_view_letter(world.manager, household_letter)

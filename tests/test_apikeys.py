"""API keys of partner systems: shown once, stored as a hash, revoked with immediate effect, and
managed from the command line with the same operations."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from consent.apikeys import (
    PREFIX_LENGTH,
    authenticate,
    create_api_key,
    revoke_api_key,
)
from consent.models import ApiKey
from portal.audit import AuditEntry
from portal.extensions import db
from portal.operations import RuleViolation
from tests import factories as f


def _entries_for(key: ApiKey) -> list[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == "api_key", AuditEntry.object_id == key.id)
        .order_by(AuditEntry.seq)
    ).all()


def test_the_stored_key_is_a_hash_not_the_key(ctx):
    partner = f.partner()
    key, plaintext = create_api_key(None, partner, "Zaaksysteem")
    stored = db.session.execute(
        sa.select(ApiKey.prefix, ApiKey.key_hash).where(ApiKey.id == key.id)
    ).one()
    assert plaintext not in stored
    assert stored.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext.startswith(stored.prefix) and len(stored.prefix) == PREFIX_LENGTH
    assert len(plaintext) > 50, "the secret part is 256 bits"
    assert key.partner_id == partner.id and key.revoked_at is None


def test_two_keys_differ(ctx):
    partner = f.partner()
    (first, one), (second, two) = (
        create_api_key(None, partner, "a"),
        create_api_key(None, partner, "b"),
    )
    assert one != two and first.prefix != second.prefix


def test_the_key_authenticates_its_partner(ctx):
    partner = f.partner()
    key, plaintext = create_api_key(f.user(), partner, "Zaaksysteem")
    assert authenticate(f"Bearer {plaintext}") is key
    assert authenticate(f"bearer   {plaintext} ").partner.id == partner.id


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token {key}",
        "{key}",
        "Bearer {key}x",
        "Bearer {key_without_last}",
        "Bearer {other_secret}",
        "Bearer {prefix}",
        "Bearer rtk_00000000" + "A" * 43,
        "Bearer \x00{key}",
    ],
)
def test_anything_but_the_exact_key_is_refused(ctx, header):
    key, plaintext = create_api_key(None, f.partner(), "Zaaksysteem")
    if header is not None:
        # Same prefix, other secret: found by prefix, refused by the hash comparison.
        other_secret = plaintext[:PREFIX_LENGTH] + ("B" if plaintext[-1] != "B" else "C") * 43
        header = header.format(
            key=plaintext,
            key_without_last=plaintext[:-1],
            other_secret=other_secret,
            prefix=key.prefix,
        )
    assert authenticate(header) is None


def test_a_revoked_key_stops_at_once(ctx):
    key, plaintext = create_api_key(None, f.partner(), "Zaaksysteem")
    revoke_api_key(f.user(), key)
    assert key.revoked_at is not None
    assert authenticate(f"Bearer {plaintext}") is None
    with pytest.raises(RuleViolation) as refused:
        revoke_api_key(None, key)
    assert refused.value.code == "already_revoked"


def test_making_and_revoking_a_key_is_on_record(ctx):
    actor = f.user()
    key, _ = create_api_key(actor, f.partner(), "Zaaksysteem")
    revoke_api_key(actor, key)
    entries = _entries_for(key)
    assert [e.action for e in entries] == ["create", "update"]
    assert all(e.user_id == actor.id and e.person_id is None for e in entries)


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("", "label_required"),
        ("   ", "label_required"),
        ("x" * 101, "invalid_label"),
        ("a\x00b", "invalid_label"),
    ],
)
def test_a_key_needs_a_plain_label_and_nothing_is_stored_without(ctx, label, code):
    partner = f.partner()
    before = f.count(ApiKey)
    with pytest.raises(RuleViolation) as refused:
        create_api_key(None, partner, label)
    assert refused.value.code == code
    assert f.count(ApiKey) == before


# --- command line -----------------------------------------------------------------------------


def test_cli_creates_lists_and_revokes(app, db):
    with app.app_context():
        partner = f.partner(code="talis_cli")
        db.session.commit()
    runner = app.test_cli_runner()

    created = runner.invoke(args=["apikey", "create", "talis_cli", "--label", "Zaaksysteem"])
    assert created.exit_code == 0, created.output
    plaintext = created.output.strip().splitlines()[-1]
    prefix = plaintext[:PREFIX_LENGTH]
    with app.app_context():
        key = authenticate(f"Bearer {plaintext}")
        assert key is not None and key.partner_id == partner.id and key.label == "Zaaksysteem"

    listed = runner.invoke(args=["apikey", "list"])
    assert listed.exit_code == 0
    line = next(line for line in listed.output.splitlines() if line.startswith(prefix))
    assert "talis_cli" in line and "active" in line and plaintext not in listed.output

    revoked = runner.invoke(args=["apikey", "revoke", prefix])
    assert revoked.exit_code == 0, revoked.output
    with app.app_context():
        assert authenticate(f"Bearer {plaintext}") is None
    listed = runner.invoke(args=["apikey", "list"])
    assert "active" not in next(
        line for line in listed.output.splitlines() if line.startswith(prefix)
    )

    again = runner.invoke(args=["apikey", "revoke", prefix])
    assert again.exit_code != 0 and "al ingetrokken" in again.output


def test_cli_refuses_an_unknown_partner_or_prefix(app, db):
    runner = app.test_cli_runner()
    with app.app_context():
        before = f.count(ApiKey)
    unknown = runner.invoke(args=["apikey", "create", "no_such_partner", "--label", "x"])
    assert unknown.exit_code != 0 and "no_such_partner" in unknown.output
    missing = runner.invoke(args=["apikey", "revoke", "rtk_ffffffff"])
    assert missing.exit_code != 0 and "No key" in missing.output
    with app.app_context():
        f.partner(code="portaal_cli")
        db.session.commit()
    no_label = runner.invoke(args=["apikey", "create", "portaal_cli", "--label", "  "])
    assert no_label.exit_code != 0
    with app.app_context():
        assert f.count(ApiKey) == before

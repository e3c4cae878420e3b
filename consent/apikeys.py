"""API keys of partner systems for the check API: create, revoke, authenticate, and the CLI.

A key is shown once, when it is made; only its SHA-256 is kept. The key holds 256 bits of
randomness, so a slow password hash would add nothing but latency to every API call. The first
characters (the prefix) are stored in the clear to find the row and to name the key in lists and
audit entries.

    flask --app portal apikey create PARTNER_CODE --label "Zaaksysteem Talis"
    flask --app portal apikey list
    flask --app portal apikey revoke PREFIX
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Optional

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from sqlalchemy.orm import joinedload

from consent.models import ApiKey
from portal import audit
from portal.extensions import db
from portal.models import Partner, User, utcnow
from portal.operations import RuleViolation

# "rtk_" + 8 hex characters: 12 characters, the width of `ApiKey.prefix`.
PREFIX_MARK = "rtk_"
PREFIX_LENGTH = 12
_PREFIX = re.compile(r"rtk_[0-9a-f]{8}")
# token_urlsafe(32) gives 43 characters of [A-Za-z0-9_-].
_KEY = re.compile(r"rtk_[0-9a-f]{8}[A-Za-z0-9_-]{43}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Compared against when no key has the prefix, so a wrong prefix costs the same time as a wrong key.
_NO_HASH = "0" * 64


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def _new_prefix() -> str:
    for _attempt in range(10):
        prefix = PREFIX_MARK + secrets.token_hex(4)
        taken = db.session.scalar(sa.select(ApiKey.id).where(ApiKey.prefix == prefix))
        if taken is None:
            return prefix
    raise RuntimeError("no free API key prefix found")  # 2^32 prefixes: never in practice


def create_api_key(actor: Optional[User], partner: Partner, label: str) -> tuple[ApiKey, str]:
    """A new key for `partner`'s system. Returns the row and the key itself, which is shown once
    and never stored."""
    label = (label or "").strip()
    if not label:
        raise RuleViolation("label_required", "Geef de sleutel een naam, bijvoorbeeld het systeem.")
    if len(label) > 100 or _CONTROL.search(label):
        raise RuleViolation("invalid_label", "De naam mag hoogstens 100 gewone tekens lang zijn.")
    prefix = _new_prefix()
    plaintext = prefix + secrets.token_urlsafe(32)
    key = ApiKey(
        partner_id=partner.id,
        label=label,
        prefix=prefix,
        key_hash=hash_key(plaintext),
        created_at=utcnow(),
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(key)
    db.session.flush()
    _audit(actor, key, audit.Action.CREATE, "API-sleutel aangemaakt")
    return key, plaintext


def revoke_api_key(actor: Optional[User], key: ApiKey) -> ApiKey:
    """Stop a key with immediate effect; the row stays for the audit trail."""
    if key.revoked_at is not None:
        raise RuleViolation("already_revoked", "Deze sleutel is al ingetrokken.")
    key.revoked_at = utcnow()
    db.session.flush()
    _audit(actor, key, audit.Action.UPDATE, "API-sleutel ingetrokken")
    return key


def authenticate(header: Optional[str]) -> Optional[ApiKey]:
    """The active key named by an `Authorization: Bearer <key>` header, or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not _KEY.fullmatch(token):
        return None
    key = db.session.scalar(
        sa.select(ApiKey)
        .options(joinedload(ApiKey.partner))
        .where(ApiKey.prefix == token[:PREFIX_LENGTH], ApiKey.revoked_at.is_(None))
    )
    stored = key.key_hash if key is not None else _NO_HASH
    if not hmac.compare_digest(stored, hash_key(token)) or key is None:
        return None
    return key


def _audit(actor: Optional[User], key: ApiKey, action: audit.Action, purpose: str) -> None:
    # Keys open personal data to a partner system: who made or stopped one is on record.
    audit.record(
        action,
        user=actor,
        object_type="api_key",
        object_id=key.id,
        processing_activity="koppelingen partnersystemen",
        purpose=purpose,
        confidentiality=audit.Confidentiality.NORMAL,
    )


# --- command line ---------------------------------------------------------------------------

apikey_cli = AppGroup("apikey", help="API keys of partner systems for the check API.")


@apikey_cli.command("create")
@click.argument("partner_code")
@click.option("--label", required=True, help="What the key is for, e.g. the partner's system.")
def create_command(partner_code: str, label: str) -> None:
    """Make a key for PARTNER_CODE and print it once."""
    partner = db.session.scalar(sa.select(Partner).where(Partner.code == partner_code))
    if partner is None:
        raise click.ClickException(f"No partner with code {partner_code!r}.")
    try:
        key, plaintext = create_api_key(None, partner, label)
    except RuleViolation as violation:
        db.session.rollback()
        raise click.ClickException(violation.message) from None
    db.session.commit()
    click.echo(f"Key {key.prefix} for {partner.code} ({key.label}). Shown only now; store it:")
    click.echo(plaintext)


@apikey_cli.command("revoke")
@click.argument("prefix")
def revoke_command(prefix: str) -> None:
    """Stop the key that starts with PREFIX."""
    key = db.session.scalar(sa.select(ApiKey).where(ApiKey.prefix == prefix[:PREFIX_LENGTH]))
    if key is None or not _PREFIX.fullmatch(prefix[:PREFIX_LENGTH]):
        raise click.ClickException(f"No key with prefix {prefix!r}.")
    try:
        revoke_api_key(None, key)
    except RuleViolation as violation:
        db.session.rollback()
        raise click.ClickException(violation.message) from None
    db.session.commit()
    click.echo(f"Key {key.prefix} revoked.")


@apikey_cli.command("list")
def list_command() -> None:
    """All keys: prefix, partner, label, created, revoked."""
    keys = db.session.scalars(
        sa.select(ApiKey).options(joinedload(ApiKey.partner)).order_by(ApiKey.created_at)
    ).all()
    if not keys:
        click.echo("No API keys.")
        return
    for key in keys:
        revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "active"
        created = key.created_at.isoformat(timespec="seconds")
        click.echo(f"{key.prefix}  {key.partner.code:<20}  {created}  {revoked:<25}  {key.label}")


def init_app(app) -> None:
    app.cli.add_command(apikey_cli)

"""The one-time sign-in code on a letter: works once, fails after use, after expiry, after
revocation and when altered (issue 4, point 3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.letters import access_codes
from portal.letters.access_codes import AccessCodeError
from portal.letters.models import AccessCode
from portal.models import Role, utcnow
from portal.operations import RuleViolation
from tests import factories as f


@pytest.fixture
def person(ctx):
    return f.person()


@pytest.fixture
def staff(ctx):
    return f.user(Role.CASE_MANAGER)


def reason_of(call) -> str:
    with pytest.raises(AccessCodeError) as refused:
        call()
    return refused.value.code


@pytest.mark.parametrize("form", ["code", "token", "url", "code_lowercase_with_spaces"])
def test_code_works_once_in_each_printed_form(person, staff, form):
    issued = access_codes.issue_code(person, actor=staff)
    given = {
        "code": issued.code,
        "token": issued.token,
        "url": issued.url,
        "code_lowercase_with_spaces": issued.code.lower().replace("-", " "),
    }[form]
    assert access_codes.redeem_code(given) is person
    assert reason_of(lambda: access_codes.redeem_code(given)) == "used"
    assert reason_of(lambda: access_codes.redeem_code(issued.code)) == "used"


def test_code_fails_after_expiry(person, staff, app):
    issued = access_codes.issue_code(person, actor=staff)
    days = app.config["LETTER_CODE_DAYS"]
    assert days == 60
    late = utcnow() + timedelta(days=days, seconds=1)
    assert reason_of(lambda: access_codes.redeem_code(issued.code, now=late)) == "expired"
    assert reason_of(lambda: access_codes.redeem_code(issued.token, now=late)) == "expired"
    just_in_time = utcnow() + timedelta(days=days) - timedelta(minutes=1)
    assert access_codes.redeem_code(issued.code, now=just_in_time) is person


def test_expiry_follows_the_configured_number_of_days(person, staff, app, monkeypatch):
    monkeypatch.setitem(app.config, "LETTER_CODE_DAYS", 3)
    issued = access_codes.issue_code(person, actor=staff)
    assert issued.expires_at - issued.row.issued_at.replace(tzinfo=issued.expires_at.tzinfo) == (
        timedelta(days=3)
    )
    assert (
        reason_of(lambda: access_codes.redeem_code(issued.code, now=utcnow() + timedelta(days=4)))
        == "expired"
    )


def test_revoked_code_fails(person, staff):
    issued = access_codes.issue_code(person, actor=staff)
    access_codes.revoke_code(staff, issued.row)
    assert reason_of(lambda: access_codes.redeem_code(issued.code)) == "revoked"
    assert reason_of(lambda: access_codes.redeem_code(issued.token)) == "revoked"
    with pytest.raises(RuleViolation):
        access_codes.revoke_code(staff, issued.row)


def test_a_used_code_cannot_be_revoked(person, staff):
    issued = access_codes.issue_code(person, actor=staff)
    access_codes.redeem_code(issued.code)
    with pytest.raises(RuleViolation) as refused:
        access_codes.revoke_code(staff, issued.row)
    assert refused.value.code == "already_used"


def _altered(value: str, at: int) -> str:
    replacement = "A" if value[at] != "A" else "B"
    return value[:at] + replacement + value[at + 1 :]


def test_token_altered_at_any_position_fails(person, staff):
    issued = access_codes.issue_code(person, actor=staff)
    for at in range(len(issued.token)):
        for replacement in ("A", "B", "-", "_"):
            if issued.token[at] == replacement:
                continue
            altered = issued.token[:at] + replacement + issued.token[at + 1 :]
            assert reason_of(lambda: access_codes.redeem_code(altered)) == "invalid", at  # noqa: B023
    assert access_codes.redeem_code(issued.token) is person  # the real one still works


@pytest.mark.parametrize("where", [0, 6, 13])
def test_altered_typed_code_fails(person, staff, where):
    issued = access_codes.issue_code(person, actor=staff)
    assert reason_of(lambda: access_codes.redeem_code(_altered(issued.code, where))) == "invalid"


def test_token_signed_with_another_key_fails(person, staff, app, monkeypatch):
    issued = access_codes.issue_code(person, actor=staff)
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret")
    assert reason_of(lambda: access_codes.redeem_code(issued.token)) == "invalid"


@pytest.mark.parametrize("junk", ["", "   ", "abc", "x" * 500, "ÄÖÜ-ÄÖÜ-ÄÖÜ"])
def test_junk_is_invalid_not_an_error(person, junk):
    assert reason_of(lambda: access_codes.redeem_code(junk)) == "invalid"


def test_only_a_keyed_hash_is_stored(person, staff):
    issued = access_codes.issue_code(person, actor=staff)
    row = db.session.scalar(sa.select(AccessCode).where(AccessCode.id == issued.row.id))
    plain = access_codes.normalise(issued.code)
    assert plain not in row.code_hash and len(row.code_hash) == 64
    assert issued.code.count("-") == 2 and len(plain) == 12
    assert not set(plain) & set("01OI")  # no look-alikes on paper


def test_code_states_for_the_history(person, staff):
    issued = access_codes.issue_code(person, actor=staff)
    assert access_codes.code_state(issued.row) == "open"
    assert access_codes.code_state(issued.row, utcnow() + timedelta(days=61)) == "expired"
    access_codes.redeem_code(issued.code)
    assert access_codes.code_state(issued.row) == "used"

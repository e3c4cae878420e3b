"""Small factories for tests. They flush (never commit) and need an app context."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pyotp
import sqlalchemy as sa

from portal import operations
from portal.auth import hash_password
from portal.extensions import db
from portal.models import (
    Case,
    DataDomain,
    Decision,
    Household,
    Participation,
    Partner,
    Role,
    User,
)

_counter = itertools.count(1)
PASSWORD = "correct horse battery staple"


def partner(**overrides) -> Partner:
    n = next(_counter)
    values = dict(
        code=f"p{n}",
        name=f"Partner {n}",
        participation=Participation.CORE,
        is_municipal=False,
        professional_secrecy=False,
    )
    values.update(overrides)
    obj = Partner(**values)
    db.session.add(obj)
    db.session.flush()
    return obj


def domain(**overrides) -> DataDomain:
    n = next(_counter)
    values = dict(code=f"d{n}", name_nl=f"Domein {n}", name_en=f"Domain {n}")
    values.update(overrides)
    obj = DataDomain(**values)
    db.session.add(obj)
    db.session.flush()
    return obj


def user(
    role: Role = Role.PROCESREGISSEUR, partner_obj: Partner | None = None, **overrides
) -> User:
    n = next(_counter)
    values = dict(
        email=f"user{n}@test.example",
        name=f"Medewerker {n}",
        password_hash=hash_password(PASSWORD),
        role=role,
        partner=partner_obj or partner(),
        vog_date=date(2024, 1, 1),
        totp_secret=pyotp.random_base32(),
        totp_confirmed=True,
    )
    values.update(overrides)
    obj = User(**values)
    db.session.add(obj)
    db.session.flush()
    return obj


def household(**overrides) -> Household:
    n = next(_counter)
    values = dict(
        street="Teststraat", house_number=str(n), postcode="6541AA", city="Nijmegen", wijk="Hatert"
    )
    values.update(overrides)
    obj = Household(**values)
    db.session.add(obj)
    db.session.flush()
    return obj


def person(household_obj: Household | None = None, **overrides):
    values = dict(
        given_name="Sam", family_name=f"Jansen{next(_counter)}", birth_date=date(1980, 5, 1)
    )
    values.update(overrides)
    return operations.create_person(None, household_obj or household(), **values)


def case(
    procesregisseur: User | None = None,
    household_obj: Household | None = None,
    phase: int = 5,
    team: list[Partner] = (),
    members: list[User] = (),
    case_manager: User | None = None,
    **overrides,
) -> Case:
    n = next(_counter)
    values = dict(
        reference=f"RT-T-{n:04d}",
        household=household_obj or household(),
        phase=phase,
        decision=Decision.PICK_UP if phase >= 4 else Decision.PENDING,
        procesregisseur=procesregisseur or user(Role.PROCESREGISSEUR),
        case_manager=case_manager,
        opened_on=date(2026, 1, 5),
    )
    values.update(overrides)
    obj = Case(**values)
    obj.team.extend(team)
    obj.members.extend(members)
    db.session.add(obj)
    db.session.flush()
    return obj


def stored_letter(person, case_obj: Case, author: User):
    """An information letter as a print run stores it (a stand-in PDF), with its sign-in code:
    what retention and the crash tests destroy or keep."""
    from portal.letters.models import AccessCode, Letter, LetterChannel, LetterKind

    code = AccessCode(
        person_id=person.id,
        code_hash=f"{person.id:064d}",
        expires_at=datetime.now(UTC) + timedelta(days=60),
    )
    letter = Letter(
        kind=LetterKind.INFORMATION,
        language="nl",
        template="information",
        template_version="info-2026-01",
        person_id=person.id,
        household_id=case_obj.household_id,
        case_id=case_obj.id,
        channel=LetterChannel.POST,
        pdf=b"%PDF-1.7 test",
        sha256="a" * 64,
        size_bytes=13,
        page_count=1,
        created_by_id=author.id,
        access_code=code,
    )
    db.session.add(letter)
    db.session.flush()
    return letter


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))

"""The demo data set: complete, faithful to the convenant, idempotent and deterministic."""
from __future__ import annotations

import pyotp
import pytest
import sqlalchemy as sa
from stdnum.nl import bsn as bsn_check

from portal import demo, operations
from portal.access import case_scope
from portal.auth import check_password
from portal.extensions import db
from portal.models import (
    Case,
    CaseEntry,
    DataDomain,
    Decision,
    Household,
    Participation,
    Partner,
    Person,
    Role,
    User,
)
from tests import factories as f

CONVENANT_PARTNERS = {
    "Gemeente Nijmegen", "Sterker Sociaal Werk", "Jeugdbescherming Gelderland", "Politie",
    "Talis", "Portaal", "Standvast Wonen", "Woongenoot", "De Gemeenschap", "Mooiland",
    "Pro Persona Bemoeizorg", "GGD Gelderland-Zuid", "Sociaal Wijkteam", "Entréa", "Iriszorg",
    "Bindkracht 10", "Veiligheidshuis",
}


@pytest.fixture
def loaded(ctx):
    assert demo.load() is True
    return demo.plan()


def _partner(name: str) -> Partner:
    return db.session.scalar(sa.select(Partner).where(Partner.name == name))


def _user(key: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == f"{key}@{demo.DEMO_EMAIL_DOMAIN}"))


def _cases() -> list[Case]:
    return db.session.scalars(sa.select(Case).order_by(Case.reference)).all()


def _visible(user: User) -> list[str]:
    return db.session.scalars(
        sa.select(Case.reference).where(case_scope(user)).order_by(Case.reference)
    ).all()


def test_every_convenant_partner_with_its_flags(loaded):
    names = set(db.session.scalars(sa.select(Partner.name)))
    assert CONVENANT_PARTNERS <= names

    ggd = _partner("GGD Gelderland-Zuid")
    assert ggd.participation is Participation.SCHILPARTNER and ggd.professional_secrecy
    assert _partner("Pro Persona Bemoeizorg").professional_secrecy
    assert "Wgbo" in _partner("Pro Persona Bemoeizorg").statutory_task
    gemeente = _partner("Gemeente Nijmegen")
    assert gemeente.is_municipal and not gemeente.professional_secrecy
    assert "Wmo 2015 art. 2.3.1" in gemeente.statutory_task
    politie = _partner("Politie")
    assert not politie.is_municipal and "Politiewet 2012 art. 3" in politie.statutory_task
    assert "Jeugdwet art. 1.1" in _partner("Jeugdbescherming Gelderland").statutory_task
    assert _partner("Sterker Sociaal Werk").professional_secrecy
    assert not _partner("Talis").professional_secrecy and _partner("Talis").statutory_task is None
    assert _partner("Veiligheidshuis").participation is Participation.CHAIN
    leerplicht = db.session.scalar(sa.select(Partner).where(Partner.code == "leerplicht"))
    assert leerplicht.participation is Participation.INCIDENTAL
    assert leerplicht.is_municipal and not leerplicht.professional_secrecy
    for name in ("Sociaal Wijkteam", "Entréa", "Iriszorg", "Bindkracht 10"):
        assert _partner(name).participation is Participation.INCIDENTAL


def test_data_domains(loaded):
    domains = {d.code: d for d in db.session.scalars(sa.select(DataDomain))}
    assert set(domains) == {
        "wonen", "financien", "werk_inkomen", "gezondheid", "jeugd", "onderwijs", "veiligheid",
        "ondersteuning",
    }
    assert [c for c, d in domains.items() if d.special_category] == ["gezondheid"]
    assert [c for c, d in domains.items() if d.criminal] == ["veiligheid"]


def test_loading_twice_adds_nothing(loaded):
    before = [f.count(model) for model in (Partner, User, Household, Person, Case, CaseEntry)]
    assert demo.load() is False
    after = [f.count(model) for model in (Partner, User, Household, Person, Case, CaseEntry)]
    assert after == before


def test_reuses_partners_seeded_before(ctx):
    seeded = f.partner(code="talis", name="Talis")
    assert demo.load() is True
    assert _user("teamlid").partner is seeded


def test_an_account_for_every_role_that_can_sign_in(loaded):
    users = db.session.scalars(
        sa.select(User).where(User.email.like(f"%@{demo.DEMO_EMAIL_DOMAIN}"))
    ).all()
    assert {user.role for user in users} == set(Role)
    for user in users:
        assert user.vog_date is not None and user.totp_confirmed
        assert user.totp_secret == demo.totp_secret(user.email)
        assert len(pyotp.TOTP(user.totp_secret).now()) == 6
    assert check_password(_user("procesregisseur"), demo.DEMO_PASSWORD)
    assert _user("procesregisseur").partner.name == "Gemeente Nijmegen"
    assert _user("casemanager").partner.name == "Sterker Sociaal Werk"
    assert _user("incidenteel").confidentiality_signed_on is not None


def test_cases_in_every_phase_and_entries_only_from_phase_5(loaded):
    cases = _cases()
    assert {case.phase for case in cases} == set(range(1, 9))
    for case in cases:
        if case.phase < 5:
            assert case.entries == []
        if case.phase <= 3:
            assert case.decision in (Decision.PENDING, Decision.NOT_PICKED_UP)
        else:
            assert case.decision in (Decision.PICK_UP, Decision.SCALE_UP)
        for entry in case.entries:
            assert entry.author.partner_id == entry.source_partner_id
            assert case.opened_on <= entry.created_at.date()
    assert any(case.entries for case in cases if case.phase >= 5)
    assert any(case.is_closed and case.decision is not Decision.NOT_PICKED_UP for case in cases)


def test_not_picked_up_case_is_closed_and_empty(loaded):
    (case,) = [c for c in _cases() if c.decision is Decision.NOT_PICKED_UP]
    assert case.phase == 3 and case.entries == []
    assert case.closed_on is not None and case.closed_on >= case.opened_on


def test_households_and_persons(loaded):
    households = db.session.scalars(sa.select(Household)).all()
    assert len(households) == 20
    assert all(1 <= len(h.persons) <= 5 and h.postcode[:4].isdigit() for h in households)
    persons = db.session.scalars(sa.select(Person)).all()
    numbers = [operations.reveal_bsn(p) for p in persons if p.bsn_encrypted]
    assert numbers and all(bsn_check.is_valid(n) for n in numbers)
    minors = [p for p in persons if p.legal_representative is not None]
    assert minors
    for minor in minors:
        assert minor.legal_representative.household_id == minor.household_id
        assert minor.age_on(minor.household.cases[0].opened_on) < 18


def test_access_policy_on_demo_accounts(loaded):
    every = [case.reference for case in _cases()]
    team_member = _visible(_user("teamlid"))
    assert 0 < len(team_member) < len(every)
    assert 2 <= len(_visible(_user("casemanager"))) <= 3
    assert len(_visible(_user("incidenteel"))) == 1
    # A member of a case, but no confidentiality statement and no professional secrecy.
    assert _visible(_user("leerplicht")) == []
    assert _visible(_user("procesregisseur")) == every
    assert _visible(_user("statistiek")) == []


def _snapshot() -> list[tuple]:
    return [
        (
            case.reference, case.household.postcode, case.phase, case.decision.value,
            case.closed_on,
            tuple(
                (p.full_name, p.birth_date, operations.reveal_bsn(p))
                for p in case.household.persons
            ),
            tuple((e.kind.value, e.text) for e in case.entries),
        )
        for case in _cases()
    ]


def test_deterministic(ctx):
    assert demo.plan() == demo.plan()
    demo.load()
    first = _snapshot()
    db.session.rollback()
    assert not demo.is_loaded()
    demo.load()
    assert _snapshot() == first
    assert [row[0] for row in first] == sorted(case.reference for case in demo.plan().cases)


def test_accounts_text(ctx):
    assert "demo load" in demo.accounts_text()
    demo.load()
    text = demo.accounts_text()
    assert demo.DEMO_PASSWORD in text
    assert f"procesregisseur@{demo.DEMO_EMAIL_DOMAIN}" in text
    assert "Gemeente Nijmegen" in text and "PORTAL_DEMO=1" in text


def test_refused_in_production(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_ENV", "production")
    with pytest.raises(RuntimeError):
        demo.load()
    assert not demo.is_loaded()


def test_sign_in_page_lists_demo_accounts_in_demo_mode(app, client, seed, monkeypatch):
    with seed():
        demo.load()
    monkeypatch.setitem(app.config, "DEMO", True)
    page = client.get("/auth/login").get_data(as_text=True)
    assert f"teamlid@{demo.DEMO_EMAIL_DOMAIN}" in page and demo.DEMO_PASSWORD in page


def test_partners_have_task_domains_and_a_contact_address(loaded):
    partners = {p.code: p for p in db.session.scalars(sa.select(Partner))}
    assert [d.code for d in partners["politie"].domains] == ["veiligheid"]
    assert "gezondheid" in {d.code for d in partners["pro_persona"].domains}
    assert all(p.contact_email and p.domains for p in partners.values())


def test_consents_from_the_bemoeizorg_conversation(loaded):
    from consent.check import current_events
    from consent.models import ConsentEvent, ConsentStatus

    statuses = set(db.session.scalars(sa.select(ConsentEvent.status)))
    assert statuses == {ConsentStatus.GIVEN, ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN}
    early = db.session.scalars(
        sa.select(ConsentEvent.id).join(Case, Case.id == ConsentEvent.case_id)
        .where(Case.phase < 5)
    ).all()
    assert early == [], "consent is asked in step 4 and recorded with the plan (step 5 on)"
    minors = [
        e for e in db.session.scalars(sa.select(ConsentEvent))
        if e.person.is_minor_on(e.effective_at.date()) and e.representative_id is None
    ]
    assert minors == []
    some_person = db.session.scalars(sa.select(ConsentEvent.person_id)).first()
    assert current_events(some_person)


def test_every_demo_account_signs_in_through_the_real_form(app, client, seed):
    """`make run` prints these accounts: each must get through the sign-in form itself, e-mail
    validation included (a .test address, for one, is refused as a special-use name)."""
    with seed():
        demo.load()
        accounts = [
            (user.email, user.totp_secret)
            for user in db.session.scalars(demo.demo_users()).all()
        ]
    assert accounts
    for email, secret in accounts:
        client.post("/auth/logout")
        response = client.post(
            "/auth/login", data={"email": email, "password": demo.DEMO_PASSWORD}
        )
        assert response.status_code == 302, (email, response.get_data(as_text=True)[:2000])
        if secret is None:
            assert response.headers["Location"].endswith("/auth/enrol"), email
            continue
        assert response.headers["Location"].endswith("/auth/code"), email
        response = client.post("/auth/code", data={"code": pyotp.TOTP(secret).now()})
        assert response.status_code == 302, email
        assert client.get("/dashboard").status_code == 200, email

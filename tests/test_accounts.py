"""Account governance: only the admin creates and changes staff accounts; everything is audited.

Privacyreglement, *Toegang*: "Autorisaties worden verleend door de verwerkingsverantwoordelijke";
"Alle personen die toegang hebben [...] beschikken over een Verklaring Omtrent Gedrag". Convenant
art. 4.2: incidental professionals sign a confidentiality statement. *Beveiliging*: access rights
are managed; accounts unused for 90 days come up for review.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal import accounts, auth
from portal.audit import AuditEntry
from portal.extensions import db
from portal.models import Role, User, utcnow
from portal.operations import RuleViolation
from tests import factories as f

TEMPORARY = "tijdelijk-wachtwoord-123"


def _municipality():
    return f.partner(name=f"Gemeente {f._counter.__next__()}", is_municipal=True)


def _admin():
    return f.user(Role.ADMIN, _municipality())


def _create(admin, partner, **overrides):
    values = dict(
        name="Nieuwe Medewerker",
        email="nieuw@gemeente.example",
        role=Role.PRIVACY_DESK,
        partner=partner,
        temporary_password=TEMPORARY,
        vog_date=date(2026, 1, 10),
    )
    values.update(overrides)
    return accounts.create_account(admin, **values)


def _audit(account_id):
    return db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == "staff_user", AuditEntry.object_id == account_id)
        .order_by(AuditEntry.seq)
    ).all()


def test_the_admin_creates_an_account_that_enrols_a_second_factor_at_first_sign_in(ctx):
    admin = _admin()
    account = _create(admin, admin.partner, email="  Nieuw@Gemeente.example ")

    assert account.email == "nieuw@gemeente.example"
    assert (account.totp_secret, account.totp_confirmed) == (None, False)
    assert account.password_hash != TEMPORARY
    result = auth.check_first_factor("nieuw@gemeente.example", TEMPORARY, "127.0.0.9")
    assert result.outcome is auth.Outcome.OK and result.user.id == account.id
    (line,) = _audit(account.id)
    assert (line.action, line.user_id, line.purpose) == (
        "create",
        admin.id,
        "account aanmaken: privacy_desk",
    )


def test_without_a_vog_date_the_new_account_cannot_sign_in(ctx):
    admin = _admin()
    _create(admin, admin.partner, vog_date=None)
    result = auth.check_first_factor("nieuw@gemeente.example", TEMPORARY, "127.0.0.9")
    assert result.outcome is auth.Outcome.NO_VOG


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"email": "bestaand@gemeente.example"}, "email_taken"),
        ({"email": "BESTAAND@gemeente.example"}, "email_taken"),
        ({"vog_date": date.today() + timedelta(days=1)}, "in_future"),
        ({"confidentiality_signed_on": date.today() + timedelta(days=1)}, "in_future"),
        ({"temporary_password": "kort"}, "weak_password"),
        ({"name": "  "}, "name_required"),
    ],
)
def test_creating_refuses_bad_input(ctx, overrides, code):
    admin = _admin()
    f.user(Role.TEAM_MEMBER, email="bestaand@gemeente.example")
    with pytest.raises(RuleViolation) as refused:
        _create(admin, admin.partner, **overrides)
    assert refused.value.code == code


def test_municipal_roles_belong_to_a_municipal_organisation(ctx):
    admin = _admin()
    housing = f.partner(name="Woningcorporatie", is_municipal=False)
    for role in accounts.MUNICIPAL_ROLES:
        with pytest.raises(RuleViolation) as refused:
            _create(admin, housing, role=role, email=f"{role.value}@corporatie.example")
        assert refused.value.code == "municipal_role"
    member = _create(admin, housing, role=Role.TEAM_MEMBER, email="lid@corporatie.example")
    assert member.partner_id == housing.id


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_only_the_admin_manages_accounts(ctx, role):
    actor = f.user(role, _municipality())
    account = f.user(Role.TEAM_MEMBER)
    with pytest.raises(RuleViolation) as refused:
        _create(actor, actor.partner)
    assert refused.value.code == "not_admin"
    for operation in (accounts.deactivate, accounts.reactivate):
        with pytest.raises(RuleViolation):
            operation(actor, account)
    with pytest.raises(RuleViolation):
        accounts.reset_sign_in(actor, account, temporary_password=TEMPORARY, new_second_factor=True)


def test_a_change_of_role_ends_the_accounts_sessions_and_is_audited(ctx):
    admin = _admin()
    account = _create(admin, admin.partner)
    old_session = account.get_id()

    accounts.update_account(
        admin,
        account,
        name=account.name,
        email=account.email,
        role=Role.PROCESREGISSEUR,
        partner=account.partner,
        vog_date=account.vog_date,
        confidentiality_signed_on=date(2026, 2, 1),
    )

    assert auth.load_session_user(old_session) is None
    assert auth.load_session_user(account.get_id()).role is Role.PROCESREGISSEUR
    assert _audit(account.id)[-1].purpose == (
        "account wijzigen: rol privacy_desk -> procesregisseur, geheimhoudingsverklaring"
    )


def test_the_admin_cannot_lock_themselves_out(ctx):
    admin = _admin()
    with pytest.raises(RuleViolation) as demote:
        accounts.update_account(
            admin, admin, name=admin.name, email=admin.email, role=Role.PRIVACY_DESK,
            partner=admin.partner, vog_date=admin.vog_date, confidentiality_signed_on=None,
        )  # fmt: skip
    assert demote.value.code == "own_admin_role"
    with pytest.raises(RuleViolation) as off:
        accounts.deactivate(admin, admin)
    assert off.value.code == "own_account"


def test_deactivating_stops_the_account_at_once_and_nothing_is_deleted(ctx):
    admin = _admin()
    account = f.user(Role.TEAM_MEMBER)
    session_id = account.get_id()

    accounts.deactivate(admin, account)

    assert auth.load_session_user(session_id) is None
    assert db.session.get(User, account.id).active is False
    with pytest.raises(RuleViolation) as twice:
        accounts.deactivate(admin, account)
    assert twice.value.code == "already_inactive"
    accounts.reactivate(admin, account)
    assert account.active and [line.purpose for line in _audit(account.id)] == [
        "account uitzetten",
        "account weer aanzetten",
    ]


def test_resetting_sign_in_sets_a_new_password_and_a_new_second_factor(ctx):
    admin = _admin()
    account = f.user(Role.TEAM_MEMBER)
    assert account.totp_confirmed

    accounts.reset_sign_in(admin, account, temporary_password=TEMPORARY, new_second_factor=True)

    assert auth.check_password(account, TEMPORARY)
    assert (account.totp_secret, account.totp_confirmed) == (None, False)


def test_the_review_lists_accounts_unused_for_90_days_and_missing_statements(ctx):
    now = utcnow()
    secrecy_free = f.partner(name="Incidenteel", professional_secrecy=False)
    recent = f.user(Role.TEAM_MEMBER, last_login_at=now - timedelta(days=89))
    unused = f.user(Role.TEAM_MEMBER, last_login_at=now - timedelta(days=90))
    never = f.user(Role.TEAM_MEMBER, created_at=now - timedelta(days=100))
    new = f.user(Role.TEAM_MEMBER, created_at=now - timedelta(days=3))
    no_vog = f.user(Role.TEAM_MEMBER, last_login_at=now, vog_date=None)
    incidental = f.user(Role.INCIDENTAL_PROFESSIONAL, secrecy_free, last_login_at=now)
    inactive = f.user(Role.TEAM_MEMBER, active=False, last_login_at=now - timedelta(days=400))

    review = {item.account.id: item.reasons for item in accounts.review_list(now)}

    assert recent.id not in review and new.id not in review and inactive.id not in review
    assert review[unused.id] == ("unused",)
    assert review[never.id] == ("never_used",)
    assert review[no_vog.id] == ("no_vog",)
    assert review[incidental.id] == ("no_confidentiality_statement",)


# --- pages ----------------------------------------------------------------------------------------


def test_the_admin_creates_an_account_through_the_form(client, auth, seed):
    with seed():
        admin = _admin()
        partner_id = admin.partner_id
    auth.login(admin)

    response = client.post(
        "/accounts/new",
        data={
            "name": "Sanne de Wit",
            "email": "sanne@gemeente.example",
            "role": "management_assistant",
            "partner_id": partner_id,
            "vog_date": "2026-01-05",
            "confidentiality_signed_on": "",
            "password": TEMPORARY,
        },
    )

    assert response.status_code == 302
    with client.application.app_context():
        account = db.session.scalar(sa.select(User).where(User.email == "sanne@gemeente.example"))
        assert account.role is Role.MANAGEMENT_ASSISTANT and not account.totp_confirmed
    # The first sign-in goes to the enrolment of the authenticator app.
    auth.logout()
    first = client.post(
        "/auth/login", data={"email": "sanne@gemeente.example", "password": TEMPORARY}
    )
    assert first.status_code == 302 and first.headers["Location"].endswith("/auth/enrol")


def test_a_refused_account_form_says_why(client, auth, seed):
    with seed():
        admin = _admin()
        housing = f.partner(name="Corporatie", is_municipal=False)
        partner_id = housing.id
    auth.login(admin)

    response = client.post(
        "/accounts/new",
        data={
            "name": "X",
            "email": "x@corporatie.example",
            "role": "statistics",
            "partner_id": partner_id,
            "vog_date": "",
            "confidentiality_signed_on": "",
            "password": TEMPORARY,
        },
    )

    assert response.status_code == 422
    assert "gemeentelijke organisatie" in response.get_data(as_text=True)


def test_deactivating_ones_own_account_from_the_page_is_refused(client, auth, seed):
    with seed():
        admin = _admin()
        admin_id = admin.id
    auth.login(admin)

    response = client.post(f"/accounts/{admin_id}/deactivate", data={})

    assert response.status_code == 422
    assert "eigen account" in response.get_data(as_text=True)


def test_looking_at_the_account_list_is_audited(client, auth, seed):
    with seed():
        admin = _admin()
    auth.login(admin)

    assert client.get("/accounts").status_code == 200
    assert client.get("/accounts/review").status_code == 200
    with client.application.app_context():
        purposes = db.session.scalars(
            sa.select(AuditEntry.purpose).where(
                AuditEntry.user_id == admin.id, AuditEntry.action == "read"
            )
        ).all()
        assert purposes == ["accountoverzicht inzien", "periodieke controle van accounts"]


def test_the_account_pages_render(client, auth, seed):
    with seed():
        admin = _admin()
        account = f.user(Role.TEAM_MEMBER, name="Pagina Test")
        account_id = account.id
    auth.login(admin)
    assert client.get("/accounts/new").status_code == 200
    page = client.get(f"/accounts/{account_id}/edit")
    assert page.status_code == 200 and "Pagina Test" in page.get_data(as_text=True)
    short = client.post(f"/accounts/{account_id}/reset", data={"password": "kort"})
    assert short.status_code == 422 and "12 tekens" in short.get_data(as_text=True)

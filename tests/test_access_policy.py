"""The one access policy, rule by rule, without HTTP (Privacyreglement VIS2, *Toegang*;
Convenant art. 4.2 on incidental professionals)."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portal import access
from portal.extensions import db
from portal.models import Case, Participation, Role
from tests import factories as f


def visible_ids(user) -> set[int]:
    return set(db.session.scalars(sa.select(Case.id).where(access.case_scope(user))))


@pytest.mark.parametrize("role", [Role.PROCESREGISSEUR, Role.MANAGEMENT_ASSISTANT])
def test_procesregisseur_and_management_assistant_see_and_change_all_cases(ctx, role):
    user = f.user(role)
    cases = [f.case(), f.case(phase=2)]
    assert {c.id for c in cases} <= visible_ids(user)
    assert all(access.can_view_case(user, c) and access.can_change_case(user, c) for c in cases)


def test_team_member_sees_only_cases_they_are_directly_involved_in(ctx):
    partner = f.partner()
    member = f.user(Role.TEAM_MEMBER, partner)
    involved = f.case(team=[partner], members=[member])
    partner_only = f.case(team=[partner])  # their organisation is on it, they are not
    member_only = f.case(members=[member])  # listed, but their partner left the team
    unrelated = f.case()
    assert access.can_view_case(member, involved)
    for case in (partner_only, member_only, unrelated):
        assert not access.can_view_case(member, case)
    assert visible_ids(member) == {involved.id}


def test_case_manager_sees_only_own_case(ctx):
    manager = f.user(Role.CASE_MANAGER)
    own = f.case(case_manager=manager)
    other = f.case(case_manager=f.user(Role.CASE_MANAGER), members=[manager])
    assert access.can_view_case(manager, own)
    assert not access.can_view_case(manager, other)


def test_incidental_professional_needs_confidentiality_statement(ctx):
    # Convenant art. 4.2: "voor zover deze andere professional niet reeds vanuit zijn beroep tot
    # geheimhouding is verplicht, zorgt de procesregisseur er voor dat hij een verklaring
    # ondertekent tot geheimhouding".
    leerplicht = f.partner(participation=Participation.INCIDENTAL, professional_secrecy=False)
    unsigned = f.user(Role.INCIDENTAL_PROFESSIONAL, leerplicht)
    signed = f.user(Role.INCIDENTAL_PROFESSIONAL, leerplicht,
                    confidentiality_signed_on=date(2025, 6, 1))
    case = f.case(team=[leerplicht], members=[unsigned, signed])
    assert not access.can_view_case(unsigned, case)
    assert access.can_view_case(signed, case)


def test_incidental_professional_bound_by_secrecy_needs_no_statement(ctx):
    iriszorg = f.partner(participation=Participation.INCIDENTAL, professional_secrecy=True)
    professional = f.user(Role.INCIDENTAL_PROFESSIONAL, iriszorg)
    own = f.case(team=[iriszorg], members=[professional])
    other = f.case(team=[iriszorg])
    assert access.can_view_case(professional, own)
    assert not access.can_view_case(professional, other), "only their own case"


def test_no_vog_no_access(ctx):
    user = f.user(Role.PROCESREGISSEUR, vog_date=None)
    case = f.case()
    assert not access.can_view_case(user, case)
    assert visible_ids(user) == set()
    assert not access.can_view_person(user, f.person())


@pytest.mark.parametrize("role", [Role.STATISTICS, Role.ADMIN])
def test_statistics_and_admin_see_no_personal_data(ctx, role):
    user = f.user(role)
    case = f.case()
    person = f.person(case.household)
    assert visible_ids(user) == set()
    assert not access.can_view_case(user, case)
    assert not access.can_view_person(user, person)


def test_privacy_desk_finds_persons_but_no_case_content(ctx):
    desk = f.user(Role.PRIVACY_DESK)
    case = f.case()
    person = f.person(case.household)
    assert access.can_view_person(desk, person)
    assert not access.can_change_person(desk, person), "rectification goes through a request"
    assert not access.can_view_case(desk, case)


def test_person_visible_through_a_case_of_their_household(ctx):
    partner = f.partner()
    member = f.user(Role.TEAM_MEMBER, partner)
    case = f.case(team=[partner], members=[member])
    inside = f.person(case.household)
    outside = f.person()
    assert access.can_view_person(member, inside) and access.can_change_person(member, inside)
    assert not access.can_view_person(member, outside)


def test_closed_case_is_read_only(ctx):
    user = f.user()
    case = f.case(closed_on=date(2026, 2, 1))
    assert access.can_view_case(user, case)
    assert not access.can_change_case(user, case)


def test_loader_answers_404_outside_scope(ctx):
    from werkzeug.exceptions import NotFound

    member = f.user(Role.TEAM_MEMBER)
    case = f.case()
    with pytest.raises(NotFound):
        access.load_case(member, case.id, purpose="test")
    with pytest.raises(NotFound):
        access.load_case(member, 10**9, purpose="test")

"""The one access policy: the only place that answers "may this user see / change this?".

Privacyreglement VIS2, *Toegang tot het werksysteem*:
  "De procesregisseur en de managementassistentes van het Regieteam hebben toegang tot het
  werksysteem en kunnen daarin muteren. De direct betrokken Regieteampartners hebben toegang tot
  VIS2 en kunnen daarin muteren. Hun autorisatie is beperkt tot de casussen waarbij zij direct
  betrokken zijn. [...] de casemanagers van zorgaanbieders [...] Hun autorisatie is beperkt tot
  hun eigen casus. De afdeling Onderzoek en Statistiek (O&S) [...] managementrapportages (geen
  persoonsgegevens)."
Convenant art. 4.2: incidental professionals take part only for their own case and, unless bound
by professional secrecy, only after signing a confidentiality statement.
"Alle personen die toegang hebben [...] beschikken over een Verklaring Omtrent Gedrag": an
account without a VOG date has no access at all.

Views, API, exports and letters all ask here. An object outside someone's scope answers 404, so
its existence is not disclosed.
"""

from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from flask import abort

from portal import audit
from portal.extensions import db
from portal.models import Case, CaseEntry, Partner, Person, Role, User, case_membership, case_team

ALL_CASES = frozenset({Role.PROCESREGISSEUR, Role.MANAGEMENT_ASSISTANT})
CASE_ROLES = ALL_CASES | {Role.TEAM_MEMBER, Role.CASE_MANAGER, Role.INCIDENTAL_PROFESSIONAL}
# The privacy desk finds persons to register and answer their requests (AVG art. 12-21); what a
# specific request needs beyond that is granted by the requests package through this module.
PERSON_LOOKUP = frozenset({Role.PRIVACY_DESK})
PERSON_ROLES = CASE_ROLES | PERSON_LOOKUP
# Who answers privacy (AVG) requests for the controller.
REQUEST_DESK = frozenset({Role.PRIVACY_DESK})


def has_access(user: Optional[User]) -> bool:
    """Any personal data at all: signed in, active, VOG on record."""
    return bool(user is not None and user.is_active and user.vog_date is not None)


def _may_act_in_cases(user: User) -> bool:
    if user.role is Role.INCIDENTAL_PROFESSIONAL:
        # Convenant art. 4.2: a confidentiality statement unless bound by professional secrecy.
        return user.partner.professional_secrecy or user.confidentiality_signed_on is not None
    return True


def case_scope(user: User) -> sa.ColumnElement[bool]:
    """SQL condition on `Case` selecting exactly the cases `user` may see."""
    if not has_access(user) or user.role not in CASE_ROLES or not _may_act_in_cases(user):
        return sa.false()
    if user.role in ALL_CASES:
        return sa.true()
    if user.role is Role.CASE_MANAGER:
        return Case.case_manager_id == user.id
    is_member = sa.exists().where(
        case_membership.c.case_id == Case.id, case_membership.c.user_id == user.id
    )
    if user.role is Role.INCIDENTAL_PROFESSIONAL:
        return is_member
    # Team member: a member of the case, and their partner on the case team.
    partner_on_team = sa.exists().where(
        case_team.c.case_id == Case.id, case_team.c.partner_id == user.partner_id
    )
    return sa.and_(is_member, partner_on_team)


def visible_cases() -> sa.Select:
    """Base query for case lists; callers add `.where(case_scope(user))`."""
    return sa.select(Case)


def can_view_case(user: User, case: Case) -> bool:
    if user.role in ALL_CASES:
        return has_access(user)
    found = db.session.scalar(sa.select(sa.literal(1)).where(Case.id == case.id, case_scope(user)))
    return found is not None


def can_change_case(user: User, case: Case) -> bool:
    # Everyone who may see a case may record in it ("kunnen daarin muteren"); a closed case is
    # read-only.
    return can_view_case(user, case) and not case.is_closed


def can_manage_case(user: User, case: Case) -> bool:
    """Record what the Regieteam decided for a case: the decision to pick it up, its phase, the
    legal basis and argued necessity (Privacyprotocol art. 1: "door de procesregisseur in het
    Regieteam werksysteem [...] beargumenteerd vastgelegd")."""
    return user.role in ALL_CASES and can_change_case(user, case)


def can_view_entry(user: User, entry: CaseEntry) -> bool:
    return can_view_case(user, entry.case)


def _person_cases_condition(person: Person) -> sa.ColumnElement[bool]:
    return Case.household_id == person.household_id


def can_view_person(user: User, person: Person) -> bool:
    if not has_access(user):
        return False
    if user.role in ALL_CASES or user.role in PERSON_LOOKUP:
        return True
    if user.role not in CASE_ROLES:
        return False
    found = db.session.scalar(
        sa.select(sa.literal(1)).where(_person_cases_condition(person), case_scope(user)).limit(1)
    )
    return found is not None


def can_change_person(user: User, person: Person) -> bool:
    if user.role in PERSON_LOOKUP:
        return False  # rectification goes through a request (AVG art. 16), not a direct edit
    return can_view_person(user, person)


def can_record_consent(user: User, case: Case) -> bool:
    """The case manager asks the household for consent in the bemoeizorg conversation
    (Afwegingskader stap 4: "De casemanager vraagt het huishouden om toestemming"); the
    procesregisseur and management assistants may record it too, as they may change every case.
    A closed case takes nothing new."""
    if not can_change_case(user, case):
        return False
    return user.role in ALL_CASES or case.case_manager_id == user.id


def can_handle_requests(user: Optional[User]) -> bool:
    """Privacy (AVG) requests are answered by the controller, the college van B&W, through its
    privacy desk (Privacyreglement, *Verantwoordelijke*: "Het college coördineert de afhandeling
    van de verzoeken")."""
    return user is not None and user.role in REQUEST_DESK and has_access(user)


def can_withdraw_consent_for(user: User, person: Person) -> bool:
    """Withdraw a consent on the person's behalf (Privacyprotocol art. 2: consent can always be
    withdrawn): the privacy desk for anyone it may look up, other staff for the persons they may
    change."""
    if user.role in PERSON_LOOKUP:
        return can_view_person(user, person)
    return can_change_person(user, person)


def can_view_letter(user: User, letter) -> bool:
    """A letter to a person follows the person; a letter to a household follows its case."""
    if letter.person is not None:
        return can_view_person(user, letter.person)
    return letter.case is not None and can_view_case(user, letter.case)


def citizen_may_view(viewer: Person, subject: Person) -> bool:
    """A signed-in person sees their own file and the files of the persons they legally represent
    (below 16 the legal representative decides; DESIGN.md, Person). Nobody else's."""
    return subject.id == viewer.id or subject.legal_representative_id == viewer.id


# --- loaders used by views: check, answer 404 outside scope, and leave an audit entry ---------


def record_read(
    user: User, *, purpose: str, person: Optional[Person] = None, case: Optional[Case] = None
) -> None:
    """The audit entry of showing personal data to `user`."""
    target_type, target = ("person", person) if person is not None else ("case", case)
    audit.record(
        audit.Action.READ,
        user=user,
        processing_activity="casusregie",
        purpose=purpose,
        person_id=person.id if person is not None else None,
        case_id=case.id if case is not None else None,
        object_type=target_type,
        object_id=target.id,
    )


def load_case(user: User, case_id: int, *, change: bool = False, purpose: str) -> Case:
    """The case, if `user` may see (or change) it; 404 otherwise. A read is audited here, a
    change by the operation that makes it."""
    case = db.session.get(Case, case_id)
    allowed = case is not None and (
        can_change_case(user, case) if change else can_view_case(user, case)
    )
    if not allowed:
        abort(404)
    if not change:
        record_read(user, purpose=purpose, case=case)
    return case


def load_person(
    user: User, person_id: int, *, change: bool = False, purpose: str, rule=None
) -> Person:
    """The person, if `user` may see (or change) them, or pass `rule` (one of this module's
    functions, e.g. can_withdraw_consent_for); 404 otherwise. A read is audited here."""
    person = db.session.get(Person, person_id)
    rule = rule or (can_change_person if change else can_view_person)
    allowed = person is not None and rule(user, person)
    if not allowed:
        abort(404)
    if not change:
        record_read(user, purpose=purpose, person=person)
    return person


# --- partner systems (the check API) ----------------------------------------------------------


def partner_scope(partner: Partner) -> sa.ColumnElement[bool]:
    """SQL condition on `Person` selecting exactly the persons a partner system may ask about:
    the partner is on the team of a case of the person's household. Information stays "binnen
    de kring van professionals in het Regieteam (partners en schilpartners) die bij de casus
    betrokken zijn" (Privacyprotocol art. 5). Outside that circle the API answers 404, as for a
    person that does not exist."""
    return sa.exists().where(
        case_team.c.partner_id == partner.id,
        case_team.c.case_id == Case.id,
        Case.household_id == Person.household_id,
    )


def partner_scope_includes(partner: Partner, person: Person) -> bool:
    found = db.session.scalar(
        sa.select(sa.literal(1)).where(Person.id == person.id, partner_scope(partner))
    )
    return found is not None

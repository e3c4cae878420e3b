"""The legal-basis register: per case, phase and partner, the basis a processing step rests on and
the argued necessity behind it.

Privacyprotocol art. 1: "Vervolgens wordt door de procesregisseur in het Regieteam werksysteem de
noodzaak om bepaalde persoonsgegevens wel of juist niet verder te delen beargumenteerd
vastgelegd." Art. 2 names the bases and their limits; art. 5 and the Afwegingskader (stap 4) add
professional secrecy and the consent needed across domains. Each rule below is one plain
function that returns its problem (or None); `record_legal_basis` runs them all and stores nothing
when one refuses, so the form can show every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from consent.models import Basis, LegalBasisRecord, Purpose
from portal import access, audit
from portal.extensions import db
from portal.models import Case, DataDomain, Partner, Phase, User, utcnow
from portal.operations import RuleViolation

# Privacyprotocol art. 2 sub 3: the formal statutes the convenant names for a public task.
STATUTE_SUGGESTIONS = (
    "Wmo 2015 art. 2.3.1 t/m 2.3.5",
    "Jeugdwet art. 2.3",
    "Jeugdwet art. 2.4",
    "Jeugdwet art. 1.1",
    "Participatiewet art. 7.1",
    "Wet gemeentelijke schuldhulpverlening art. 3",
    "Politiewet 2012 art. 3",
    "Wet politiegegevens art. 20",
    "Wgbo (BW boek 7, titel 7, afdeling 5)",
)
STATUTE_MAX_LENGTH = 200  # the column's length
COMPATIBILITY_QUESTIONS = ("a", "b", "c", "d", "e")
# Afwegingskader stap 4 (Toewijzen casusmanager) and every step after it: "Voor
# domeinoverschrijdende gegevensverwerking moet altijd toestemming zijn gegeven".
FIRST_PHASE_NEEDING_CONSENT_ACROSS_DOMAINS = Phase.ASSIGNMENT


class BasisProblem(RuleViolation):
    """One refused rule, with the input it is about (a keyword of `record_legal_basis`), so a form
    can show the message beside that field."""

    def __init__(self, code: str, message: str, field: Optional[str] = None):
        super().__init__(code, message)
        self.field = field


class LegalBasisRefused(RuleViolation):
    """The register refuses the record. Carries every problem found; code and message are the
    first one's."""

    def __init__(self, problems: list[BasisProblem]):
        super().__init__(problems[0].code, problems[0].message)
        self.problems = problems


# --- the rules ------------------------------------------------------------------------------


def who_may_record(actor: User, case: Case) -> Optional[BasisProblem]:
    # Asked after `case_is_open`: the access policy refuses every change to a closed case too.
    # Privacyprotocol art. 1: the procesregisseur records the argued necessity; the access policy
    # grants the same to the management assistants (Privacyreglement, Toegang).
    if not access.can_manage_case(actor, case):
        return BasisProblem(
            "not_allowed",
            "Alleen de procesregisseur en de managementassistenten leggen grondslagen vast.",
        )
    return None


def case_is_open(case: Case) -> Optional[BasisProblem]:
    if case.is_closed:
        return BasisProblem(
            "case_closed", "Deze casus is afgesloten. Er komen geen grondslagen meer bij."
        )
    return None


def phase_fits_case(case: Case, phase: int) -> Optional[BasisProblem]:
    # Afwegingskader: the eight steps; a basis is recorded for a step the case has reached.
    if not Phase.SIGNAL <= phase <= Phase.CLOSING:
        return BasisProblem("phase_out_of_range", "Kies een fase van 1 tot en met 8.", "phase")
    if phase > case.phase:
        return BasisProblem(
            "phase_ahead",
            f"De casus is in fase {case.phase}. Leg geen grondslag vast voor een latere fase.",
            "phase",
        )
    return None


def partner_on_team(case: Case, partner: Partner) -> Optional[BasisProblem]:
    # Privacyprotocol art. 5: information stays within the partners involved in the case.
    if partner.id not in {member.id for member in case.team}:
        return BasisProblem(
            "partner_not_on_team",
            "Deze partner zit niet in het casusteam. Kies een partner uit het casusteam.",
            "partner",
        )
    return None


def basis_fits_partner(partner: Partner, basis: Basis) -> Optional[BasisProblem]:
    if basis is Basis.LEGITIMATE_INTEREST and partner.is_municipal:
        # Art. 2, Gerechtvaardigd belang sub. 4: "De gemeente kan zich als overheidsinstantie niet
        # beroepen op het gerechtvaardigd belang als grondslag voor verwerking".
        return BasisProblem(
            "municipality_legitimate_interest",
            "De gemeente kan zich als overheidsinstantie niet beroepen op het gerechtvaardigd "
            "belang (Privacyprotocol art. 2). Kies een andere grondslag.",
            "basis",
        )
    if basis is Basis.LEGITIMATE_INTEREST and partner.professional_secrecy:
        # Art. 2, sub. 4: "geen gerechtvaardigde grondslag [...] voor partners die rechtstreeks
        # onder het tuchtrecht vallen".
        return BasisProblem(
            "secrecy_legitimate_interest",
            "Voor een partner die onder het tuchtrecht valt, is gerechtvaardigd belang geen "
            "grondslag (Privacyprotocol art. 2). Kies toestemming of een conflict van plichten.",
            "basis",
        )
    if basis is Basis.CONFLICT_OF_DUTIES and not partner.professional_secrecy:
        # Art. 2, Beroepsgeheim: the conflict of duties is the way out of a professional secrecy.
        return BasisProblem(
            "conflict_without_secrecy",
            "Een conflict van plichten geldt alleen voor een partner met een beroepsgeheim. "
            "Kies een andere grondslag.",
            "basis",
        )
    if partner.professional_secrecy and basis not in (
        Basis.CONSENT,
        Basis.CONFLICT_OF_DUTIES,
        Basis.LEGITIMATE_INTEREST,  # refused above with its own message
    ):
        # Art. 2, Beroepsgeheim: "Voor hen zal gegevensdeling zonder toestemming van betrokkene in
        # het Regieteam alleen mogelijk zijn als sprake is van een conflict van plichten".
        return BasisProblem(
            "secrecy_needs_consent",
            "Deze partner heeft een beroepsgeheim. Delen kan dan alleen met toestemming van de "
            "betrokkene of bij een vastgelegd conflict van plichten (Privacyprotocol art. 2).",
            "basis",
        )
    return None


def crosses_domains(partner: Partner, domain: DataDomain) -> bool:
    """Data of a domain outside the partner's own task crosses domains."""
    return domain.id not in {own.id for own in partner.domains}


def consent_across_domains(
    partner: Partner, domain: DataDomain, phase: int, basis: Basis
) -> Optional[BasisProblem]:
    # Afwegingskader stap 4: "Voor domeinoverschrijdende gegevensverwerking moet altijd
    # toestemming zijn gegeven".
    if (
        phase >= FIRST_PHASE_NEEDING_CONSENT_ACROSS_DOMAINS
        and basis is not Basis.CONSENT
        and crosses_domains(partner, domain)
    ):
        return BasisProblem(
            "cross_domain_needs_consent",
            "Dit leefgebied hoort niet bij de taak van deze partner. Vanaf fase 4 kan dat alleen "
            "met toestemming van de betrokkene (Afwegingskader stap 4).",
            "basis",
        )
    return None


def public_task_has_statute(basis: Basis, statute: Optional[str]) -> Optional[BasisProblem]:
    # Art. 2 sub 3: "de taak van algemeen belang [moet] zijn omschreven in een wet in formele zin".
    if basis is not Basis.PUBLIC_TASK:
        return None
    if not statute:
        return BasisProblem(
            "statute_missing",
            "Noem de wet waarin de taak staat, bijvoorbeeld Wmo 2015 art. 2.3.1 of Jeugdwet "
            "art. 2.3 (Privacyprotocol art. 2).",
            "statute",
        )
    if len(statute) > STATUTE_MAX_LENGTH:
        return BasisProblem(
            "statute_too_long",
            f"Noem de wet in hoogstens {STATUTE_MAX_LENGTH} tekens.",
            "statute",
        )
    return None


def vital_interest_is_urgent(basis: Basis, urgency: Optional[str]) -> Optional[BasisProblem]:
    # Art. 2, Vitaal belang sub 2: "een spoedeisend verband en directe noodzaak [...] Deze
    # grondslag mag alleen gebruikt worden als de verwerking kennelijk niet op een andere
    # rechtsgrond kan worden gebaseerd."
    if basis is Basis.VITAL_INTEREST and not urgency:
        return BasisProblem(
            "urgency_missing",
            "Leg uit waarom het spoed heeft, welk levensbelang op het spel staat en waarom geen "
            "andere grondslag past (Privacyprotocol art. 2, vitaal belang).",
            "urgency",
        )
    return None


def conflict_is_documented(basis: Basis, conflict: Optional[str]) -> Optional[BasisProblem]:
    # Art. 2, Beroepsgeheim: "andere belangen dan die van de geheimhoudingsplicht zijn zo groot dat
    # zij informatie over betrokkene moeten delen om gevaar [...] te voorkomen".
    if basis is Basis.CONFLICT_OF_DUTIES and not conflict:
        return BasisProblem(
            "conflict_undocumented",
            "Leg vast welk gevaar dreigt en waarom het beroepsgeheim daarvoor moet wijken "
            "(conflict van plichten).",
            "conflict_of_duties",
        )
    return None


def further_processing_is_compatible(
    basis: Basis, answers: Mapping[str, Optional[str]]
) -> Optional[BasisProblem]:
    # Art. 2, Verdere verwerking: the partner weighs a) the link between the purposes, b) the
    # context of collection, c) the nature of the data, d) the consequences, e) the safeguards.
    if basis is not Basis.FURTHER_PROCESSING:
        return None
    missing = [letter for letter in COMPATIBILITY_QUESTIONS if not answers.get(letter)]
    if missing:
        return BasisProblem(
            "compatibility_incomplete",
            "Beantwoord bij verdere verwerking alle vijf vragen van de verenigbaarheidstoets "
            f"(Privacyprotocol art. 2). Nog open: {', '.join(missing)}.",
            f"compatibility_{missing[0]}",
        )
    return None


def necessity_is_argued(
    proportionality: Optional[str], subsidiarity: Optional[str]
) -> list[BasisProblem]:
    # Art. 1: "Er is slechts sprake van noodzaak als is voldaan aan de eisen die de beginselen van
    # proportionaliteit en subsidiariteit stellen", "beargumenteerd vastgelegd".
    problems = []
    if not proportionality:
        problems.append(
            BasisProblem(
                "proportionality_missing",
                "Leg uit waarom deze verwerking in verhouding staat tot het doel "
                "(proportionaliteit, Privacyprotocol art. 1).",
                "proportionality",
            )
        )
    if not subsidiarity:
        problems.append(
            BasisProblem(
                "subsidiarity_missing",
                "Leg uit waarom er geen minder ingrijpende manier is om het doel te bereiken "
                "(subsidiariteit, Privacyprotocol art. 1).",
                "subsidiarity",
            )
        )
    return problems


def not_yet_recorded(
    case: Case, phase: int, partner: Partner, domain: DataDomain, purpose: Purpose
) -> Optional[BasisProblem]:
    # One current basis per case, phase, partner, domain and purpose, so the check never has to
    # choose between two.
    current = db.session.scalar(
        sa.select(LegalBasisRecord.id).where(
            LegalBasisRecord.case_id == case.id,
            LegalBasisRecord.phase == phase,
            LegalBasisRecord.partner_id == partner.id,
            LegalBasisRecord.domain_id == domain.id,
            LegalBasisRecord.purpose == purpose,
            LegalBasisRecord.ended_at.is_(None),
        )
    )
    if current is not None:
        return BasisProblem(
            "already_recorded",
            "Voor deze partner, fase, dit leefgebied en dit doel is al een grondslag vastgelegd. "
            "Beëindig die eerst als hij niet meer klopt.",
        )
    return None


# --- operations -----------------------------------------------------------------------------


def _text(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    return value.strip() or None


def legal_basis_problems(
    case: Case,
    *,
    phase: int,
    partner: Partner,
    domain: DataDomain,
    purpose: Purpose,
    basis: Basis,
    statute: Optional[str] = None,
    proportionality: Optional[str] = None,
    subsidiarity: Optional[str] = None,
    urgency: Optional[str] = None,
    conflict_of_duties: Optional[str] = None,
    compatibility: Optional[Mapping[str, Optional[str]]] = None,
) -> list[BasisProblem]:
    """Every rule the proposed record breaks (texts already stripped), in the order of the form."""
    answers = compatibility or {}
    found = [
        phase_fits_case(case, phase),
        partner_on_team(case, partner),
        basis_fits_partner(partner, basis),
        consent_across_domains(partner, domain, phase, basis),
        public_task_has_statute(basis, statute),
        vital_interest_is_urgent(basis, urgency),
        conflict_is_documented(basis, conflict_of_duties),
        further_processing_is_compatible(basis, answers),
        *necessity_is_argued(proportionality, subsidiarity),
    ]
    problems = [problem for problem in found if problem is not None]
    if not problems:
        duplicate = not_yet_recorded(case, phase, partner, domain, purpose)
        if duplicate is not None:
            problems.append(duplicate)
    return problems


def record_legal_basis(
    actor: User,
    case: Case,
    *,
    phase: int,
    partner: Partner,
    domain: DataDomain,
    purpose: Purpose,
    basis: Basis,
    statute: Optional[str] = None,
    proportionality: Optional[str] = None,
    subsidiarity: Optional[str] = None,
    urgency: Optional[str] = None,
    conflict_of_duties: Optional[str] = None,
    compatibility: Optional[Mapping[str, Optional[str]]] = None,
) -> LegalBasisRecord:
    """Put one basis on record, or raise LegalBasisRefused and store nothing.

    Only what belongs to the chosen basis is kept (the statute of a public task, the urgency of a
    vital interest, ...): no more data than the purpose needs (Privacyprotocol art. 1)."""
    answers = dict(compatibility or {})
    unknown = answers.keys() - set(COMPATIBILITY_QUESTIONS)
    if unknown:
        raise ValueError(f"unknown compatibility questions: {sorted(unknown)}")
    answers = {letter: _text(answers.get(letter)) for letter in COMPATIBILITY_QUESTIONS}
    for gate in (case_is_open(case), who_may_record(actor, case)):
        if gate is not None:
            raise LegalBasisRefused([gate])
    statute, urgency = _text(statute), _text(urgency)
    conflict_of_duties = _text(conflict_of_duties)
    proportionality, subsidiarity = _text(proportionality), _text(subsidiarity)
    problems = legal_basis_problems(
        case,
        phase=phase,
        partner=partner,
        domain=domain,
        purpose=purpose,
        basis=basis,
        statute=statute,
        proportionality=proportionality,
        subsidiarity=subsidiarity,
        urgency=urgency,
        conflict_of_duties=conflict_of_duties,
        compatibility=answers,
    )
    if problems:
        raise LegalBasisRefused(problems)
    further = basis is Basis.FURTHER_PROCESSING
    record = LegalBasisRecord(
        case_id=case.id,
        phase=phase,
        partner_id=partner.id,
        domain_id=domain.id,
        purpose=purpose,
        basis=basis,
        statute=statute if basis is Basis.PUBLIC_TASK else None,
        proportionality=proportionality,
        subsidiarity=subsidiarity,
        urgency=urgency if basis is Basis.VITAL_INTEREST else None,
        conflict_of_duties=conflict_of_duties if basis is Basis.CONFLICT_OF_DUTIES else None,
        compatibility_a=answers["a"] if further else None,
        compatibility_b=answers["b"] if further else None,
        compatibility_c=answers["c"] if further else None,
        compatibility_d=answers["d"] if further else None,
        compatibility_e=answers["e"] if further else None,
        recorded_by_id=actor.id,
        recorded_at=utcnow(),
    )
    db.session.add(record)
    db.session.flush()
    _audit(actor, record, audit.Action.CREATE, f"grondslag vastleggen: {basis.value}")
    return record


def end_legal_basis(actor: User, record: LegalBasisRecord) -> LegalBasisRecord:
    """The basis no longer holds from now on; what was done on it before stays lawful, so the
    record stays in the register with its end date (the check looks back in time)."""
    case = db.session.get(Case, record.case_id)
    for gate in (case_is_open(case), who_may_record(actor, case)):
        if gate is not None:
            raise LegalBasisRefused([gate])
    if record.ended_at is not None:
        raise LegalBasisRefused([BasisProblem("already_ended", "Deze grondslag is al beëindigd.")])
    record.ended_at = utcnow()
    db.session.flush()
    _audit(actor, record, audit.Action.UPDATE, "grondslag beëindigen")
    return record


def _audit(actor: User, record: LegalBasisRecord, action: audit.Action, purpose: str) -> None:
    audit.record(
        action,
        user=actor,
        case_id=record.case_id,
        object_type="legal_basis",
        object_id=record.id,
        processing_activity="grondslagenregister",
        purpose=purpose,
    )


def register_of(case: Case) -> list[LegalBasisRecord]:
    """The register of one case, per phase and partner; ended records stay visible."""
    return list(
        db.session.scalars(
            sa.select(LegalBasisRecord)
            .join(Partner, Partner.id == LegalBasisRecord.partner_id)
            .where(LegalBasisRecord.case_id == case.id)
            .order_by(
                LegalBasisRecord.phase,
                Partner.name,
                LegalBasisRecord.recorded_at,
                LegalBasisRecord.id,
            )
            .options(
                joinedload(LegalBasisRecord.partner),
                joinedload(LegalBasisRecord.domain),
                joinedload(LegalBasisRecord.recorded_by),
            )
        ).all()
    )

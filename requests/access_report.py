"""The right of access (AVG art. 15): a report of all personal data about the person in the portal,
with the purposes, categories, recipients, retention and source (Privacyreglement, *Rechten van
betrokkene*: "inzage te geven in zijn of haar persoonsgegevens en in de volgende informatie: de
verwerkingsdoeleinden; de betrokken categorieën van persoonsgegevens; de ontvangers [...]; de
periode gedurende welke de persoonsgegevens naar verwachting zullen worden opgeslagen [...]" and
"alle beschikbare informatie over de bron van die gegevens").

What the report holds, and only that:
- the person's own data (NAW, birth date, BSN, email, legal representative, a restriction) and the
  household's address;
- the cases of the household (reference, phase, team, retention) and the entries about the person
  or about the whole household, each with its source partner. Entries about another member of the
  household are left out (AVG art. 15(4): the rights of others);
- the person's own consent events, the legal-basis register of the household's cases, reuse
  approvals about the person, the person's requests, rectifications and letters;
- who accessed the data: organisation, role, purpose and moment from the audit trail, never the
  name of an employee.

The privacy desk compiles it for an access request it is carrying out (`rights.check_may_carry_out`
after `requests.access.load_request`): the report is about the request's person and nobody else.
Compiling it is an export of personal data in the audit trail. The JSON is the machine-readable
copy (AVG art. 15(3)), for the desk to hand over on request; the PDF is the access-report letter
(cover letter and report, PDF/UA), stored as a letter.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from consent.letters import BASIS_LABELS, PURPOSE_LABELS
from consent.models import ConsentEvent, LegalBasisRecord, Purpose, ReuseApproval
from portal import audit
from portal.audit import AuditEntry, years_after
from portal.extensions import db
from portal.letters import content
from portal.letters.content import LetterDraft
from portal.letters.models import Letter
from portal.letters.operations import letters_for
from portal.models import Case, CaseEntry, Partner, Person, User, utcnow
from portal.operations import reveal_bsn
from requests import letters as request_letters
from requests.models import EventKind, PrivacyRequest, Rectification, RequestType
from requests.operations import PROCESSING_ACTIVITY
from requests.rights import carry_out_step, check_may_carry_out

# Privacyreglement, Bewaartermijn: fifteen years after the help ended.
RETENTION_YEARS = content.RETENTION_YEARS
FORMAT_VERSION = 1

LABELS = {
    "nl": {
        "phase": {1: "Signaal", 2: "Beoordelen", 3: "Informatie verzamelen en besluiten",
                  4: "Casusmanager toewijzen", 5: "Plan van aanpak", 6: "Evalueren",
                  7: "Monitoren", 8: "Afsluiten"},
        "decision": {"pending": "nog niet besloten", "pick_up": "opgepakt",
                     "not_picked_up": "niet opgepakt", "scale_up": "opgeschaald",
                     "scale_down": "afgeschaald"},
        "entry_kind": {"problem_outline": "Beschrijving van de problematiek",
                       "plan": "Plan van aanpak", "product_order": "Productbestelling",
                       "progress": "Voortgang", "action": "Actie",
                       "involved_organisation": "Betrokken instantie"},
        "consent_status": {"given": "gegeven", "refused": "geweigerd",
                           "withdrawn": "ingetrokken", "expired": "verlopen"},
        "consent_channel": {"bemoeizorg_conversation": "in een gesprek met de casemanager",
                            "in_writing": "schriftelijk", "online": "online"},
        "recorded_by": {"case_manager": "casemanager", "person": "uzelf",
                        "privacy_desk": "privacyloket", "procesregisseur": "procesregisseur",
                        "system": "automatisch"},
        "reuse_status": {"requested": "gevraagd", "approved": "goedgekeurd",
                         "refused": "geweigerd"},
        "role": {"procesregisseur": "procesregisseur",
                 "management_assistant": "managementassistent", "team_member": "teamlid",
                 "case_manager": "casemanager",
                 "incidental_professional": "professional die incidenteel meedoet",
                 "privacy_desk": "privacyloket", "statistics": "Onderzoek en Statistiek",
                 "admin": "beheerder"},
        "action": {"read": "bekeken", "create": "vastgelegd", "update": "gewijzigd",
                   "delete": "verwijderd", "export": "afgedrukt, gedownload of verstuurd",
                   "sign_in": "ingelogd", "sign_in_failed": "inloggen mislukt",
                   "sign_out": "uitgelogd"},
        "request_type": {"access": "inzage", "rectification": "rectificatie",
                         "erasure": "wissen", "restriction": "beperking",
                         "objection": "bezwaar tegen verwerking"},
        "request_status": {"received": "ontvangen",
                           "identity_to_verify": "identiteit nog vaststellen",
                           "in_progress": "in behandeling", "extended": "verlengd",
                           "decided": "besloten", "closed": "afgesloten",
                           "withdrawn": "ingetrokken"},
        "outcome": {"granted": "toegewezen", "partly_granted": "deels toegewezen",
                    "refused": "afgewezen", "not_handled": "niet in behandeling genomen"},
        "letter_kind": {"information": "informatiebrief",
                        "acknowledgement": "ontvangstbevestiging",
                        "extension": "verlenging van de termijn", "decision": "besluit",
                        "access_report": "overzicht van uw gegevens",
                        "not_picked_up": "niet opgepakt", "restriction": "recht beperkt",
                        "restriction_ended": "beperking van een recht opgeheven",
                        "processing_restriction_lifted": "beperking van de verwerking opgeheven",
                        "withdrawal_confirmation": "bevestiging intrekking toestemming"},
        "letter_channel": {"post": "per post", "email": "per e-mail",
                           "portal": "in het privacyportaal"},
        "field": {"given_name": "voornaam", "family_name": "achternaam",
                  "birth_date": "geboortedatum", "bsn": "BSN",
                  "entry_text": "tekst van een kerngegeven"},
        "about": {"person": "over u", "household": "over het hele huishouden"},
        "system": "het werksysteem zelf (automatisch)",
        "naw": "Naam, adres, woonplaats, geboortedatum, BSN en e-mailadres",
        "retention_open": "vijftien jaar nadat de casus is afgesloten",
        "retention_rule": "Wij bewaren uw gegevens niet langer dan nodig is. Uiterlijk vijftien "
        "jaar nadat de hulp is afgelopen (de casus is afgesloten) worden ze vernietigd "
        "(Privacyreglement, Bewaartermijn; Jeugdwet en Wmo 2015).",
        "on_team": "werkt mee aan casus",
        "consent_recipient": "mag gegevens krijgen met uw toestemming",
        "basis_partner": "verwerkt gegevens op een vastgelegde grondslag",
        "self_source": "uzelf of uw vertegenwoordiger (uw verzoeken)",
        "regieteam_source": "het Regieteam (procesregisseur), bij het inbrengen van de casus",
        "purposes": [
            "Huishoudens weer op de rails zetten en perspectief bieden: een plan van aanpak "
            "maken op alle leefgebieden die ertoe doen (Privacyprotocol art. 1).",
            "Regie voeren over de uitvoering van dat plan van aanpak (Privacyprotocol art. 1).",
            "De overlast die multiprobleemhuishoudens veroorzaken terugdringen "
            "(Privacyprotocol art. 1).",
            "Uw verzoeken over uw gegevens afhandelen (AVG art. 12 tot en met 21).",
            "Bijhouden wie uw gegevens heeft bekeken of gewijzigd (beveiliging, "
            "Privacyreglement).",
        ],
    },
    "en": {
        "phase": {1: "Signal", 2: "Assessment", 3: "Gathering information and deciding",
                  4: "Assigning a case manager", 5: "Plan of approach", 6: "Review",
                  7: "Monitoring", 8: "Closing"},
        "decision": {"pending": "not yet decided", "pick_up": "taken up",
                     "not_picked_up": "not taken up", "scale_up": "scaled up",
                     "scale_down": "scaled down"},
        "entry_kind": {"problem_outline": "Outline of the problems", "plan": "Plan of approach",
                       "product_order": "Order for help", "progress": "Progress",
                       "action": "Action", "involved_organisation": "Organisation involved"},
        "consent_status": {"given": "given", "refused": "refused", "withdrawn": "withdrawn",
                           "expired": "expired"},
        "consent_channel": {"bemoeizorg_conversation": "in a conversation with the case manager",
                            "in_writing": "in writing", "online": "online"},
        "recorded_by": {"case_manager": "case manager", "person": "you",
                        "privacy_desk": "privacy desk", "procesregisseur": "process director",
                        "system": "automatically"},
        "reuse_status": {"requested": "requested", "approved": "approved",
                         "refused": "refused"},
        "role": {"procesregisseur": "process director",
                 "management_assistant": "management assistant", "team_member": "team member",
                 "case_manager": "case manager",
                 "incidental_professional": "professional taking part for one case",
                 "privacy_desk": "privacy desk", "statistics": "Research and Statistics",
                 "admin": "administrator"},
        "action": {"read": "viewed", "create": "recorded", "update": "changed",
                   "delete": "deleted", "export": "printed, downloaded or sent",
                   "sign_in": "signed in", "sign_in_failed": "failed sign-in",
                   "sign_out": "signed out"},
        "request_type": {"access": "access", "rectification": "rectification",
                         "erasure": "erasure", "restriction": "restriction",
                         "objection": "objection to processing"},
        "request_status": {"received": "received",
                           "identity_to_verify": "identity to be established",
                           "in_progress": "in progress", "extended": "extended",
                           "decided": "decided", "closed": "closed", "withdrawn": "withdrawn"},
        "outcome": {"granted": "granted", "partly_granted": "partly granted",
                    "refused": "refused", "not_handled": "not handled"},
        "letter_kind": {"information": "information letter",
                        "acknowledgement": "acknowledgement", "extension": "extension",
                        "decision": "decision", "access_report": "overview of your data",
                        "not_picked_up": "not taken up", "restriction": "right restricted",
                        "restriction_ended": "restriction of a right ended",
                        "processing_restriction_lifted": "restriction of processing lifted",
                        "withdrawal_confirmation": "confirmation of withdrawn consent"},
        "letter_channel": {"post": "by post", "email": "by email",
                           "portal": "in the privacy portal"},
        "field": {"given_name": "given name", "family_name": "family name",
                  "birth_date": "date of birth", "bsn": "citizen service number",
                  "entry_text": "text of an entry"},
        "about": {"person": "about you", "household": "about the whole household"},
        "system": "the work system itself (automatically)",
        "naw": "Name, address, city, date of birth, citizen service number and email address",
        "retention_open": "fifteen years after the case is closed",
        "retention_rule": "We keep your data no longer than needed. At the latest fifteen years "
        "after the help has ended (the case is closed) it is destroyed (Privacy regulation, "
        "retention; Youth Act and Social Support Act 2015).",
        "on_team": "works on case",
        "consent_recipient": "may receive data with your consent",
        "basis_partner": "processes data on a recorded legal basis",
        "self_source": "you or your representative (your requests)",
        "regieteam_source": "the Regieteam (process director), when the case was brought in",
        "purposes": [
            "Getting households back on track and giving them prospects: making a plan of "
            "approach on all areas of life that matter (Privacy protocol art. 1).",
            "Directing how that plan of approach is carried out (Privacy protocol art. 1).",
            "Reducing the nuisance caused by households with multiple problems (Privacy "
            "protocol art. 1).",
            "Handling your requests about your data (GDPR art. 12 to 21).",
            "Keeping track of who viewed or changed your data (security, Privacy regulation).",
        ],
    },
}  # fmt: skip


def _iso(value) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite hands back naive moments, which are UTC
            return value.isoformat(timespec="seconds") + "+00:00"
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def _retention_until(case: Case) -> Optional[date]:
    return years_after(case.closed_on, RETENTION_YEARS) if case.closed_on else None


def compile_report(request: PrivacyRequest, *, now: Optional[datetime] = None) -> dict:
    """Everything the portal holds about the request's person, as plain data (JSON-able), with
    labels in the language of the request's letters."""
    person = request.person
    language = request.language if request.language in LABELS else "nl"
    words = LABELS[language]
    now = now or utcnow()
    partners = {partner.id: partner for partner in db.session.scalars(sa.select(Partner))}
    by_code = {partner.code: partner.name for partner in partners.values()}

    cases = db.session.scalars(
        sa.select(Case)
        .where(Case.household_id == person.household_id)
        .options(selectinload(Case.team))
        .order_by(Case.opened_on, Case.id)
    ).all()
    case_ids = [case.id for case in cases]
    reference = {case.id: case.reference for case in cases}

    entries = db.session.scalars(
        sa.select(CaseEntry)
        .where(
            CaseEntry.case_id.in_(case_ids),
            sa.or_(CaseEntry.person_id == person.id, CaseEntry.person_id.is_(None)),
        )
        .options(selectinload(CaseEntry.domain))
        .order_by(CaseEntry.created_at, CaseEntry.id)
    ).all()
    consents = db.session.scalars(
        sa.select(ConsentEvent)
        .where(ConsentEvent.person_id == person.id)
        .order_by(ConsentEvent.effective_at, ConsentEvent.id)
    ).all()
    bases = db.session.scalars(
        sa.select(LegalBasisRecord)
        .where(LegalBasisRecord.case_id.in_(case_ids))
        .order_by(LegalBasisRecord.case_id, LegalBasisRecord.phase, LegalBasisRecord.id)
    ).all()
    reuse = db.session.scalars(
        sa.select(ReuseApproval)
        .where(ReuseApproval.person_id == person.id)
        .order_by(ReuseApproval.requested_at, ReuseApproval.id)
    ).all()
    own_requests = db.session.scalars(
        sa.select(PrivacyRequest)
        .where(PrivacyRequest.person_id == person.id)
        .order_by(PrivacyRequest.received_on, PrivacyRequest.id)
    ).all()
    rectifications = db.session.scalars(
        sa.select(Rectification)
        .where(Rectification.person_id == person.id)
        .order_by(Rectification.at, Rectification.id)
    ).all()
    letters = list(reversed(letters_for(person)))

    def partner_name(partner_id: int) -> str:
        return partners[partner_id].name

    def domain_row(domain) -> dict:
        return {
            "name": domain.name_nl if language == "nl" else domain.name_en,
            "special_category": domain.special_category,
            "criminal": domain.criminal,
        }

    report: dict = {
        "format": f"regieteam-inzage/{FORMAT_VERSION}",
        "request": {"reference": request.reference, "received_on": _iso(request.received_on)},
        "compiled_at": _iso(now),
        "controller": "College van burgemeester en wethouders van Nijmegen",
        "language": language,
    }
    representative = person.legal_representative
    report["person"] = {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "birth_date": _iso(person.birth_date),
        "bsn": reveal_bsn(person),
        "email": person.email,
        "legal_representative": representative.full_name if representative else None,
        "processing_restricted_since": _iso(person.restricted_since),
        "household": {
            "street": person.household.street,
            "house_number": person.household.house_number,
            "postcode": person.household.postcode,
            "city": person.household.city,
            "wijk": person.household.wijk,
        },
    }
    report["cases"] = [
        {
            "reference": case.reference,
            "phase": case.phase,
            "phase_name": words["phase"][case.phase],
            "decision": words["decision"][case.decision.value],
            "opened_on": _iso(case.opened_on),
            "closed_on": _iso(case.closed_on),
            "team": sorted(partner.name for partner in case.team),
            "retention_until": _iso(_retention_until(case)),
        }
        for case in cases
    ]
    report["entries"] = [
        {
            "case": reference[entry.case_id],
            "kind": words["entry_kind"][entry.kind.value],
            "domain": domain_row(entry.domain),
            "about": words["about"]["person" if entry.person_id else "household"],
            "source": partner_name(entry.source_partner_id),
            "written_at": _iso(entry.created_at),
            "text": entry.text,
        }
        for entry in entries
    ]
    report["consents"] = [
        {
            "domain": domain_row(event.domain),
            "recipient": partner_name(event.recipient_id),
            "purpose": PURPOSE_LABELS[language][event.purpose],
            "status": words["consent_status"][event.status.value],
            "effective_at": _iso(event.effective_at),
            "recorded_at": _iso(event.recorded_at),
            "channel": words["consent_channel"][event.channel.value],
            "recorded_by": words["recorded_by"][event.recorded_by.value],
            "information_version": event.information_version,
            "case": reference.get(event.case_id),
            "expires_at": _iso(event.expires_at),
            "note": event.note,
        }
        for event in consents
    ]
    report["legal_bases"] = [
        {
            "case": reference[record.case_id],
            "phase": record.phase,
            "partner": partner_name(record.partner_id),
            "domain": domain_row(record.domain),
            "purpose": PURPOSE_LABELS[language][record.purpose],
            "basis": BASIS_LABELS[language][record.basis],
            "statute": record.statute,
            "proportionality": record.proportionality,
            "subsidiarity": record.subsidiarity,
            "recorded_at": _iso(record.recorded_at),
            "ended_at": _iso(record.ended_at),
        }
        for record in bases
    ]
    report["reuse_approvals"] = [
        {
            "case": reference.get(approval.case_id),
            "domain": domain_row(approval.domain),
            "brought_in_by": partner_name(approval.source_partner_id),
            "used_by": partner_name(approval.user_partner_id),
            "status": words["reuse_status"][approval.status.value],
            "decided_at": _iso(approval.decided_at),
        }
        for approval in reuse
    ]
    report["requests"] = [
        {
            "reference": own.reference,
            "type": words["request_type"][own.type.value],
            "received_on": _iso(own.received_on),
            "status": words["request_status"][own.status.value],
            "decision": words["outcome"][own.decision.value] if own.decision else None,
            "decided_on": _iso(own.decided_on),
            "description": own.description,
        }
        for own in own_requests
    ]
    report["rectifications"] = [
        {
            "field": words["field"][row.field.value],
            "old_value": row.old_value,
            "new_value": row.new_value,
            "at": _iso(row.at),
            "request": row.request.reference,
        }
        for row in rectifications
    ]
    report["letters"] = [
        {
            "date": _iso(letter.created_at),
            "kind": words["letter_kind"].get(letter.kind.value, letter.kind.value),
            "reference": letter.request_reference
            or (reference.get(letter.case_id) if letter.case_id else None),
            "channel": words["letter_channel"][letter.channel.value],
            "version": letter.template_version,
        }
        for letter in letters
    ]
    report["access_log"] = _access_log(person, case_ids, by_code, words)

    # The information AVG art. 15(1) asks for beside the data itself.
    domains: dict[str, dict] = {}
    for row in [*report["entries"], *report["consents"], *report["legal_bases"]]:
        domains.setdefault(row["domain"]["name"], row["domain"])
    report["purposes"] = list(words["purposes"])
    used_purposes = {event.purpose for event in consents} | {record.purpose for record in bases}
    report["consent_purposes"] = [
        PURPOSE_LABELS[language][purpose] for purpose in Purpose if purpose in used_purposes
    ]
    report["categories"] = [
        {"name": words["naw"], "special_category": False, "criminal": False},
        *sorted(domains.values(), key=lambda row: row["name"]),
    ]
    recipients: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        for partner in case.team:
            recipients[partner.name].add(f"{words['on_team']} {case.reference}")
    for event in consents:
        if event.status.value == "given":
            recipients[partner_name(event.recipient_id)].add(words["consent_recipient"])
    for record in bases:
        recipients[partner_name(record.partner_id)].add(words["basis_partner"])
    report["recipients"] = [
        {"name": name, "how": sorted(how)} for name, how in sorted(recipients.items())
    ]
    report["retention"] = {
        "rule": words["retention_rule"],
        "cases": [
            {
                "case": case.reference,
                "until": _iso(_retention_until(case)),
                "when": None if case.closed_on else words["retention_open"],
            }
            for case in cases
        ],
    }
    sources = sorted({partner_name(entry.source_partner_id) for entry in entries})
    report["sources"] = [words["regieteam_source"], *sources]
    if own_requests:
        report["sources"].append(words["self_source"])
    return report


def _access_log(person: Person, case_ids: list[int], by_code: dict, words: dict) -> list[dict]:
    """Who accessed the person's data: the audit entries about the person, and those about the
    household's cases that name no other person. Organisation, role, purpose, moment - never the
    employee (their name is not the person's data, and the audit trail keeps only ids)."""
    about_person = sa.or_(
        AuditEntry.person_id == person.id,
        sa.and_(AuditEntry.person_id.is_(None), AuditEntry.case_id.in_(case_ids)),
    )
    rows = db.session.execute(
        sa.select(
            AuditEntry.at,
            AuditEntry.partner_code,
            AuditEntry.role,
            AuditEntry.action,
            AuditEntry.purpose,
            AuditEntry.on_behalf_of,
        )
        .where(about_person)
        .order_by(AuditEntry.seq)
    ).all()
    log = []
    for row in rows:
        if row.on_behalf_of == f"person:{person.id}":
            organisation = words["about"]["person"]
        elif row.partner_code:
            organisation = by_code.get(row.partner_code, row.partner_code)
        else:
            organisation = words["system"]
        log.append(
            {
                "at": _iso(row.at),
                "organisation": organisation,
                "role": words["role"].get(row.role, row.role) if row.role else None,
                "action": words["action"].get(row.action, row.action),
                "purpose": row.purpose,
            }
        )
    return log


def access_summary(log: list[dict]) -> list[dict]:
    """The access log for the letter, one line per organisation, role, action and purpose with
    how often and when first and last: a long log stays readable (B1)."""
    groups: dict[tuple, dict] = {}
    for row in log:
        key = (row["organisation"], row["role"] or "", row["action"], row["purpose"])
        group = groups.setdefault(
            key,
            {
                "organisation": row["organisation"],
                "role": row["role"],
                "action": row["action"],
                "purpose": row["purpose"],
                "times": 0,
                "first": row["at"],
                "last": row["at"],
            },
        )
        group["times"] += 1
        group["last"] = row["at"]
    return sorted(groups.values(), key=lambda group: (group["organisation"], group["first"]))


# --- operations -----------------------------------------------------------------------------


def _audit_export(actor: User, request: PrivacyRequest, purpose: str) -> None:
    audit.record(
        audit.Action.EXPORT,
        user=actor,
        person_id=request.person_id,
        object_type="privacy_request",
        object_id=request.id,
        processing_activity=PROCESSING_ACTIVITY,
        purpose=purpose,
    )


def export_json(actor: User, request: PrivacyRequest) -> str:
    """The report as JSON for the desk to check or hand over; an audited export."""
    check_may_carry_out(request, RequestType.ACCESS, None)
    report = compile_report(request)
    _audit_export(actor, request, "inzageoverzicht samengesteld (AVG art. 15)")
    return to_json(report)


def to_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2, sort_keys=False)


# The fields of the report that hold a date or a moment: the letter shows them as dates in words.
DATE_FIELDS = frozenset(
    {
        "received_on", "compiled_at", "birth_date", "processing_restricted_since", "opened_on",
        "closed_on", "retention_until", "written_at", "effective_at", "recorded_at",
        "expires_at", "ended_at", "decided_at", "decided_on", "at", "date", "first", "last",
        "until",
    }
)  # fmt: skip


def for_letter(value, language: str, key: str = ""):
    """The report as the letter shows it: dates in words, in the letter's language (the JSON
    keeps ISO 8601)."""
    if isinstance(value, dict):
        return {name: for_letter(item, language, name) for name, item in value.items()}
    if isinstance(value, list):
        return [for_letter(item, language, key) for item in value]
    if key in DATE_FIELDS and isinstance(value, str):
        return content.long_date(date.fromisoformat(value[:10]), language)
    return value


def draft(request: PrivacyRequest, report: dict) -> LetterDraft:
    """The access-report letter: the cover letter with the report."""
    letter = content.access_report(
        request.person,
        request_reference=request.reference,
        received_on=request.received_on,
        language=request.language,
    )
    shown = {**report, "access_summary": access_summary(report["access_log"])}
    shown.pop("access_log")
    letter.fields["report"] = for_letter(shown, letter.language)
    return letter


def preview(actor: User, request: PrivacyRequest) -> str:
    """The letter as it will read, inside the desk's page (audited as a preview)."""
    from portal.letters import operations as letter_ops

    check_may_carry_out(request, RequestType.ACCESS, None)
    return letter_ops.preview_html(actor, draft(request, compile_report(request)))


def send_access_report(actor: User, request: PrivacyRequest, *, version: Optional[int]) -> Letter:
    """Compile the report, render it once as the access-report letter and store it (by post,
    never by plain email: it holds special categories of data). Audited as an export."""
    check_may_carry_out(request, RequestType.ACCESS, version)
    report = compile_report(request)
    letter = request_letters.send(actor, request, draft(request, report))
    _audit_export(actor, request, "inzageoverzicht verstuurd (AVG art. 15)")
    carry_out_step(
        actor,
        request,
        EventKind.ACCESS_REPORT_SENT,
        purpose="inzageoverzicht verstuurd (AVG art. 15)",
        details={
            "letter": letter.id,
            "entries": len(report["entries"]),
            "consents": len(report["consents"]),
            "access_log": len(report["access_log"]),
        },
    )
    return letter

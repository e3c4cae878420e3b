"""The right to erasure (AVG art. 17): delete or anonymise what may go, explain what must stay and
why, tell the partners that received the data (art. 19).

The rule, category by category (docs/requests.md, "Erasure"):

- **Case data.** A case that is still open keeps its process data: the Regieteam needs it for the
  plan of approach and its direction, a task in the public interest (AVG art. 17(3)(b);
  Privacyprotocol art. 1). So does a case closed less than a year ago: until then complaints about
  how the help went can still come in and must be answered from the file (Algemene wet
  bestuursrecht art. 9:8(1)(b): a complaint about conduct more than a year ago need not be
  handled). The fifteen years of the Privacyreglement are a maximum ("niet langer bewaard dan
  noodzakelijk [...] in ieder geval [...] vijftien jaar"), not a duty to keep: in a case closed a
  year or more ago the entries about the person are erased. Entries about the whole household and
  the legal-basis register of such a case are about every member: they go only when the person is
  the household's only member.
- **The rest of the file** - consent events (the proof that sharing was lawful, AVG art. 7(1)),
  reuse approvals, earlier values kept by rectifications, information letters and sign-in codes,
  the person's name, birth date, BSN, email and representative - goes only with the whole file:
  when no case of the household is still kept. Names are then anonymised, not the row deleted,
  because the requests and their letters refer to it - unless the person is the recorded legal
  representative of someone whose data stays: their name is needed to act for that child. The
  household's address is anonymised when the person was its only member. Consent events go
  with bulk statements (consent/models.py forbids deleting them one by one).
- **Kept as the record:** the person's privacy requests and the letters about them (what the
  college decided, open to bezwaar and court; AVG art. 5(2)), except access-report letters, which
  copy the data itself and go whenever data is erased. The audit trail holds only ids (portal/
  audit.py), so it keeps no erased data and its chain is never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Optional

import sqlalchemy as sa

from consent.models import ConsentEvent, LegalBasisRecord, ReuseApproval
from portal import audit
from portal.audit import years_after
from portal.extensions import db
from portal.letters.models import AccessCode, Letter, LetterBatchItem, LetterKind
from portal.models import Case, CaseEntry, Person, User, utcnow
from portal.operations import RuleViolation, set_bsn
from requests import deadlines
from requests.models import EventKind, PrivacyRequest, Rectification, RequestType
from requests.operations import PROCESSING_ACTIVITY
from requests.rights import carry_out_step, check_may_carry_out, household_cases, tell_recipients

# Awb art. 9:8(1)(b): complaints about conduct up to a year ago are handled from the file.
KEEP_AFTER_CLOSING_YEARS = 1
ERASED = "[gewist]"

# What each kind of item is; the reasons why something stays.
DELETE = "delete"
ANONYMISE = "anonymise"
KEEP = "keep"


@dataclass
class Item:
    what: str  # entries, household_entries, legal_bases, consents, reuse_approvals,
    # rectifications, letters, access_codes, access_reports, person, address, requests, audit
    action: str  # delete, anonymise, keep
    count: int = 0
    reason: Optional[str] = None  # why it stays
    case: Optional[str] = None  # the case reference, for case data
    until: Optional[date] = None  # from when it may go, when that is known
    ids: list[int] = field(default_factory=list)


@dataclass
class Plan:
    """What an erasure for `person_id` does on `today`. Counts, codes and case references only."""

    person_id: int
    today: date
    whole_file: bool
    only_member: bool
    items: list[Item] = field(default_factory=list)

    def going(self) -> list[Item]:
        return [item for item in self.items if item.action != KEEP and item.count]

    def staying(self) -> list[Item]:
        return [item for item in self.items if item.action == KEEP and item.count]


def kept_until(case: Case) -> Optional[date]:
    """The first day a case's entries may be erased on request; None while it is open."""
    if case.closed_on is None:
        return None
    return years_after(case.closed_on, KEEP_AFTER_CLOSING_YEARS)


def case_is_kept(case: Case, today: date) -> bool:
    until = kept_until(case)
    return until is None or today < until


def _ids(query) -> list[int]:
    return list(db.session.scalars(query))


def plan_for(person: Person, today: Optional[date] = None) -> Plan:
    """Apply the rule above to what the portal holds about `person` now."""
    today = today or deadlines.today()
    cases = household_cases(person)
    kept = [case for case in cases if case_is_kept(case, today)]
    gone = [case for case in cases if not case_is_kept(case, today)]
    members = db.session.scalar(
        sa.select(sa.func.count(Person.id)).where(Person.household_id == person.household_id)
    )
    plan = Plan(person.id, today, whole_file=not kept, only_member=members == 1)
    items = plan.items

    for case in kept:
        ids = _ids(
            sa.select(CaseEntry.id).where(
                CaseEntry.case_id == case.id,
                sa.or_(CaseEntry.person_id == person.id, CaseEntry.person_id.is_(None)),
            )
        )
        reason = "case_open" if case.closed_on is None else "case_recently_closed"
        items.append(Item("entries", KEEP, len(ids), reason, case.reference, kept_until(case)))
    gone_ids = [case.id for case in gone]
    own = _ids(
        sa.select(CaseEntry.id).where(
            CaseEntry.case_id.in_(gone_ids), CaseEntry.person_id == person.id
        )
    )
    items.append(Item("entries", DELETE, len(own), ids=own))
    shared = _ids(
        sa.select(CaseEntry.id).where(
            CaseEntry.case_id.in_(gone_ids), CaseEntry.person_id.is_(None)
        )
    )
    bases = _ids(sa.select(LegalBasisRecord.id).where(LegalBasisRecord.case_id.in_(gone_ids)))
    if plan.only_member:
        items.append(Item("household_entries", DELETE, len(shared), ids=shared))
        items.append(Item("legal_bases", DELETE, len(bases), ids=bases))
    else:
        items.append(Item("household_entries", KEEP, len(shared), "household_shared"))
        items.append(Item("legal_bases", KEEP, len(bases), "household_shared"))

    file_action = DELETE if plan.whole_file else KEEP
    file_reason = None if plan.whole_file else "kept_with_file"
    consents = db.session.scalar(
        sa.select(sa.func.count(ConsentEvent.id)).where(ConsentEvent.person_id == person.id)
    )
    items.append(
        Item("consents", file_action, consents, None if plan.whole_file else "proof_of_consent")
    )
    reuse = _ids(sa.select(ReuseApproval.id).where(ReuseApproval.person_id == person.id))
    items.append(Item("reuse_approvals", file_action, len(reuse), file_reason, ids=reuse))
    earlier = _ids(
        sa.select(Rectification.id).where(
            Rectification.person_id == person.id, Rectification.case_entry_id.is_(None)
        )
    )
    items.append(Item("rectifications", file_action, len(earlier), file_reason, ids=earlier))
    own_letters = sa.or_(
        Letter.person_id == person.id,
        sa.and_(Letter.person_id.is_(None), Letter.household_id == person.household_id)
        if plan.only_member
        else sa.false(),
    )
    letters = _ids(sa.select(Letter.id).where(own_letters, Letter.request_reference.is_(None)))
    items.append(Item("letters", file_action, len(letters), file_reason, ids=letters))
    codes = _ids(sa.select(AccessCode.id).where(AccessCode.person_id == person.id))
    items.append(Item("access_codes", file_action, len(codes), file_reason, ids=codes))
    # The recorded legal representative of someone whose data stays is needed to act for them
    # (letters go "Aan de wettelijk vertegenwoordiger van"): the name stays.
    represents = db.session.scalar(
        sa.select(sa.func.count(Person.id)).where(Person.legal_representative_id == person.id)
    )
    # What an earlier erasure already anonymised is not done again (count 0): a second erasure,
    # say after a crash just after the first one committed, finds nothing left to do.
    if not plan.whole_file:
        items.append(Item("person", KEEP, 1, "needed_for_kept_case"))
    elif represents:
        items.append(Item("person", KEEP, 1, "represents_others"))
    else:
        items.append(Item("person", ANONYMISE, 0 if _person_anonymised(person) else 1))
    address_goes = plan.whole_file and plan.only_member
    items.append(
        Item(
            "address",
            ANONYMISE if address_goes else KEEP,
            0 if address_goes and _address_anonymised(person.household) else 1,
            None
            if address_goes
            else ("household_shared" if not plan.only_member else "needed_for_kept_case"),
        )
    )

    # What stays as the record, whatever the cases.
    reports = _ids(
        sa.select(Letter.id).where(
            Letter.person_id == person.id,
            Letter.kind == LetterKind.ACCESS_REPORT,
        )
    )
    erases_data = bool(own or (plan.only_member and (shared or bases)) or plan.whole_file)
    items.append(
        Item(
            "access_reports",
            DELETE if erases_data else KEEP,
            len(reports),
            None if erases_data else "record_of_decisions",
            ids=reports,
        )
    )
    requests = db.session.scalar(
        sa.select(sa.func.count(PrivacyRequest.id)).where(PrivacyRequest.person_id == person.id)
    )
    items.append(Item("requests", KEEP, requests, "record_of_decisions"))
    items.append(Item("audit", KEEP, 1, "audit_ids_only"))
    return plan


def _person_anonymised(person: Person) -> bool:
    return (
        person.given_name == ERASED
        and person.family_name == ERASED
        and person.birth_date is None
        and person.bsn_hash is None
        and person.bsn_encrypted is None
        and person.email is None
        and person.legal_representative_id is None
    )


def _address_anonymised(household) -> bool:
    return household.street == ERASED and household.house_number == "-" and not household.postcode


def _delete(table, condition) -> int:
    return db.session.execute(sa.delete(table).where(condition)).rowcount or 0


def _audit_deleted(actor: User, person: Person, what: str, rows: int) -> None:
    audit.record(
        audit.Action.DELETE,
        user=actor,
        person_id=person.id,
        object_type=what,
        processing_activity=PROCESSING_ACTIVITY,
        purpose=f"gewist op verzoek (AVG art. 17): {rows} x {what}",
    )


def carry_out_erasure(actor: User, request: PrivacyRequest, *, version: Optional[int]) -> Plan:
    """Carry out the plan of today: delete and anonymise what may go, in this transaction; the
    timeline event keeps the counts and the reasons for what stayed, never erased data."""
    check_may_carry_out(request, RequestType.ERASURE, version)
    person = request.person
    plan = plan_for(person)
    if not plan.going():
        raise RuleViolation(
            "nothing_to_erase",
            "Er is nu niets dat gewist kan worden; zie hieronder wat moet blijven en waarom. "
            "Wijs het verzoek af, of deels toe, met die redenen.",
        )
    db.session.flush()
    counts: dict[str, int] = {}
    by_what = {item.what: item for item in plan.going()}

    def ids(what: str) -> list[int]:
        item = by_what.get(what)
        return item.ids if item is not None else []

    entry_ids = ids("entries") + ids("household_entries")
    if entry_ids:
        counts["case_entry"] = _delete(CaseEntry.__table__, CaseEntry.id.in_(entry_ids))
    if ids("legal_bases"):
        counts["legal_basis"] = _delete(
            LegalBasisRecord.__table__, LegalBasisRecord.id.in_(ids("legal_bases"))
        )
    if "consents" in by_what:
        # Bulk: consent events are never deleted one by one (consent/models.py).
        counts["consent_event"] = _delete(
            ConsentEvent.__table__, ConsentEvent.person_id == person.id
        )
    if ids("reuse_approvals"):
        counts["reuse_approval"] = _delete(
            ReuseApproval.__table__, ReuseApproval.id.in_(ids("reuse_approvals"))
        )
    if ids("rectifications"):
        counts["rectification"] = _delete(
            Rectification.__table__, Rectification.id.in_(ids("rectifications"))
        )
    letter_ids = ids("letters") + ids("access_reports")
    if letter_ids:
        _delete(LetterBatchItem.__table__, LetterBatchItem.letter_id.in_(letter_ids))
        counts["letter"] = _delete(Letter.__table__, Letter.id.in_(letter_ids))
    if ids("access_codes"):
        _delete(
            LetterBatchItem.__table__,
            sa.and_(LetterBatchItem.person_id == person.id, LetterBatchItem.letter_id.is_(None)),
        )
        counts["letter_access_code"] = _delete(
            AccessCode.__table__, AccessCode.id.in_(ids("access_codes"))
        )
    db.session.expire_all()
    person = db.session.get(Person, plan.person_id)
    anonymised = []
    if "person" in by_what:
        person.given_name = ERASED
        person.family_name = ERASED
        person.birth_date = None
        set_bsn(person, None)
        person.email = None
        person.legal_representative_id = None
        person.updated_at = utcnow()
        anonymised.append("person")
    if "address" in by_what:
        household = person.household
        household.street = ERASED
        household.house_number = "-"
        household.postcode = ""
        anonymised.append("address")
    db.session.flush()
    for what, rows in counts.items():
        _audit_deleted(actor, person, what, rows)
    for what in anonymised:
        audit.record(
            audit.Action.UPDATE,
            user=actor,
            person_id=person.id,
            object_type="person" if what == "person" else "household",
            object_id=person.id if what == "person" else person.household_id,
            processing_activity=PROCESSING_ACTIVITY,
            purpose="geanonimiseerd op verzoek (AVG art. 17)",
        )
    told = tell_recipients(
        person,
        kind="data_erased",
        subject="Gegevens gewist in casus {case} (AVG art. 17 en 19)",
        body=(
            "Op verzoek van een betrokkene in casus {case} zijn gegevens gewist (AVG art. 17). "
            "Wis ook de kopieën die uw organisatie van deze gegevens heeft, voor zover de wet u "
            "niet verplicht ze te bewaren (AVG art. 19)."
        ),
        name_person=False,
    )
    request = db.session.get(PrivacyRequest, request.id)
    carry_out_step(
        actor,
        request,
        EventKind.ERASED,
        purpose="gegevens gewist (AVG art. 17)",
        details=details_of(plan, counts, told),
    )
    return plan


def details_of(plan: Plan, counts: dict[str, int], told: int) -> dict:
    return {
        "deleted": counts,
        "erased": {item.what: item.count for item in plan.going()},
        "kept": [
            {
                "what": item.what,
                "reason": item.reason,
                "count": item.count,
                "case": item.case,
                "until": item.until.isoformat() if item.until else None,
            }
            for item in plan.staying()
        ],
        "whole_file": plan.whole_file,
        "partners_told": told,
    }


# --- what the decision letter says ------------------------------------------------------------

ERASED_TEXT = {
    "nl": {
        "entries": "Wij hebben {count} gegevens over u uit afgesloten casussen gewist.",
        "household_entries": "Wij hebben {count} gegevens over uw huishouden gewist.",
        "legal_bases": "Wij hebben {count} vastgelegde grondslagen van afgesloten casussen gewist.",
        "consents": "Wij hebben uw beslissingen over toestemming gewist.",
        "reuse_approvals": "Wij hebben de afspraken over hergebruik van uw gegevens gewist.",
        "rectifications": "Wij hebben de oude waarden van verbeterde gegevens gewist.",
        "letters": "Wij hebben {count} brieven aan u gewist.",
        "access_codes": "Wij hebben uw inlogcodes voor het privacyportaal gewist.",
        "access_reports": "Wij hebben de overzichten van uw gegevens die wij u eerder stuurden "
        "gewist; u heeft zelf een exemplaar.",
        "person": "Wij hebben uw naam, geboortedatum, BSN en e-mailadres gewist.",
        "address": "Wij hebben uw adres gewist.",
    },
    "en": {
        "entries": "We have erased {count} items about you from closed cases.",
        "household_entries": "We have erased {count} items about your household.",
        "legal_bases": "We have erased {count} recorded legal bases of closed cases.",
        "consents": "We have erased your decisions on consent.",
        "reuse_approvals": "We have erased the agreements on reuse of your data.",
        "rectifications": "We have erased the old values of corrected data.",
        "letters": "We have erased {count} letters to you.",
        "access_codes": "We have erased your sign-in codes for the privacy portal.",
        "access_reports": "We have erased the overviews of your data we sent you before; you "
        "have your own copy.",
        "person": "We have erased your name, date of birth, citizen service number and email "
        "address.",
        "address": "We have erased your address.",
    },
}
KEPT_TEXT = {
    "nl": {
        "case_open": "De gegevens in casus {case} blijven bewaard: de casus loopt nog en het "
        "Regieteam heeft ze nodig voor zijn taak (AVG art. 17 lid 3).",
        "case_recently_closed": "De gegevens in casus {case} blijven bewaard tot {until}: de "
        "casus is korter dan een jaar geleden afgesloten, en tot die tijd kunnen er nog klachten "
        "over de hulp komen (Algemene wet bestuursrecht art. 9:8). Daarna kunt u opnieuw vragen "
        "om ze te wissen.",
        "household_shared": "Gegevens over uw hele huishouden blijven bewaard: ze gaan ook over "
        "de andere leden van uw huishouden.",
        "proof_of_consent": "Uw beslissingen over toestemming blijven bewaard zolang er nog "
        "gegevens van een casus zijn: ze laten zien dat het delen van gegevens mocht (AVG art. "
        "7).",
        "kept_with_file": "Andere gegevens over u blijven bewaard zolang er nog een casus van uw "
        "huishouden bewaard wordt.",
        "needed_for_kept_case": "Uw naam en adres blijven bewaard zolang er nog een casus van uw "
        "huishouden bewaard wordt.",
        "represents_others": "Uw naam en adres blijven bewaard: u bent de wettelijk "
        "vertegenwoordiger van een kind van wie nog gegevens bewaard worden.",
        "record_of_decisions": "Uw verzoeken en onze brieven daarover blijven bewaard: ze laten "
        "zien wat wij hebben besloten, zodat u bezwaar kunt maken of naar de rechter kunt gaan.",
        "audit_ids_only": "In ons logboek staat wie uw gegevens heeft bekeken. Daarin staan alleen "
        "nummers, geen gegevens over u. Wij bewaren het logboek voor de beveiliging.",
    },
    "en": {
        "case_open": "The data in case {case} is kept: the case is still running and the "
        "Regieteam needs it for its task (GDPR art. 17(3)).",
        "case_recently_closed": "The data in case {case} is kept until {until}: the case was "
        "closed less than a year ago, and until then complaints about the help can still come in "
        "(General Administrative Law Act art. 9:8). After that you can ask again to erase it.",
        "household_shared": "Data about your whole household is kept: it is also about the other "
        "members of your household.",
        "proof_of_consent": "Your decisions on consent are kept as long as data of a case is "
        "kept: they show that sharing data was allowed (GDPR art. 7).",
        "kept_with_file": "Other data about you is kept as long as a case of your household is "
        "kept.",
        "needed_for_kept_case": "Your name and address are kept as long as a case of your "
        "household is kept.",
        "represents_others": "Your name and address are kept: you are the legal representative "
        "of a child whose data is still kept.",
        "record_of_decisions": "Your requests and our letters about them are kept: they show "
        "what we decided, so that you can object or go to court.",
        "audit_ids_only": "Our log shows who viewed your data. It holds only numbers, no data "
        "about you. We keep the log for security.",
    },
}


def describe(details: dict, language: str) -> list[str]:
    """The lines of the decision letter: what was erased, what stayed and why."""
    from portal.letters.content import long_date

    language = language if language in ERASED_TEXT else "nl"
    lines = []
    for what, count in (details.get("erased") or {}).items():
        text = ERASED_TEXT[language].get(what)
        if text and count:
            lines.append(text.format(count=count))
    said = set()
    for kept in details.get("kept") or []:
        reason = kept.get("reason")
        text = KEPT_TEXT[language].get(reason)
        key = (reason, kept.get("case"))
        if not text or key in said:
            continue
        said.add(key)
        until = kept.get("until")
        lines.append(
            text.format(
                case=kept.get("case") or "",
                until=long_date(date.fromisoformat(until), language) if until else "",
            )
        )
    return lines

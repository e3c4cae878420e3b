"""The consent receipt: a person's consent record as JSON-LD, structured after ISO/IEC TS 27560:2023
(*Privacy technologies — Consent record information structure*) with the terms of the W3C Data
Privacy Vocabulary (DPV, https://w3id.org/dpv#), following the DPVCG guide "Consent Records and
Receipts as per ISO/IEC TS 27560:2023 using DPV" (https://w3id.org/dpv/guides/consent-27560).

Our consent is specific: one person × data domain × recipient partner × purpose (Privacyprotocol
art. 2, *Toestemming sub 1*). The receipt therefore holds one 27560 consent record per such key,
each with its full event history, inside one receipt for the person ("receipt-full": the receipt
carries the records themselves).

Where each ISO/IEC TS 27560 element is found (DPV relation in brackets):

Receipt / metadata
  schema version ............ "dct:conformsTo" (dpv-27560 profile: receipt-full; record)
  receipt id ................ "@id" and "dct:identifier" of the receipt (a fresh UUID per download)
  record id ................. "@id" and "dct:identifier" of each record in "dct:hasPart"
                              (a stable UUID per person and key)
  timestamps ................ "dct:created" (receipt); "dct:created"/"dct:modified" per record
  language .................. "dct:language"
  PII principal id .......... "dpv:hasDataSubject" (a stable UUID, name)
Processing (per record: "dpv:hasProcess")
  purpose ................... "dpv:hasPurpose" (the purposes of Privacyprotocol art. 1)
  lawful basis / consent type "dpv:hasLegalBasis" (dpv:Consent, dpv:ExpressedConsent, GDPR 6(1)(a);
                              for a special category dpv:ExplicitlyExpressedConsent, GDPR 9(2)(a))
  PII information / type .... "dpv:hasPersonalData": the data domain (leefgebied); special
                              categories (AVG art. 9) typed dpv:SpecialCategoryPersonalData,
                              criminal data (AVG art. 10) dpv:SensitivePersonalData, pd:Criminal
  PII controllers ........... "dpv:hasDataController" (college van B&W Nijmegen, controller of the
                              Regieteam work system: Privacyprotocol art. 3)
  recipient third parties ... "dpv:hasRecipient" (the partner); all recipients also at the top
  jurisdiction .............. "dpv:hasJurisdiction" (loc:NL), "dpv:hasApplicableLaw" (GDPR)
  retention period .......... "dpv:hasStorageCondition" (fifteen years after the help ended,
                              Privacyreglement, *Bewaartermijn*)
  privacy notice ............ "dpv:hasNotice": the information letter version(s) given
                              (Privacyprotocol art. 4)
  withdrawal method ......... "dpv:hasConsentControl" (dpv:WithdrawConsent with a description)
Events (per record: "rt:consentEvents", oldest first)
  event type / state ........ "@type" of the event: dpv:ConsentGiven, dpv:ConsentRefused,
                              dpv:ConsentWithdrawn, dpv:ConsentExpired
  event time ................ "dpv:isIndicatedAtTime" (when it took effect, UTC) and
                              "rt:recordedAt" (when it was put on record)
  event duration ............ "dpv:hasDuration" on a grant (until its end date, or until withdrawn)
  entity id ................. "dpv:isIndicatedBy": the person, or for a person under 16 the legal
                              representative (dpv:GuardianOfDataSubject)
  expression method ......... "dpv:hasIndicationMethod": the channel (bemoeizorg conversation,
                              in writing, online) and "rt:recordedBy" (role and organisation)
  current consent state ..... "dpv:hasConsentStatus" of the record
Other legal bases ........... "rt:legalBasisRegister": the register of the household's cases the
                              reader may see, with the DPV term of each basis (BASIS_TERMS); the
                              argued necessity texts stay out, as they may be about others.

Terms without a DPV equivalent (further processing, conflict of duties, the channel, the register)
use the "rt:" namespace of this portal. The receipt holds nothing about other persons: only the
events of this person, and the name of a representative who decided for them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from consent.models import (
    Basis,
    Channel,
    ConsentEvent,
    ConsentStatus,
    LegalBasisRecord,
    Purpose,
)
from consent.operations import as_utc
from portal.extensions import db
from portal.models import DataDomain, Partner, Person, utcnow

CONTEXT = {
    "dpv": "https://w3id.org/dpv#",
    "pd": "https://w3id.org/dpv/pd#",
    "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
    "loc": "https://w3id.org/dpv/loc#",
    "dct": "http://purl.org/dc/terms/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "schema": "https://schema.org/",
    "rt": "urn:nl-nijmegen-regieteams:",
}
RECEIPT_PROFILE = "https://w3id.org/dpv/schema/dpv-27560#receipt-full"
RECORD_PROFILE = "https://w3id.org/dpv/schema/dpv-27560#record"
# Stable record and subject identifiers: UUIDs derived from our own ids in this namespace.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:nl-nijmegen-regieteams:consent-ledger")

CONTROLLER_ID = "rt:controller"
# Privacyprotocol art. 3: "Het college is verantwoordelijke in de zin van de AVG voor de
# gegevensverzameling in VIS2."
CONTROLLER = {
    "@id": CONTROLLER_ID,
    "@type": ["dpv:DataController", "dpv:GovernmentalOrganisation"],
    "dpv:hasName": "College van burgemeester en wethouders van Nijmegen",
    "schema:address": "Postbus 9105, 6500 HG Nijmegen",
    "schema:url": "https://www.nijmegen.nl",
    "dpv:hasJurisdiction": "loc:NL",
}

STATUS_TERMS = {
    ConsentStatus.GIVEN: "dpv:ConsentGiven",
    ConsentStatus.REFUSED: "dpv:ConsentRefused",
    ConsentStatus.WITHDRAWN: "dpv:ConsentWithdrawn",
    ConsentStatus.EXPIRED: "dpv:ConsentExpired",
}

# Privacyprotocol art. 2 (AVG art. 6) and the secrecy exception, as DPV and GDPR terms.
BASIS_TERMS = {
    Basis.CONSENT: ["dpv:Consent", "eu-gdpr:A6-1-a"],
    Basis.VITAL_INTEREST: ["dpv:VitalInterest", "eu-gdpr:A6-1-d"],
    Basis.PUBLIC_TASK: [
        "dpv:PublicInterest",
        "dpv:OfficialAuthorityOfController",
        "eu-gdpr:A6-1-e",
    ],
    Basis.LEGITIMATE_INTEREST: ["dpv:LegitimateInterest", "eu-gdpr:A6-1-f"],
    # AVG art. 6(4): further processing for a compatible purpose; no DPV legal-basis term.
    Basis.FURTHER_PROCESSING: ["rt:basis:further_processing"],
    # Wgbo professional secrecy broken to prevent danger ("conflict van plichten").
    Basis.CONFLICT_OF_DUTIES: ["rt:basis:conflict_of_duties"],
}
# Consent given in a conversation or in writing is expressed by the person; for special
# categories (AVG art. 9) it has to be explicit.
CONSENT_TERMS = ["dpv:Consent", "dpv:ExpressedConsent", "eu-gdpr:A6-1-a"]
EXPLICIT_CONSENT_TERMS = ["dpv:Consent", "dpv:ExplicitlyExpressedConsent", "eu-gdpr:A9-2-a"]

PURPOSES = {
    # Privacyprotocol art. 1, the purposes of the Regieteams.
    Purpose.PLAN: (
        "Het opstellen van een plan van aanpak op alle relevante leefgebieden",
        "Drawing up a plan of action covering all relevant areas of life",
    ),
    Purpose.REGIE: (
        "Regie voeren op de uitvoering van het plan van aanpak en de voortgang bewaken",
        "Coordinating the execution of the plan of action and monitoring its progress",
    ),
    Purpose.OVERLAST: (
        "De overlast die wordt veroorzaakt door multiprobleemhuishoudens terugdringen",
        "Reducing the nuisance caused by multi-problem households",
    ),
}
CHANNELS = {
    Channel.BEMOEIZORG_CONVERSATION: ("In het bemoeizorggesprek", "In the bemoeizorg conversation"),
    Channel.IN_WRITING: ("Schriftelijk", "In writing"),
    Channel.ONLINE: ("Online, door de persoon zelf", "Online, by the person"),
}
WITHDRAWAL = (
    "U kunt uw toestemming altijd intrekken, bij uw casemanager of bij het privacyloket van de "
    "gemeente Nijmegen. Vanaf dat moment worden de gegevens niet meer gedeeld. Wat daarvoor is "
    "gebeurd, blijft rechtmatig (Privacyprotocol art. 2)."
)
RETENTION = {
    "@type": "dpv:StorageDuration",
    "dpv:hasDuration": {
        "@type": "dpv:UntilEventDuration",
        "rdf:value": "P15Y",
        "dct:description": "Vijftien jaar nadat de hulp is afgesloten (Privacyreglement).",
    },
}


def _uuid(kind: str, *parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join([kind, *map(str, parts)])))


def _time(moment: Optional[datetime]) -> Optional[str]:
    if moment is None:
        return None
    return as_utc(moment).isoformat(timespec="seconds").replace("+00:00", "Z")


def _titles(nl: str, en: str) -> list[dict]:
    return [{"@language": "nl", "@value": nl}, {"@language": "en", "@value": en}]


def _partner(partner: Partner) -> dict:
    return {
        "@id": f"rt:partner:{partner.code}",
        "@type": "dpv:Recipient",
        "dct:identifier": partner.code,
        "dpv:hasName": partner.name,
    }


def _domain(domain: DataDomain) -> dict:
    if domain.special_category:
        types = ["dpv:SpecialCategoryPersonalData"]
    elif domain.criminal:
        types = ["dpv:SensitivePersonalData", "pd:Criminal"]
    else:
        types = ["dpv:PersonalData"]
    return {
        "@id": f"rt:domain:{domain.code}",
        "@type": types,
        "dct:identifier": domain.code,
        "dct:title": _titles(domain.name_nl, domain.name_en),
    }


def _purpose(purpose: Purpose) -> dict:
    nl, en = PURPOSES[purpose]
    return {
        "@id": f"rt:purpose:{purpose.value}",
        "@type": "dpv:Purpose",
        "dct:identifier": purpose.value,
        "dct:description": _titles(nl, en),
    }


def _notice_id(version: str) -> str:
    return f"urn:uuid:{_uuid('notice', version)}"


def _notice(version: str) -> dict:
    return {
        "@id": _notice_id(version),
        "@type": "dpv:ConsentNotice",
        "dct:identifier": version,
        "dct:description": "Informatiebrief Regieteams (Privacyprotocol art. 4)",
    }


def _subject_id(person: Person) -> str:
    return f"urn:uuid:{_uuid('person', person.id)}"


def _decider(event: ConsentEvent, subject_id: str) -> dict:
    if event.representative is not None:
        return {
            "@type": "dpv:GuardianOfDataSubject",
            "dpv:hasName": event.representative.full_name,
            "rt:role": "wettelijk vertegenwoordiger",
        }
    if event.status is ConsentStatus.EXPIRED:
        return {"@id": CONTROLLER_ID}  # the end date passed; nobody acted
    return {"@id": subject_id}


def _event(event: ConsentEvent, subject_id: str) -> dict:
    channel_nl, channel_en = CHANNELS[event.channel]
    item = {
        "@id": f"urn:uuid:{_uuid('event', event.id)}",
        "@type": STATUS_TERMS[event.status],
        "dct:identifier": str(event.id),
        "dpv:isIndicatedAtTime": _time(event.effective_at),
        "rt:recordedAt": _time(event.recorded_at),
        "dpv:isIndicatedBy": _decider(event, subject_id),
        "dpv:hasIndicationMethod": {
            "@id": f"rt:channel:{event.channel.value}",
            "dct:title": _titles(channel_nl, channel_en),
        },
        "rt:recordedBy": {
            "rt:role": event.recorded_by.value,
            **({"dpv:hasName": event.recorder.partner.name} if event.recorder is not None else {}),
        },
    }
    if event.information_version:
        item["dpv:hasNotice"] = {"@id": _notice_id(event.information_version)}
    if event.status is ConsentStatus.GIVEN:
        item["dpv:hasDuration"] = (
            {"@type": "dpv:UntilTimeDuration", "rdf:value": _time(event.expires_at)}
            if event.expires_at is not None
            else {
                "@type": "dpv:UntilEventDuration",
                "rdf:value": "Tot de toestemming wordt ingetrokken",
            }
        )
    return item


def _current_term(last: ConsentEvent, now: datetime) -> str:
    if last.status is ConsentStatus.GIVEN and not last.in_force_at(now):
        return STATUS_TERMS[ConsentStatus.EXPIRED]
    return STATUS_TERMS[last.status]


def _record(
    person: Person, key: tuple, events: list[ConsentEvent], subject_id: str, now: datetime
) -> dict:
    domain, recipient, purpose = events[0].domain, events[0].recipient, events[0].purpose
    deciding = [e for e in events if as_utc(e.effective_at) <= now]
    versions = [e.information_version for e in events if e.information_version]
    record = {
        "@id": f"urn:uuid:{_uuid('record', person.id, *key)}",
        "@type": "dpv:ConsentRecord",
        "dct:identifier": _uuid("record", person.id, *key),
        "dct:conformsTo": RECORD_PROFILE,
        "dct:created": _time(min(e.recorded_at for e in events)),
        "dct:modified": _time(max(e.recorded_at for e in events)),
        "dpv:hasDataSubject": {"@id": subject_id},
        "dpv:hasProcess": {
            "@type": "dpv:Process",
            "dpv:hasPurpose": _purpose(purpose),
            "dpv:hasPersonalData": _domain(domain),
            "dpv:hasRecipient": _partner(recipient),
            "dpv:hasDataController": {"@id": CONTROLLER_ID},
            "dpv:hasLegalBasis": (
                EXPLICIT_CONSENT_TERMS if domain.special_category else CONSENT_TERMS
            ),
        },
        "dpv:hasConsentStatus": (
            _current_term(deciding[-1], now) if deciding else "dpv:ConsentUnknown"
        ),
        "rt:consentEvents": [_event(e, subject_id) for e in events],
    }
    if versions:
        record["dpv:hasNotice"] = {"@id": _notice_id(versions[-1])}
    return record


def _register(case_ids: Iterable[int]) -> list[LegalBasisRecord]:
    case_ids = list(case_ids)
    if not case_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(LegalBasisRecord)
            .where(LegalBasisRecord.case_id.in_(case_ids))
            .order_by(LegalBasisRecord.recorded_at, LegalBasisRecord.id)
            .options(selectinload(LegalBasisRecord.partner), selectinload(LegalBasisRecord.domain))
        )
    )


def _basis_process(record: LegalBasisRecord) -> dict:
    item = {
        "@type": "dpv:Process",
        "dct:identifier": str(record.id),
        "dpv:hasLegalBasis": BASIS_TERMS[record.basis],
        "dpv:hasPurpose": _purpose(record.purpose),
        "dpv:hasPersonalData": _domain(record.domain),
        "dpv:isImplementedByEntity": _partner(record.partner),
        "rt:phase": record.phase,
        "rt:recordedAt": _time(record.recorded_at),
    }
    if record.statute:
        item["rt:statute"] = record.statute
    if record.ended_at is not None:
        item["rt:endedAt"] = _time(record.ended_at)
    return item


def build_receipt(
    person: Person,
    *,
    legal_basis_case_ids: Iterable[int] = (),
    now: Optional[datetime] = None,
    receipt_id: Optional[str] = None,
) -> dict:
    """The receipt of `person`'s consent record. `legal_basis_case_ids`: the cases whose legal
    bases may be shown to the reader (the access policy decides; none by default)."""
    now = as_utc(now or utcnow())
    receipt_id = receipt_id or str(uuid.uuid4())
    subject_id = _subject_id(person)
    events = db.session.scalars(
        sa.select(ConsentEvent)
        .where(ConsentEvent.person_id == person.id)
        .order_by(ConsentEvent.effective_at, ConsentEvent.id)
        .options(
            selectinload(ConsentEvent.domain),
            selectinload(ConsentEvent.recipient),
            selectinload(ConsentEvent.recorder),
            selectinload(ConsentEvent.representative),
        )
    ).all()
    by_key: dict[tuple, list[ConsentEvent]] = {}
    for event in events:
        by_key.setdefault((event.domain_id, event.recipient_id, event.purpose.value), []).append(
            event
        )
    register = _register(legal_basis_case_ids)
    recipients = {e.recipient.id: e.recipient for e in events}
    recipients.update({r.partner.id: r.partner for r in register})
    versions = sorted({e.information_version for e in events if e.information_version})
    return {
        "@context": CONTEXT,
        "@id": f"urn:uuid:{receipt_id}",
        "@type": "dpv:ConsentReceipt",
        "dct:identifier": receipt_id,
        "dct:conformsTo": RECEIPT_PROFILE,
        "dct:created": _time(now),
        "dct:language": "nl",
        "dpv:hasJurisdiction": "loc:NL",
        "dpv:hasApplicableLaw": "eu-gdpr:GDPR",
        "dpv:hasDataSubject": {
            "@id": subject_id,
            "@type": "dpv:DataSubject",
            "dct:identifier": _uuid("person", person.id),
            "dpv:hasName": person.full_name,
        },
        "dpv:hasDataController": CONTROLLER,
        "dpv:hasRecipient": [
            _partner(partner) for partner in sorted(recipients.values(), key=lambda p: p.name)
        ],
        "dpv:hasNotice": [_notice(version) for version in versions],
        "dpv:hasConsentControl": {"@type": "dpv:WithdrawConsent", "dct:description": WITHDRAWAL},
        "dpv:hasStorageCondition": RETENTION,
        "dct:hasPart": [
            _record(person, key, key_events, subject_id, now) for key, key_events in by_key.items()
        ],
        "rt:legalBasisRegister": [_basis_process(record) for record in register],
    }

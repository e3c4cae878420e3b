"""The consent receipt (issue 3, point 7): a person's consent record as JSON-LD after ISO/IEC TS
27560:2023 with W3C DPV terms, downloadable by staff as an audited export, refused outside scope.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from consent.models import (
    Basis,
    Channel,
    ConsentStatus,
    LegalBasisRecord,
    Purpose,
    RecordedBy,
)
from consent.operations import expire_due, record_decision, withdraw_consent
from consent.receipt import BASIS_TERMS, build_receipt
from portal.audit import AuditEntry
from portal.extensions import db
from portal.models import Person, Role, utcnow
from tests import factories as f

VERSION = "informatiebrief-2026-01"


def _decide(
    actor, person, domain, partner, status, *, case=None, at=None, purpose=Purpose.PLAN, **extra
):
    return record_decision(
        actor,
        person=person,
        domain=domain,
        recipient=partner,
        purpose=purpose,
        status=status,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=Channel.BEMOEIZORG_CONVERSATION,
        information_version=VERSION,
        effective_at=at,
        case=case,
        **extra,
    )


@dataclass
class Ledger:
    manager: object
    case_id: int
    person_id: int
    sibling_id: int
    events: dict
    sibling_event: int


@pytest.fixture
def ledger(seed) -> Ledger:
    """Mira has one grant withdrawn, one refusal, one grant that expired (on record) and one
    special-category grant in force; her brother Joost has one grant of his own."""
    with seed():
        talis = f.partner(name="Talis", code="talis")
        ggd = f.partner(name="GGD Gelderland-Zuid", code="ggd", professional_secrecy=True)
        manager = f.user(Role.CASE_MANAGER, talis)
        case = f.case(team=[talis, ggd], case_manager=manager)
        mira = f.person(case.household, given_name="Mira", family_name="de Vries")
        joost = f.person(case.household, given_name="Joost", family_name="Zonderland")
        wonen = f.domain(code="wonen", name_nl="Wonen", name_en="Housing")
        ggz = f.domain(
            code="ggz", name_nl="Gezondheid en GGZ", name_en="Health", special_category=True
        )
        schuld = f.domain(code="schuld", name_nl="Financiën en schulden", name_en="Debts")
        long_ago = utcnow() - timedelta(days=30)
        withdrawn_grant = _decide(
            manager, mira, wonen, talis, ConsentStatus.GIVEN, case=case, at=long_ago
        )
        withdrawal = withdraw_consent(
            manager,
            person=mira,
            domain=wonen,
            recipient=talis,
            purpose=Purpose.PLAN,
            recorded_by=RecordedBy.CASE_MANAGER,
            channel=Channel.IN_WRITING,
        )
        refusal = _decide(manager, mira, schuld, talis, ConsentStatus.REFUSED, case=case)
        expiring = _decide(
            manager,
            mira,
            schuld,
            ggd,
            ConsentStatus.GIVEN,
            case=case,
            at=long_ago,
            expires_at=long_ago + timedelta(days=1),
        )
        (expired,) = expire_due()
        special = _decide(manager, mira, ggz, ggd, ConsentStatus.GIVEN, case=case)
        theirs = _decide(
            manager, joost, ggz, talis, ConsentStatus.GIVEN, case=case, purpose=Purpose.OVERLAST
        )
        db.session.add(
            LegalBasisRecord(
                case_id=case.id,
                phase=5,
                partner_id=talis.id,
                domain_id=wonen.id,
                purpose=Purpose.REGIE,
                basis=Basis.PUBLIC_TASK,
                statute="Wmo 2015 art. 2.3.2",
                proportionality="Alleen wat nodig is voor de huurachterstand van Joost.",
                subsidiarity="Geen andere weg.",
                recorded_by_id=manager.id,
            )
        )
        made = Ledger(
            manager=manager,
            case_id=case.id,
            person_id=mira.id,
            sibling_id=joost.id,
            events={
                "withdrawn_grant": withdrawn_grant.id,
                "withdrawal": withdrawal.id,
                "refusal": refusal.id,
                "expiring": expiring.id,
                "expired": expired.id,
                "special": special.id,
            },
            sibling_event=theirs.id,
        )
    return made


def _all_events(document: dict) -> dict[str, dict]:
    return {
        event["dct:identifier"]: event
        for record in document["dct:hasPart"]
        for event in record["rt:consentEvents"]
    }


def _download(client, ledger: Ledger):
    response = client.get(f"/persons/{ledger.person_id}/consents/receipt.json")
    return response, json.loads(
        response.get_data(as_text=True)
    ) if response.status_code == 200 else None


def test_receipt_has_every_event_with_its_dpv_status(client, auth, ledger):
    auth.login(ledger.manager)
    response, document = _download(client, ledger)
    assert response.status_code == 200
    events = _all_events(document)
    expected = {
        "withdrawn_grant": "dpv:ConsentGiven",
        "withdrawal": "dpv:ConsentWithdrawn",
        "refusal": "dpv:ConsentRefused",
        "expiring": "dpv:ConsentGiven",
        "expired": "dpv:ConsentExpired",
        "special": "dpv:ConsentGiven",
    }
    assert {events[str(ledger.events[name])]["@type"] for name in expected} == set(
        expected.values()
    )
    for name, term in expected.items():
        assert events[str(ledger.events[name])]["@type"] == term, name
    assert len(events) == len(expected)


def test_receipt_header_controller_recipients_and_context(client, auth, ledger):
    auth.login(ledger.manager)
    response, document = _download(client, ledger)
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="toestemmingen-{ledger.person_id}.json"'
    )
    assert document["@context"]["dpv"] == "https://w3id.org/dpv#"
    assert document["@type"] == "dpv:ConsentReceipt"
    assert document["dct:conformsTo"] == "https://w3id.org/dpv/schema/dpv-27560#receipt-full"
    assert document["dct:identifier"] and document["dct:created"].endswith("Z")
    controller = document["dpv:hasDataController"]
    assert "dpv:DataController" in controller["@type"]
    assert controller["dpv:hasName"] == "College van burgemeester en wethouders van Nijmegen"
    assert {r["dpv:hasName"] for r in document["dpv:hasRecipient"]} == {
        "Talis",
        "GGD Gelderland-Zuid",
    }
    assert document["dpv:hasDataSubject"]["dpv:hasName"] == "Mira de Vries"
    assert [n["dct:identifier"] for n in document["dpv:hasNotice"]] == [VERSION]
    assert document["dpv:hasConsentControl"]["@type"] == "dpv:WithdrawConsent"


def test_each_record_names_purpose_data_recipient_basis_and_current_state(client, auth, ledger):
    auth.login(ledger.manager)
    _, document = _download(client, ledger)
    records = {
        (
            r["dpv:hasProcess"]["dpv:hasPersonalData"]["dct:identifier"],
            r["dpv:hasProcess"]["dpv:hasRecipient"]["dct:identifier"],
            r["dpv:hasProcess"]["dpv:hasPurpose"]["dct:identifier"],
        ): r
        for r in document["dct:hasPart"]
    }
    assert {key: r["dpv:hasConsentStatus"] for key, r in records.items()} == {
        ("wonen", "talis", "plan"): "dpv:ConsentWithdrawn",
        ("schuld", "talis", "plan"): "dpv:ConsentRefused",
        ("schuld", "ggd", "plan"): "dpv:ConsentExpired",
        ("ggz", "ggd", "plan"): "dpv:ConsentGiven",
    }
    special = records[("ggz", "ggd", "plan")]["dpv:hasProcess"]
    assert special["dpv:hasPersonalData"]["@type"] == ["dpv:SpecialCategoryPersonalData"]
    assert "eu-gdpr:A9-2-a" in special["dpv:hasLegalBasis"]
    ordinary = records[("wonen", "talis", "plan")]["dpv:hasProcess"]
    assert ordinary["dpv:hasPersonalData"]["@type"] == ["dpv:PersonalData"]
    assert ordinary["dpv:hasLegalBasis"] == [
        "dpv:Consent",
        "dpv:ExpressedConsent",
        "eu-gdpr:A6-1-a",
    ]
    assert ordinary["dpv:hasDataController"] == {"@id": "rt:controller"}
    # Events oldest first, each with when it took effect and how it was given.
    history = records[("wonen", "talis", "plan")]["rt:consentEvents"]
    assert [e["@type"] for e in history] == ["dpv:ConsentGiven", "dpv:ConsentWithdrawn"]
    assert history[0]["dpv:hasIndicationMethod"]["@id"] == "rt:channel:bemoeizorg_conversation"
    assert history[1]["dpv:hasIndicationMethod"]["@id"] == "rt:channel:in_writing"
    assert history[0]["dpv:hasNotice"]["@id"] == document["dpv:hasNotice"][0]["@id"]


def test_receipt_holds_no_data_of_other_persons(client, auth, ledger):
    auth.login(ledger.manager)
    response, document = _download(client, ledger)
    text = response.get_data(as_text=True)
    assert "Joost" not in text and "Zonderland" not in text
    assert str(ledger.sibling_event) not in _all_events(document)
    assert "overlast" not in {
        r["dpv:hasProcess"]["dpv:hasPurpose"]["dct:identifier"] for r in document["dct:hasPart"]
    }
    # The register's argued necessity may be about others: never in the receipt.
    assert "huurachterstand" not in text


def test_legal_bases_of_cases_in_scope_carry_their_dpv_terms(client, auth, seed, ledger):
    auth.login(ledger.manager)
    _, document = _download(client, ledger)
    (basis,) = document["rt:legalBasisRegister"]
    assert basis["dpv:hasLegalBasis"] == BASIS_TERMS[Basis.PUBLIC_TASK]
    assert "dpv:PublicInterest" in basis["dpv:hasLegalBasis"]
    assert basis["rt:statute"] == "Wmo 2015 art. 2.3.2"
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
    auth.login(desk)  # may look the person up, sees no case: no register in the receipt
    response, document = _download(client, ledger)
    assert response.status_code == 200
    assert document["rt:legalBasisRegister"] == []
    assert len(_all_events(document)) == 6


def test_every_basis_has_a_term():
    assert set(BASIS_TERMS) == set(Basis)
    assert BASIS_TERMS[Basis.CONSENT][0] == "dpv:Consent"
    assert BASIS_TERMS[Basis.VITAL_INTEREST][0] == "dpv:VitalInterest"
    assert BASIS_TERMS[Basis.LEGITIMATE_INTEREST][0] == "dpv:LegitimateInterest"


def test_download_is_audited_as_an_export(client, auth, seed, ledger):
    auth.login(ledger.manager)
    response, _ = _download(client, ledger)
    assert response.status_code == 200
    with seed():
        last = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (last.action, last.person_id, last.user_id) == (
            "export",
            ledger.person_id,
            ledger.manager.id,
        )


def test_download_is_refused_outside_scope(client, auth, seed, ledger):
    with seed():
        outsider = f.user(Role.CASE_MANAGER)
        f.case(case_manager=outsider)
        statistics = f.user(Role.STATISTICS)
        exports_before = db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "export")
        )
    auth.login(outsider)
    assert client.get(f"/persons/{ledger.person_id}/consents/receipt.json").status_code == 404
    assert client.get("/persons/999999/consents/receipt.json").status_code == 404
    auth.login(statistics)
    assert client.get(f"/persons/{ledger.person_id}/consents/receipt.json").status_code == 403
    auth.logout()
    assert client.get(f"/persons/{ledger.person_id}/consents/receipt.json").status_code == 302
    with seed():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "export")
            )
            == exports_before
        )


def test_receipt_without_http_for_a_minor_names_the_representative(ctx):
    partner = f.partner(name="Talis")
    case = f.case(team=[partner])
    parent = f.person(case.household, given_name="Anouk", family_name="Bos")
    child = f.person(
        case.household,
        given_name="Noor",
        family_name="Bos",
        birth_date=utcnow().date() - timedelta(days=365 * 10),
        legal_representative=parent,
    )
    _decide(None, child, f.domain(), partner, ConsentStatus.GIVEN, representative=parent)
    document = build_receipt(child, now=datetime(2030, 1, 1, tzinfo=UTC), receipt_id="r-1")
    (record,) = document["dct:hasPart"]
    (event,) = record["rt:consentEvents"]
    assert event["dpv:isIndicatedBy"]["@type"] == "dpv:GuardianOfDataSubject"
    assert event["dpv:isIndicatedBy"]["dpv:hasName"] == "Anouk Bos"
    assert document["@id"] == "urn:uuid:r-1" and document["dct:created"] == "2030-01-01T00:00:00Z"
    # Stable identifiers: the same record id in every receipt of this person.
    again = build_receipt(child)
    assert again["dct:hasPart"][0]["@id"] == record["@id"]
    assert again["dct:identifier"] != document["dct:identifier"]
    assert db.session.get(Person, child.id) is child

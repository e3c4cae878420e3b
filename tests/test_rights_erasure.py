"""The right to erasure (AVG art. 17), with the rule of requests/erasure.py: an open case, or one
closed less than a year ago, keeps its process data; the entries about the person in an older
closed case go; the rest of the file goes only when no case is kept any more (names anonymised,
consent events deleted in bulk); the requests and their letters stay as the record, except the
access reports that copy the data. Erased text is gone from every table and from every letter that
stays; the audit trail keeps ids only and its chain still verifies; the partners are told."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from consent import operations as ledger
from consent.models import (
    Basis,
    ConsentEvent,
    ConsentStatus,
    LegalBasisRecord,
    Purpose,
    RecordedBy,
    ReuseApproval,
    ReuseStatus,
)
from consent.models import Channel as ConsentChannel
from portal import audit
from portal.extensions import db
from portal.letters import content
from portal.letters import operations as letter_ops
from portal.letters.models import AccessCode, Letter, LetterKind
from portal.models import CaseEntry, EntryKind, Household, Person, Role, utcnow
from portal.notices import PartnerNotice
from portal.operations import RuleViolation, reveal_bsn
from requests import access_report, deadlines, erasure
from requests import operations as ops
from requests.letters import letters_of
from requests.models import Channel, IdentityMethod, Outcome, PrivacyRequest, RequestType

TODAY = date(2026, 3, 20)
OLD_SECRET = "OUD-GEHEIM-1"  # about the person, in a case closed more than a year ago
SHARED_SECRET = "HUISHOUDEN-GEHEIM-2"  # about the household, same case
RECENT_SECRET = "RECENT-GEHEIM-3"  # in a case closed less than a year ago
OPEN_SECRET = "OPEN-GEHEIM-4"  # in an open case


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(deadlines, "today", lambda: TODAY)
    return TODAY


def text_of(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _entry(case, author, domain, text, person=None):
    entry = CaseEntry(
        case_id=case.id,
        kind=EntryKind.PROGRESS,
        domain_id=domain.id,
        source_partner_id=author.partner_id,
        author_id=author.id,
        person_id=person.id if person else None,
        text=text,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def build_world(*, open_case: bool, recent_case: bool = False, alone: bool = True):
    from tests import factories as f

    talis = f.partner(name="Talis", contact_email="regieteam@talis.example")
    desk = f.user(Role.PRIVACY_DESK)
    regisseur = f.user(Role.PROCESREGISSEUR)
    domain = f.domain()
    household = f.household(street="Geheimstraat", house_number="9")
    noor = f.person(
        household,
        given_name="Noortje",
        family_name="Uniekenaam",
        bsn="999990020",
        email="noortje@example.org",
    )
    sibling = None if alone else f.person(household, given_name="Sem", family_name="Anders")
    old = f.case(
        procesregisseur=regisseur,
        household_obj=household,
        team=[talis],
        phase=8,
        opened_on=date(2023, 5, 1),
        closed_on=date(2025, 1, 10),
    )
    _entry(old, regisseur, domain, OLD_SECRET, noor)
    _entry(old, regisseur, domain, SHARED_SECRET)
    db.session.add(
        LegalBasisRecord(
            case_id=old.id,
            phase=5,
            partner_id=talis.id,
            domain_id=domain.id,
            purpose=Purpose.PLAN,
            basis=Basis.PUBLIC_TASK,
            statute="Wmo 2015 art. 2.3.1",
            proportionality="BASIS-GEHEIM-5",
            subsidiarity="Geen lichter middel",
            recorded_by_id=regisseur.id,
        )
    )
    cases = {"old": old}
    if recent_case:
        cases["recent"] = f.case(
            procesregisseur=regisseur,
            household_obj=household,
            team=[talis],
            phase=8,
            opened_on=date(2025, 2, 1),
            closed_on=date(2025, 12, 1),
        )
        _entry(cases["recent"], regisseur, domain, RECENT_SECRET, noor)
    if open_case:
        cases["open"] = f.case(procesregisseur=regisseur, household_obj=household, team=[talis])
        _entry(cases["open"], regisseur, domain, OPEN_SECRET, noor)
    ledger.record_decision(
        regisseur,
        person=noor,
        domain=domain,
        recipient=talis,
        purpose=Purpose.PLAN,
        status=ConsentStatus.GIVEN,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=ConsentChannel.BEMOEIZORG_CONVERSATION,
        information_version="informatiebrief-2026-01",
        effective_at=utcnow() - timedelta(days=400),
        case=old,
        note="TOESTEMMING-GEHEIM-6",
    )
    db.session.add(
        ReuseApproval(
            case_id=old.id,
            person_id=noor.id,
            domain_id=domain.id,
            source_partner_id=talis.id,
            user_partner_id=f.partner().id,
            own_task="HERGEBRUIK-GEHEIM-7",
            status=ReuseStatus.APPROVED,
            requested_by_id=regisseur.id,
            decided_at=utcnow(),
            decided_by_id=regisseur.id,
        )
    )
    # A letter outside any request, with a sign-in code.
    letter_ops.send_letter(
        regisseur,
        content.restriction(
            noor,
            right="access",
            ground="vital_interest",
            since=TODAY,
            review_on=TODAY + timedelta(days=9),
        ),
        with_access_code=True,
    )
    # An earlier access request, answered with the report: a copy of the data.
    earlier = _register(desk, noor, RequestType.ACCESS)
    access_report.send_access_report(desk, earlier, version=earlier.version_id)
    ops.decide_request(desk, earlier, version=earlier.version_id, outcome=Outcome.GRANTED)
    request = _register(desk, noor, RequestType.ERASURE, description="Wis alles over mij")
    return dict(
        desk=desk, noor=noor, sibling=sibling, cases=cases, talis=talis, request=request,
        earlier=earlier, household=household,
    )  # fmt: skip


def _register(desk, person, kind, description=None):
    request = ops.register_request(
        desk,
        person=person,
        type=kind,
        channel=Channel.LETTER,
        received_on=date(2026, 3, 2),
        description=description,
        identity_method=IdentityMethod.DESK_ID_DOCUMENT_SEEN,
    )
    return ops.start_processing(desk, request, version=request.version_id)


def erase(world):
    request = world["request"]
    return erasure.carry_out_erasure(world["desk"], request, version=request.version_id)


def every_stored_text(*, letters: bool) -> str:
    """Every value in every table, decrypted where it is encrypted (and the BSNs); with `letters`
    also the text of every letter that is kept."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)).all():
            parts += [str(value) for value in row if not isinstance(value, bytes | memoryview)]
    for person in db.session.scalars(sa.select(Person)):
        parts.append(str(reveal_bsn(person)))
    if letters:
        for letter in db.session.scalars(sa.select(Letter)):
            parts.append(text_of(letter.pdf))
    return "\n".join(parts)


# --- the rule -------------------------------------------------------------------------------------


def test_the_plan_keeps_open_and_recent_cases_and_says_why(ctx):
    world = build_world(open_case=True, recent_case=True, alone=False)
    plan = erasure.plan_for(world["noor"])
    assert not plan.whole_file and not plan.only_member
    going = {item.what: item.count for item in plan.going()}
    assert going == {"entries": 1, "access_reports": 1}
    staying = {(item.what, item.reason, item.case) for item in plan.staying()}
    assert ("entries", "case_open", world["cases"]["open"].reference) in staying
    assert ("entries", "case_recently_closed", world["cases"]["recent"].reference) in staying
    assert ("household_entries", "household_shared", None) in staying
    assert ("consents", "proof_of_consent", None) in staying
    assert ("person", "needed_for_kept_case", None) in staying
    assert ("requests", "record_of_decisions", None) in staying
    recent = next(item for item in plan.staying() if item.reason == "case_recently_closed")
    assert recent.until == date(2026, 12, 1)  # a year after closing


def test_a_case_closed_a_year_ago_is_no_longer_kept(ctx):
    world = build_world(open_case=False, recent_case=True)
    recent = world["cases"]["recent"]
    assert erasure.case_is_kept(recent, date(2026, 11, 30))
    assert not erasure.case_is_kept(recent, date(2026, 12, 1))


def test_erasing_with_a_case_still_kept_removes_only_the_old_entries(ctx):
    world = build_world(open_case=True, alone=False)
    erase(world)
    texts = set(db.session.scalars(sa.select(CaseEntry.text)))
    assert OLD_SECRET not in texts
    assert {SHARED_SECRET, OPEN_SECRET} <= texts  # the household's, and the open case's
    noor = db.session.get(Person, world["noor"].id)
    assert noor.family_name == "Uniekenaam"  # the file stays: the open case needs the NAW data
    assert f_count(ConsentEvent) == 1 and f_count(ReuseApproval) == 1
    kinds = {letter.kind for letter in db.session.scalars(sa.select(Letter))}
    assert LetterKind.ACCESS_REPORT not in kinds  # it copied the erased entry
    assert LetterKind.RESTRICTION in kinds  # the rest of the file stays


def test_erasing_the_whole_file_removes_and_anonymises_everything_that_may_go(ctx):
    world = build_world(open_case=False)
    plan = erase(world)
    assert plan.whole_file and plan.only_member
    noor = db.session.get(Person, world["noor"].id)
    assert (noor.given_name, noor.family_name, noor.birth_date, noor.email) == (
        erasure.ERASED,
        erasure.ERASED,
        None,
        None,
    )
    assert reveal_bsn(noor) is None and noor.bsn_hash is None
    household = db.session.get(Household, world["household"].id)
    assert household.street == erasure.ERASED and household.postcode == ""
    for model in (CaseEntry, ConsentEvent, ReuseApproval, LegalBasisRecord, AccessCode):
        assert f_count(model) == 0, model
    kept = db.session.scalars(sa.select(Letter)).all()
    assert kept and all(letter.request_reference for letter in kept)  # the record of decisions
    assert LetterKind.ACCESS_REPORT not in {letter.kind for letter in kept}
    assert f_count(PrivacyRequest) == 2  # the requests stay

    everything = every_stored_text(letters=True)
    for secret in [
        OLD_SECRET,
        SHARED_SECRET,
        "BASIS-GEHEIM-5",
        "TOESTEMMING-GEHEIM-6",
        "HERGEBRUIK-GEHEIM-7",
        "999990020",
        "noortje@example.org",
    ]:
        assert secret not in everything, secret
    # Name and address stay only in the letters kept as the record of the decisions.
    tables = every_stored_text(letters=False)
    for naw in ("Noortje", "Uniekenaam", "Geheimstraat"):
        assert naw not in tables, naw


def test_the_audit_trail_keeps_no_erased_data_and_still_verifies(ctx):
    world = build_world(open_case=False)
    erase(world)
    assert audit.verify_chain() is None
    entries = db.session.scalars(sa.select(audit.AuditEntry)).all()
    deletes = [entry for entry in entries if entry.action == "delete"]
    assert {entry.object_type for entry in deletes} >= {"case_entry", "consent_event"}
    for entry in entries:
        for secret in (OLD_SECRET, "Uniekenaam", "Noortje", "999990020"):
            assert secret not in entry.purpose
            assert secret not in (entry.on_behalf_of or "")


def test_the_partners_are_told_without_a_name(ctx):
    world = build_world(open_case=False)
    erase(world)
    told = db.session.scalars(
        sa.select(PartnerNotice).where(PartnerNotice.kind == "data_erased")
    ).all()
    assert [notice.partner_id for notice in told] == [world["talis"].id]
    assert told[0].person_id is None and "AVG art. 19" in told[0].body


def test_the_decision_letter_says_what_went_and_what_stayed(ctx):
    world = build_world(open_case=True, alone=False)
    erase(world)
    request = world["request"]
    ops.decide_request(
        world["desk"],
        request,
        version=request.version_id,
        outcome=Outcome.PARTLY_GRANTED,
        reasons="Een deel moet blijven.",
    )
    text = text_of(letters_of(request)[-1].pdf)
    assert "Wij hebben 1 gegevens over u uit afgesloten casussen gewist." in text
    assert "de casus loopt nog" in text and world["cases"]["open"].reference in text
    assert "andere leden van uw huishouden" in text
    assert "Uw verzoeken en onze brieven daarover blijven bewaard" in text
    for secret in (OLD_SECRET, OPEN_SECRET):
        assert secret not in text


def test_nothing_to_erase_is_refused_with_the_reasons(ctx):
    world = build_world(open_case=True, alone=False)
    erase(world)
    with pytest.raises(RuleViolation) as refused:
        erase(world)
    assert refused.value.code == "nothing_to_erase"


def test_erasure_needs_an_erasure_request_in_progress(ctx):
    world = build_world(open_case=False)
    earlier = world["earlier"]
    with pytest.raises(RuleViolation) as refused:
        erasure.carry_out_erasure(world["desk"], earlier, version=earlier.version_id)
    assert refused.value.code == "wrong_right"
    assert OLD_SECRET in set(db.session.scalars(sa.select(CaseEntry.text)))


def f_count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- the page -------------------------------------------------------------------------------------


def test_the_desk_sees_the_plan_and_erases(client, auth, seed):
    with seed():
        world = build_world(open_case=True, alone=False)
        request_id, desk = world["request"].id, world["desk"]
        open_reference = world["cases"]["open"].reference
    auth.login(desk)
    page = client.get(f"/requests/{request_id}/erasure").get_data(as_text=True)
    assert 'data-what="entries"' in page and "De casus loopt nog" in page
    assert open_reference in page and OLD_SECRET not in page  # counts, not the data
    version = page.split('name="erase-version" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/requests/{request_id}/erasure", data={"erase-version": version})
    assert response.status_code == 302
    with client.application.app_context():
        assert OLD_SECRET not in set(db.session.scalars(sa.select(CaseEntry.text)))
    page = client.get(f"/requests/{request_id}/erasure").get_data(as_text=True)
    assert "Er is nu niets dat gewist kan worden" in page and "al gewist" in page
    again = client.post(f"/requests/{request_id}/erasure", data={"erase-version": version})
    assert again.status_code == 422

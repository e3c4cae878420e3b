"""The right of access (AVG art. 15; Privacyreglement, *Rechten van betrokkene*): the report holds
every category of personal data about the person in the portal, with purposes, categories (special
categories flagged), recipients, retention and source - and no one else's data. As JSON and as the
access-report letter (PDF, stored as a letter); compiling it is an audited export."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from consent import operations as ledger
from consent.models import (
    Basis,
    ConsentStatus,
    LegalBasisRecord,
    Purpose,
    RecordedBy,
    ReuseApproval,
    ReuseStatus,
)
from consent.models import Channel as ConsentChannel
from portal import access as portal_access
from portal.audit import AuditEntry
from portal.extensions import db
from portal.letters.models import LetterKind
from portal.models import CaseEntry, Decision, EntryKind, Participation, Role, utcnow
from portal.operations import RuleViolation
from requests import access_report, deadlines, right_restriction
from requests import operations as ops
from requests.models import (
    Channel,
    EventKind,
    IdentityMethod,
    Outcome,
    RequestType,
    RightRestrictionGround,
)
from tests import factories as f

TODAY = date(2026, 3, 20)
# What belongs to others: none of it may appear in the report.
NEIGHBOUR = ["Kwast", "BUURMAN-GEHEIM-42", "buurman@example.org", "999990019"]
SIBLING_ENTRY = "ZUSJE-GEHEIM-77"
EMPLOYEE = "Medewerker Unieknaam"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(deadlines, "today", lambda: TODAY)
    return TODAY


def text_of(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _entry(case, author, domain, text, person=None, source=None):
    """An entry written directly, so that closed cases can hold one too."""
    entry = CaseEntry(
        case_id=case.id,
        kind=EntryKind.PROGRESS,
        domain_id=domain.id,
        source_partner_id=(source or author.partner).id,
        author_id=author.id,
        person_id=person.id if person else None,
        text=text,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def build_world():
    talis = f.partner(name="Talis", code="talis")
    propersona = f.partner(name="Pro Persona", code="propersona", professional_secrecy=True)
    gemeente = f.partner(name="Gemeente Nijmegen", code="gemeente", is_municipal=True)
    wonen = f.domain(name_nl="Wonen", name_en="Housing")
    ggz = f.domain(name_nl="Gezondheid en GGZ", name_en="Health", special_category=True)
    regisseur = f.user(Role.PROCESREGISSEUR, gemeente, name=EMPLOYEE)
    desk = f.user(Role.PRIVACY_DESK, gemeente)

    household = f.household(street="Bremstruikstraat", house_number="22", postcode="6535VR")
    noor = f.person(
        household,
        given_name="Noor",
        family_name="Visser",
        birth_date=date(1983, 6, 21),
        bsn="999990020",
        email="noor@example.org",
    )
    sibling = f.person(household, given_name="Sem", family_name="Visser")
    case = f.case(
        procesregisseur=regisseur,
        household_obj=household,
        team=[talis, propersona, gemeente],
        reference="RT-2026-0007",
    )
    closed = f.case(
        procesregisseur=regisseur,
        household_obj=household,
        team=[talis],
        reference="RT-2024-0003",
        phase=8,
        opened_on=date(2024, 2, 1),
        closed_on=date(2025, 1, 10),
    )
    _entry(case, regisseur, ggz, "Somber, behandeling gestart.", noor, propersona)
    _entry(case, regisseur, wonen, "Huurachterstand van vier maanden.", None, talis)
    _entry(case, regisseur, wonen, SIBLING_ENTRY, sibling, talis)
    _entry(closed, regisseur, wonen, "Eerdere schuldregeling afgerond.", noor, gemeente)
    ledger.record_decision(
        regisseur,
        person=noor,
        domain=wonen,
        recipient=talis,
        purpose=Purpose.PLAN,
        status=ConsentStatus.GIVEN,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=ConsentChannel.BEMOEIZORG_CONVERSATION,
        information_version="informatiebrief-2026-01",
        effective_at=utcnow() - timedelta(days=20),
        case=case,
    )
    ledger.record_decision(
        regisseur,
        person=noor,
        domain=ggz,
        recipient=talis,
        purpose=Purpose.PLAN,
        status=ConsentStatus.REFUSED,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=ConsentChannel.BEMOEIZORG_CONVERSATION,
        information_version="informatiebrief-2026-01",
        effective_at=utcnow() - timedelta(days=20),
        case=case,
    )
    db.session.add(
        LegalBasisRecord(
            case_id=case.id,
            phase=5,
            partner_id=gemeente.id,
            domain_id=wonen.id,
            purpose=Purpose.REGIE,
            basis=Basis.PUBLIC_TASK,
            statute="Wmo 2015 art. 2.3.1",
            proportionality="Zonder huisbezoek geen zicht op de woning.",
            subsidiarity="Een brief werkte niet.",
            recorded_by_id=regisseur.id,
        )
    )
    db.session.add(
        ReuseApproval(
            case_id=case.id,
            person_id=noor.id,
            domain_id=wonen.id,
            source_partner_id=talis.id,
            user_partner_id=gemeente.id,
            own_task="Schuldhulp",
            status=ReuseStatus.APPROVED,
            requested_by_id=regisseur.id,
            decided_at=utcnow(),
            decided_by_id=regisseur.id,
        )
    )
    # Who looked: the procesregisseur read Noor's page and the case.
    portal_access.record_read(regisseur, purpose="betrokkene inzien", person=noor)
    portal_access.record_read(regisseur, purpose="casus inzien", case=case)

    # The neighbour: another household, full of data that must stay out.
    other_household = f.household(street="Andere straat", house_number="1")
    neighbour = f.person(
        other_household,
        given_name="Bas",
        family_name="Kwast",
        bsn="999990019",
        email="buurman@example.org",
    )
    other_case = f.case(
        procesregisseur=regisseur,
        household_obj=other_household,
        team=[f.partner(name="Portaal", participation=Participation.CORE)],
    )
    _entry(other_case, regisseur, ggz, "BUURMAN-GEHEIM-42", neighbour)
    portal_access.record_read(regisseur, purpose="betrokkene inzien", person=neighbour)
    ops.register_request(
        desk,
        person=neighbour,
        type=RequestType.ERASURE,
        channel=Channel.LETTER,
        received_on=date(2026, 3, 3),
        description="BUURMAN-GEHEIM-42 wissen",
    )

    # An earlier request of Noor's, and the access request being carried out.
    earlier = ops.register_request(
        desk,
        person=noor,
        type=RequestType.OBJECTION,
        channel=Channel.LETTER,
        received_on=date(2026, 3, 2),
        description="Geen huisbezoeken meer",
        identity_method=IdentityMethod.DIGID,
    )
    ops.start_processing(desk, earlier, version=earlier.version_id)
    ops.decide_request(
        desk, earlier, version=earlier.version_id, outcome=Outcome.REFUSED, reasons="Nodig"
    )
    request = ops.register_request(
        desk,
        person=noor,
        type=RequestType.ACCESS,
        channel=Channel.LETTER,
        received_on=date(2026, 3, 9),
        identity_method=IdentityMethod.DESK_ID_DOCUMENT_SEEN,
    )
    ops.start_processing(desk, request, version=request.version_id)
    return dict(desk=desk, noor=noor, request=request, case=case, closed=closed, earlier=earlier)


# --- the report -----------------------------------------------------------------------------------


def test_the_report_holds_every_category_about_the_person(ctx):
    world = build_world()
    report = access_report.compile_report(world["request"])

    person = report["person"]
    assert (person["given_name"], person["family_name"]) == ("Noor", "Visser")
    assert (person["birth_date"], person["bsn"], person["email"]) == (
        "1983-06-21",
        "999990020",
        "noor@example.org",
    )
    assert person["household"]["street"] == "Bremstruikstraat"
    cases = {case["reference"]: case for case in report["cases"]}
    assert cases["RT-2026-0007"]["phase"] == 5
    assert cases["RT-2026-0007"]["team"] == ["Gemeente Nijmegen", "Pro Persona", "Talis"]
    assert cases["RT-2026-0007"]["retention_until"] is None
    assert cases["RT-2024-0003"]["retention_until"] == "2040-01-10"  # fifteen years after closing
    entries = {entry["text"]: entry for entry in report["entries"]}
    assert set(entries) == {
        "Somber, behandeling gestart.",
        "Huurachterstand van vier maanden.",
        "Eerdere schuldregeling afgerond.",
    }
    health = entries["Somber, behandeling gestart."]
    assert health["source"] == "Pro Persona" and health["domain"]["special_category"] is True
    assert entries["Huurachterstand van vier maanden."]["about"] == "over het hele huishouden"
    assert [(c["status"], c["recipient"]) for c in report["consents"]] == [
        ("gegeven", "Talis"),
        ("geweigerd", "Talis"),
    ]
    [basis] = report["legal_bases"]
    assert (basis["basis"], basis["statute"]) == ("Een taak uit de wet", "Wmo 2015 art. 2.3.1")
    assert report["reuse_approvals"][0]["used_by"] == "Gemeente Nijmegen"
    assert [r["reference"] for r in report["requests"]] == [
        world["earlier"].reference,
        world["request"].reference,
    ]
    assert {letter["kind"] for letter in report["letters"]} >= {"ontvangstbevestiging", "besluit"}
    # Who accessed: organisation, role, purpose and moment - never the employee.
    reads = [row for row in report["access_log"] if row["purpose"] == "betrokkene inzien"]
    assert reads and reads[0]["organisation"] == "Gemeente Nijmegen"
    assert reads[0]["role"] == "procesregisseur" and reads[0]["action"] == "bekeken"
    assert any(row["purpose"] == "casus inzien" for row in report["access_log"])
    # AVG art. 15(1): purposes, categories, recipients, retention, source.
    assert len(report["purposes"]) >= 3
    categories = {row["name"]: row for row in report["categories"]}
    assert categories["Gezondheid en GGZ"]["special_category"] is True
    assert categories["Wonen"]["special_category"] is False
    assert {row["name"] for row in report["recipients"]} == {
        "Gemeente Nijmegen",
        "Pro Persona",
        "Talis",
    }
    assert "vijftien jaar" in report["retention"]["rule"]
    assert {"Pro Persona", "Talis", "Gemeente Nijmegen"} <= set(report["sources"])


def test_the_report_holds_no_one_elses_data(ctx):
    world = build_world()
    desk, request = world["desk"], world["request"]
    exported = access_report.export_json(desk, request)
    letter = access_report.send_access_report(desk, request, version=request.version_id)
    pdf_text = text_of(letter.pdf)
    for foreign in [*NEIGHBOUR, SIBLING_ENTRY, EMPLOYEE]:
        assert foreign not in exported, foreign
        assert foreign not in pdf_text, foreign
    # The statements above can fail: the person's own data is in both.
    for own in ["Visser", "Somber, behandeling gestart.", "999990020"]:
        assert own in exported and own in pdf_text
    assert json.loads(exported)["request"]["reference"] == request.reference


def test_the_letter_shows_the_report_with_every_section(ctx):
    world = build_world()
    request = world["request"]
    letter = access_report.send_access_report(world["desk"], request, version=request.version_id)
    assert (letter.kind, letter.request_reference) == (LetterKind.ACCESS_REPORT, request.reference)
    assert letter.template_version == "inzage-2026-02"
    text = text_of(letter.pdf)
    for phrase in [
        "Het overzicht van uw gegevens",
        "Bremstruikstraat 22",
        "21 juni 1983",
        "RT-2026-0007",
        "bijzonder persoonsgegeven",
        "bron: Pro Persona",
        "Uw toestemmingen",
        "Wmo 2015 art. 2.3.1",
        "Wie heeft uw gegevens bekeken",
        "Waarvoor gebruiken wij uw gegevens",
        "Welke soorten gegevens",
        "Wie krijgen uw gegevens",
        "10 januari 2040",
        "Van wie hebben wij de gegevens",
        "artikel 34 Uitvoeringswet AVG",  # the cover letter: a besluit
    ]:
        assert phrase in text, phrase


def test_the_letter_is_tagged_for_screen_readers(ctx):
    world = build_world()
    request = world["request"]
    letter = access_report.send_access_report(world["desk"], request, version=request.version_id)
    root = PdfReader(BytesIO(letter.pdf)).trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert root["/Lang"] == "nl"


def test_compiling_is_an_audited_export_and_carries_out_the_right(ctx):
    world = build_world()
    desk, request = world["desk"], world["request"]
    access_report.send_access_report(desk, request, version=request.version_id)
    exports = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "export", AuditEntry.object_type == "privacy_request"
        )
    ).all()
    assert [(entry.person_id, entry.user_id) for entry in exports] == [(request.person_id, desk.id)]
    assert [e.kind for e in request.events][-1] is EventKind.ACCESS_REPORT_SENT
    ops.decide_request(desk, request, version=request.version_id, outcome=Outcome.GRANTED)


@pytest.mark.parametrize("state", ["received", "decided", "restricted", "wrong_right"])
def test_the_report_is_compiled_only_for_an_access_request_in_progress(ctx, state):
    world = build_world()
    desk, request = world["desk"], world["request"]
    if state == "received":
        request = ops.register_request(
            desk,
            person=world["noor"],
            type=RequestType.ACCESS,
            channel=Channel.LETTER,
            received_on=TODAY,
        )
    elif state == "decided":
        ops.decide_request(
            desk, request, version=request.version_id, outcome=Outcome.REFUSED, reasons="Nee"
        )
    elif state == "restricted":
        right_restriction.restrict_right(
            desk,
            request,
            version=request.version_id,
            ground=RightRestrictionGround.VITAL_INTEREST,
            motivation="Gevaar",
            inform_by=TODAY + timedelta(days=7),
        )
    else:
        request = world["earlier"]
    with pytest.raises(RuleViolation) as refused:
        access_report.send_access_report(desk, request, version=request.version_id)
    assert refused.value.code in {"not_in_progress", "right_restricted", "wrong_right"}
    with pytest.raises(RuleViolation):
        access_report.export_json(desk, request)


def test_a_long_access_log_is_summarised_in_the_letter(ctx):
    rows = [
        {
            "at": f"2026-03-{day:02d}T10:00:00+00:00",
            "organisation": "Talis",
            "role": "teamlid",
            "action": "bekeken",
            "purpose": "casus inzien",
        }
        for day in range(1, 21)
    ]
    [summary] = access_report.access_summary(rows)
    assert (summary["times"], summary["first"][:10], summary["last"][:10]) == (
        20,
        "2026-03-01",
        "2026-03-20",
    )


def test_report_dates_are_iso_in_json_and_words_in_the_letter(ctx):
    shown = access_report.for_letter(
        {"cases": [{"closed_on": "2025-01-10", "reference": "RT-1"}]}, "nl"
    )
    assert shown == {"cases": [{"closed_on": "10 januari 2025", "reference": "RT-1"}]}
    moment = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    assert access_report._iso(moment) == "2026-03-09T23:30:00+00:00"


# --- the pages ----------------------------------------------------------------------------------


def test_the_desk_previews_downloads_and_sends_the_report(client, auth, seed):
    with seed():
        world = build_world()
        request_id, person_id = world["request"].id, world["noor"].id
        desk = world["desk"]
    auth.login(desk)
    page = client.get(f"/requests/{request_id}")
    assert "Overzicht bekijken en versturen" in page.get_data(as_text=True)
    preview = client.get(f"/requests/{request_id}/access-report")
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Somber, behandeling gestart." in body
    assert "BUURMAN-GEHEIM-42" not in body
    download = client.get(f"/requests/{request_id}/access-report.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.json["person"]["family_name"] == "Visser"
    version = body.split('name="report-version" type="hidden" value="')[1].split('"')[0]
    sent = client.post(f"/requests/{request_id}/access-report", data={"report-version": version})
    assert sent.status_code == 302
    with client.application.app_context():
        exports = db.session.scalars(
            sa.select(AuditEntry.purpose).where(
                AuditEntry.action == "export", AuditEntry.person_id == person_id
            )
        ).all()
    assert "inzageoverzicht samengesteld (AVG art. 15)" in exports
    assert "inzageoverzicht verstuurd (AVG art. 15)" in exports
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Inzage: begeleidende brief" in page  # the letter on the request page
    stale = client.post(f"/requests/{request_id}/access-report", data={"report-version": version})
    assert stale.status_code == 422 and "Iemand anders" in stale.get_data(as_text=True)


def test_the_access_pages_do_not_exist_for_another_right(client, auth, seed):
    with seed():
        world = build_world()
        other_id = world["earlier"].id
        desk = world["desk"]
    auth.login(desk)
    assert client.get(f"/requests/{other_id}/access-report").status_code == 404
    assert client.get(f"/requests/{other_id}/access-report.json").status_code == 404
    assert client.get(f"/requests/{other_id}/erasure").status_code == 404
    assert client.get(f"/requests/{other_id}/rectify").status_code == 404


def test_a_report_for_a_finished_request_is_refused_with_a_message(client, auth, seed):
    with seed():
        world = build_world()
        request = world["request"]
        ops.decide_request(
            world["desk"], request, version=request.version_id, outcome=Outcome.REFUSED,
            reasons="Nee",
        )  # fmt: skip
        request_id, desk = request.id, world["desk"]
    auth.login(desk)
    response = client.get(f"/requests/{request_id}/access-report", follow_redirects=True)
    assert "in behandeling is" in response.get_data(as_text=True)
    assert client.get(f"/requests/{request_id}/access-report.json").status_code == 404


def test_decision_of_the_case_is_named(ctx):
    world = build_world()
    world["case"].decision = Decision.SCALE_UP
    report = access_report.compile_report(world["request"])
    assert report["cases"][-1]["decision"] == "opgeschaald"

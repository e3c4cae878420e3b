"""A household in the citizen portal, in a real headless Chromium: sign in with the code from a
letter, withdraw a consent and see the check deny it at once; file an access request; a parent
sees a child's consents and not a neighbour's (404). axe-core (WCAG 2.1 AA) runs on every citizen
page of consents, requests and letters; at 320 CSS pixels none scrolls sideways (WCAG 1.4.10).

Privacyprotocol art. 2, *Toestemming sub 1*: consent "altijd weer intrekken"; further processing
stops, what went before stays lawful. Privacyprotocol art. 5: the person may ask for access.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from consent import operations as ledger
from consent.check import may
from consent.models import Channel, ConsentStatus, Purpose, RecordedBy
from portal.extensions import db
from portal.letters import access_codes
from portal.models import DataDomain, Partner, Person, Role, utcnow
from requests import deadlines
from requests.models import Channel as RequestChannel
from requests.models import IdentityMethod, PrivacyRequest, RequestType
from tests import factories as f
from tests.browser.axe import assert_accessible
from tests.browser.test_staff_journey import _assert_csp, _track_documents

pytestmark = pytest.mark.browser

NOT_FOUND = "Deze pagina bestaat niet, of u heeft er geen toegang toe."


def _give(person, domain, partner, case, manager, representative=None):
    return ledger.record_decision(
        manager,
        person=person,
        domain=domain,
        recipient=partner,
        purpose=Purpose.PLAN,
        status=ConsentStatus.GIVEN,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=Channel.BEMOEIZORG_CONVERSATION,
        information_version="informatiebrief-2026-01",
        effective_at=utcnow() - timedelta(days=30),
        case=case,
        representative=representative,
    )


@pytest.fixture
def household(committed) -> dict:
    """A parent with a child below 16, a neighbour with a child; no email addresses, so nothing
    tries to reach a mail server. Each test gets its own one-time codes."""
    with committed():
        talis = f.partner(name="Talis")
        sterker = f.partner(name="Sterker Sociaal Werk")
        manager = f.user(Role.CASE_MANAGER, sterker)
        home = f.household()
        parent = f.person(home, given_name="Noor", family_name="Visser")
        child = f.person(
            home,
            given_name="Daan",
            family_name="Visser",
            birth_date=date.today() - timedelta(days=365 * 10),
            legal_representative=parent,
        )
        neighbour_home = f.household()
        neighbour = f.person(neighbour_home, given_name="Bram", family_name="Buur")
        neighbours_child = f.person(
            neighbour_home,
            given_name="Lot",
            family_name="Buur",
            birth_date=date.today() - timedelta(days=365 * 8),
            legal_representative=neighbour,
        )
        case = f.case(household_obj=home, team=[talis, sterker], case_manager=manager)
        other = f.case(household_obj=neighbour_home, team=[talis])
        wonen = f.domain(name_nl="Wonen", name_en="Housing")
        geld = f.domain(name_nl="Financiën en schulden", name_en="Finances and debts")
        _give(parent, wonen, talis, case, manager)
        _give(parent, geld, talis, case, manager)
        _give(child, wonen, talis, case, manager, representative=parent)
        _give(neighbours_child, wonen, talis, other, None, representative=neighbour)
        data = dict(
            parent=parent.id,
            child=child.id,
            neighbours_child=neighbours_child.id,
            talis=talis.id,
            wonen=wonen.id,
            geld=geld.id,
            code=access_codes.issue_code(parent, actor=None).code,
        )
    return data


def _sign_in_with_code(page: Page, code: str) -> None:
    page.goto("/mijn/code")
    page.get_by_label("Code van uw brief").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(re.compile(r"/mijn(#main)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn overzicht")


def _fits_320(page: Page, what: str) -> None:
    """WCAG 1.4.10 Reflow: the page as it is, at 320 CSS pixels, without horizontal scroll."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    page.reload()
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= 320, f"{what} scrolls sideways at 320 px ({scroll_width} px)"
    page.set_viewport_size(size)


def _check(page: Page, what: str) -> None:
    assert_accessible(page, what)
    _fits_320(page, what)


def _may(app, ids, person_key="parent", domain_key="wonen", at=None):
    with app.app_context():
        result = may(
            db.session.get(Partner, ids["talis"]),
            db.session.get(Person, ids[person_key]),
            db.session.get(DataDomain, ids[domain_key]),
            Purpose.PLAN,
            at=at,
        )
        db.session.remove()
    return result


def test_a_person_withdraws_a_consent_and_the_check_denies_it_at_once(app, open_page, household):
    page = open_page()
    documents = _track_documents(page)
    assert _may(app, household).permitted
    _sign_in_with_code(page, household["code"])

    own = page.get_by_role("region", name="Over uzelf")
    own.get_by_role("link", name="Mijn toestemmingen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn toestemmingen")
    talis = page.get_by_role("region", name="Talis")
    expect(talis).to_contain_text(
        "U geeft Talis toestemming om gegevens over wonen te gebruiken voor het plan van aanpak."
    )
    expect(talis).to_contain_text("casemanager van Sterker Sociaal Werk")
    _check(page, "my consents")

    talis.get_by_role("link", name="Toestemming intrekken: Talis, Wonen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Toestemming intrekken")
    expect(page.locator("#what-happens")).to_have_text(
        "De toestemming stopt direct. Wat eerder is gedaan, blijft geldig. Er wordt niets "
        "verwijderd. Wij laten Talis dit weten."
    )
    _check(page, "the confirmation step")
    before_click = utcnow()
    page.get_by_role("button", name="Ja, intrekken").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("De toestemming is ingetrokken")
    # The check, against the database, right after the click: denied now, permitted before.
    now = _may(app, household)
    assert (now.permitted, now.reason) == (False, "consent_withdrawn")
    assert _may(app, household, at=before_click - timedelta(minutes=1)).permitted
    assert _may(app, household, domain_key="geld").permitted  # only the one chosen
    _check(page, "the withdrawal confirmation")

    page.get_by_role("link", name="Naar Mijn brieven").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn brieven")
    expect(page.get_by_role("main")).to_contain_text("Bevestiging: toestemming ingetrokken")
    _check(page, "my letters")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^Download \(PDF\): Bevestiging")).click()
    assert download.value.suggested_filename.endswith("withdrawal_confirmation.pdf")

    # All consents for an organisation at once: the confirmation step of that, too.
    page.goto(f"/mijn/{household['parent']}/toestemmingen")
    page.get_by_role("region", name="Talis").get_by_role(
        "link", name="Toestemming intrekken: Talis, Financiën en schulden"
    ).wait_for()
    page.goto(
        f"/mijn/{household['parent']}/toestemmingen/organisatie/{household['talis']}/intrekken"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Alle toestemmingen voor Talis intrekken"
    )
    _check(page, "withdrawing all consents for an organisation")

    base = f"/mijn/{household['parent']}"
    _assert_csp(documents, {"/mijn/code", "/mijn", f"{base}/toestemmingen", f"{base}/brieven"})


def test_sign_in_with_a_letter_code_and_file_an_access_request(app, open_page, household):
    page = open_page()
    documents = _track_documents(page)
    _sign_in_with_code(page, household["code"])

    page.get_by_role("region", name="Over uzelf").get_by_role("link", name="Mijn verzoeken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn verzoeken")
    _check(page, "my requests")
    page.get_by_role("link", name="Een verzoek doen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Een verzoek doen")
    _check(page, "the request form")

    # Sent without a choice: a message on the form, reachable from the list above it.
    page.get_by_role("button", name="Verzoek versturen").click()
    expect(page.get_by_role("alert")).to_contain_text("Kies wat u wilt vragen.")
    assert_accessible(page, "the request form with a problem")

    page.get_by_label(re.compile(r"^Inzien:")).check()
    page.get_by_label("Vertel wat u wilt").fill("Ik wil weten wat de woningcorporatie weet.")
    page.get_by_role("button", name="Verzoek versturen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Verzoek om inzage")
    with app.app_context():
        created = db.session.scalars(
            sa.select(PrivacyRequest).where(PrivacyRequest.person_id == household["parent"])
        ).one()
        facts = (created.type, created.channel, created.identity_method, created.deadline)
        reference, request_id = created.reference, created.id
        db.session.remove()
    expected = deadlines.request_deadline(deadlines.today(), policy=deadlines.WAIT_SUSPEND)
    assert facts == (
        RequestType.ACCESS,
        RequestChannel.ONLINE,
        IdentityMethod.LETTER_CODE,
        expected,
    )
    expect(page.get_by_role("status")).to_contain_text(f"Het kenmerk is {reference}.")
    expect(page.locator("#deadline")).to_have_text(
        f"{expected.day} {_month(expected.month)} {expected.year}"
    )
    _check(page, "the request status page")

    page.get_by_role("link", name="Verzoek intrekken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verzoek intrekken")
    _check(page, "withdrawing a request")
    page.get_by_role("button", name="Ja, intrekken").click()
    expect(page.get_by_role("status")).to_contain_text("Uw verzoek is ingetrokken.")

    base = f"/mijn/{household['parent']}/verzoeken"
    _assert_csp(documents, {base, f"{base}/nieuw", f"{base}/{request_id}"})


MONTHS = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()


def _month(number: int) -> str:
    return MONTHS[number - 1]


def test_a_parent_sees_the_childs_consents_and_not_a_neighbours(app, open_page, household):
    page = open_page()
    _sign_in_with_code(page, household["code"])

    child = page.get_by_role("region", name="Over Daan Visser")
    child.get_by_role("link", name="Toestemmingen", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Toestemmingen van Daan Visser")
    expect(page.get_by_role("region", name="Talis")).to_contain_text(
        "U geeft Talis toestemming om gegevens over wonen"
    )
    _check(page, "a child's consents")

    # The neighbour's child, by changing the id in the address: not found, nothing shown.
    response = page.goto(f"/mijn/{household['neighbours_child']}/toestemmingen")
    assert response is not None and response.status == 404
    expect(page.get_by_role("main")).to_contain_text(NOT_FOUND)
    expect(page.get_by_role("main")).not_to_contain_text("Lot Buur")
    assert_accessible(page, "the 404 page")

    # The parent withdraws for the child, as legal representative.
    page.goto(f"/mijn/{household['child']}/toestemmingen")
    page.get_by_role("link", name="Toestemming intrekken: Talis, Wonen").click()
    expect(page.get_by_role("main")).to_contain_text(
        "U trekt deze toestemming in voor Daan Visser:"
    )
    page.get_by_role("button", name="Ja, intrekken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("De toestemming is ingetrokken")
    assert _may(app, household, person_key="child").reason == "consent_withdrawn"
    assert _may(app, household).permitted  # the parent's own consent stays

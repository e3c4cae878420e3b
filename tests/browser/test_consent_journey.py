"""A case manager's bemoeizorg conversation in a real headless Chromium: sign in with password and
TOTP code, open a person on their own case, fill the consent grid with given, refused and not
asked by keyboard and labels, save, and read back the summary. axe-core (WCAG 2.1 AA) checks the
grid and the summary; at 320 CSS pixels the grid does not scroll sideways (WCAG 1.4.10 Reflow).
"""

from __future__ import annotations

import re

import pyotp
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from consent.models import ConsentEvent, ConsentStatus
from portal.extensions import db
from portal.models import Role
from tests import factories as f
from tests.browser.axe import assert_accessible
from tests.browser.test_staff_journey import _assert_csp, _track_documents

pytestmark = pytest.mark.browser

VERSION = "informatiebrief-2026-01"
GIVEN = "U geeft Talis toestemming om gegevens over wonen te gebruiken voor het plan van aanpak."
REFUSED = (
    "U geeft Talis geen toestemming om gegevens over financiën en schulden te gebruiken voor "
    "het plan van aanpak."
)


@pytest.fixture
def conversation(committed) -> dict:
    secret = pyotp.random_base32()
    with committed():
        talis = f.partner(name="Talis")
        sterker = f.partner(name="Sterker Sociaal Werk (test)")
        manager = f.user(
            Role.CASE_MANAGER,
            partner_obj=sterker,
            email="casemanager@test.example",
            name="Sanne Casemanager",
            totp_secret=secret,
        )
        case = f.case(team=[talis, sterker], case_manager=manager, phase=5)
        person = f.person(case.household, given_name="Mira", family_name="de Vries")
        wonen = f.domain(name_nl="Wonen", name_en="Housing")
        f.domain(name_nl="Financiën en schulden", name_en="Finances and debts")
        data = dict(
            email=manager.email,
            secret=secret,
            case_id=case.id,
            case_ref=case.reference,
            person_id=person.id,
            talis=talis.id,
            wonen=wonen.id,
        )
    return data


def _sign_in(page: Page, email: str, secret: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(f.PASSWORD)
    page.get_by_role("button", name="Volgende stap").click()
    expect(page).to_have_url(re.compile(r"/auth/code(#main)?$"))
    page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    expect(page).to_have_url(re.compile(r"/dashboard(#main)?$"))


def test_case_manager_records_a_grid_and_reads_back_the_summary(app, open_page, conversation):
    page = open_page()
    documents = _track_documents(page)
    _sign_in(page, conversation["email"], conversation["secret"])

    # From the own case to the person, to her consents, to the grid.
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Casussen").click()
    page.get_by_role("link", name=conversation["case_ref"], exact=True).click()
    page.get_by_role("link", name="Mira de Vries").click()
    page.get_by_role("link", name="Toestemmingen van Mira de Vries bekijken of vastleggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Toestemmingen van Mira de Vries")
    page.get_by_role("link", name=f"Gesprek vastleggen in casus {conversation['case_ref']}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Toestemming vastleggen")
    grid_url = page.url
    assert_accessible(page, "the consent grid")

    # The conversation's details, by their labels.
    page.get_by_label("Doel").select_option(label="Plan van aanpak opstellen")
    expect(page.get_by_label("Hoe gaf de persoon antwoord?")).to_have_value(
        "bemoeizorg_conversation"
    )
    page.get_by_label("Informatiebrief die de persoon kreeg").fill(VERSION)

    talis = page.get_by_role("group", name="Talis", exact=True)
    sterker = page.get_by_role("group", name="Sterker Sociaal Werk (test)", exact=True)
    # Talis × Wonen: given, chosen by its label.
    talis.get_by_role("group", name="Wonen").get_by_label("Gegeven").check()
    # Talis × Financiën en schulden: refused, with the arrow key from "Niet gevraagd".
    money = talis.get_by_role("group", name="Financiën en schulden")
    money.get_by_label("Niet gevraagd").focus()
    page.keyboard.press("ArrowUp")
    expect(money.get_by_label("Geweigerd")).to_be_checked()
    # Sterker: not asked, left as it is.
    expect(sterker.get_by_role("group", name="Wonen").get_by_label("Niet gevraagd")).to_be_checked()

    page.get_by_role("button", name="Opslaan en samenvatting tonen").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Samenvatting van het gesprek")
    main = page.get_by_role("main")
    expect(main.get_by_role("listitem").filter(has_text=GIVEN)).to_have_count(1)
    expect(main.get_by_role("listitem").filter(has_text=REFUSED)).to_have_count(1)
    expect(main).not_to_contain_text("U geeft Sterker")
    expect(main).to_contain_text(VERSION)
    assert_accessible(page, "the conversation summary")

    # The person's consents: what holds now and the history, also free of axe violations.
    page.get_by_role("link", name="Naar alle toestemmingen van Mira de Vries").click()
    current = page.get_by_role("region", name="Nu geldig")
    expect(current.get_by_role("row").filter(has_text="Wonen")).to_contain_text("Gegeven")
    expect(current.get_by_role("row").filter(has_text="Financiën en schulden")).to_contain_text(
        "Geweigerd"
    )
    expect(page.get_by_role("region", name="Geschiedenis")).to_contain_text(VERSION)
    assert_accessible(page, "the person's consents")

    with app.app_context():
        stored = db.session.execute(
            sa.select(ConsentEvent.recipient_id, ConsentEvent.status).order_by(ConsentEvent.id)
        ).all()
        db.session.remove()
    assert sorted(status.value for _, status in stored) == [
        ConsentStatus.GIVEN.value,
        ConsentStatus.REFUSED.value,
    ]
    assert {recipient for recipient, _ in stored} == {conversation["talis"]}

    # WCAG 1.4.10 Reflow: the grid at 320 CSS pixels has no horizontal scroll.
    page.set_viewport_size({"width": 320, "height": 640})
    response = page.goto(grid_url)
    assert response is not None and response.status == 200
    expect(talis.get_by_role("group", name="Wonen").get_by_label("Gegeven")).to_be_visible()
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= 320, f"the consent grid scrolls sideways at 320 px ({scroll_width} px)"

    path = grid_url.split("127.0.0.1", 1)[1].split("/", 1)[1]
    _assert_csp(documents, {"/" + path})

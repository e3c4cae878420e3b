"""The citizen portal in a real headless Chromium (issue 5, points 1, 5 and 6): a parent signs in
with DigiD through the local OpenID Connect provider (tests/oidc_provider.py) using only the
keyboard and lands on /mijn with their child's file; another signs in with the code from a letter.
axe-core (WCAG 2.1 AA) finds nothing on the sign-in, code, home, who-looked and accessibility
pages; at 320 CSS pixels none of them scrolls sideways (WCAG 1.4.10 Reflow); the language switch
works; signing out ends the session.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Response, expect

from portal import access
from portal.letters import access_codes
from portal.models import Role
from tests import factories as f
from tests.browser.axe import assert_accessible
from tests.oidc_provider import IGNORE_PROVIDER_DEPRECATIONS, LocalProvider

pytestmark = [pytest.mark.browser, IGNORE_PROVIDER_DEPRECATIONS]

BSN = "123456782"
LOOPBACK = re.compile(r"^https?://127\.0\.0\.1[:/]")


@pytest.fixture(scope="module")
def provider():
    with LocalProvider() as running:
        yield running


@pytest.fixture
def digid(app, provider, monkeypatch):
    for key, value in provider.config().items():
        monkeypatch.setitem(app.config, key, value)
    return provider


@pytest.fixture
def family(committed) -> dict:
    with committed():
        talis = f.partner(name="Woningcorporatie Talis")
        regisseur = f.user(Role.PROCESREGISSEUR, talis, name="Jolanda Geheimhouder")
        parent = f.person(bsn=BSN, given_name="Samira", family_name="Benali")
        child = f.person(
            parent.household, given_name="Tim", family_name="Benali", legal_representative=parent
        )
        neighbour = f.person(given_name="Bert", family_name="Buurman")
        access.load_person(regisseur, parent.id, purpose="persoon inzien")
        code = access_codes.issue_code(parent, actor=None).code
        data = {"parent": parent.id, "child": child.id, "neighbour": neighbour.id, "code": code}
    return data


def _only_loopback(page: Page) -> None:
    """The provider's page asks for a stylesheet on a CDN: nothing leaves this machine."""
    page.route(lambda url: not LOOPBACK.match(url), lambda route: route.abort())


def _own_documents(page: Page, live_server: str) -> list[Response]:
    documents: list[Response] = []

    def _on_response(response: Response) -> None:
        if (
            response.request.resource_type == "document"
            and response.frame == page.main_frame
            and response.url.startswith(live_server)
        ):
            documents.append(response)

    page.on("response", _on_response)
    return documents


def _assert_csp(documents: list[Response]) -> None:
    # The context bypasses CSP to inject axe; this makes sure that is not hiding a missing header.
    assert documents
    for response in documents:
        csp = response.header_value("content-security-policy") or ""
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, response.url


def _tab_to(page: Page, name: str, limit: int = 25) -> None:
    """Move the keyboard focus forward until it is on the link or button called `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => (document.activeElement.innerText || document.activeElement.value || '')"
        )
        if focused.strip().startswith(name):
            return
    raise AssertionError(f"keyboard focus never reached {name!r}")


def _no_sideways_scroll(page: Page, what: str) -> None:
    page.wait_for_load_state("load")  # measured with the stylesheets applied
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320, f"{what} scrolls sideways at 320 px ({width} px)"


def test_parent_signs_in_with_digid_by_keyboard_and_lands_on_mijn(
    open_page, live_server, digid, family
):
    digid.set_user("samira", bsn=BSN)
    page = open_page()
    _only_loopback(page)
    documents = _own_documents(page, live_server)

    page.goto("/mijn")
    expect(page).to_have_url(re.compile(r"/mijn/inloggen\?next=/mijn$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen bij Mijn privacy")
    assert_accessible(page, "the citizen sign-in page")

    _tab_to(page, "Inloggen met DigiD")
    page.keyboard.press("Enter")

    # The provider's own login page (it stands in for DigiD).
    expect(page).to_have_url(re.compile(re.escape(digid.issuer) + r"/oauth2/authorize\?"))
    page.locator("input[name=sub]").fill("samira")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(re.escape(live_server) + r"/mijn$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn overzicht")
    expect(page.get_by_role("heading", name="Over uzelf")).to_be_visible()
    expect(page.get_by_role("heading", name="Over Tim Benali")).to_be_visible()
    expect(page.get_by_text("Bert Buurman")).to_have_count(0)
    expect(page.get_by_text("Ingelogd als Samira Benali")).to_be_visible()
    assert_accessible(page, "the citizen home page")

    # Who looked: the organisation and role, not the employee.
    own = page.get_by_role("region", name="Over uzelf")
    own.get_by_role("link", name="Wie heeft gegevens bekeken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wie heeft uw gegevens bekeken")
    expect(page.get_by_text("Woningcorporatie Talis")).to_be_visible()
    expect(page.get_by_text("Jolanda")).to_have_count(0)
    assert_accessible(page, "the who-looked page")

    # Changing the id in the address: the neighbour's file does not exist for her.
    missing = page.goto(f"/mijn/{family['neighbour']}/inzage")
    assert missing is not None and missing.status == 404

    page.goto("/mijn")
    _tab_to(page, "Uitloggen")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/mijn/inloggen$"))
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()
    page.goto("/mijn")
    expect(page).to_have_url(re.compile(r"/mijn/inloggen\?next=/mijn$"))
    _assert_csp(documents)
    assert urlsplit(documents[-1].url).path == "/mijn/inloggen"


def test_letter_code_sign_in_language_switch_and_every_page_accessible(
    open_page, live_server, family
):
    page = open_page()
    _only_loopback(page)
    documents = _own_documents(page, live_server)

    page.goto("/mijn/code")
    assert_accessible(page, "the letter code page")
    page.get_by_label("Code van uw brief").fill("ABCD-EFGH-JKLM")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("alert").first).to_contain_text("Deze code klopt niet")
    assert_accessible(page, "the letter code page with an error")

    page.get_by_label("Code van uw brief").fill(family["code"].lower())
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/mijn$"))
    expect(page.get_by_role("heading", name="Over Tim Benali")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/mijn$"))
    assert_accessible(page, "the citizen home page in English")
    page.get_by_role("button", name="Nederlands").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")

    page.goto("/mijn/toegankelijkheid")
    expect(page.get_by_role("heading", level=1)).to_have_text("Toegankelijkheid")
    assert_accessible(page, "the accessibility statement")
    page.goto(f"/mijn/{family['child']}/inzage")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tim Benali")
    assert_accessible(page, "the who-looked page of a child")
    _assert_csp(documents)


def test_no_citizen_page_scrolls_sideways_at_320_px(open_page, family):
    page = open_page(width=320, height=640)
    _only_loopback(page)
    for path, what in [
        ("/mijn/inloggen", "the sign-in page"),
        ("/mijn/code", "the letter code page"),
        ("/mijn/toegankelijkheid", "the accessibility statement"),
    ]:
        page.goto(path)
        _no_sideways_scroll(page, what)
    page.goto("/mijn/code")
    page.get_by_label("Code van uw brief").fill(family["code"])
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(re.compile(r"/mijn$"))
    _no_sideways_scroll(page, "the citizen home page")
    page.screenshot(path=str(_artifact("citizen-home-320.png")), full_page=True)
    page.goto(f"/mijn/{family['parent']}/inzage")
    _no_sideways_scroll(page, "the who-looked page")
    assert_accessible(page, "the who-looked page at 320 px")


def _artifact(name: str):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


@pytest.fixture
def consenting_parent(committed) -> dict:
    from datetime import timedelta

    from consent import operations as ledger
    from consent.models import Channel, ConsentStatus, Purpose, RecordedBy
    from portal.models import utcnow

    with committed():
        talis = f.partner(name="Talis")
        manager = f.user(Role.CASE_MANAGER, talis)
        parent = f.person(bsn=BSN, given_name="Samira", family_name="Benali")
        case = f.case(household_obj=parent.household, team=[talis], case_manager=manager)
        wonen = f.domain(name_nl="Wonen", name_en="Housing")
        ledger.record_decision(
            manager,
            person=parent,
            domain=wonen,
            recipient=talis,
            purpose=Purpose.PLAN,
            status=ConsentStatus.GIVEN,
            recorded_by=RecordedBy.CASE_MANAGER,
            channel=Channel.BEMOEIZORG_CONVERSATION,
            information_version="informatiebrief-2026-01",
            effective_at=utcnow() - timedelta(days=30),
            case=case,
        )
        ids = {"parent": parent.id, "talis": talis.id, "wonen": wonen.id}
    return ids


def test_digid_sign_in_then_withdrawal_is_denied_by_the_check_at_once(
    app, open_page, live_server, digid, consenting_parent
):
    """Issue 5's first journey: sign in through the local OpenID Connect provider, withdraw a
    consent, and the check denies it from that moment (Privacyprotocol art. 2)."""
    from consent.check import may
    from consent.models import Purpose
    from portal.extensions import db
    from portal.models import DataDomain, Partner, Person

    def check():
        with app.app_context():
            result = may(
                db.session.get(Partner, consenting_parent["talis"]),
                db.session.get(Person, consenting_parent["parent"]),
                db.session.get(DataDomain, consenting_parent["wonen"]),
                Purpose.PLAN,
            )
            db.session.remove()
        return result

    assert check().permitted
    digid.set_user("samira", bsn=BSN)
    page = open_page()
    _only_loopback(page)
    page.goto("/mijn/inloggen")
    page.get_by_role("button", name=re.compile("Inloggen met DigiD")).or_(
        page.get_by_role("link", name=re.compile("Inloggen met DigiD"))
    ).first.click()
    page.locator("input[name=sub]").fill("samira")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn overzicht")

    page.get_by_role("region", name="Over uzelf").get_by_role(
        "link", name="Mijn toestemmingen"
    ).click()
    page.get_by_role("region", name="Talis").get_by_role(
        "link", name="Toestemming intrekken: Talis, Wonen"
    ).click()
    page.get_by_role("button", name="Ja, intrekken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("De toestemming is ingetrokken")
    result = check()
    assert (result.permitted, result.reason) == (False, "consent_withdrawn")

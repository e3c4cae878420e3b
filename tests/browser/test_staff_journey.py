"""A staff member's journey in a real headless Chromium: sign in with password and TOTP code, open
their own case, and be refused a case they are not on. Every page is checked with axe-core
(WCAG 2.1 AA) and must be served with the app's Content-Security-Policy.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import Page, Response, expect

from portal import operations
from portal.models import EntryKind, Role
from tests import factories as f
from tests.browser.axe import assert_accessible

pytestmark = pytest.mark.browser

ENTRY_TEXT = "Huisbezoek gepland met de woningcorporatie over de huurachterstand."
NOT_FOUND = "Deze pagina bestaat niet, of u heeft er geen toegang toe."


@pytest.fixture
def journey(committed) -> dict:
    """A team member on one case; a second case of the same partner that they are not a member
    of (so the refusal tests the membership rule, not only the partner rule)."""
    secret = pyotp.random_base32()
    with committed():
        partner = f.partner(name="Sterker Sociaal Werk (test)")
        member = f.user(
            Role.TEAM_MEMBER, partner_obj=partner, email="teamlid@test.example",
            name="Tessa Teamlid", totp_secret=secret,
        )
        own = f.case(team=[partner], members=[member], phase=5)
        f.person(own.household, given_name="Mira", family_name="de Vries")
        operations.add_entry(
            own.procesregisseur, own, kind=EntryKind.PLAN, domain=f.domain(name_nl="Wonen"),
            text=ENTRY_TEXT,
        )
        other = f.case(team=[partner], phase=5)
        data = dict(
            email=member.email, name=member.name, secret=secret,
            own_id=own.id, own_ref=own.reference, other_id=other.id, other_ref=other.reference,
        )
    return data


def _track_documents(page: Page) -> list[Response]:
    documents: list[Response] = []

    def _on_response(response: Response) -> None:
        if response.request.resource_type == "document" and response.frame == page.main_frame:
            documents.append(response)

    page.on("response", _on_response)
    return documents


def _assert_csp(documents: list[Response], pages: set[str]) -> None:
    # The context bypasses CSP to inject axe; this makes sure that is not hiding a missing header.
    seen = {urlsplit(response.url).path for response in documents}
    assert pages <= seen, f"pages not seen by the CSP check: {sorted(pages - seen)}"
    for response in documents:
        csp = response.header_value("content-security-policy")
        assert csp, f"no Content-Security-Policy header on {response.url} ({response.status})"
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, (
            f"weak Content-Security-Policy on {response.url}: {csp}"
        )


def test_staff_member_signs_in_opens_own_case_and_is_refused_another(open_page, journey):
    page = open_page()
    documents = _track_documents(page)

    # Sign-in page; the first Tab reaches the skip link, which moves focus to the content.
    response = page.goto("/auth/login")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden voor medewerkers")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Direct naar de inhoud")
    expect(skip_link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    assert_accessible(page, "the sign-in page")

    page.get_by_label("E-mailadres").fill(journey["email"])
    page.get_by_label("Wachtwoord").fill(f.PASSWORD)
    page.get_by_role("button", name="Volgende stap").click()

    # Second factor.
    expect(page).to_have_url(re.compile(r"/auth/code(#main)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Vul de code in")
    assert_accessible(page, "the code page")
    page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(journey["secret"]).now())
    page.get_by_role("button", name="Aanmelden", exact=True).click()

    # Dashboard.
    expect(page).to_have_url(re.compile(r"/dashboard(#main)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Overzicht")
    expect(page.get_by_role("main")).to_contain_text(f"Welkom, {journey['name']}.")
    expect(page.get_by_role("status")).to_contain_text("U bent aangemeld.")
    assert_accessible(page, "the dashboard")

    # The case list shows the member's own case, not the other one.
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Casussen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Casussen")
    own_link = page.get_by_role("link", name=journey["own_ref"], exact=True)
    expect(own_link).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text(journey["other_ref"])
    assert_accessible(page, "the case list")

    own_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Casus {journey['own_ref']}")
    expect(page.get_by_text(ENTRY_TEXT)).to_be_visible()
    assert_accessible(page, "the case page")

    # The other case, typed in directly: refused as if it did not exist.
    response = page.goto(f"/cases/{journey['other_id']}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("main")).to_contain_text(NOT_FOUND)
    expect(page.get_by_role("main")).not_to_contain_text(journey["other_ref"])
    assert_accessible(page, "the 404 page")

    _assert_csp(
        documents,
        {
            "/auth/login", "/auth/code", "/dashboard", "/cases",
            f"/cases/{journey['own_id']}", f"/cases/{journey['other_id']}",
        },
    )


def test_sign_in_page_fits_a_320_px_screen(open_page, live_server):
    # WCAG 1.4.10 Reflow: no horizontal scrolling at 320 CSS pixels.
    page = open_page(width=320, height=640)
    response = page.goto("/auth/login")
    assert response is not None and response.status == 200
    expect(page.get_by_label("E-mailadres")).to_be_visible()
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= 320, f"the sign-in page scrolls sideways at 320 px ({scroll_width} px)"

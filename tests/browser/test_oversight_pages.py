"""The oversight screens in a real headless Chromium, each checked with axe-core (WCAG 2.1 AA):
the privacy desk's breach register and audit viewer, the admin's accounts and retention report,
and the O&S reports with their SVG charts (issue 7)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pyotp
import pytest
from playwright.sync_api import Page, expect

from portal import breaches, statistics
from portal.models import Role, utcnow
from tests import factories as f
from tests.browser.axe import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def staff(committed) -> dict:
    with committed():
        gemeente = f.partner(name="Gemeente (test)", is_municipal=True)
        talis = f.partner(name="Talis (test)")
        accounts = {}
        for role, email in (
            (Role.PRIVACY_DESK, "loket@test.example"),
            (Role.ADMIN, "beheer@test.example"),
            (Role.STATISTICS, "ons@test.example"),
        ):
            secret = pyotp.random_base32()
            f.user(role, gemeente, email=email, totp_secret=secret)
            accounts[role] = (email, secret)
        case = f.case(team=[gemeente, talis], household_obj=f.household(wijk="Hatert"))
        closed = f.case(opened_on=date(2010, 1, 1), closed_on=date(2011, 12, 15), phase=8)
        for _n in range(6):
            f.case(household_obj=f.household(wijk="Hatert"))
        desk = f.user(Role.PRIVACY_DESK, gemeente)
        breach = breaches.register_breach(
            desk,
            discovered_at=utcnow() - timedelta(hours=5),
            partner=talis,
            description="Een map met brieven is kwijt.",
            cases=[case],
        )
        admin = f.user(Role.ADMIN, gemeente)
        statistics.choose_wijk(admin, "Hatert")
        data = dict(
            accounts=accounts, breach=breach.id, reference=case.reference,
            closed_reference=closed.reference,
        )  # fmt: skip
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


def _visit(page: Page, path: str, heading: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    assert_accessible(page, path)


def test_privacy_desk_pages(open_page, staff):
    page = open_page()
    _sign_in(page, *staff["accounts"][Role.PRIVACY_DESK])
    nav = page.get_by_role("navigation", name="Hoofdmenu")
    expect(nav.get_by_role("link", name="Datalekken")).to_be_visible()
    _visit(page, "/oversight/breaches", "Register van datalekken")
    expect(page.get_by_role("main")).to_contain_text("nog 66 uur")
    _visit(page, f"/oversight/breaches/{staff['breach']}", "Datalek DL-")
    _visit(page, "/oversight/breaches/new", "Datalek registreren")
    _visit(page, "/audit?case_reference=" + staff["reference"], "Auditspoor doorzoeken")
    _visit(page, "/audit/verify", "Controle van het auditspoor")
    expect(page.get_by_role("status")).to_contain_text("De keten is intact")


def test_admin_pages(open_page, staff):
    page = open_page()
    _sign_in(page, *staff["accounts"][Role.ADMIN])
    _visit(page, "/accounts", "Accounts van medewerkers")
    _visit(page, "/accounts/new", "Nieuw account")
    _visit(page, "/accounts/review", "Periodieke controle")
    _visit(page, "/oversight/retention", "Bewaartermijn")
    expect(page.get_by_role("main")).to_contain_text(staff["closed_reference"])
    _visit(page, "/statistics/wijk/choose", "Wijk voor procesinformatie")


def test_statistics_pages(open_page, staff):
    page = open_page()
    _sign_in(page, *staff["accounts"][Role.STATISTICS])
    _visit(page, "/statistics", "Managementrapportage")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    _visit(page, "/statistics/print", "Managementrapportage")
    _visit(page, "/statistics/wijk", "Procesinformatie per casus")

"""Statistics for O&S: management reports without personal data, small numbers suppressed, an
export without anything a non-municipal partner entered, pseudonymised per export.

Privacyreglement, *Toegang*: "inzage in managementrapportages (geen persoonsgegevens) en
procesinformatie op cliënt/casusniveau voor één van de regieteamwijken [...] De exceldumps
bevatten geen informatie die in het systeem is ingegeven door niet-gemeentelijke partners."
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from werkzeug.routing import IntegerConverter

from consent import operations as ledger
from consent.models import Channel, ConsentStatus, Purpose, RecordedBy
from portal import statistics
from portal.audit import AuditEntry
from portal.extensions import db
from portal.models import CaseEntry, EntryKind, Role, User
from portal.statistics import Count, Hidden, Median, Period, Share, is_suppressed, shown
from requests.models import Channel as RequestChannel
from requests.models import IdentityMethod, Outcome, PrivacyRequest, RequestType, Status
from tests import factories as f

# Distinctive values: none of them may appear in any report, page or export cell.
NAMES = ("Xandrijn", "Quellenbosch")
BSN = "738291651"
STREET = "Zwaluwstaartlaan"
MUNICIPAL_TEXT = "GEMEENTE-VRIJE-TEKST-7731"
PARTNER_TEXT = "CORPORATIE-VRIJE-TEKST-4410"
PARTNER_NOTE = "CORPORATIE-NOTITIE-9921"
REQUEST_TEXT = "VERZOEK-OMSCHRIJVING-5510"
# The day a non-municipal case manager recorded a consent: no export row may carry it.
PARTNER_DAY = date(2026, 3, 3)
SECRETS = (*NAMES, BSN, STREET, MUNICIPAL_TEXT, PARTNER_TEXT, PARTNER_NOTE, REQUEST_TEXT)

PERIOD = Period(date(2026, 1, 1), date(2026, 6, 30))


# --- suppression --------------------------------------------------------------------------------


def test_counts_below_five_and_shares_or_medians_over_fewer_than_five_are_not_shown():
    assert [shown(Count(n)) for n in (0, 1, 4, 5, 12)] == ["0", "< 5", "< 5", "5", "12"]
    assert shown(Share(3, 4)) == "< 5" and shown(Share(4, 5)) == "80%"
    assert shown(Median(10.0, 4)) == "< 5" and shown(Median(10.5, 5)) == "10.5"
    assert shown(Share(0, 0)) == "-" and shown(Median(None, 0)) == "-"
    assert statistics.value(Count(3)) is None and statistics.value(Count(7)) == 7


def test_a_lone_suppressed_cell_in_a_column_gets_a_hidden_neighbour():
    rows = [("A", [Count(2), Count(9)]), ("B", [Count(7), Count(8)]), ("C", [Count(30), Count(0)])]
    protected = statistics.protect_columns(rows)
    # Column 1: "2" is suppressed; without hiding "7" it would be the column total minus 37.
    assert [cells[0] for _l, cells in protected] == [Count(2), Hidden(7), Count(30)]
    assert [cells[1] for _l, cells in protected] == [Count(9), Count(8), Count(0)]
    assert all(is_suppressed(cell) for cell in (Count(2), Hidden(7)))


def test_pseudonyms_are_stable_within_one_export_and_differ_between_exports():
    first, second = statistics.new_pseudonym(), statistics.new_pseudonym()
    assert first("case", 17) == first("case", 17)
    assert first("case", 17) != first("case", 18) != first("person", 17)
    assert first("case", 17) != second("case", 17)
    assert re.fullmatch(r"C-[0-9a-f]{12}", first("case", 17))


# --- seeded world -------------------------------------------------------------------------------


def _seed():
    gemeente = f.partner(name="Gemeente Statistiek", is_municipal=True)
    corporatie = f.partner(name="Corporatie Statistiek", is_municipal=False)
    regisseur = f.user(Role.PROCESREGISSEUR, gemeente)
    manager = f.user(Role.CASE_MANAGER, corporatie)
    household = f.household(street=STREET, wijk="Dukenburg")
    person = f.person(household, given_name=NAMES[0], family_name=NAMES[1], bsn=BSN)
    case = f.case(
        procesregisseur=regisseur,
        household_obj=household,
        team=[gemeente, corporatie],
        case_manager=manager,
        opened_on=date(2026, 2, 2),
    )
    domain = f.domain(code="wonen-stat", name_nl="Wonen stat")
    for source, author, text in ((gemeente, regisseur, MUNICIPAL_TEXT),
                                 (corporatie, manager, PARTNER_TEXT)):  # fmt: skip
        db.session.add(
            CaseEntry(
                case=case,
                kind=EntryKind.PROGRESS,
                domain=domain,
                source_partner=source,
                author=author,
                person=person,
                text=text,
            )  # fmt: skip
        )
    other_wijk = f.household(wijk="Lindenholt")
    f.case(household_obj=other_wijk, opened_on=date(2026, 3, 1))
    for _n in range(5):
        f.case(household_obj=f.household(wijk="Dukenburg"), opened_on=date(2026, 2, 10))

    # Consents: one by a municipal procesregisseur, one by the non-municipal case manager.
    ledger.record_decision(
        regisseur, person=person, domain=domain, recipient=gemeente, purpose=Purpose.PLAN,
        status=ConsentStatus.GIVEN, recorded_by=RecordedBy.PROCESREGISSEUR,
        channel=Channel.BEMOEIZORG_CONVERSATION, information_version="info-2026-01",
        effective_at=datetime(2026, 2, 20, 10, tzinfo=UTC), case=case,
    )  # fmt: skip
    ledger.record_decision(
        manager, person=person, domain=domain, recipient=corporatie, purpose=Purpose.REGIE,
        status=ConsentStatus.GIVEN, recorded_by=RecordedBy.CASE_MANAGER,
        channel=Channel.BEMOEIZORG_CONVERSATION, information_version="info-2026-01",
        effective_at=datetime.combine(PARTNER_DAY, datetime.min.time(), tzinfo=UTC)
        + timedelta(hours=9), case=case, note=PARTNER_NOTE,
    )  # fmt: skip

    # Requests: six access requests in March, decided on time; two erasures in April.
    for n in range(6):
        _request(person, RequestType.ACCESS, date(2026, 3, 2 + n), decided_after=10 + n)
    for n in range(2):
        _request(person, RequestType.ERASURE, date(2026, 4, 6 + n))
    db.session.flush()
    return dict(person=person.id, case=case.id, household=household.id, wijk="Dukenburg")


def _request(person, type_, received_on, decided_after=None):
    request = PrivacyRequest(
        type=type_, person=person, channel=RequestChannel.LETTER, received_on=received_on,
        registered_by_id=f.user(Role.PRIVACY_DESK).id, description=REQUEST_TEXT,
        deadline=received_on + timedelta(days=30),
        identity_method=IdentityMethod.DESK_ID_DOCUMENT_SEEN,
        identity_established_on=received_on, status=Status.IN_PROGRESS,
    )  # fmt: skip
    if decided_after is not None:
        request.status = Status.DECIDED
        request.decision = Outcome.GRANTED
        request.decided_on = received_on + timedelta(days=decided_after)
    db.session.add(request)
    return request


def _table(tables, key):
    return next(table for table in tables if table.key == key)


def _cells(table):
    return {label: [shown(cell) for cell in cells] for label, cells in table.rows}


def test_the_reports_count_per_type_month_domain_partner_phase_and_wijk(ctx):
    _seed()
    tables = statistics.reports(PERIOD)

    months = _cells(_table(tables, "requests_month"))
    assert months["2026-03"][0] == "6" and months["2026-04"][2] == "< 5"
    on_time = _cells(_table(tables, "requests_on_time"))
    assert on_time["Inzage"] == ["6", "100%", "12.5", "0"]
    assert on_time["Wissen"] == ["0", "-", "-", "0"]
    domains = _cells(_table(tables, "consents_domain"))
    assert domains["Wonen stat"] == ["< 5", "0", "0"]
    wijk = _cells(_table(tables, "cases_phase_wijk"))
    assert _cells(_table(tables, "cases_phase"))["5"] == ["7"]
    # Lindenholt's one case is suppressed; Dukenburg's six are hidden too, or 7 - 6 would tell.
    assert wijk["Dukenburg"] == ["0", "< 5", "0"] and wijk["Lindenholt"] == ["0", "< 5", "0"]
    opened = _cells(_table(tables, "cases_month"))
    assert opened["2026-02"] == ["6", "0"]


def _scan(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def test_the_report_pages_show_charts_and_no_personal_data(client, auth, seed):
    with seed():
        _seed()
        statistician = f.user(Role.STATISTICS)
    auth.login(statistician)

    for url in ("/statistics?date_from=2026-01-01&date_to=2026-06-30",
                "/statistics/print?date_from=2026-01-01&date_to=2026-06-30"):  # fmt: skip
        page = client.get(url)
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "<svg" in text and "< 5" in text.replace("&lt;", "<")
        assert "<script" not in text
        assert _scan(text) == []


def test_the_export_holds_no_name_no_free_text_and_nothing_a_non_municipal_partner_entered(
    client, auth, seed
):
    with seed():
        world = _seed()
        statistician = f.user(Role.STATISTICS)
    auth.login(statistician)

    response = client.get("/statistics/export.xlsx?date_from=2026-01-01&date_to=2026-06-30")

    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    cells = [
        (sheet.title, cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    text = "\n".join(str(value) for _title, value in cells)
    assert _scan(text) == []
    assert str(world["person"]) not in {str(v) for _t, v in cells if _t == "Toestemmingen"}
    # The consent the non-municipal case manager recorded is not in the workbook at all.
    consents = list(book["Toestemmingen"].iter_rows(values_only=True))
    assert len(consents) == 2  # headers and the municipal decision
    assert all(PARTNER_DAY.isoformat() not in str(value) for row in consents for value in row)
    assert "corporatie" not in {str(value).lower() for row in consents for value in row}
    # Case rows count only what a municipal partner brought in.
    cases = list(book["Casussen"].iter_rows(values_only=True))
    headers = cases[0]
    ours = [row for row in cases[1:] if row[headers.index("gemeentelijke_progress")]]
    assert [row[headers.index("gemeentelijke_progress")] for row in ours] == [1]
    # Pseudonyms: the same person in two sheets, the same pseudonym; never the id itself.
    request_people = {row[1] for row in list(book["Verzoeken"].iter_rows(values_only=True))[1:]}
    assert request_people == {consents[1][0]}
    with client.application.app_context():
        line = db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.id.desc()))
        assert (line.action, line.user_id, line.object_type) == (
            "export",
            statistician.id,
            "statistics_export",
        )


def test_case_level_process_information_only_for_the_wijk_the_admin_chose(client, auth, seed):
    with seed():
        world = _seed()
        admin = f.user(Role.ADMIN)
        statistician = f.user(Role.STATISTICS)
    auth.login(statistician)
    assert "nog geen wijk gekozen" in client.get("/statistics/wijk").get_data(as_text=True)

    auth.login(admin)
    refused = client.post("/statistics/wijk/choose", data={"wijk": "Nergens"})
    assert refused.status_code == 422
    assert client.post("/statistics/wijk/choose", data={"wijk": world["wijk"]}).status_code == 302

    auth.login(statistician)
    page = client.get("/statistics/wijk")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    # Six case pseudonyms (C- and 12 hex digits) in Dukenburg, none from Lindenholt. Not a bare
    # count of "C-": the page's CSRF token, random, may hold those two characters too.
    assert len(re.findall(r"\bC-[0-9a-f]{12}\b", text)) == 6
    assert _scan(text) == []


def test_bad_period_input_gets_a_message(client, auth, seed):
    with seed():
        statistician = f.user(Role.STATISTICS)
    auth.login(statistician)
    response = client.get("/statistics?date_from=2026-06-01&date_to=2026-01-01")
    assert response.status_code == 422
    assert "vóór de begindatum" in response.get_data(as_text=True)


# --- the statistics role reaches nothing else ---------------------------------------------------

# Pages that show no personal data to anyone signed in: the role's own reports and the overview.
OWN = ("statistics.", "static", "portal.dashboard", "portal.index", "i18n.", "auth.")


def _url(app, rule, ids):
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        values[name] = ids if isinstance(converter, IntegerConverter) else "x"
    return app.url_map.bind("localhost").build(rule.endpoint, values)


@pytest.mark.parametrize("object_id", ["seeded", 999_999])
def test_the_statistics_role_reaches_no_personal_data_page_or_api(app, client, auth, seed,
                                                                   object_id):  # fmt: skip
    """Every route except its own answers 302/401/403/404/405, or is public (the same answer to
    someone who is not signed in)."""
    with seed():
        world = _seed()
        statistician = f.user(Role.STATISTICS)
    ids = world["case"] if object_id == "seeded" else object_id
    reached, checked = [], 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(OWN):
            continue
        checked += 1
        method = "GET" if "GET" in rule.methods else "POST"
        url = _url(app, rule, ids)
        auth.login(statistician)
        response = client.open(url, method=method, data={} if method == "POST" else None)
        status, body = response.status_code, response.get_data(as_text=True)
        response.close()
        if status in (302, 401, 403, 404, 405):
            continue
        auth.logout()
        public = client.open(url, method=method, data={} if method == "POST" else None)
        if public.status_code == status:
            assert _scan(body) == [], rule.endpoint
            continue
        reached.append(f"{method} {url} -> {status}")
    assert reached == [] and checked > 40


def test_the_statistics_dashboard_shows_no_personal_data(client, auth, seed):
    with seed():
        _seed()
        statistician = db.session.get(User, f.user(Role.STATISTICS).id)
    auth.login(statistician)
    text = client.get("/dashboard").get_data(as_text=True)
    assert _scan(text) == [] and "Managementrapportage" in text


def test_the_admin_sees_the_current_wijk_choice(client, auth, seed):
    with seed():
        world = _seed()
        admin = f.user(Role.ADMIN)
        statistics.choose_wijk(admin, world["wijk"])
    auth.login(admin)
    page = client.get("/statistics/wijk/choose")
    assert page.status_code == 200 and "Nu gekozen: Dukenburg." in page.get_data(as_text=True)

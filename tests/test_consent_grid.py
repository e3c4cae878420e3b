"""Recording consent in a bemoeizorg conversation: the grid of data domains × partners on the case
team (issue 3, point 2), its read-back summary and a person's consents page.

Privacyprotocol art. 2, *Toestemming sub 1*: consent is specific, informed and free; a refusal is
kept as such. Afwegingskader stap 4: "De casemanager vraagt het huishouden om toestemming";
"Als geen toestemming verleend wordt, worden de gegevens waarop de verzochte toestemming ziet,
niet verwerkt." Below 16 the legal representative decides (DESIGN.md, Person).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from consent.models import Channel, ConsentEvent, ConsentStatus, Purpose, RecordedBy
from consent.operations import record_decision
from portal import operations
from portal.audit import AuditEntry
from portal.extensions import db
from portal.models import Case, Partner, Person, Role
from tests import factories as f

WHEN = "2026-03-05T14:30"
# Entered in Amsterdam time (BABEL_DEFAULT_TIMEZONE): 14:30 CET is 13:30 UTC.
WHEN_UTC = datetime(2026, 3, 5, 13, 30, tzinfo=UTC)
VERSION = "informatiebrief-2026-01"


@dataclass
class Grid:
    manager: object
    case_id: int
    person_id: int
    talis: int
    sterker: int
    wonen: int
    geld: int

    def cell(self, partner: int, domain: int) -> str:
        return f"cell-{partner}-{domain}"


@pytest.fixture
def grid(seed) -> Grid:
    with seed():
        talis = f.partner(name="Talis")
        sterker = f.partner(name="Sterker Sociaal Werk")
        manager = f.user(Role.CASE_MANAGER, sterker)
        case = f.case(team=[talis, sterker], case_manager=manager)
        person = f.person(case.household, given_name="Mira", family_name="de Vries")
        wonen = f.domain(name_nl="Wonen", name_en="Housing")
        geld = f.domain(name_nl="Financiën en schulden", name_en="Finances and debts")
        made = Grid(manager, case.id, person.id, talis.id, sterker.id, wonen.id, geld.id)
    return made


def _url(g: Grid, case_id: int | None = None, person_id: int | None = None) -> str:
    return f"/cases/{case_id or g.case_id}/persons/{person_id or g.person_id}/consents/new"


def _post(client, g: Grid, cells: dict, **overrides):
    data = {
        "purpose": Purpose.PLAN.value,
        "conversation_at": WHEN,
        "channel": Channel.BEMOEIZORG_CONVERSATION.value,
        "information_version": VERSION,
        "representative_id": "0",
        **{g.cell(partner, domain): answer for (partner, domain), answer in cells.items()},
    }
    data.update(overrides)
    return client.post(_url(g), data=data)


def _events(seed, person_id: int) -> list[ConsentEvent]:
    with seed():
        events = db.session.scalars(
            sa.select(ConsentEvent)
            .where(ConsentEvent.person_id == person_id)
            .order_by(ConsentEvent.id)
        ).all()
        rows = [
            (
                e.recipient_id,
                e.domain_id,
                e.status,
                e.purpose,
                e.channel,
                e.information_version,
                e.recorded_by,
                e.recorder_id,
                e.case_id,
                e.representative_id,
                e.effective_at.replace(tzinfo=UTC)
                if e.effective_at.tzinfo is None
                else e.effective_at,
            )
            for e in events
        ]
    return rows


def _count(seed) -> int:
    with seed():
        return f.count(ConsentEvent)


def test_grid_page_lists_partners_and_domains_with_labelled_radios(client, auth, grid):
    auth.login(grid.manager)
    response = client.get(_url(grid))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for name in ("Talis", "Sterker Sociaal Werk", "Wonen", "Financiën en schulden"):
        assert name in page
    # Each radio sits inside its own label; each cell is a fieldset named by its legend.
    cell = grid.cell(grid.talis, grid.wonen)
    for index in range(3):
        assert re.search(
            rf'<label [^>]*for="{cell}-{index}">\s*<input [^>]*id="{cell}-{index}"', page
        ), f"radio {cell}-{index} is not labelled"
    assert (
        f'<fieldset class="utrecht-form-fieldset utrecht-form-fieldset--html-fieldset" id="{cell}"'
        in page
    )
    assert re.search(rf'<input checked [^>]*name="{cell}" type="radio" value="not_asked"', page)


def test_grid_records_given_and_refused_and_nothing_for_not_asked(client, auth, seed, grid):
    auth.login(grid.manager)
    response = _post(
        client,
        grid,
        {
            (grid.talis, grid.wonen): "given",
            (grid.talis, grid.geld): "refused",
            (grid.sterker, grid.wonen): "not_asked",
            # (sterker, geld) is not sent at all: not asked as well.
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    rows = _events(seed, grid.person_id)
    common = (
        Purpose.PLAN,
        Channel.BEMOEIZORG_CONVERSATION,
        VERSION,
        RecordedBy.CASE_MANAGER,
        grid.manager.id,
        grid.case_id,
        None,
        WHEN_UTC,
    )
    assert sorted(rows) == sorted(
        [
            (grid.talis, grid.wonen, ConsentStatus.GIVEN, *common),
            (grid.talis, grid.geld, ConsentStatus.REFUSED, *common),
        ]
    )
    with seed():
        creates = db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.object_type == "consent_event", AuditEntry.action == "create"
            )
        ).all()
        assert {(a.person_id, a.user_id) for a in creates} == {(grid.person_id, grid.manager.id)}
        assert len(creates) == 2


def test_saving_shows_the_summary_in_plain_sentences(client, auth, grid):
    auth.login(grid.manager)
    response = _post(
        client,
        grid,
        {(grid.talis, grid.wonen): "given", (grid.talis, grid.geld): "refused"},
    )
    assert re.search(
        rf"/persons/{grid.person_id}/consents/conversations/\d+$", response.headers["Location"]
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "U geeft Talis toestemming om gegevens over wonen te gebruiken voor het plan van aanpak."
        in page
    )
    assert (
        "U geeft Talis geen toestemming om gegevens over financiën en schulden te gebruiken voor "
        "het plan van aanpak." in page
    )
    assert "Sterker Sociaal Werk toestemming" not in page  # not asked: not mentioned
    assert VERSION in page


def test_summary_shows_only_its_own_conversation(client, auth, seed, grid):
    auth.login(grid.manager)
    first = _post(client, grid, {(grid.talis, grid.wonen): "given"})
    second = _post(
        client, grid, {(grid.sterker, grid.geld): "refused"}, conversation_at="2026-03-06T10:00"
    )
    assert first.status_code == second.status_code == 302
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "U geeft Talis toestemming" in page
    assert "U geeft Sterker Sociaal Werk" not in page


def test_summary_refuses_an_event_of_another_person(client, auth, seed, grid):
    with seed():
        case = db.session.get(Person, grid.person_id).household.cases[0]
        sibling = f.person(case.household, given_name="Joost", family_name="de Vries")
        talis = db.session.get(Partner, grid.talis)
        theirs = record_decision(
            None,
            person=sibling,
            domain=f.domain(),
            recipient=talis,
            purpose=Purpose.PLAN,
            status=ConsentStatus.GIVEN,
            recorded_by=RecordedBy.CASE_MANAGER,
            channel=Channel.BEMOEIZORG_CONVERSATION,
            information_version=VERSION,
        ).id
        sibling_id = sibling.id
    auth.login(grid.manager)
    assert (
        client.get(f"/persons/{grid.person_id}/consents/conversations/{theirs}").status_code == 404
    )
    assert client.get(f"/persons/{grid.person_id}/consents/conversations/999999").status_code == 404
    own = client.get(f"/persons/{sibling_id}/consents/conversations/{theirs}")
    assert own.status_code == 200 and "Joost de Vries" in own.get_data(as_text=True)


def test_minor_without_representative_is_refused_and_nothing_is_stored(client, auth, seed, grid):
    with seed():
        person = db.session.get(Person, grid.person_id)
        person.birth_date = date.today() - timedelta(days=365 * 12)
    auth.login(grid.manager)
    response = _post(
        client, grid, {(grid.sterker, grid.geld): "refused", (grid.talis, grid.wonen): "given"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "jonger dan 16: de wettelijk vertegenwoordiger beslist" in page
    assert "Controleer het formulier" in page
    assert _count(seed) == 0


def test_minor_with_representative_is_recorded_with_who_decided(client, auth, seed, grid):
    with seed():
        person = db.session.get(Person, grid.person_id)
        parent = f.person(person.household, given_name="Anouk", family_name="de Vries")
        person.birth_date = date.today() - timedelta(days=365 * 12)
        person.legal_representative = parent
        parent_id = parent.id
    auth.login(grid.manager)
    page = client.get(_url(grid)).get_data(as_text=True)
    assert "Anouk de Vries (wettelijk vertegenwoordiger)" in page
    response = _post(
        client, grid, {(grid.talis, grid.wonen): "given"}, representative_id=str(parent_id)
    )
    assert response.status_code == 302
    assert [row[9] for row in _events(seed, grid.person_id)] == [parent_id]
    summary = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Anouk de Vries, wettelijk vertegenwoordiger" in summary


def test_something_given_without_information_letter_is_refused(client, auth, seed, grid):
    # The refused cell comes first in the grid and is flushed before the given one is refused:
    # the whole conversation is rolled back.
    auth.login(grid.manager)
    response = _post(
        client,
        grid,
        {(grid.sterker, grid.geld): "refused", (grid.talis, grid.wonen): "given"},
        information_version="  ",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Toestemming telt alleen als de persoon is geïnformeerd" in page
    assert 'id="information_version-error"' in page
    assert _count(seed) == 0


def test_only_refusals_need_no_information_letter(client, auth, seed, grid):
    auth.login(grid.manager)
    response = _post(client, grid, {(grid.talis, grid.wonen): "refused"}, information_version="")
    assert response.status_code == 302
    assert [(row[2], row[5]) for row in _events(seed, grid.person_id)] == [
        (ConsentStatus.REFUSED, None)
    ]


def test_nothing_answered_is_refused_with_a_message(client, auth, seed, grid):
    auth.login(grid.manager)
    response = _post(client, grid, {(grid.talis, grid.wonen): "not_asked"})
    assert response.status_code == 422
    assert "Bij ‘Niet gevraagd’ wordt niets vastgelegd." in response.get_data(as_text=True)
    assert _count(seed) == 0


def test_conversation_in_the_future_is_refused_on_its_field(client, auth, seed, grid):
    auth.login(grid.manager)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = _post(client, grid, {(grid.talis, grid.wonen): "given"}, conversation_at=tomorrow)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Een besluit kan niet in de toekomst liggen." in page
    assert 'id="conversation_at-error"' in page
    assert _count(seed) == 0


def test_other_case_and_other_roles_are_refused(client, auth, seed, grid):
    with seed():
        other_manager = f.user(Role.CASE_MANAGER)
        other_case = f.case(case_manager=other_manager, team=[f.partner()])
        stranger = f.person(other_case.household)
        team_partner = db.session.get(Partner, grid.talis)
        member = f.user(Role.TEAM_MEMBER, team_partner)
        own_case = db.session.get(Case, grid.case_id)
        own_case.members.append(member)
        desk = f.user(Role.PRIVACY_DESK)
        closed = f.case(case_manager=grid.manager, team=[team_partner], closed_on=date(2026, 2, 1))
        closed_person = f.person(closed.household)
        ids = (other_case.id, stranger.id, closed.id, closed_person.id)
    other_case_id, stranger_id, closed_id, closed_person_id = ids
    cells = {(grid.talis, grid.wonen): "given"}

    auth.login(other_manager)  # manager of another case
    assert client.get(_url(grid)).status_code == 404
    assert _post(client, grid, cells).status_code == 404
    auth.login(grid.manager)  # a person of another household, through the own case
    assert client.get(_url(grid, person_id=stranger_id)).status_code == 404
    assert client.get(_url(grid, case_id=other_case_id, person_id=stranger_id)).status_code == 404
    assert client.get(_url(grid, case_id=closed_id, person_id=closed_person_id)).status_code == 404
    auth.login(member)  # sees the case, is not its case manager
    assert client.get(_url(grid)).status_code == 404
    auth.login(desk)
    assert client.get(_url(grid)).status_code == 403
    assert _count(seed) == 0


def test_procesregisseur_records_as_procesregisseur(client, auth, seed, grid):
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
    auth.login(regisseur)
    assert _post(client, grid, {(grid.talis, grid.wonen): "refused"}).status_code == 302
    assert [row[6] for row in _events(seed, grid.person_id)] == [RecordedBy.PROCESREGISSEUR]


def test_person_consents_page_shows_current_state_and_history(client, auth, seed, grid):
    auth.login(grid.manager)
    _post(client, grid, {(grid.talis, grid.wonen): "given"}, conversation_at="2026-03-01T09:00")
    _post(
        client,
        grid,
        {(grid.talis, grid.wonen): "refused"},
        conversation_at="2026-03-02T09:00",
        information_version="informatiebrief-2026-02",
    )
    with seed():
        sibling = f.person(
            db.session.get(Person, grid.person_id).household,
            given_name="Joost",
            family_name="Anders",
        )
        record_decision(
            None,
            person=sibling,
            domain=f.domain(name_nl="Onderwijs"),
            recipient=db.session.get(Partner, grid.talis),
            purpose=Purpose.REGIE,
            status=ConsentStatus.GIVEN,
            recorded_by=RecordedBy.CASE_MANAGER,
            channel=Channel.IN_WRITING,
            information_version="brief-van-joost",
        )
        reads_before = f.count(AuditEntry)
    response = client.get(f"/persons/{grid.person_id}/consents")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    current = page.split('id="current-heading"')[1].split('id="history-heading"')[0]
    history = page.split('id="history-heading"')[1]
    assert "Geweigerd" in current and "Gegeven" not in current  # the later decision counts
    assert history.index("2-3-2026 09:00") < history.index("1-3-2026 09:00")  # newest first
    assert "informatiebrief-2026-01" in history and "informatiebrief-2026-02" in history
    assert grid.manager.name in history and "In het bemoeizorggesprek" in history
    assert "brief-van-joost" not in page and "Onderwijs" not in page
    assert f"/cases/{grid.case_id}/persons/{grid.person_id}/consents/new" in page
    with seed():
        read = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert f.count(AuditEntry) == reads_before + 1
        assert (read.action, read.person_id, read.user_id) == (
            "read",
            grid.person_id,
            grid.manager.id,
        )


def test_person_consents_page_is_refused_outside_scope(client, auth, seed, grid):
    with seed():
        outsider = f.user(Role.CASE_MANAGER)
        f.case(case_manager=outsider)
        statistics = f.user(Role.STATISTICS)
    auth.login(outsider)
    assert client.get(f"/persons/{grid.person_id}/consents").status_code == 404
    assert client.get("/persons/999999/consents").status_code == 404
    auth.login(statistics)
    assert client.get(f"/persons/{grid.person_id}/consents").status_code == 403


def test_person_page_links_to_the_consents(client, auth, grid):
    auth.login(grid.manager)
    page = client.get(f"/persons/{grid.person_id}").get_data(as_text=True)
    assert f'href="/persons/{grid.person_id}/consents"' in page


# --- bad input: never a 500, never a partial conversation ---------------------------------------

junk = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)
answer = st.one_of(
    st.sampled_from(["given", "refused", "not_asked", "", "GIVEN", "withdrawn"]), junk
)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


VALID_META = {
    "purpose": Purpose.PLAN.value,
    "conversation_at": WHEN,
    "information_version": VERSION,
    "channel": Channel.BEMOEIZORG_CONVERSATION.value,
    "representative_id": "0",
}
bad_meta = st.fixed_dictionaries(
    {
        "purpose": st.one_of(st.sampled_from([p.value for p in Purpose]), junk),
        "conversation_at": st.one_of(
            st.sampled_from(
                [
                    WHEN,
                    "2026-02-30T10:00",
                    "0001-01-01T00:00",
                    "9999-12-31T23:59",
                    "1999-12-31T23:59",
                    "",
                ]
            ),
            junk,
        ),
        "information_version": st.one_of(
            st.sampled_from([VERSION, "", "x" * 41, "brief\x00"]), junk
        ),
        "channel": st.one_of(st.sampled_from([c.value for c in Channel]), junk),
        "representative_id": st.one_of(st.integers(min_value=-3, max_value=10**9).map(str), junk),
    }
)


@settings(SETTINGS, max_examples=150)
@given(
    cells=st.one_of(
        st.lists(st.sampled_from(["given", "refused", "not_asked"]), min_size=4, max_size=4),
        st.lists(answer, min_size=4, max_size=4),
    ),
    # Valid fields, one field wrong, or all random: the cells and the rules decide more often.
    meta=st.one_of(
        # Something given without an information letter is refused half-way through the grid.
        st.sampled_from([VERSION, "", "  "]).map(
            lambda version: {**VALID_META, "information_version": version}
        ),
        bad_meta.flatmap(
            lambda bad: st.sampled_from(sorted(bad)).map(lambda key: {**VALID_META, key: bad[key]})
        ),
        bad_meta,
    ),
    minor=st.booleans(),
)
def test_random_grids_never_fail_and_never_store_part_of_a_conversation(
    client, auth, seed, grid, cells, meta, minor
):
    with seed():
        person = db.session.get(Person, grid.person_id)
        person.birth_date = date(2015, 6, 1) if minor else date(1980, 5, 1)
        before = f.count(ConsentEvent)
    auth.login(grid.manager)
    keys = [
        (grid.sterker, grid.geld),
        (grid.sterker, grid.wonen),
        (grid.talis, grid.geld),
        (grid.talis, grid.wonen),
    ]
    response = _post(client, grid, dict(zip(keys, cells, strict=True)), **meta)
    assert response.status_code in (302, 422), response.status_code
    event(f"HTTP {response.status_code}")
    answered = sum(cell in ("given", "refused") for cell in cells)
    stored = _count(seed) - before
    if response.status_code == 302:
        assert stored == answered > 0
        assert not minor  # a minor without representative is never recorded
    else:
        assert stored == 0
        assert "Controleer het formulier" in response.get_data(as_text=True)


def test_record_decision_is_the_rule_the_grid_relies_on(ctx):
    # The same refusal without HTTP: a minor without representative (DESIGN.md, Person).
    case = f.case(team=[f.partner()])
    child = f.person(case.household, birth_date=date.today() - timedelta(days=365 * 10))
    with pytest.raises(operations.RuleViolation) as refused:
        record_decision(
            None,
            person=child,
            domain=f.domain(),
            recipient=case.team[0],
            purpose=Purpose.PLAN,
            status=ConsentStatus.REFUSED,
            recorded_by=RecordedBy.CASE_MANAGER,
            channel=Channel.BEMOEIZORG_CONVERSATION,
            information_version=None,
        )
    assert refused.value.code == "representative_required"

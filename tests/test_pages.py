"""Staff pages through the client: what each shows, and that bad input gets a message."""
from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.models import CaseEntry, Partner, Role
from tests import factories as f


def test_case_list_shows_only_cases_in_scope(client, auth, seed):
    with seed():
        partner = f.partner()
        member = f.user(Role.TEAM_MEMBER, partner)
        mine = f.case(team=[partner], members=[member]).reference
        theirs = f.case().reference
    auth.login(member)
    page = client.get("/cases").get_data(as_text=True)
    assert mine in page and theirs not in page


def test_dashboard_counts_cases_per_phase_in_scope(client, auth, seed):
    with seed():
        manager = f.user(Role.CASE_MANAGER)
        for phase in (5, 5, 6):
            f.case(case_manager=manager, phase=phase)
        f.case(phase=7)  # not theirs
    auth.login(manager)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Uw casussen per fase" in page
    rows = page.split("<tbody")[1]
    assert rows.count("utrecht-table__row") == 2  # phases 5 and 6 only


def test_case_page_shows_entries_with_source_and_team(client, auth, seed):
    from portal import operations
    from portal.models import EntryKind

    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
        talis = f.partner(name="Talis")
        case = f.case(procesregisseur=regisseur, team=[talis])
        operations.add_entry(regisseur, case, kind=EntryKind.PLAN, domain=f.domain(name_nl="Wonen"),
                             text="Betalingsregeling huur", source_partner=talis)
        case_id = case.id
    auth.login(regisseur)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Betalingsregeling huur" in page and "Plan van aanpak" in page
    assert "bron: Talis" in page


def test_adding_an_entry_through_the_form(client, auth, seed):
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
        case_id = f.case(procesregisseur=regisseur).id
        domain_id = f.domain().id
    auth.login(regisseur)
    response = client.post(f"/cases/{case_id}/entries", data={
        "kind": "action", "domain_id": str(domain_id), "person_id": "0",
        "text": "Huisbezoek gepland"})
    assert response.status_code == 302
    with seed():
        entry = db.session.scalars(sa.select(CaseEntry).where(CaseEntry.case_id == case_id)).one()
        assert (entry.text, entry.author_id) == ("Huisbezoek gepland", regisseur.id)


def test_admin_edits_a_partner_and_duplicate_names_are_refused(client, auth, seed):
    with seed():
        admin = f.user(Role.ADMIN)
        f.partner(name="Portaal")
        target = f.partner(name="Mooiland")
        target_id = target.id
    auth.login(admin)
    refused = client.post(f"/partners/{target_id}/edit", data={
        "name": "Portaal", "participation": "core", "statutory_task": ""})
    assert refused.status_code == 422
    assert "Er is al een partner met deze naam." in refused.get_data(as_text=True)
    with seed():
        wonen = f.domain(name_nl="Wonen").id
    form_page = client.get(f"/partners/{target_id}/edit").get_data(as_text=True)
    assert f'value="{wonen}"' in form_page and "<legend" in form_page
    bad_mail = client.post(f"/partners/{target_id}/edit", data={
        "name": "Mooiland", "participation": "core", "contact_email": "geen adres"})
    assert bad_mail.status_code == 422
    accepted = client.post(f"/partners/{target_id}/edit", data={
        "name": "Mooiland", "participation": "core", "professional_secrecy": "y",
        "statutory_task": "", "contact_email": "regieteam@mooiland.nl", "domain_ids": [wonen]})
    assert accepted.status_code == 302, accepted.get_data(as_text=True)[-3000:]
    with seed():
        stored = db.session.get(Partner, target_id)
        assert stored.professional_secrecy is True
        assert stored.contact_email == "regieteam@mooiland.nl"
        assert [d.id for d in stored.domains] == [wonen]


def test_unexpected_error_shows_a_plain_page_without_trace(app, client, auth, seed, monkeypatch):
    from portal import views

    with seed():
        user = f.user()
    auth.login(user)

    def broken(*args, **kwargs):
        raise RuntimeError("database exploded at line 42")

    monkeypatch.setattr(views.access, "case_scope", broken)
    response = client.get("/dashboard")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Er ging iets mis aan onze kant" in page
    assert "exploded" not in page and "Traceback" not in page


def test_not_found_is_plain_dutch(client):
    response = client.get("/does-not-exist")
    assert response.status_code == 404
    assert "Deze pagina bestaat niet" in response.get_data(as_text=True)


def test_page_skeleton_has_skip_link_and_main(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'href="#main"' in page and '<main id="main"' in page
    assert '<html lang="nl">' in page


def test_english_on_request(client):
    assert client.post("/language/en", data={"next": "/auth/login"}).status_code == 302
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign in for staff" in page and "Aanmelden voor medewerkers" not in page
    client.post("/language/nl", data={"next": "/auth/login"})
    assert "Aanmelden voor medewerkers" in client.get("/auth/login").get_data(as_text=True)

"""The audit viewer of the privacy desk: search by person, case, user and period; verify the
chain from the page; export a selection for an investigation, itself on the trail.

Privacyreglement, *Beveiliging*: the measures concern "de toegang tot de persoonsgegevens en de
lees- en schrijfbevoegdheden"; the college (through its privacy desk) checks how they are used.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import sqlalchemy as sa

from portal import access, audit
from portal.audit import AuditEntry
from portal.audit_views import _cell
from portal.extensions import db
from portal.models import Role, User, utcnow
from tests import factories as f


def _world():
    desk = f.user(Role.PRIVACY_DESK, email="loket@gemeente.example")
    reader = f.user(Role.PROCESREGISSEUR, email="regisseur@gemeente.example")
    other_reader = f.user(Role.PROCESREGISSEUR, email="ander@gemeente.example")
    person = f.person(given_name="Mirthe", family_name="Uitenbroek")
    stranger = f.person()
    case = f.case(household_obj=person.household)
    access.record_read(reader, purpose="casus inzien", case=case)
    access.record_read(reader, purpose="betrokkene inzien", person=person)
    access.record_read(other_reader, purpose="betrokkene inzien", person=stranger)
    return dict(
        desk=desk.id, reader=reader.id, other=other_reader.id, person=person.id,
        stranger=stranger.id, case=case.id, reference=case.reference,
    )  # fmt: skip


def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_searching_by_person_finds_who_looked_and_is_itself_audited(client, auth, seed):
    with seed():
        w = _world()
        desk = db.session.get(User, w["desk"])
    auth.login(desk)

    page = client.get(f"/audit?person_id={w['person']}")

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"persoon {w['person']}" in text and f"persoon {w['stranger']}" not in text
    assert "Mirthe" not in text  # the trail holds ids, never names
    with client.application.app_context():
        line = db.session.scalar(
            sa.select(AuditEntry)
            .where(AuditEntry.user_id == w["desk"])
            .order_by(AuditEntry.id.desc())
        )
        assert (line.action, line.person_id, line.purpose) == (
            "read",
            w["person"],
            "auditspoor doorzoeken",
        )


def test_searching_by_case_reference_user_and_period(client, auth, seed):
    with seed():
        w = _world()
        desk = db.session.get(User, w["desk"])
    auth.login(desk)

    by_case = _rows(client.get(f"/audit/export.csv?case_reference={w['reference'].lower()}"))
    assert {row["case_id"] for row in by_case} == {str(w["case"])}
    by_user = _rows(client.get("/audit/export.csv?user_email=ANDER@gemeente.example"))
    assert [(row["user_id"], row["person_id"]) for row in by_user] == [
        (str(w["other"]), str(w["stranger"]))
    ]
    today = utcnow().date()
    tomorrow = (today + timedelta(days=2)).isoformat()
    assert _rows(client.get(f"/audit/export.csv?date_from={tomorrow}")) == []
    yesterday = (today - timedelta(days=1)).isoformat()
    in_period = _rows(
        client.get(f"/audit/export.csv?date_from={yesterday}&user_email=regisseur@gemeente.example")
    )
    assert len(in_period) == 2
    unknown = client.get("/audit?user_email=niemand@gemeente.example")
    assert "Geen regels gevonden." in unknown.get_data(as_text=True)


def test_the_export_is_csv_and_on_the_trail_as_an_export(client, auth, seed):
    with seed():
        w = _world()
        desk = db.session.get(User, w["desk"])
    auth.login(desk)

    response = client.get(f"/audit/export.csv?person_id={w['person']}")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _rows(response)
    assert rows and {row["person_id"] for row in rows} == {str(w["person"])}
    assert "regisseur@gemeente.example" in {row["user_email"] for row in rows}
    with client.application.app_context():
        line = db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.id.desc()))
        assert (line.action, line.user_id, line.person_id) == ("export", w["desk"], w["person"])


def test_an_export_needs_a_criterion(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
    auth.login(desk)
    response = client.get("/audit/export.csv")
    assert response.status_code == 422
    assert "zoekcriterium" in response.get_data(as_text=True)


def test_bad_search_input_gets_a_message_not_an_error(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
    auth.login(desk)
    response = client.get("/audit?person_id=abc&date_from=2026-02-01&date_to=2026-01-01")
    assert response.status_code == 422
    assert "vóór de begindatum" in response.get_data(as_text=True)


def test_the_page_verifies_the_chain_and_names_an_altered_row(client, auth, seed):
    with seed():
        w = _world()
        desk = db.session.get(User, w["desk"])
    auth.login(desk)

    intact = client.get("/audit/verify").get_data(as_text=True)
    assert "De keten is intact" in intact

    with client.application.app_context():
        seq = db.session.scalar(
            sa.select(AuditEntry.seq).where(AuditEntry.person_id == w["stranger"]).limit(1)
        )
        db.session.execute(
            sa.update(AuditEntry).where(AuditEntry.seq == seq).values(purpose="weggepoetst")
        )
        db.session.commit()
    broken = client.get("/audit/verify").get_data(as_text=True)
    assert f"regel {seq} is gewijzigd" in broken


def test_a_cell_never_starts_a_spreadsheet_formula():
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("-1+1") == "'-1+1"
    assert _cell(None) == "" and _cell(12) == "12" and _cell("lezen") == "lezen"


def test_search_by_period_uses_local_days(ctx):
    from portal.audit_views import Criteria, search

    entry = audit.record(
        audit.Action.READ, processing_activity="test", purpose="middernacht", object_type="x"
    )
    # 23:30 UTC on 31 January is 00:30 on 1 February in Nijmegen.
    entry.at = datetime(2026, 1, 31, 23, 30)
    db.session.flush()
    from portal.audit_views import _local_midnight

    first_february = Criteria(
        start=_local_midnight(datetime(2026, 2, 1).date()),
        end=_local_midnight(datetime(2026, 2, 2).date()),
    )
    assert entry in search(first_february, 10)

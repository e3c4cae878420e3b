"""Matrix rules of the letter screens (issue 4, point 6).

- A person's letter history and the download of a sent letter follow the person page
  (`person_view_status`): the privacy desk for every person, other staff for the persons of their
  cases, 404 outside scope.
- Composing, previewing and sending the information letter follow the case (`case_status`): it is
  sent about a case the user may record in; the privacy desk sends request letters elsewhere.
- Revoking a sign-in code: who may change the person (`case_status`); a second revoke of the same
  code is refused with a message, still a redirect.
- The not-picked-up letter: who may see the turned-away case (`case_status`).
"""

from __future__ import annotations

from datetime import date

from tests.matrix.expect import case_status, person_view_status


def seed(world, own, other, team_partner):
    from portal.extensions import db
    from portal.letters import access_codes, content, operations
    from portal.models import Decision, Person, Role
    from tests import factories as f

    regisseur = world.users[Role.PROCESREGISSEUR]
    letters, codes, turned_away = {}, {}, {}
    for scope, case, person_id in (
        ("own", own, world.own_person),
        ("other", other, world.other_person),
    ):
        person = db.session.get(Person, person_id)
        letters[scope] = operations.send_letter(
            regisseur, content.information(person, case, sharing=[]), with_access_code=False
        ).id
        codes[scope] = access_codes.issue_code(person, actor=regisseur).row.id
        npu = f.case(
            procesregisseur=regisseur,
            phase=2,
            decision=Decision.NOT_PICKED_UP,
            closed_on=date(2026, 2, 1),
            team=list(case.team),
            members=list(case.members),
            case_manager=case.case_manager,
        )
        turned_away[scope] = npu.id
    world.extra["letters"] = {"letters": letters, "codes": codes, "turned_away": turned_away}


def _ids(world) -> dict:
    assert "letters" in world.extra, (
        "tests/matrix/letters.py needs its seed: the matrix world fixture must call every "
        "function in tests.matrix.SEEDS inside its seed block"
    )
    return world.extra["letters"]


def _person(world, scope) -> int:
    return world.own_person if scope == "own" else world.other_person


def _case(world, scope) -> int:
    return world.own_case if scope == "own" else world.other_case


RULES = {
    "letters.history": (
        "GET",
        lambda w, s: f"/persons/{_person(w, s)}/letters",
        None,
        person_view_status,
    ),
    "letters.download": (
        "GET",
        lambda w, s: f"/letters/{_ids(w)['letters'][s]}.pdf",
        None,
        person_view_status,
    ),
    "letters.compose": (
        "GET",
        lambda w, s: f"/persons/{_person(w, s)}/letters/new",
        None,
        lambda r, s: case_status(r, s, 200),
    ),
    "letters.preview_pdf": (
        "GET",
        lambda w, s: f"/persons/{_person(w, s)}/cases/{_case(w, s)}/letters/preview.pdf",
        None,
        lambda r, s: case_status(r, s, 200),
    ),
    "letters.send": (
        "POST",
        lambda w, s: f"/persons/{_person(w, s)}/cases/{_case(w, s)}/letters",
        lambda w: {"language": "nl", "channel": "post"},
        lambda r, s: case_status(r, s, 302),
    ),
    "letters.revoke_code": (
        "POST",
        lambda w, s: f"/letters/codes/{_ids(w)['codes'][s]}/revoke",
        lambda w: {},
        lambda r, s: case_status(r, s, 302),
    ),
    "letters.not_picked_up": (
        "GET",
        lambda w, s: f"/cases/{_ids(w)['turned_away'][s]}/letters/not-picked-up",
        None,
        lambda r, s: case_status(r, s, 200),
    ),
}

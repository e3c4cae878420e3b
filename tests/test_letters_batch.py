"""Print runs: `flask --app portal letters batch` (issue 4, point 5). An interrupted run resumed
yields each letter exactly once; each letter starts on an odd page for duplex printing."""

from __future__ import annotations

from collections import Counter
from io import BytesIO

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from portal.letters import batch as batches
from portal.letters.models import Letter, LetterBatch, LetterBatchItem, LetterKind
from portal.models import Role
from tests import factories as f


@pytest.fixture
def run_world(seed):
    """Two open cases with five persons in all, one case turned away, one case of another team."""
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
        partner = f.partner(name="Partner Printrun")
        first = f.case(procesregisseur=regisseur, team=[partner])
        second = f.case(procesregisseur=regisseur, team=[partner])
        persons = [f.person(first.household, given_name=f"Eerste{n}") for n in range(3)]
        persons += [f.person(second.household, given_name=f"Tweede{n}") for n in range(2)]
        from datetime import date

        from portal.models import Decision

        turned_away = f.case(
            procesregisseur=regisseur,
            phase=2,
            decision=Decision.NOT_PICKED_UP,
            closed_on=date(2026, 2, 1),
        )
        f.person(turned_away.household, given_name="Afgewezen")
        names = sorted(p.full_name for p in persons)
        ids = {
            "regisseur": regisseur.email,
            "names": names,
            "cases": [first.reference, second.reference],
        }
    return ids


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["letters", "batch", *args])


def first_pages(pdf: bytes) -> list[tuple[int, str]]:
    """(page index, text) of every page that starts a letter."""
    reader = PdfReader(BytesIO(pdf))
    starts = []
    for index, page in enumerate(reader.pages):
        text = " ".join((page.extract_text() or "").split())
        if "Ons kenmerk" in text:  # the address block and meta data are on a first page only
            starts.append((index, text))
    return starts


def test_interrupted_run_resumed_sends_each_letter_exactly_once(
    app, db, run_world, tmp_path, monkeypatch
):
    output = tmp_path / "run.pdf"
    real_send = batches.send_letter
    calls = {"n": 0}

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # someone pressed Ctrl+C during the third letter
        return real_send(*args, **kwargs)

    monkeypatch.setattr(batches, "send_letter", interrupted)
    first = invoke(app, "maart", "--by", run_world["regisseur"], "--output", str(output))
    assert first.exit_code != 0
    assert not output.exists()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 2

    monkeypatch.setattr(batches, "send_letter", real_send)
    second = invoke(app, "maart", "--by", run_world["regisseur"], "--output", str(output))
    assert second.exit_code == 0, second.output
    assert "2 of 5 letters already sent" in second.output
    assert "5 of 5 letters" in second.output

    with app.app_context():
        letters = db.session.scalars(sa.select(Letter)).all()
        assert len(letters) == 5
        assert Counter(letter.person_id for letter in letters).most_common(1)[0][1] == 1
        items = db.session.scalars(sa.select(LetterBatchItem)).all()
        assert sorted(item.letter_id for item in items) == sorted(letter.id for letter in letters)

    starts = first_pages(output.read_bytes())
    assert len(starts) == 5
    named = sorted(name for name in run_world["names"] for _i, text in starts if name in text)
    assert named == run_world["names"]  # every person once, nobody twice
    # Duplex: every letter begins on the front of a sheet (page 1, 3, 5, ... = index 0, 2, 4, ...).
    assert all(index % 2 == 0 for index, _text in starts)
    assert len(PdfReader(BytesIO(output.read_bytes())).pages) % 2 == 0

    third = invoke(app, "maart", "--by", run_world["regisseur"], "--output", str(output))
    assert third.exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 5


def test_a_new_run_skips_persons_who_have_the_current_letter(app, db, run_world, tmp_path):
    output = tmp_path / "a.pdf"
    only_first = invoke(
        app,
        "a",
        "--by",
        run_world["regisseur"],
        "--output",
        str(output),
        "--case",
        run_world["cases"][0],
    )
    assert only_first.exit_code == 0, only_first.output
    assert "created with 3 letters" in only_first.output
    rest = invoke(app, "b", "--by", run_world["regisseur"], "--output", str(tmp_path / "b.pdf"))
    assert "created with 2 letters" in rest.output
    nothing = invoke(app, "c", "--by", run_world["regisseur"], "--output", str(tmp_path / "c.pdf"))
    assert "created with 0 letters" in nothing.output
    with app.app_context():
        kinds = set(db.session.scalars(sa.select(Letter.kind)).all())
        assert kinds == {LetterKind.INFORMATION}
        batch_names = set(db.session.scalars(sa.select(LetterBatch.name)).all())
        assert batch_names == {"a", "b", "c"}


def test_run_refuses_unknown_staff_and_a_name_reused_for_other_letters(
    app, db, run_world, tmp_path
):
    output = tmp_path / "x.pdf"
    unknown = invoke(app, "x", "--by", "nobody@test.example", "--output", str(output))
    assert unknown.exit_code != 0 and "No active staff account" in unknown.output
    invoke(app, "x", "--by", run_world["regisseur"], "--output", str(output), "--case", "none")
    other_language = invoke(
        app, "x", "--by", run_world["regisseur"], "--output", str(output), "--language", "en"
    )
    assert other_language.exit_code != 0 and "use another name" in other_language.output


def test_a_team_member_runs_only_for_their_own_cases(app, db, run_world, tmp_path, seed):
    with seed():
        member = f.user(Role.TEAM_MEMBER)
        email = member.email
    result = invoke(app, "member", "--by", email, "--output", str(tmp_path / "m.pdf"))
    assert result.exit_code == 0 and "created with 0 letters" in result.output

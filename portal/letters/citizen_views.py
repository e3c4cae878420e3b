"""My letters, in the citizen portal (issue 5, point 4): every letter sent to the person (and to
their household address), downloadable as it was sent.

A letter is what the person was told (Privacyprotocol art. 4); the download serves the stored
bytes, checked against their hash, and leaves an export in the audit trail by the person.
"""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, render_template, send_file
from flask_babel import lazy_gettext as _l

from portal import citizen
from portal.extensions import db
from portal.letters import operations
from portal.letters.models import Letter
from portal.letters.views import channel_label, kind_label
from portal.models import Person

bp = Blueprint("citizen_letters", __name__, url_prefix="/mijn/<int:person_id>/brieven")


def letter_of(person: Person, letter_id: int) -> Letter:
    """One of `letters_for(person)`; 404 for any other letter."""
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        abort(404)
    own = letter.person_id == person.id
    to_address = letter.person_id is None and letter.household_id == person.household_id
    if not (own or to_address):
        abort(404)
    return letter


@bp.route("")
@citizen.citizen_required
def overview(person_id: int):
    subject = citizen.load_file(person_id, purpose="mijn brieven inzien")
    page = render_template(
        "citizen/letters.html",
        subject=subject,
        viewer=citizen.current_person(),
        letters=operations.letters_for(subject),
        kind_label=kind_label,
        channel_label=channel_label,
    )
    db.session.commit()
    return page


@bp.route("/<int:letter_id>.pdf")
@citizen.citizen_required
def download(person_id: int, letter_id: int):
    """The stored bytes, unchanged; an export of personal data by the person in the audit trail."""
    subject = citizen.load_file(person_id, purpose="brief downloaden")
    letter = letter_of(subject, letter_id)
    pdf = operations.stored_pdf(None, letter, on_behalf_of=f"person:{citizen.current_person().id}")
    db.session.commit()
    return send_file(
        BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"brief-{letter.id}-{letter.kind.value}.pdf",
    )


SECTION_LABEL = _l("Mijn brieven")
OTHER_LABEL = _l("Brieven")  # on the file of a minor the person represents


def init_app(app) -> None:
    app.register_blueprint(bp)
    citizen.register_section(SECTION_LABEL, "citizen_letters.overview", other_label=OTHER_LABEL)

"""The citizen's session: who is signed in, how, and whose file they may see.

A household member signs in with DigiD (OpenID Connect), a one-time code from a letter, or in demo
mode a DigiD mock. The session then carries only the person's id and how they signed in; a staff
session and a citizen session never mix (signing in as one ends the other). What the person may
see is decided in portal/access.py (`citizen_may_view`): their own file and those of the minors
they represent.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from functools import wraps
from typing import Optional

import sqlalchemy as sa
from flask import abort, current_app, g, redirect, request, session, url_for

from portal import access, audit
from portal.extensions import db
from portal.models import Person

SESSION_KEY = "citizen"


class SignInMethod(enum.Enum):
    DIGID = "digid"
    LETTER_CODE = "letter_code"
    DIGID_MOCK = "digid_mock"  # demo mode only


def sign_in(person: Person, method: SignInMethod) -> None:
    """Start a citizen session for `person` (fresh session: no staff login, no old state). The
    caller commits (the audit entry)."""
    session.clear()
    session[SESSION_KEY] = {"person_id": person.id, "method": method.value}
    session["last_seen"] = datetime.now(UTC).timestamp()
    session.permanent = True
    audit.record(
        audit.Action.SIGN_IN,
        person_id=person.id,
        on_behalf_of=f"person:{person.id}",
        object_type="person",
        object_id=person.id,
        processing_activity="aanmelden burger",
        purpose=f"aanmelden via {method.value}",
        confidentiality=audit.Confidentiality.NORMAL,
    )


def sign_out() -> None:
    session.pop(SESSION_KEY, None)
    session.clear()


def current_person() -> Optional[Person]:
    """The signed-in person, or None."""
    if "citizen_person" in g:
        return g.citizen_person
    data = session.get(SESSION_KEY)
    person = db.session.get(Person, data["person_id"]) if isinstance(data, dict) else None
    g.citizen_person = person
    return person


def sign_in_method() -> Optional[SignInMethod]:
    data = session.get(SESSION_KEY)
    return SignInMethod(data["method"]) if isinstance(data, dict) else None


def citizen_required(view):
    """Citizen pages: signed in as a person, else to the sign-in page (returning afterwards)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_person() is None:
            return redirect(
                url_for(
                    current_app.config["CITIZEN_LOGIN_ENDPOINT"],
                    next=request.full_path if request.method == "GET" else None,
                )
            )
        return view(*args, **kwargs)

    return wrapped


def represented(person: Person) -> list[Person]:
    """The signed-in person and the persons they are legal representative of, self first."""
    minors = db.session.scalars(
        sa.select(Person).where(Person.legal_representative_id == person.id).order_by(Person.id)
    ).all()
    return [person, *minors]


def load_file(person_id: int, *, purpose: str) -> Person:
    """A person's own file (or that of a minor they represent); 404 otherwise. Audited as a read
    by the person themselves."""
    viewer = current_person()
    subject = db.session.get(Person, person_id)
    if viewer is None or subject is None or not access.citizen_may_view(viewer, subject):
        abort(404)
    audit.record(
        audit.Action.READ,
        person_id=subject.id,
        on_behalf_of=f"person:{viewer.id}",
        object_type="person",
        object_id=subject.id,
        processing_activity="burgerportaal",
        purpose=purpose,
        confidentiality=audit.Confidentiality.NORMAL,
    )
    return subject

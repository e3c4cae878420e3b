"""The citizen's session: who is signed in, how, and whose file they may see.

A household member signs in with DigiD (OpenID Connect), a one-time code from a letter, or in demo
mode a DigiD mock. The session then carries only the person's id and how they signed in; a staff
session and a citizen session never mix (signing in as one ends the other). What the person may
see is decided in portal/access.py (`citizen_may_view`): their own file and those of the minors
they represent.

A citizen session ends after 15 minutes without activity, and however active SESSION_MAX_HOURS
after signing in, as a staff session does (portal/security.py). A form sent after that is not
lost: what was typed waits in the session, and after signing in again the person is offered to
send it on (`resume`). "Who looked at my file" reads the audit trail
(`looked_at`): organisation, role and purpose, never the employee.
"""

from __future__ import annotations

import enum
import json
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import Optional
from urllib.parse import urlsplit

import sqlalchemy as sa
from cryptography.fernet import InvalidToken
from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from portal import access, audit, security
from portal.crypto import decrypt_bytes, encrypt_bytes
from portal.extensions import db
from portal.models import Case, Partner, Person, Role
from portal.operations import RuleViolation, find_person_by_bsn

SESSION_KEY = "citizen"
# Form data sent after the idle timeout, kept for the same person until they sign in again.
RESUME_KEY = "citizen_resume"
RESUME_MAX_AGE_SECONDS = 60 * 60
# The session is a signed cookie (at most about 4 kB): longer texts are shortened until what is
# kept fits in RESUME_MAX_BYTES once compressed, and the person is told.
RESUME_MAX_CHARS = 2500
RESUME_MAX_BYTES = 1800
# Session entries that survive signing in: the language, and a form waiting to be sent on.
KEPT_ON_SIGN_IN = ("lang", RESUME_KEY)
PROCESSING_ACTIVITY = "burgerportaal"


class SignInMethod(enum.Enum):
    DIGID = "digid"
    LETTER_CODE = "letter_code"
    DIGID_MOCK = "digid_mock"  # demo mode only


UNKNOWN_PERSON = _l(
    "We kennen u nog niet in dit portaal. Dat klopt als u (nog) geen contact heeft met het "
    "Regieteam. Heeft u een brief van ons gekregen? Log dan in met de code op die brief, of bel "
    "de gemeente: 14 024."
)


def person_for_bsn(bsn: str) -> Optional[Person]:
    """The person with this BSN, found through the keyed hash; None when we do not know them or
    the number fails the 11-check. Looks only; nothing is stored."""
    try:
        return find_person_by_bsn(bsn)
    except RuleViolation:
        return None


def sign_in(person: Person, method: SignInMethod) -> None:
    """Start a citizen session for `person` (fresh session: no staff login, no old state). The
    caller commits (the audit entry)."""
    kept = {key: session[key] for key in KEPT_ON_SIGN_IN if key in session}
    session.clear()
    session.update(kept)
    session[SESSION_KEY] = {"person_id": person.id, "method": method.value}
    session["last_seen"] = datetime.now(UTC).timestamp()
    security.start_session_clock()
    session.permanent = True
    g.pop("citizen_person", None)
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
    """End the citizen session; the chosen language stays. The caller commits (audit entry)."""
    person = current_person()
    if person is not None:
        audit.record(
            audit.Action.SIGN_OUT,
            person_id=person.id,
            on_behalf_of=f"person:{person.id}",
            object_type="person",
            object_id=person.id,
            processing_activity="aanmelden burger",
            purpose="afmelden",
            confidentiality=audit.Confidentiality.NORMAL,
        )
    _end_session()


def _end_session(keep: tuple[str, ...] = ("lang",)) -> None:
    kept = {key: session[key] for key in keep if key in session}
    session.clear()
    session.update(kept)
    g.pop("citizen_person", None)


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


def _here() -> str:
    """The current address inside the site (path and query), to come back to."""
    return request.full_path if request.query_string else request.path


def citizen_required(view):
    """Citizen pages: signed in as a person, else to the sign-in page (returning afterwards)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_person() is None:
            return redirect(
                url_for(
                    current_app.config["CITIZEN_LOGIN_ENDPOINT"],
                    next=_here() if request.method == "GET" else None,
                )
            )
        return view(*args, **kwargs)

    wrapped.citizen_page = True  # the idle timeout keeps forms sent to these pages
    return wrapped


def represented(person: Person) -> list[Person]:
    """The signed-in person and the persons they are legal representative of, self first."""
    minors = db.session.scalars(
        sa.select(Person).where(Person.legal_representative_id == person.id).order_by(Person.id)
    ).all()
    return [person, *minors]


def record_read(viewer: Person, subject: Person, *, purpose: str) -> None:
    """The audit entry of showing `subject`'s data to the signed-in `viewer`."""
    audit.record(
        audit.Action.READ,
        person_id=subject.id,
        on_behalf_of=f"person:{viewer.id}",
        object_type="person",
        object_id=subject.id,
        processing_activity=PROCESSING_ACTIVITY,
        purpose=purpose,
        confidentiality=audit.Confidentiality.NORMAL,
    )


def load_file(person_id: int, *, purpose: str) -> Person:
    """A person's own file (or that of a minor they represent); 404 otherwise. Audited as a read
    by the person themselves."""
    viewer = current_person()
    subject = db.session.get(Person, person_id)
    if viewer is None or subject is None or not access.citizen_may_view(viewer, subject):
        abort(404)
    record_read(viewer, subject, purpose=purpose)
    return subject


def safe_next(target: Optional[str]) -> Optional[str]:
    """A return address inside the citizen portal, or None (never another site)."""
    if not target or not (target == "/mijn" or target.startswith(("/mijn/", "/mijn?"))):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return None
    return target


# --- the home page's sections -----------------------------------------------------------------

# The sections of "Mijn overzicht": other packages (consent, requests, letters) append their page
# here in their init_app; the citizen home page lists them per represented person. Each endpoint
# takes `person_id`.


@dataclass(frozen=True)
class Section:
    label: object  # lazy-translated, for the person's own file ("Mijn toestemmingen")
    endpoint: str
    other_label: object = None  # for a represented minor's file ("Toestemmingen")

    def label_for(self, own: bool) -> object:
        return self.label if own or self.other_label is None else self.other_label


citizen_sections: list[Section] = []


def register_section(label, endpoint: str, other_label=None) -> None:
    """Add a section (lazy-translated label, endpoint taking `person_id`) to the citizen home page;
    `other_label` names it on the file of a minor the person represents. Registering the same
    endpoint twice (several apps in one process, as in tests) keeps one."""
    if all(section.endpoint != endpoint for section in citizen_sections):
        citizen_sections.append(Section(label, endpoint, other_label))


def sections() -> list[Section]:
    """The registered sections whose page exists in this app."""
    return [
        section for section in citizen_sections if section.endpoint in current_app.view_functions
    ]


# --- idle timeout that loses nothing ----------------------------------------------------------


@dataclass(frozen=True)
class Resume:
    """A form sent after the session had timed out, waiting to be sent on."""

    path: str
    fields: list[tuple[str, str]]
    shortened: bool


def _trim(fields: list[tuple[str, str]], budget: int) -> tuple[list[list[str]], bool]:
    kept, shortened = [], False
    for name, value in fields:
        if len(value) > budget:
            value, shortened = value[: max(budget, 0)], True
        budget -= len(value)
        kept.append([name, value])
    return kept, shortened


def _pack(fields: list[tuple[str, str]]) -> tuple[bytes, bool]:
    """What was typed, compressed and encrypted: the session is a cookie the browser keeps, and on
    a shared computer the next user must not read it. Long texts are shortened until it fits."""
    budget = RESUME_MAX_CHARS
    while True:
        kept, shortened = _trim(fields, budget)
        packed = zlib.compress(json.dumps(kept).encode("utf-8"))
        if len(packed) <= RESUME_MAX_BYTES or budget <= 0:
            return encrypt_bytes(packed), shortened
        budget = budget * RESUME_MAX_BYTES // len(packed) - 50


def _unpack(data: object) -> Optional[list[tuple[str, str]]]:
    try:
        fields = json.loads(zlib.decompress(decrypt_bytes(data)))
    except (InvalidToken, TypeError, ValueError, zlib.error):
        return None
    return [(str(name), str(value)) for name, value in fields]


def _sent_from_our_page() -> bool:
    """The form carries the CSRF token of this session: it came from our own page, not from
    another site (a forged form must not be kept and offered to send on). CSRFProtect refuses
    such a post before this hook runs; this also covers a view exempted from it."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True


def _keep_form(person_id: int, packed: bytes, shortened: bool) -> None:
    session[RESUME_KEY] = {
        "person_id": person_id,
        "path": _here(),
        "data": packed,
        "shortened": shortened,
        "at": time.time(),
    }


def pending_resume(person: Optional[Person]) -> Optional[Resume]:
    """The form the signed-in person sent after their session timed out, if any and recent."""
    data = session.get(RESUME_KEY)
    if (
        person is None
        or not isinstance(data, dict)
        or data.get("person_id") != person.id
        or time.time() - float(data.get("at", 0)) > RESUME_MAX_AGE_SECONDS
        or safe_next(data.get("path")) is None
    ):
        return None
    fields = _unpack(data.get("data"))
    if fields is None:
        return None
    return Resume(path=data["path"], fields=fields, shortened=bool(data.get("shortened")))


def drop_resume() -> None:
    session.pop(RESUME_KEY, None)


def after_sign_in_target(person: Person, next_target: Optional[str]) -> str:
    """Where a fresh sign-in lands: the waiting form, else where the person was going, else home.
    A waiting form of someone else (a shared computer) is thrown away."""
    if pending_resume(person) is not None:
        return url_for("citizen.resume")
    drop_resume()
    return safe_next(next_target) or url_for("citizen.home")


# Why a session ended, in the words the sign-in page shows: (form kept, nothing kept).
ENDED_IDLE = (
    _l(
        "U was een tijd niet actief en bent daarom uitgelogd. Wat u invulde is bewaard. "
        "Log opnieuw in om verder te gaan."
    ),
    _l("U was een tijd niet actief en bent daarom uitgelogd. Log opnieuw in."),
)
ENDED_TOO_LONG = (
    _l(
        "U was al lang ingelogd en bent daarom voor uw veiligheid uitgelogd. Wat u invulde is "
        "bewaard. Log opnieuw in om verder te gaan."
    ),
    _l("U was al lang ingelogd en bent daarom voor uw veiligheid uitgelogd. Log opnieuw in."),
)


def _idle_timeout():
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or request.endpoint == "static":
        return None
    now = datetime.now(UTC).timestamp()
    last_seen = session.get("last_seen")
    limit = current_app.config["IDLE_TIMEOUT_MINUTES"] * 60
    # Privacy: a screen left open does not stay signed in (15 minutes without activity); and
    # however active, a session ends after SESSION_MAX_HOURS, as a staff session does.
    if last_seen is not None and now - last_seen > limit:
        ended = ENDED_IDLE
    elif security.session_too_long(now):
        ended = ENDED_TOO_LONG
    else:
        session["last_seen"] = now
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    citizen_page = getattr(view, "citizen_page", False)
    keep_form = (
        citizen_page
        and request.method == "POST"
        and request.endpoint != "citizen.sign_out"
        and _sent_from_our_page()
    )
    if keep_form:
        packed, shortened = _pack(
            [
                (name, value)
                for name, value in request.form.items(multi=True)
                if name != "csrf_token"
            ]
        )
    _end_session()
    if keep_form:
        _keep_form(data.get("person_id"), packed, shortened)
    if not citizen_page:
        return None  # a public page (sign-in, accessibility statement) simply goes on
    flash(str(ended[0] if keep_form else ended[1]), "info")
    next_target = _here() if request.method == "GET" else None
    return redirect(url_for(current_app.config["CITIZEN_LOGIN_ENDPOINT"], next=next_target))


# --- who looked at my file --------------------------------------------------------------------

# What an organisation's employee did, in plain words (the audit action).
ACTION_LABELS = {
    audit.Action.READ.value: _l("bekeken"),
    audit.Action.CREATE.value: _l("vastgelegd"),
    audit.Action.UPDATE.value: _l("gewijzigd"),
    audit.Action.DELETE.value: _l("verwijderd"),
    audit.Action.EXPORT.value: _l("verstuurd of uitgevoerd"),
}
# The role of the employee, in plain words; never who it was.
ROLE_LABELS = {
    Role.PROCESREGISSEUR.value: _l("procesregisseur van het Regieteam"),
    Role.MANAGEMENT_ASSISTANT.value: _l("managementassistent van het Regieteam"),
    Role.TEAM_MEMBER.value: _l("medewerker in het Regieteam"),
    Role.CASE_MANAGER.value: _l("casemanager"),
    Role.INCIDENTAL_PROFESSIONAL.value: _l("medewerker die soms meedoet in het Regieteam"),
    Role.PRIVACY_DESK.value: _l("medewerker van het privacyloket"),
    Role.STATISTICS.value: _l("onderzoeker (Onderzoek en Statistiek)"),
    Role.ADMIN.value: _l("beheerder van het portaal"),
}
SYSTEM_ROLE = _l("computersysteem van de organisatie (automatische controle)")
LOOKED_PER_PAGE = 20


@dataclass(frozen=True)
class Look:
    """One access to the person's data by an organisation."""

    at: datetime
    organisation: str
    role: str
    action: str
    purpose: str
    activity: str


def _looked_condition(person: Person) -> sa.ColumnElement[bool]:
    """Entries about this person, or about a case of their household as a whole, made by an
    organisation: an employee (role and partner) or a partner's system (partner only). The
    person's own use of this portal and the system's own jobs are not looks by others."""
    household_cases = sa.select(Case.id).where(Case.household_id == person.household_id)
    about_person = sa.or_(
        audit.AuditEntry.person_id == person.id,
        sa.and_(
            audit.AuditEntry.person_id.is_(None),
            audit.AuditEntry.case_id.in_(household_cases),
        ),
    )
    return sa.and_(
        about_person,
        audit.AuditEntry.partner_code.is_not(None),
        audit.AuditEntry.action.in_(list(ACTION_LABELS)),
    )


def looked_at(person: Person, page: int = 1) -> tuple[list[Look], int]:
    """Who looked at (or changed) the person's data, newest first, one page; and how many pages.
    Privacyreglement, *Toegang*: every access is logged; AVG art. 15(1)(c): the person may know
    the recipients. Names of employees are not shown: the organisation and role are what the
    person needs, and the employee's own privacy counts too."""
    condition = _looked_condition(person)
    total = db.session.scalar(sa.select(sa.func.count(audit.AuditEntry.id)).where(condition))
    pages = max(1, -(-total // LOOKED_PER_PAGE))
    page = min(max(1, page), pages)
    rows = db.session.scalars(
        sa.select(audit.AuditEntry)
        .where(condition)
        .order_by(audit.AuditEntry.id.desc())
        .limit(LOOKED_PER_PAGE)
        .offset((page - 1) * LOOKED_PER_PAGE)
    ).all()
    codes = {row.partner_code for row in rows}
    partner_names = dict(
        db.session.execute(sa.select(Partner.code, Partner.name).where(Partner.code.in_(codes)))
        .tuples()
        .all()
    )
    looks = [
        Look(
            at=row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC),
            organisation=partner_names.get(row.partner_code, _("een organisatie")),
            role=str(ROLE_LABELS.get(row.role, SYSTEM_ROLE) if row.role else SYSTEM_ROLE),
            action=str(ACTION_LABELS[row.action]),
            purpose=row.purpose,
            activity=row.processing_activity,
        )
        for row in rows
    ]
    return looks, pages


def init_app(app) -> None:
    app.before_request(_idle_timeout)

    @app.context_processor
    def _citizen():
        return {"citizen_person": current_person() if SESSION_KEY in session else None}

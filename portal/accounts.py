"""Account governance: the admin creates staff accounts, sets role and organisation, records the
VOG and the confidentiality statement, deactivates, and reviews accounts nobody uses.

Privacyreglement, *Toegang*: "Autorisaties worden verleend door de verwerkingsverantwoordelijke"
(the admin acts for the college), and "Alle personen die toegang hebben [...] beschikken over een
Verklaring Omtrent Gedrag"; Convenant art. 4.2: incidental professionals sign a confidentiality
statement unless bound by professional secrecy. *Beveiliging*: measures "hebben in elk geval
betrekking op de toegang tot de persoonsgegevens en de lees- en schrijfbevoegdheden" - so every
change is audited, and accounts unused for 90 days come up for review.

First sign-in: the admin sets a temporary password and hands it over outside the portal; the
account has no second factor yet, so the first sign-in enrols an authenticator app (TOTP, in
portal/auth_views.py) before anything else. Resetting sign-in does the same again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal import audit
from portal.auth import hash_password, password_message, password_problem
from portal.extensions import db
from portal.models import Partner, Role, User, utcnow
from portal.operations import RuleViolation

REVIEW_AFTER_DAYS = 90
PROCESSING_ACTIVITY = "accountbeheer"

# Roles held by municipal staff only: the Regieteam's own procesregisseur and management
# assistants, the privacy desk of the college, O&S "van de gemeente" (Privacyreglement, Toegang),
# and the administrator of the municipality's system.
MUNICIPAL_ROLES = frozenset(
    {
        Role.PROCESREGISSEUR,
        Role.MANAGEMENT_ASSISTANT,
        Role.PRIVACY_DESK,
        Role.STATISTICS,
        Role.ADMIN,
    }
)

ROLE_LABELS = {
    Role.PROCESREGISSEUR: _l("Procesregisseur"),
    Role.MANAGEMENT_ASSISTANT: _l("Managementassistent"),
    Role.TEAM_MEMBER: _l("Teamlid Regieteam"),
    Role.CASE_MANAGER: _l("Casemanager"),
    Role.INCIDENTAL_PROFESSIONAL: _l("Incidentele professional"),
    Role.PRIVACY_DESK: _l("Privacyloket"),
    Role.STATISTICS: _l("Onderzoek en Statistiek"),
    Role.ADMIN: _l("Beheerder"),
}


def role_label(role: Role) -> str:
    return str(ROLE_LABELS[role])


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN or not actor.is_active:
        raise RuleViolation("not_admin", "Alleen de beheerder beheert accounts.")


def _record(actor: User, account: User, purpose: str, action=audit.Action.UPDATE) -> None:
    audit.record(
        action,
        user=actor,
        processing_activity=PROCESSING_ACTIVITY,
        purpose=purpose,
        object_type="staff_user",
        object_id=account.id,
        confidentiality=audit.Confidentiality.NORMAL,
    )


def _check_password(password: str, *, email: str, name: str) -> str:
    """The same rules as a staff member's own change (portal/auth.py, ASVS 2.1)."""
    problem = password_problem(password, email=email, name=name)
    if problem is not None:
        raise RuleViolation("weak_password", password_message(problem))
    return password


def _check_fields(
    account: Optional[User],
    *,
    email: str,
    role: Role,
    partner: Partner,
    vog_date: Optional[date],
    confidentiality_signed_on: Optional[date],
    today: date,
) -> str:
    email = email.strip().lower()
    clash = db.session.scalar(
        sa.select(User.id).where(
            sa.func.lower(User.email) == email,
            User.id != (account.id if account is not None else -1),
        )
    )
    if clash is not None:
        raise RuleViolation("email_taken", "Er is al een account met dit e-mailadres.")
    if role in MUNICIPAL_ROLES and not partner.is_municipal:
        raise RuleViolation(
            "municipal_role",
            "Deze rol is voor medewerkers van de gemeente: kies een gemeentelijke organisatie.",
        )
    for value, what in ((vog_date, "De VOG-datum"), (confidentiality_signed_on, "De datum")):
        if value is not None and value > today:
            raise RuleViolation("in_future", f"{what} kan niet in de toekomst liggen.")
    return email


def create_account(
    actor: User,
    *,
    name: str,
    email: str,
    role: Role,
    partner: Partner,
    temporary_password: str,
    vog_date: Optional[date] = None,
    confidentiality_signed_on: Optional[date] = None,
    today: Optional[date] = None,
) -> User:
    """A new staff account with a temporary password; the first sign-in enrols a second factor.
    Without a VOG date the account cannot sign in yet (Privacyreglement, Toegang)."""
    _require_admin(actor)
    email = _check_fields(
        None,
        email=email,
        role=role,
        partner=partner,
        vog_date=vog_date,
        confidentiality_signed_on=confidentiality_signed_on,
        today=today or date.today(),
    )
    if not name.strip():
        raise RuleViolation("name_required", "Vul de naam in.")
    account = User(
        name=name.strip(),
        email=email,
        role=role,
        partner=partner,
        password_hash=hash_password(
            _check_password(temporary_password, email=email, name=name.strip())
        ),
        password_temporary=True,
        vog_date=vog_date,
        confidentiality_signed_on=confidentiality_signed_on,
        totp_secret=None,
        totp_confirmed=False,
        active=True,
    )
    db.session.add(account)
    db.session.flush()
    _record(actor, account, f"account aanmaken: {role.value}", action=audit.Action.CREATE)
    return account


def update_account(
    actor: User,
    account: User,
    *,
    name: str,
    email: str,
    role: Role,
    partner: Partner,
    vog_date: Optional[date],
    confidentiality_signed_on: Optional[date],
    today: Optional[date] = None,
) -> User:
    """Change role, organisation, VOG and confidentiality dates. A change of role or organisation
    ends the account's sessions, so the new rights apply from the next sign-in."""
    _require_admin(actor)
    email = _check_fields(
        account,
        email=email,
        role=role,
        partner=partner,
        vog_date=vog_date,
        confidentiality_signed_on=confidentiality_signed_on,
        today=today or date.today(),
    )
    if account.id == actor.id and role is not Role.ADMIN:
        raise RuleViolation(
            "own_admin_role",
            "U kunt uw eigen beheerdersrol niet weghalen; laat een collega dat doen.",
        )
    if not name.strip():
        raise RuleViolation("name_required", "Vul de naam in.")
    changes = []
    if account.role is not role:
        changes.append(f"rol {account.role.value} -> {role.value}")
    if account.partner_id != partner.id:
        changes.append(f"organisatie {account.partner.code} -> {partner.code}")
    if account.vog_date != vog_date:
        changes.append("VOG-datum")
    if account.confidentiality_signed_on != confidentiality_signed_on:
        changes.append("geheimhoudingsverklaring")
    if account.email != email or account.name != name.strip():
        changes.append("naam of e-mailadres")
    rights_changed = account.role is not role or account.partner_id != partner.id
    account.name = name.strip()
    account.email = email
    account.role = role
    account.partner = partner
    account.vog_date = vog_date
    account.confidentiality_signed_on = confidentiality_signed_on
    if rights_changed:
        account.session_version += 1
    db.session.flush()
    _record(actor, account, "account wijzigen: " + (", ".join(changes) or "niets"))
    return account


def deactivate(actor: User, account: User) -> User:
    """The account stops working at once: every session ends. Nothing is deleted (the audit trail
    keeps naming the account)."""
    _require_admin(actor)
    if account.id == actor.id:
        raise RuleViolation("own_account", "U kunt uw eigen account niet uitzetten.")
    if not account.active:
        raise RuleViolation("already_inactive", "Dit account staat al uit.")
    account.active = False
    account.session_version += 1
    db.session.flush()
    _record(actor, account, "account uitzetten")
    return account


def reactivate(actor: User, account: User) -> User:
    _require_admin(actor)
    if account.active:
        raise RuleViolation("already_active", "Dit account staat al aan.")
    account.active = True
    account.failed_logins = 0
    account.locked_until = None
    db.session.flush()
    _record(actor, account, "account weer aanzetten")
    return account


def reset_sign_in(
    actor: User, account: User, *, temporary_password: str, new_second_factor: bool
) -> User:
    """A new temporary password, and with `new_second_factor` a new authenticator enrolment on the
    next sign-in (a lost phone). Every session ends."""
    _require_admin(actor)
    account.password_hash = hash_password(
        _check_password(temporary_password, email=account.email, name=account.name)
    )
    account.password_temporary = True
    account.failed_logins = 0
    account.locked_until = None
    if new_second_factor:
        account.totp_secret = None
        account.totp_confirmed = False
        account.totp_last_step = None
    account.session_version += 1
    db.session.flush()
    _record(
        actor,
        account,
        "aanmelden opnieuw instellen" + (" met nieuwe tweede factor" if new_second_factor else ""),
    )
    return account


# --- review -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewItem:
    account: User
    reasons: tuple[str, ...]


def _aware(moment: Optional[datetime]) -> Optional[datetime]:
    from datetime import UTC

    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def review_list(now: Optional[datetime] = None, days: int = REVIEW_AFTER_DAYS) -> list[ReviewItem]:
    """Active accounts to look at: not used for `days` (never signed in counts from creation), no
    VOG on record, or an incidental professional without a confidentiality statement where one is
    needed (Convenant art. 4.2)."""
    now = now or utcnow()
    limit = now - timedelta(days=days)
    items = []
    accounts = db.session.scalars(
        sa.select(User).where(User.active.is_(True)).order_by(User.name, User.id)
    ).all()
    for account in accounts:
        reasons = []
        last = _aware(account.last_login_at)
        if last is None and _aware(account.created_at) <= limit:
            reasons.append("never_used")
        elif last is not None and last <= limit:
            reasons.append("unused")
        if account.vog_date is None:
            reasons.append("no_vog")
        if (
            account.role is Role.INCIDENTAL_PROFESSIONAL
            and not account.partner.professional_secrecy
            and account.confidentiality_signed_on is None
        ):
            reasons.append("no_confidentiality_statement")
        if reasons:
            items.append(ReviewItem(account, tuple(reasons)))
    return items


REVIEW_LABELS = {
    "never_used": _l("nooit aangemeld"),
    "unused": _l("langer dan 90 dagen niet aangemeld"),
    "no_vog": _l("geen VOG-datum: kan niet aanmelden"),
    "no_confidentiality_statement": _l("geen geheimhoudingsverklaring: geen toegang tot casussen"),
}


def all_accounts() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.active.desc(), User.name)))

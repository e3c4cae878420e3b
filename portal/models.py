"""The shared model: partners, data domains, households, persons, cases, staff users.

Rules that live here are the ones the database can enforce; the rest is in `portal/operations.py`.
"""
from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import EncryptedText
from portal.extensions import db

# Literal boolean defaults read the same on SQLite (3.23+) and PostgreSQL, so the models and the
# migrations compare equal on both.
FALSE = sa.text("false")
TRUE = sa.text("true")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _enum(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    # Stored as the enum's value (readable in SQL), checked by a constraint on every backend.
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Participation(enum.Enum):
    """How a partner takes part (Convenant art. 4.2)."""

    CORE = "core"  # vast teamlid of the Regieteam
    SCHILPARTNER = "schilpartner"  # joins per case (GGD)
    INCIDENTAL = "incidental"  # leerplicht, Sociaal Wijkteam, Entréa, Iriszorg, Bindkracht 10
    CHAIN = "chain"  # Veiligheidshuis


partner_domain = sa.Table(
    "partner_domain",
    db.Model.metadata,
    sa.Column("partner_id", sa.ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("domain_id", sa.ForeignKey("data_domain.id"), primary_key=True),
)


class Partner(db.Model):
    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    is_municipal: Mapped[bool] = mapped_column(default=False, server_default=FALSE)
    # Bound by professional secrecy (medical: Wgbo; social work by its professional code,
    # Privacyprotocol art. 5): shares only with consent or a conflict of duties.
    professional_secrecy: Mapped[bool] = mapped_column(default=False, server_default=FALSE)
    participation: Mapped[Participation] = mapped_column(_enum(Participation, "participation"))
    # Privacyprotocol art. 2 sub 3: the statutory task a public-task basis can rest on.
    statutory_task: Mapped[Optional[str]] = mapped_column(sa.Text)
    # Where notices for this partner go (withdrawn consent, data breaches).
    contact_email: Mapped[Optional[str]] = mapped_column(sa.String(200))
    # The life domains of the partner's own task. Data of another domain "crosses domains", which
    # from step 4 on always needs consent (Afwegingskader stap 4).
    domains: Mapped[list[DataDomain]] = relationship(
        secondary=partner_domain, order_by="DataDomain.code"
    )

    def __repr__(self) -> str:
        return f"<Partner {self.code}>"


class DataDomain(db.Model):
    """A leefgebied. Special category: AVG art. 9; criminal data: AVG art. 10."""

    __tablename__ = "data_domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_nl: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    special_category: Mapped[bool] = mapped_column(default=False, server_default=FALSE)
    criminal: Mapped[bool] = mapped_column(default=False, server_default=FALSE)


class Household(db.Model):
    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    street: Mapped[str] = mapped_column(sa.String(200))
    house_number: Mapped[str] = mapped_column(sa.String(20))
    postcode: Mapped[str] = mapped_column(sa.String(7))
    city: Mapped[str] = mapped_column(sa.String(100), default="Nijmegen")
    wijk: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    persons: Mapped[list[Person]] = relationship(
        back_populates="household", order_by="Person.id"
    )
    cases: Mapped[list[Case]] = relationship(back_populates="household", order_by="Case.id")

    @property
    def address(self) -> str:
        return f"{self.street} {self.house_number}, {self.postcode} {self.city}"


# Below this age consent is given by the legal representative (DESIGN.md, Person).
CONSENT_AGE = 16


class Person(db.Model):
    """A betrokkene. The BSN is optional; kept encrypted with a keyed hash for lookup."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"), index=True)
    given_name: Mapped[str] = mapped_column(sa.String(100))
    family_name: Mapped[str] = mapped_column(sa.String(100))
    birth_date: Mapped[Optional[date]]
    bsn_hash: Mapped[Optional[str]] = mapped_column(sa.String(64), unique=True)
    bsn_encrypted: Mapped[Optional[bytes]] = mapped_column(sa.LargeBinary)
    email: Mapped[Optional[str]] = mapped_column(sa.String(200))
    legal_representative_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("person.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    # AVG art. 18: while set, the person's data is only stored, not otherwise processed (the
    # consent check denies, no entries are added). Set and cleared by requests/rights.py.
    restricted_since: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))

    household: Mapped[Household] = relationship(back_populates="persons")
    legal_representative: Mapped[Optional[Person]] = relationship(remote_side=[id])

    __table_args__ = (
        sa.CheckConstraint(
            "(bsn_hash IS NULL) = (bsn_encrypted IS NULL)", name="bsn_hash_with_value"
        ),
        sa.CheckConstraint(
            "legal_representative_id IS NULL OR legal_representative_id != id",
            name="not_own_representative",
        ),
    )

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: date) -> Optional[int]:
        if self.birth_date is None:
            return None
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)

    def is_minor_on(self, day: date) -> bool:
        """True when consent must come from the legal representative."""
        age = self.age_on(day)
        return age is not None and age < CONSENT_AGE


class Role(enum.Enum):
    """Staff roles of the Privacyreglement, *Toegang*. One role per account."""

    PROCESREGISSEUR = "procesregisseur"
    MANAGEMENT_ASSISTANT = "management_assistant"
    TEAM_MEMBER = "team_member"
    CASE_MANAGER = "case_manager"
    INCIDENTAL_PROFESSIONAL = "incidental_professional"
    PRIVACY_DESK = "privacy_desk"
    STATISTICS = "statistics"
    ADMIN = "admin"


class User(db.Model):
    """A staff account. Flask-Login's user; the session carries `id:session_version`."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(200), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partner.id"), index=True)
    # Privacyreglement, Toegang: everyone with access has a VOG (or security screening).
    vog_date: Mapped[Optional[date]]
    # Convenant art. 4.2: incidental professionals sign a confidentiality statement.
    confidentiality_signed_on: Mapped[Optional[date]]
    totp_secret: Mapped[Optional[str]] = mapped_column(EncryptedText)
    totp_confirmed: Mapped[bool] = mapped_column(default=False, server_default=FALSE)
    totp_last_step: Mapped[Optional[int]]  # a code is accepted once
    # Set by an administrator (a new account, a reset): changed first at the next sign-in
    # (OWASP ASVS 2.3.1; portal/auth_views.py).
    password_temporary: Mapped[bool] = mapped_column(default=False, server_default=FALSE)
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    # Raised by "sign out everywhere": every older session stops being valid.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    active: Mapped[bool] = mapped_column(default=True, server_default=TRUE)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    partner: Mapped[Partner] = relationship()

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class Phase(enum.IntEnum):
    """The steps of the weighing framework (Afwegingskader, Bijlage 3)."""

    SIGNAL = 1
    ASSESSMENT = 2
    INFORMATION = 3
    ASSIGNMENT = 4
    PLAN = 5
    REVIEW = 6
    MONITORING = 7
    CLOSING = 8


# Afwegingskader, after step 8: "Vanaf punt 5 worden persoonsgegevens ... vastgelegd in VIS2".
FIRST_PHASE_WITH_PERSONAL_DATA = Phase.PLAN


class Decision(enum.Enum):
    """Step 3 decision: wel oppakken / niet oppakken / op- of afschalen."""

    PENDING = "pending"
    PICK_UP = "pick_up"
    NOT_PICKED_UP = "not_picked_up"
    SCALE_UP = "scale_up"
    SCALE_DOWN = "scale_down"


case_team = sa.Table(
    "case_team",
    db.Model.metadata,
    sa.Column("case_id", sa.ForeignKey("regie_case.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("partner_id", sa.ForeignKey("partner.id"), primary_key=True),
)

case_membership = sa.Table(
    "case_membership",
    db.Model.metadata,
    sa.Column("case_id", sa.ForeignKey("regie_case.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("staff_user.id"), primary_key=True),
)


class Case(db.Model):
    __tablename__ = "regie_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"), index=True)
    phase: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    decision: Mapped[Decision] = mapped_column(
        _enum(Decision, "decision"), default=Decision.PENDING
    )
    procesregisseur_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))
    case_manager_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("staff_user.id"), index=True
    )
    opened_on: Mapped[date]
    closed_on: Mapped[Optional[date]]

    household: Mapped[Household] = relationship(back_populates="cases")
    procesregisseur: Mapped[User] = relationship(foreign_keys=[procesregisseur_id])
    case_manager: Mapped[Optional[User]] = relationship(foreign_keys=[case_manager_id])
    team: Mapped[list[Partner]] = relationship(secondary=case_team, order_by="Partner.name")
    members: Mapped[list[User]] = relationship(secondary=case_membership, order_by="User.name")
    entries: Mapped[list[CaseEntry]] = relationship(
        back_populates="case", order_by="CaseEntry.created_at", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("phase BETWEEN 1 AND 8", name="phase_range"),
        # A signal that is not picked up never reaches phase 4 or later.
        sa.CheckConstraint(
            "decision != 'not_picked_up' OR phase <= 3", name="not_picked_up_stays_early"
        ),
        # Phase 4 and later follow a decision to pick up (or scale).
        sa.CheckConstraint("phase <= 3 OR decision != 'pending'", name="decided_from_phase_4"),
        sa.CheckConstraint("closed_on IS NULL OR closed_on >= opened_on", name="closed_after_open"),
    )

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None


class EntryKind(enum.Enum):
    """The core data set of a case (Privacyprotocol art. 5)."""

    PROBLEM_OUTLINE = "problem_outline"
    PLAN = "plan"
    PRODUCT_ORDER = "product_order"
    PROGRESS = "progress"
    ACTION = "action"
    INVOLVED_ORGANISATION = "involved_organisation"


class CaseEntry(db.Model):
    """One item of the core data set; keeps its source partner (Privacyprotocol art. 5)."""

    __tablename__ = "case_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("regie_case.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EntryKind] = mapped_column(_enum(EntryKind, "entry_kind"))
    domain_id: Mapped[int] = mapped_column(sa.ForeignKey("data_domain.id"))
    source_partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partner.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))
    person_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("person.id"), index=True)
    text: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="entries")
    domain: Mapped[DataDomain] = relationship()
    source_partner: Mapped[Partner] = relationship()
    author: Mapped[User] = relationship()
    person: Mapped[Optional[Person]] = relationship()


class LoginAttempt(db.Model):
    """Sign-in attempts per client address, for the login rate limit (shared by all workers)."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)

"""Management reports and the O&S sheet of the consent ledger (portal/statistics.py).

Reports count decisions per data domain and per recipient partner: given, refused, withdrawn
(Privacyprotocol art. 2). The O&S workbook holds only decisions the municipality or the person
put on record: "De exceldumps bevatten geen informatie die in het systeem is ingegeven door
niet-gemeentelijke partners" (Privacyreglement, Toegang). Notes (free text) never go.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from consent.forms import domain_name, status_label
from consent.models import ConsentEvent, ConsentStatus, RecordedBy
from portal.extensions import db
from portal.models import DataDomain, Partner, User
from portal.statistics import Count, Period, Pseudonym, Table, register_report, register_sheet

STATUSES = (ConsentStatus.GIVEN, ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN)


def _in(period: Period):
    return sa.and_(
        ConsentEvent.effective_at >= period.start_at, ConsentEvent.effective_at < period.end_at
    )


def _table(key: str, title: str, header: str, counts, names: dict[int, str]) -> Table:
    per_row: dict[int, dict[ConsentStatus, int]] = {}
    for row_id, status, count in counts:
        per_row.setdefault(row_id, {})[status] = count
    return Table(
        key=key,
        title=title,
        row_header=header,
        columns=[status_label(status) for status in STATUSES],
        rows=[
            (names[row_id], [Count(per_row[row_id].get(status, 0)) for status in STATUSES])
            for row_id in sorted(per_row, key=lambda i: names[i])
        ],
    )


def reports(period: Period) -> list[Table]:
    def counted(column):
        return db.session.execute(
            sa.select(column, ConsentEvent.status, sa.func.count(ConsentEvent.id))
            .where(_in(period), ConsentEvent.status.in_(STATUSES))
            .group_by(column, ConsentEvent.status)
        ).all()

    domains = {d.id: domain_name(d) for d in db.session.scalars(sa.select(DataDomain))}
    partners = {p.id: p.name for p in db.session.scalars(sa.select(Partner))}
    return [
        _table(
            "consents_domain",
            _("Toestemmingen per leefgebied"),
            _("Leefgebied"),
            counted(ConsentEvent.domain_id),
            domains,
        ),
        _table(
            "consents_partner",
            _("Toestemmingen per ontvangende partner"),
            _("Partner"),
            counted(ConsentEvent.recipient_id),
            partners,
        ),
    ]


def entered_by_municipality_or_person():
    """Decisions recorded by municipal staff, by the person online, or by the system (expiry)."""
    municipal = sa.exists().where(
        User.id == ConsentEvent.recorder_id,
        Partner.id == User.partner_id,
        Partner.is_municipal.is_(True),
    )
    by_person_or_system = sa.and_(
        ConsentEvent.recorder_id.is_(None),
        ConsentEvent.recorded_by.in_([RecordedBy.PERSON, RecordedBy.SYSTEM]),
    )
    return sa.or_(municipal, by_person_or_system)


HEADERS = [
    "persoon", "leefgebied", "ontvanger", "doel", "besluit", "kanaal", "vastgelegd_door",
    "datum",
]  # fmt: skip


def sheet(period: Period, pseudonym: Pseudonym) -> tuple[list[str], list[list]]:
    domains = {d.id: d.code for d in db.session.scalars(sa.select(DataDomain))}
    partners = {p.id: p.code for p in db.session.scalars(sa.select(Partner))}
    events = db.session.scalars(
        sa.select(ConsentEvent)
        .where(_in(period), entered_by_municipality_or_person())
        .order_by(ConsentEvent.effective_at, ConsentEvent.id)
    )
    rows = [
        [
            pseudonym("person", event.person_id),
            domains[event.domain_id],
            partners[event.recipient_id],
            event.purpose.value,
            event.status.value,
            event.channel.value,
            event.recorded_by.value,
            event.effective_at.date(),
        ]
        for event in events
    ]
    return HEADERS, rows


def register() -> None:
    register_report("consent", reports)
    register_sheet("Toestemmingen", sheet)

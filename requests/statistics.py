"""Management reports and the O&S sheet of privacy requests (portal/statistics.py).

Counts per type and month, the share decided within the deadline (AVG art. 12(3)), the median
lead time and the extensions. Requests are registered by the municipality's privacy desk or by the
person online, so their rows may go into the O&S workbook (Privacyreglement, Toegang); the
description, reasons and notes (free text) never do.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from portal.extensions import db
from portal.statistics import (
    Count,
    Period,
    Pseudonym,
    Share,
    Table,
    median_days,
    month_of,
    register_report,
    register_sheet,
)
from requests.labels import type_label
from requests.models import PrivacyRequest, RequestType


def _received_in(period: Period):
    return sa.select(PrivacyRequest).where(
        PrivacyRequest.received_on >= period.start, PrivacyRequest.received_on <= period.end
    )


def reports(period: Period) -> list[Table]:
    requests = db.session.scalars(_received_in(period)).all()
    types = list(RequestType)
    per_month = {month: {t: 0 for t in types} for month in period.months()}
    for request in requests:
        per_month[month_of(request.received_on)][request.type] += 1
    by_month = Table(
        key="requests_month",
        title=_("AVG-verzoeken per soort en maand van ontvangst"),
        row_header=_("Maand"),
        columns=[type_label(t) for t in types],
        rows=[(month, [Count(counts[t]) for t in types]) for month, counts in per_month.items()],
    )
    rows = []
    for request_type in types:
        of_type = [r for r in requests if r.type is request_type]
        decided = [r for r in of_type if r.decided_on is not None]
        on_time = [r for r in decided if r.decided_on <= r.deadline]
        rows.append(
            (
                type_label(request_type),
                [
                    Count(len(decided)),
                    Share(len(on_time), len(decided)),
                    median_days((r.decided_on - r.received_on).days for r in decided),
                    Count(sum(1 for r in of_type if r.extended_on is not None)),
                ],
            )
        )
    timeliness = Table(
        key="requests_on_time",
        title=_("Afhandeling van AVG-verzoeken ontvangen in de periode"),
        row_header=_("Soort"),
        columns=[
            _("Besloten"),
            _("Op tijd besloten"),
            _("Mediaan doorlooptijd (dagen)"),
            _("Verlengd"),
        ],
        rows=rows,
        chart=False,
    )
    return [by_month, timeliness]


HEADERS = [
    "verzoek", "persoon", "soort", "kanaal", "ingediend_door", "ontvangen", "termijn",
    "verlengd", "besloten", "uitkomst", "status", "op_tijd",
]  # fmt: skip


def sheet(period: Period, pseudonym: Pseudonym) -> tuple[list[str], list[list]]:
    rows = []
    for request in db.session.scalars(_received_in(period).order_by(PrivacyRequest.id)):
        rows.append(
            [
                pseudonym("request", request.id),
                pseudonym("person", request.person_id),
                request.type.value,
                request.channel.value,
                request.filed_by.value,
                request.received_on,
                request.deadline,
                request.extended_on is not None,
                request.decided_on,
                request.decision.value if request.decision else None,
                request.status.value,
                None if request.decided_on is None else request.decided_on <= request.deadline,
            ]
        )
    return HEADERS, rows


def register() -> None:
    register_report("requests", reports)
    register_sheet("Verzoeken", sheet)

"""Management reports and exports for Onderzoek en Statistiek (O&S).

Privacyreglement, *Toegang*: "De afdeling Onderzoek en Statistiek (O&S) van de gemeente heeft voor
uitsluitend statistische doeleinden inzage in managementrapportages (geen persoonsgegevens) en
procesinformatie op cliënt/casusniveau voor één van de regieteamwijken. Daarnaast krijgt de
afdeling O&S excelbestanden (dumps) [...]. De exceldumps bevatten geen informatie die in het
systeem is ingegeven door niet-gemeentelijke partners."

So:
- reports are counts, shares and medians, never a name, address, BSN or free text; a count below
  five is not shown ("< 5"), and neither is a share or median over fewer than five;
- case-level process information only for the one wijk the admin chose;
- the workbook carries pseudonymised ids (a keyed hash with a key made for that export and then
  thrown away: stable within the export, unlinkable across exports) and only rows entered by the
  municipality or by the person; every export is on the audit trail.

The domain packages add their reports and sheets through the registries below (`portal` never
imports them).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import statistics as stats
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Optional, Union
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy.orm import Mapped, mapped_column

from portal import audit
from portal.extensions import db
from portal.models import Case, CaseEntry, EntryKind, Household, Partner, User, utcnow

SMALL = 5  # counts below this are suppressed (VSO code of conduct; Privacyreglement, Toegang)
LOCAL_TIME = ZoneInfo("Europe/Amsterdam")
PROCESSING_ACTIVITY = "statistiek (O&S)"


# --- cells and suppression ----------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    n: int


@dataclass(frozen=True)
class Share:
    part: int
    whole: int


@dataclass(frozen=True)
class Median:
    days: Optional[float]
    n: int


@dataclass(frozen=True)
class Hidden:
    """A cell hidden so that a suppressed neighbour cannot be worked out by subtraction."""

    n: int


Cell = Union[Count, Share, Median, Hidden]
SUPPRESSED = "< 5"


def is_suppressed(cell: Cell) -> bool:
    """A count of 1 to 4, or a share or median resting on fewer than five, is not shown."""
    if isinstance(cell, Hidden):
        return True
    if isinstance(cell, Count):
        return 0 < cell.n < SMALL
    if isinstance(cell, Share):
        return 0 < cell.whole < SMALL
    return 0 < cell.n < SMALL


def shown(cell: Cell) -> str:
    """The cell as a report shows it."""
    if is_suppressed(cell):
        return SUPPRESSED
    if isinstance(cell, Count):
        return str(cell.n)
    if isinstance(cell, Share):
        return f"{round(100 * cell.part / cell.whole)}%" if cell.whole else "-"
    return "-" if cell.days is None else f"{cell.days:g}"


def value(cell: Cell) -> Optional[float]:
    """The number behind a shown cell (for charts and the workbook); None when suppressed."""
    if is_suppressed(cell):
        return None
    if isinstance(cell, Count):
        return cell.n
    if isinstance(cell, Share):
        return round(100 * cell.part / cell.whole) if cell.whole else None
    return cell.days


@dataclass
class Table:
    """One management report: rows × columns of cells."""

    key: str
    title: str
    row_header: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    note: Optional[str] = None
    chart: bool = True

    @property
    def any_suppressed(self) -> bool:
        return any(is_suppressed(cell) for _label, cells in self.rows for cell in cells)


def protect_columns(rows: list[tuple[str, list[Cell]]]) -> list[tuple[str, list[Cell]]]:
    """Complementary suppression: where the column's total is known elsewhere (another table),
    one suppressed cell in a column could be worked out from the others. Then the smallest other
    non-zero count of that column is hidden too."""
    rows = [(label, list(cells)) for label, cells in rows]
    columns = len(rows[0][1]) if rows else 0
    for column in range(columns):
        cells = [cells[column] for _label, cells in rows]
        if sum(is_suppressed(cell) for cell in cells) != 1:
            continue
        candidates = [
            (cell.n, index)
            for index, cell in enumerate(cells)
            if isinstance(cell, Count) and cell.n > 0 and not is_suppressed(cell)
        ]
        if candidates:
            _n, index = min(candidates)
            rows[index][1][column] = Hidden(rows[index][1][column].n)
    return rows


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=LOCAL_TIME).astimezone(UTC)

    @property
    def end_at(self) -> datetime:
        """The first moment after the period."""
        following = self.end + timedelta(days=1)
        return datetime.combine(following, time.min, tzinfo=LOCAL_TIME).astimezone(UTC)

    def months(self) -> list[str]:
        months, day = [], self.start.replace(day=1)
        while day <= self.end:
            months.append(f"{day.year}-{day.month:02d}")
            day = (day + timedelta(days=32)).replace(day=1)
        return months


def default_period(today: date) -> Period:
    """The last twelve whole months and this one so far."""
    start = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    return Period(start, today)


def month_of(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def median_days(durations: Iterable[int]) -> Median:
    values = list(durations)
    return Median(stats.median(values) if values else None, len(values))


# --- the registries -----------------------------------------------------------------------------

ReportBuilder = Callable[[Period], list[Table]]
Pseudonym = Callable[[str, int], str]
# A sheet: (headers, rows). Rows hold plain values: numbers, dates, codes, pseudonyms.
SheetBuilder = Callable[[Period, Pseudonym], tuple[list[str], list[list]]]

_reports: dict[str, ReportBuilder] = {}
_sheets: dict[str, SheetBuilder] = {}


def register_report(name: str, build: ReportBuilder) -> None:
    _reports[name] = build


def register_sheet(name: str, build: SheetBuilder) -> None:
    """A sheet of the O&S workbook; its rows must hold nothing a non-municipal partner entered."""
    _sheets[name] = build


def reports(period: Period) -> list[Table]:
    tables = []
    for build in _reports.values():
        tables.extend(build(period))
    return tables


# --- portal's own reports: cases ----------------------------------------------------------------


def _case_reports(period: Period) -> list[Table]:
    phases = list(range(1, 9))
    open_cases = db.session.execute(
        sa.select(Household.wijk, Case.phase, sa.func.count(Case.id))
        .join(Household, Household.id == Case.household_id)
        .where(Case.closed_on.is_(None))
        .group_by(Household.wijk, Case.phase)
    ).all()
    by_wijk: dict[str, dict[int, int]] = {}
    for wijk, phase, count in open_cases:
        by_wijk.setdefault(wijk, {})[phase] = count
    # Phase groups of the weighing framework: before the decision (1-3), the Regieteam at work
    # (4-6), monitoring and closing (7-8). The per-phase totals are in the table above, so a
    # suppressed cell is protected against subtraction.
    groups = ((1, 3), (4, 6), (7, 8))
    per_wijk = Table(
        key="cases_phase_wijk",
        title=str(_l("Lopende casussen per wijk en fase")),
        row_header=str(_l("Wijk")),
        columns=[str(_l("Fase %(first)d-%(last)d", first=a, last=b)) for a, b in groups],
        rows=protect_columns(
            [
                (
                    wijk,
                    [Count(sum(counts.get(p, 0) for p in range(a, b + 1))) for a, b in groups],
                )
                for wijk, counts in sorted(by_wijk.items())
            ]
        ),
        note=str(_l("Stand van vandaag.")),
    )
    totals = {phase: sum(c.get(phase, 0) for c in by_wijk.values()) for phase in phases}
    per_phase = Table(
        key="cases_phase",
        title=str(_l("Lopende casussen per fase")),
        row_header=str(_l("Fase")),
        columns=[str(_l("Aantal"))],
        rows=[(str(phase), [Count(totals[phase])]) for phase in phases],
        note=str(_l("Stand van vandaag.")),
    )
    opened = dict(
        db.session.execute(
            sa.select(Case.opened_on, sa.func.count(Case.id))
            .where(Case.opened_on >= period.start, Case.opened_on <= period.end)
            .group_by(Case.opened_on)
        ).all()
    )
    closed = dict(
        db.session.execute(
            sa.select(Case.closed_on, sa.func.count(Case.id))
            .where(Case.closed_on >= period.start, Case.closed_on <= period.end)
            .group_by(Case.closed_on)
        ).all()
    )
    per_month = {month: [0, 0] for month in period.months()}
    for day, count in opened.items():
        per_month[month_of(day)][0] += count
    for day, count in closed.items():
        per_month[month_of(day)][1] += count
    trend = Table(
        key="cases_month",
        title=str(_l("Nieuwe en afgesloten casussen per maand")),
        row_header=str(_l("Maand")),
        columns=[str(_l("Nieuw")), str(_l("Afgesloten"))],
        rows=[(month, [Count(a), Count(b)]) for month, (a, b) in per_month.items()],
    )
    durations = [
        (closed_on - opened_on).days
        for opened_on, closed_on in db.session.execute(
            sa.select(Case.opened_on, Case.closed_on).where(
                Case.closed_on >= period.start, Case.closed_on <= period.end
            )
        )
    ]
    lead = Table(
        key="cases_lead_time",
        title=str(_l("Doorlooptijd van afgesloten casussen")),
        row_header=str(_l("Casussen")),
        # No count here: with the months above it would undo their suppression.
        columns=[str(_l("Mediaan in dagen"))],
        rows=[(str(_l("Afgesloten in de periode")), [median_days(durations)])],
        chart=False,
    )
    return [per_phase, per_wijk, trend, lead]


register_report("cases", _case_reports)


# --- the wijk with case-level process information ------------------------------------------------


class StatisticsWijk(db.Model):
    """The one wijk whose case-level process information O&S sees, as the admin chose it. A new
    choice is a new row: the history says who chose which wijk when."""

    __tablename__ = "statistics_wijk"

    id: Mapped[int] = mapped_column(primary_key=True)
    wijk: Mapped[str] = mapped_column(sa.String(100))
    chosen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    chosen_by_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))


def chosen_wijk() -> Optional[str]:
    return db.session.scalar(
        sa.select(StatisticsWijk.wijk)
        .order_by(StatisticsWijk.chosen_at.desc(), StatisticsWijk.id.desc())
        .limit(1)
    )


def wijken() -> list[str]:
    return list(db.session.scalars(sa.select(Household.wijk).distinct().order_by(Household.wijk)))


def choose_wijk(actor: User, wijk: str) -> StatisticsWijk:
    from portal.operations import RuleViolation

    if wijk not in wijken():
        raise RuleViolation("unknown_wijk", "Kies een wijk waarin huishoudens wonen.")
    choice = StatisticsWijk(wijk=wijk, chosen_by_id=actor.id)
    db.session.add(choice)
    db.session.flush()
    audit.record(
        audit.Action.UPDATE,
        user=actor,
        processing_activity=PROCESSING_ACTIVITY,
        purpose=f"wijk voor procesinformatie op casusniveau: {wijk}",
        object_type="statistics_wijk",
        object_id=choice.id,
        confidentiality=audit.Confidentiality.NORMAL,
    )
    return choice


def new_pseudonym() -> Pseudonym:
    """A keyed hash with a fresh random key: the same object gets the same pseudonym within one
    export or page, and nothing links two exports. The key is never stored."""
    key = secrets.token_bytes(32)

    def pseudonym(kind: str, object_id: int) -> str:
        digest = hmac.new(key, f"{kind}:{object_id}".encode(), hashlib.sha256).hexdigest()
        return f"{kind[:1].upper()}-{digest[:12]}"

    return pseudonym


def _municipal_entry_counts(case_ids: list[int]) -> dict[int, dict[str, int]]:
    """Entries per case and kind, counting only what a municipal partner brought in."""
    rows = db.session.execute(
        sa.select(CaseEntry.case_id, CaseEntry.kind, sa.func.count(CaseEntry.id))
        .join(Partner, Partner.id == CaseEntry.source_partner_id)
        .where(CaseEntry.case_id.in_(case_ids), Partner.is_municipal.is_(True))
        .group_by(CaseEntry.case_id, CaseEntry.kind)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for case_id, kind, count in rows:
        counts.setdefault(case_id, {})[kind.value] = count
    return counts


CASE_HEADERS = [
    "casus", "wijk", "fase", "besluit", "geopend", "afgesloten", "doorlooptijd_dagen",
    "aantal_partners", *(f"gemeentelijke_{kind.value}" for kind in EntryKind),
]  # fmt: skip


def case_rows(cases: list[Case], pseudonym: Pseudonym) -> list[list]:
    """One row per case: process information only, no free text, entries counted only when a
    municipal partner brought them in."""
    entries = _municipal_entry_counts([case.id for case in cases])
    rows = []
    for case in cases:
        counts = entries.get(case.id, {})
        rows.append(
            [
                pseudonym("case", case.id),
                case.household.wijk,
                case.phase,
                case.decision.value,
                case.opened_on,
                case.closed_on,
                (case.closed_on - case.opened_on).days if case.closed_on else None,
                len(case.team),
                *(counts.get(kind.value, 0) for kind in EntryKind),
            ]
        )
    return rows


def wijk_cases(wijk: str) -> list[Case]:
    return list(
        db.session.scalars(
            sa.select(Case)
            .join(Household, Household.id == Case.household_id)
            .where(Household.wijk == wijk)
            .order_by(Case.opened_on, Case.id)
        )
    )


def _cases_sheet(period: Period, pseudonym: Pseudonym) -> tuple[list[str], list[list]]:
    cases = db.session.scalars(
        sa.select(Case)
        .where(
            Case.opened_on <= period.end,
            sa.or_(Case.closed_on.is_(None), Case.closed_on >= period.start),
        )
        .order_by(Case.opened_on, Case.id)
    ).all()
    return CASE_HEADERS, case_rows(list(cases), pseudonym)


register_sheet("Casussen", _cases_sheet)


# --- the workbook -------------------------------------------------------------------------------


def workbook(period: Period, actor: User) -> bytes:
    """The O&S workbook for `period`: the management reports (suppressed as on screen) and one
    sheet per registered builder. Audited as an export."""
    from openpyxl import Workbook

    pseudonym = new_pseudonym()
    book = Workbook()
    about = book.active
    about.title = "Toelichting"
    about.append(["Periode", period.start, period.end])
    about.append(["Gemaakt op", utcnow().replace(tzinfo=None)])
    about.append(
        [
            "Ids zijn pseudoniemen met een sleutel die alleen voor deze export bestond: binnen dit "
            "bestand steeds hetzelfde, niet te koppelen aan andere exports."
        ]
    )
    about.append(
        [
            "Geen gegevens die door niet-gemeentelijke partners zijn ingevoerd "
            "(Privacyreglement, Toegang). Aantallen onder de 5 staan er als '< 5'."
        ]
    )
    for table in reports(period):
        sheet = book.create_sheet(_sheet_title(table.key))
        sheet.append([table.title])
        sheet.append([table.row_header, *table.columns])
        for label, cells in table.rows:
            sheet.append([label, *(_sheet_cell(cell) for cell in cells)])
    for name, build in _sheets.items():
        headers, rows = build(period, pseudonym)
        sheet = book.create_sheet(_sheet_title(name))
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    audit.record(
        audit.Action.EXPORT,
        user=actor,
        processing_activity=PROCESSING_ACTIVITY,
        purpose=f"O&S-export {period.start.isoformat()} tot en met {period.end.isoformat()}",
        object_type="statistics_export",
        confidentiality=audit.Confidentiality.NORMAL,
    )
    return buffer.getvalue()


def _sheet_title(name: str) -> str:
    return name[:31]


def _sheet_cell(cell: Cell):
    if is_suppressed(cell):
        return SUPPRESSED
    return value(cell)


# --- charts: server-side SVG, no script ---------------------------------------------------------

PALETTE = ("#1f5f99", "#c4002f", "#2e7d32", "#8a5a00", "#5e35b1", "#00838f")


def bar_chart(table: Table, width: int = 640) -> Markup:
    """Grouped bars: one group per row, one bar per column. Suppressed cells draw no bar; the
    table beside the chart carries the numbers."""
    groups = [(label, [value(cell) for cell in cells]) for label, cells in table.rows]
    series = len(table.columns)
    top = max([v for _l, values in groups for v in values if v is not None] + [1])
    row_height = 14 * series + 10
    label_width, legend_height = 140, 22 * ((series + 2) // 3)
    height = legend_height + row_height * len(groups) + 10
    plot = width - label_width - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="portal-chart" viewBox="0 0 {width} '
        f'{height}" width="100%" role="img" aria-labelledby="chart-{escape(table.key)}">',
        f'<title id="chart-{escape(table.key)}">{escape(table.title)}</title>',
    ]
    for index, column in enumerate(table.columns):
        x, y = 10 + (index % 3) * 200, 6 + (index // 3) * 22
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>')
        parts.append(
            f'<text x="{x + 18}" y="{y + 11}" font-size="12" fill="#1a1a1a">{escape(column)}</text>'
        )
    for row, (label, values) in enumerate(groups):
        y0 = legend_height + row * row_height
        parts.append(
            f'<text x="{label_width - 6}" y="{y0 + row_height / 2 + 4}" font-size="12" '
            f'text-anchor="end" fill="#1a1a1a">{escape(label)}</text>'
        )
        for index, number in enumerate(values):
            y = y0 + 4 + index * 14
            if number is None:
                parts.append(
                    f'<text x="{label_width + 4}" y="{y + 10}" font-size="11" '
                    f'fill="#4b4b4b">{SUPPRESSED}</text>'
                )
                continue
            length = plot * number / top
            colour = PALETTE[index % len(PALETTE)]
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="12" '
                f'fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{label_width + length + 4:.1f}" y="{y + 10}" font-size="11" '
                f'fill="#1a1a1a">{number:g}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))

"""Screens of Onderzoek en Statistiek: management reports with charts, a print view, the workbook,
and case-level process information for the one wijk the admin chose (portal/statistics.py)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import audit, statistics
from portal.extensions import db
from portal.forms import choices
from portal.models import Role
from portal.operations import RuleViolation
from portal.oversight_forms import PeriodForm, WijkForm
from portal.retention import local_today
from portal.views import role_required

bp = Blueprint("statistics", __name__, url_prefix="/statistics")


def _period() -> tuple[PeriodForm, statistics.Period, bool]:
    form = PeriodForm(request.args)
    period = statistics.default_period(local_today())
    valid = form.validate()
    if valid:
        period = statistics.Period(
            form.date_from.data or period.start, form.date_to.data or period.end
        )
        if period.end < period.start:
            valid = False
            form.date_to.errors = [_("De einddatum ligt vóór de begindatum.")]
            period = statistics.default_period(local_today())
    return form, period, valid


def _render(template: str, form: PeriodForm, period: statistics.Period, valid: bool):
    return (
        render_template(
            template,
            form=form,
            period=period,
            tables=statistics.reports(period),
            chart=statistics.bar_chart,
            shown=statistics.shown,
            query=request.query_string.decode("ascii", "replace"),
        ),
        200 if valid else 422,
    )


@bp.route("")
@role_required(Role.STATISTICS)
def reports():
    return _render("statistics/reports.html", *_period())


@bp.route("/print")
@role_required(Role.STATISTICS)
def print_view():
    return _render("statistics/print.html", *_period())


@bp.route("/export.xlsx")
@role_required(Role.STATISTICS)
def export():
    form, period, valid = _period()
    if not valid:
        return _render("statistics/reports.html", form, period, valid)
    content = statistics.workbook(period, current_user)
    db.session.commit()  # the export's audit line
    name = f"regieteams-{period.start.isoformat()}-{period.end.isoformat()}.xlsx"
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/wijk")
@role_required(Role.STATISTICS)
def wijk_cases():
    """Privacyreglement, Toegang: "procesinformatie op cliënt/casusniveau voor één van de
    regieteamwijken" - pseudonymised, without free text or entries of non-municipal partners."""
    wijk = statistics.chosen_wijk()
    rows = []
    if wijk is not None:
        rows = statistics.case_rows(statistics.wijk_cases(wijk), statistics.new_pseudonym())
        audit.record(
            audit.Action.READ,
            user=current_user,
            processing_activity=statistics.PROCESSING_ACTIVITY,
            purpose=f"procesinformatie op casusniveau, wijk {wijk}",
            object_type="statistics_wijk",
            confidentiality=audit.Confidentiality.NORMAL,
        )
        db.session.commit()
    return render_template(
        "statistics/wijk.html", wijk=wijk, headers=statistics.CASE_HEADERS, rows=rows,
        is_date=lambda value: isinstance(value, date),
    )  # fmt: skip


@bp.route("/wijk/choose", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def choose_wijk():
    form = WijkForm()
    form.wijk.choices = choices((wijk, wijk) for wijk in statistics.wijken())
    if not form.is_submitted():
        form.wijk.data = statistics.chosen_wijk()
    if form.validate_on_submit():
        try:
            statistics.choose_wijk(current_user, form.wijk.data)
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            flash(_("O&S ziet nu procesinformatie op casusniveau voor deze wijk."), "success")
            return redirect(url_for("statistics.choose_wijk"))
    status = 422 if form.is_submitted() else 200
    return (
        render_template("statistics/choose_wijk.html", form=form, current=statistics.chosen_wijk()),
        status,
    )

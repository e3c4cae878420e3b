"""Consent ledger, legal-basis register and the "may X share Y?" check (issue 3).

Built on `portal`; `portal` never imports this package: `create_app` loads it by name from
`DOMAIN_PACKAGES` and calls `init_app`.
"""

from __future__ import annotations


def init_app(app) -> None:
    from consent import api, apikeys, models  # noqa: F401  (models registers the tables)

    api.init_app(app)
    apikeys.init_app(app)
    from consent import basis_views  # the legal-basis register (issue 3, point 3)

    app.register_blueprint(basis_views.bp)
    from consent import reuse_views, withdrawal_views  # issue 3, points 5 and 6

    app.register_blueprint(reuse_views.bp)
    app.register_blueprint(withdrawal_views.bp)
    from consent import views  # the bemoeizorg grid, a person's consents, the receipt (2, 7)

    views.init_app(app)
    from consent.forms import domain_name

    app.jinja_env.globals["domain_name"] = domain_name  # a life domain in the reader's language
    from consent import retention, statistics  # issue 7: retention run, O&S reports

    retention.register()
    statistics.register()
    from consent import citizen_views  # my consents in the citizen portal (issue 5, point 2)

    citizen_views.init_app(app)

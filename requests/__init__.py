"""Subject-rights requests (issue 6): deadlines, the workflow and the privacy-desk screens.

This package shadows the HTTP library `requests`: never install a dependency that imports it
(see DESIGN.md). Built on `portal`; `portal` never imports this package: `create_app` loads it by
name from `DOMAIN_PACKAGES` and calls `init_app`.
"""

from __future__ import annotations


def init_app(app) -> None:
    from requests import cli, deadlines, models, views  # noqa: F401  (models register tables)

    # How waiting for identity information affects the deadline (requests/deadlines.py,
    # docs/requests.md).
    app.config.setdefault("REQUEST_ID_WAIT_POLICY", deadlines.WAIT_SUSPEND)
    if app.config["REQUEST_ID_WAIT_POLICY"] not in deadlines.WAIT_POLICIES:
        raise RuntimeError(
            "REQUEST_ID_WAIT_POLICY must be one of: " + ", ".join(deadlines.WAIT_POLICIES)
        )
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.requests_cli)
    from requests import retention, statistics  # issue 7: retention run, O&S reports

    retention.register()
    statistics.register()
    from requests import citizen_views  # my requests in the citizen portal (issue 5, point 3)

    citizen_views.init_app(app)

"""Letters as PDF (issue 4): the information letter of Privacyprotocol art. 4 and every letter a
rights request needs; rendered once, stored with their hash, with one-time sign-in codes.

`create_app` calls `init_app`: it registers the tables, the staff screens and the CLI group.
"""

from __future__ import annotations


def init_app(app) -> None:
    from portal.letters import cli, models, views  # noqa: F401  (models register their tables)

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.letters_cli)
    from portal.letters import citizen_views  # my letters in the citizen portal (issue 5, point 4)

    citizen_views.init_app(app)

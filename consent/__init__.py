"""Consent ledger, legal-basis register and the "may X share Y?" check (issue 3).

Built on `portal`; `portal` never imports this package: `create_app` loads it by name from
`DOMAIN_PACKAGES` and calls `init_app`.
"""

from __future__ import annotations


def init_app(app) -> None:
    from consent import models  # noqa: F401  (registers the tables)

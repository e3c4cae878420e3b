"""URL converters of the portal.

`<int:...>` in a route is an id. Ids are 32-bit integer columns (`db.Integer`, PostgreSQL
`integer`), so a larger number cannot exist: it answers 404 from routing instead of reaching the
SQL, where SQLite raises OverflowError and PostgreSQL "integer out of range" (a 500; found by
tests/test_fuzz.py).
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`int` with an upper bound of the id columns; `<int(max=...):x>` may still set another."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app) -> None:
    """Before any route is registered: the converters are looked up when a rule is added."""
    app.url_map.converters["int"] = IdConverter

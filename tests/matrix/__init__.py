"""Authorisation rules of the domain packages, merged into tests/test_access_matrix.py.

Each module here defines `RULES` (endpoint -> (method, url(world, scope), data(world) or None,
expected(role, scope))) and may define `seed(world, own, other, team_partner)`, called inside the
matrix's seed block to create what its routes need (store ids in `world.extra`). Helpers for the
expected statuses live in `tests/matrix/expect.py`.
"""
from __future__ import annotations

import importlib
import pkgutil

RULES: dict = {}
SEEDS: list = []

for _module_info in pkgutil.iter_modules(__path__):
    if _module_info.name == "expect":
        continue
    _module = importlib.import_module(f"{__name__}.{_module_info.name}")
    overlap = RULES.keys() & _module.RULES.keys()
    assert not overlap, f"rules defined twice: {overlap}"
    RULES.update(_module.RULES)
    if hasattr(_module, "seed"):
        SEEDS.append(_module.seed)

"""Our top-level package `requests/` shadows the HTTP library of that name (DESIGN.md): any
installed distribution that needs that library would import our package instead and break."""
from __future__ import annotations

import importlib.metadata as metadata
import re
from pathlib import Path

from packaging.requirements import Requirement

import requests as shadowing_package

HTTP_LIBRARY = "requests"


def distributions_requiring_http_requests() -> list[str]:
    offenders = []
    for dist in metadata.distributions():
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.name.lower() != HTTP_LIBRARY:
                continue
            # Only what is installed counts: an optional extra nobody installed is harmless.
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            offenders.append(f"{dist.metadata['Name']} requires {line}")
    return sorted(set(offenders))


def test_no_installed_distribution_requires_the_http_library():
    assert distributions_requiring_http_requests() == []


def test_the_check_recognises_a_requirement_on_the_http_library():
    # The check above must be able to fail: parse a requirement as it appears in metadata.
    for line in ("requests>=2.0", "requests[socks] ; python_version >= '3'", "Requests"):
        assert Requirement(line).name.lower() == HTTP_LIBRARY
    marker = Requirement("requests ; extra == 'http'").marker
    assert marker is not None and not marker.evaluate({"extra": ""})


def test_requests_is_our_package():
    assert Path(shadowing_package.__file__).resolve().parent == (
        Path(__file__).resolve().parent.parent / "requests"
    )


def test_pyproject_does_not_ask_for_the_http_library():
    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert not re.search(r'^\s*"requests\b', text, re.MULTILINE)

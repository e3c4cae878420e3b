"""axe-core in the browser tests: run WCAG 2.1 AA rules on the current page, report readably.

axe-core comes from npm (`npm ci` in the repository root puts it in node_modules/). It is injected
with `page.add_script_tag`, which inserts an inline <script>: the app's Content-Security-Policy
(`script-src 'self'`) rightly blocks that, so the browser context is created with
`bypass_csp=True`. The tests check separately that every page is served with the CSP header.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """
async (options) => {
  const results = await axe.run(document, options);
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map((t) => Array.isArray(t) ? t.join(" >> ") : String(t)),
      summary: n.failureSummary || "",
    })),
  }));
}
"""


def violations(page: Page) -> list[dict]:
    """The WCAG 2.1 A/AA violations axe finds on the page as it is now."""
    if not AXE_SOURCE.is_file():
        pytest.fail(
            f"axe-core is missing ({AXE_SOURCE}). Run `npm ci` (or `npm install`) in {ROOT}.",
            pytrace=False,
        )
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_SOURCE))
    return page.evaluate(
        _RUN, {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    )


def describe(found: list[dict]) -> str:
    lines = []
    for violation in found:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            lines.append(f"    at {', '.join(node['target'])}")
            for detail in node["summary"].splitlines():
                lines.append(f"       {detail}")
    return "\n".join(lines)


def assert_accessible(page: Page, what: str) -> None:
    """Fail with a list of rule id, impact, help and target selectors when axe finds anything."""
    found = violations(page)
    assert not found, (
        f"axe-core found {len(found)} WCAG 2.1 AA violation(s) on {what} ({page.url}):\n"
        + describe(found)
    )

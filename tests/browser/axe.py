"""axe-core in a Playwright page: the accessibility rules a page breaks, by impact.

axe-core is the npm package pinned in tests/browser/package.json; `make install` (and so
`make test` and CI) installs it with `npm ci --prefix tests/browser`. It is injected as a script
file from disk (no network), evaluated through the DevTools protocol, which the page's CSP
does not govern.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
# WCAG 2.x A and AA, and axe's best practices (landmarks, one main, headings)
RULE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]  # CSS selectors of the offending elements
    summary: str  # axe's "fix any of / fix all of" for the first element

    def __str__(self) -> str:
        where = ", ".join(self.targets[:5]) + (" …" if len(self.targets) > 5 else "")
        return f"[{self.impact}] {self.rule}: {self.help}\n    at {where}\n    {self.summary}"


def axe_violations(page: Page) -> list[Violation]:
    """Runs axe on the page as it is now; every violation, most severe first."""
    if not AXE_JS.is_file():
        raise RuntimeError(f"{AXE_JS} is missing: run `make install` (it runs npm ci --prefix tests/browser)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # evaluated through the DevTools protocol: the page's CSP (no inline scripts) does not
        # apply, where add_script_tag's inline <script> would be refused and reported
        page.evaluate(AXE_JS.read_text() + "\n;undefined")
    result: dict[str, Any] = page.evaluate(
        """(tags) => axe.run(document, {
          runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })""",
        list(RULE_TAGS),
    )
    order = {"critical": 0, "serious": 1, "moderate": 2, "minor": 3}
    found = [
        Violation(
            rule=v["id"],
            impact=v.get("impact") or "minor",
            help=v["help"],
            targets=tuple(" ".join(map(str, node["target"])) for node in v["nodes"]),
            summary=(v["nodes"][0].get("failureSummary") or "").replace("\n", " ") if v["nodes"] else "",
        )
        for v in result["violations"]
    ]
    return sorted(found, key=lambda v: order.get(v.impact, 4))


def assert_no_serious_violations(page: Page, where: str) -> list[Violation]:
    """Fails on serious or critical violations; returns the milder ones for the caller to note."""
    found = axe_violations(page)
    blocking = [v for v in found if v.impact in BLOCKING_IMPACTS]
    assert not blocking, f"axe on {where}:\n" + "\n".join(map(str, blocking))
    return [v for v in found if v.impact not in BLOCKING_IMPACTS]

"""axe-core in the test's browser: `assert_accessible(page)` fails on any serious or critical
violation on the page as it is now, listing every one with the elements at fault.

axe-core comes from the npm package installed by scripts/setup.sh (tests/browser/axe/, the
version pinned in its package-lock.json); it is read from that file, never from a CDN. The
pages' Content-Security-Policy allows only the app's own scripts, so a <script> tag added to
the page would be refused: the file is evaluated through Playwright instead, which the page's
policy does not govern, and nothing about the page itself is relaxed for the test.
"""

from pathlib import Path

import pytest

AXE_FILE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def _load_axe(page) -> None:
    if page.evaluate("() => typeof window.axe === 'object'"):
        return
    if not AXE_FILE.exists():
        pytest.fail(f"axe-core is not installed at {AXE_FILE}: run scripts/setup.sh")
    page.evaluate(AXE_FILE.read_text(encoding="utf-8") + "\n;true")


def axe_violations(page, *, impacts=BLOCKING_IMPACTS) -> list[dict]:
    """The page's axe violations of the given impacts, as axe reports them."""
    _load_axe(page)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [violation for violation in results["violations"] if violation["impact"] in impacts]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        rule = f"[{violation['impact']}] {violation['id']}: {violation['help']}"
        lines.append(f"{rule} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """Fail listing every serious or critical axe violation on the page."""
    violations = axe_violations(page)
    assert not violations, (
        f"axe found {len(violations)} serious or critical violation(s) on {page.url}:\n"
        + describe_violations(violations)
    )

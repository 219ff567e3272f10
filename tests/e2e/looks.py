"""What a person sees: a page at desktop and phone widths, kept as screenshots, checked by axe-core.

`look_at(page, "search-results")` resizes the page to each width in `WIDTHS`, waits for the
network to settle, keeps a full-page screenshot in `test-artifacts/screens/<name>-<width>.png`
(CI keeps that folder as artefacts) and runs axe-core in the page. It fails on any violation
axe rates serious or critical, naming the rule, the elements and axe's help text, so a page
that cannot be read with a screen reader or at a phone width fails like a broken link would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SCREENS = REPO / "test-artifacts" / "screens"
AXE_SCRIPT = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"

# The desktop most buyers and admins use, and a common phone (iPhone 12-15 in CSS pixels).
WIDTHS: dict[str, tuple[int, int]] = {"desktop": (1366, 900), "phone": (390, 844)}
BLOCKING_IMPACTS = ("serious", "critical")


def look_at(page: Any, name: str, *, widths: tuple[str, ...] = ("desktop", "phone")) -> list[Path]:
    """Screenshot the page at each width and fail on serious or critical accessibility violations.

    Leaves the page at the last width checked. Returns the screenshot paths.
    """
    SCREENS.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    for label in widths:
        width, height = WIDTHS[label]
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_load_state("networkidle")
        path = SCREENS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)
        problems = accessibility_problems(page)
        assert not problems, f"{name} at {label} width ({width}px):\n" + "\n".join(problems)
    return shots


def accessibility_problems(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    if not AXE_SCRIPT.exists():
        raise AssertionError(
            f"axe-core is missing at {AXE_SCRIPT}: `make axe` installs it from the npm registry"
        )
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does
        # not govern, so the check needs no hole in the policy it is checking pages under.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
            }));
        }"""
    )
    return [
        f"- {v['id']} ({v['impact']}): {v['help']} at {json.dumps(v['targets'])}"
        for v in result
        if v["impact"] in BLOCKING_IMPACTS
    ]

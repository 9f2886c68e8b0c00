"""axe-core (from npm, package-lock.json) on every page in Chromium: no violation caused by SpineDash.

Each page is opened at 1366×768, left to finish drawing, and checked with axe-core's default rules
(WCAG 2.0/2.1 A and AA plus best practices). A violation counts against SpineDash when its element
is SpineDash's own content — the page body, the sidebar below the page list, the demo bar — and
fails the test. Violations in Streamlit's own chrome (the page list, the top toolbar, the sidebar
collapse control) and in the inside of a Streamlit widget listed in STREAMLIT_WIDGET_INTERNALS are
printed as a separate list, for reporting upstream, and do not fail it.

Run just this: `python3 -m pytest -q -s -m e2e tests/e2e/test_accessibility.py` (after `npm ci`).
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, wait_for_app

pytestmark = pytest.mark.e2e
WAIT_MS = 60_000
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

PAGES = {
    "Overview": "/",
    "Procedures": "/procedures",
    "Recovery": "/recovery",
    "Pain and function": "/pain",
    "Compare": "/compare",
    "Benchmarking": "/benchmarking",
    "Data": "/data",
    "Report and export": "/export",
}

# Where SpineDash's own content lives; anything else on the page is Streamlit's chrome.
APP_CONTAINERS = (
    '[data-testid="stMainBlockContainer"], [data-testid="stSidebarUserContent"], '
    '[data-testid="stBottom"], [data-testid="stBottomBlockContainer"]'
)
# (axe rule, CSS selector): markup inside a Streamlit widget that SpineDash cannot change.
STREAMLIT_WIDGET_INTERNALS = {
    # The file uploader's drop zone is a <section role="presentation"> that also carries an
    # aria-label and tabindex (Streamlit 1.67's FileUploader): its markup, not SpineDash's.
    ("presentation-role-conflict", '[data-testid="stFileUploaderDropzone"]'),
}

_RUN_AXE = """async ([containers, internals]) => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    const out = [];
    for (const v of result.violations) {
        for (const node of v.nodes) {
            const sel = node.target[node.target.length - 1];
            const el = typeof sel === 'string' ? document.querySelector(sel) : null;
            const internal = el && internals.some(([rule, css]) => rule === v.id && el.closest(css));
            const app = !!(el && el.closest(containers)) && !internal;
            out.push({rule: v.id, impact: v.impact, app, html: node.html.slice(0, 140),
                      why: (node.failureSummary || '').split('\\n').slice(1, 2).join(' ').trim()});
        }
    }
    return out;
}"""


def axe_violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (scripts/test does) to install axe-core from package-lock.json")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(_RUN_AXE, [APP_CONTAINERS, [list(pair) for pair in STREAMLIT_WIDGET_INTERNALS]])


_QUIET = """() => {
    const quiet = !document.querySelector('[data-testid="stStatusWidget"]')
        && !document.querySelector('[data-stale="true"]')
        && document.querySelector('[data-testid="stSidebarNavItems"]')
        && [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].every(c => c.querySelector('svg, canvas'))
        // SpineDash's own CSS has arrived (it is re-sent with every run): captions at full opacity.
        && [...document.querySelectorAll('[data-testid="stCaptionContainer"]')].every(c => getComputedStyle(c).opacity === '1');
    window.__quietFor = quiet ? (window.__quietFor || 0) + 1 : 0;
    return window.__quietFor >= 6;
}"""


def settle(page) -> None:
    """Wait until the page has finished every run: no running indicator, nothing faded as stale,
    every chart drawn, SpineDash's CSS in place (waited for, not assumed: if it never arrives the
    wait fails the test), and all of that for six checks in a row (Streamlit can rerun once more just
    after the first run, fading the page while it does)."""
    wait_for_app(page)
    page.wait_for_function(_QUIET, polling=250, timeout=WAIT_MS)


def summarise(name: str, found: list[dict]) -> dict:
    counts: dict[str, dict[str, int]] = {"app": {}, "streamlit": {}}
    for v in found:
        side = counts["app" if v["app"] else "streamlit"]
        side[v["rule"]] = side.get(v["rule"], 0) + 1
    print(f"\naxe {name}: SpineDash {sum(counts['app'].values())} {counts['app']} · "
          f"Streamlit chrome {sum(counts['streamlit'].values())} {counts['streamlit']}")
    return counts


@pytest.mark.parametrize("name", list(PAGES))
def test_no_accessibility_violation_from_spinedash(server, page, name):
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(server["url"] + PAGES[name])
    settle(page)
    found = axe_violations(page)
    summarise(name, found)
    ours = [v for v in found if v["app"]]
    assert not ours, f"{name}: axe-core violations in SpineDash's content:\n" + json.dumps(ours, indent=1, ensure_ascii=False)
    # Each chart's download button says which chart it is for (axe does not check that names differ).
    downloads = page.get_by_test_id("stMain").get_by_role("button", name="Download:").all_inner_texts()
    assert len(downloads) == len(set(downloads)), f"{name}: download buttons share a name: {downloads}"
    charts = page.get_by_test_id("stMain").locator('[data-testid="stVegaLiteChart"]').count()
    assert len(downloads) >= charts, f"{name}: {charts} charts but {len(downloads)} named download buttons"


def test_no_accessibility_violation_in_the_demo_bar(server, page):
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto(server["url"])
    settle(page)
    page.get_by_role("button", name="Start the two-minute demo").click()
    expect(page.locator(".st-key-demo_bar")).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Demo 2 of 6", exact=False)).to_be_visible(timeout=WAIT_MS)
    settle(page)
    found = axe_violations(page)
    summarise("demo step 2 (820×1180)", found)
    ours = [v for v in found if v["app"]]
    assert not ours, "axe-core violations in SpineDash's content:\n" + json.dumps(ours, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("step", ["3. Columns", "4. Codes", "5. Units", "6. Check and use"])
def test_no_accessibility_violation_in_the_import_steps(server, page, tmp_path, step):
    """The Data page with the import open: the Columns grid, the Codes and Units tables, the report."""
    from tests.e2e.test_import_wizard import wizard_input, write_month

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(server["url"])
    settle(page)
    page.goto(server["url"] + "/data")
    settle(page)
    wizard_input(page, "Export files").set_input_files(write_month(tmp_path, 1))
    page.get_by_role("heading", name="1. Files", exact=True).wait_for(timeout=WAIT_MS)
    settle(page)
    page.get_by_test_id("stButtonGroup").get_by_text(step, exact=True).click()
    page.get_by_role("heading", name=step, exact=True).wait_for(timeout=WAIT_MS)
    if step == "6. Check and use":
        page.get_by_role("button", name="Check and use these cases").click()
        page.get_by_text("cannot be used").or_(page.get_by_text("accepted and now in use")).first.wait_for(timeout=WAIT_MS)
    settle(page)
    found = axe_violations(page)
    summarise(f"Data, import step {step}", found)
    ours = [v for v in found if v["app"]]
    assert not ours, f"{step}: axe-core violations in SpineDash's content:\n" + json.dumps(ours, indent=1, ensure_ascii=False)

"""Every page at a laptop (1366×768) and a tablet (820×1180) window: screenshots to look at, and the
layout faults that were measured once and must not come back.

Screenshots go to tests/e2e/artifacts/screens/<viewport>/<page>.png (not committed; docs/screenshots
holds the README's copies).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e
WAIT_MS = 90_000

VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "tablet": {"width": 820, "height": 1180}}
PAGES = {
    "overview": ("", "SpineDash"),
    # Every group below the smallest group shown: cards say "suppressed (n < k)" in full, charts say
    # in words that there is nothing to show.
    "overview_suppressed": ("?min_cell=3000", "SpineDash"),
    "procedures": ("/procedures", "Procedures"),
    "recovery": ("/recovery", "Recovery"),
    "pain": ("/pain", None),
    # One condition: published figures join the charts with their own legend.
    "pain_herniated_disc": ("/pain?filter_condition=Herniated+disc", None),
    "compare": ("/compare", "Compare"),
    "benchmarking": ("/benchmarking", "Benchmarking"),
    # Split by technique (sidebar): Overview's quarterly charts per technique, Compare technique
    # against technique, the funnel filtered to one technique.
    "overview_technique": ("?split_by=Technique", "SpineDash"),
    "compare_technique": ("/compare?split_by=Technique", "Compare"),
    "benchmarking_technique": ("/benchmarking?split_by=Technique&funnel_technique=Loupes", "Benchmarking"),
    "data": ("/data", "Data"),
    "export": ("/export", "Report and export"),
}
# Narrowest plot area a chart may be drawn at (px): below this its marks cannot be read.
MIN_CHART_WIDTH = 280


def _open(browser, server, viewport: str, path: str):
    context = browser.new_context(viewport=VIEWPORTS[viewport], accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(server["url"] + path)
    _wait_drawn(page)
    return context, page


def _wait_drawn(page) -> None:
    wait_for_app(page, WAIT_MS)
    # Vega draws after Streamlit reports done; give every chart its canvas/svg, and no skeletons.
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                 .every(c => c.querySelector('canvas, svg'))
                 && !document.querySelector('[data-testid="stSkeleton"]')""",
        timeout=WAIT_MS,
    )
    page.wait_for_timeout(800)


def screenshot_whole_page(page, path) -> None:
    """The whole page, not just the window: Streamlit scrolls inside <main>, so the window is made as
    tall as the page for the shot (same width, so the layout does not change) and then restored."""
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height))})
    _wait_drawn(page)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    page.wait_for_timeout(300)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("name", list(PAGES))
def test_page_reads_at_viewport(server, browser, artifacts, viewport, name):
    path, heading = PAGES[name]
    context, page = _open(browser, server, viewport, path)
    try:
        out = artifacts / "screens" / viewport
        out.mkdir(parents=True, exist_ok=True)
        screenshot_whole_page(page, out / f"{name}.png")
        if heading:
            expect(page.get_by_role("heading", name=heading).first).to_be_visible()
        assert page.locator('[data-testid="stException"]').count() == 0
        # No chart narrower than readable.
        widths = page.eval_on_selector_all(
            '[data-testid="stVegaLiteChart"]', "els => els.map(e => e.getBoundingClientRect().width)"
        )
        assert all(w >= MIN_CHART_WIDTH for w in widths), f"{name} at {viewport}: chart widths {widths}"
        # Metric values never cut with an ellipsis: the value's text fits its box.
        cut = page.eval_on_selector_all(
            '[data-testid="stMetric"] p',
            "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)",
        )
        assert not cut, f"{name} at {viewport}: metric values cut {cut}"
        # Buttons read in full ("Back", not "B..").
        clipped = page.eval_on_selector_all(
            '[data-testid="stMain"] button',
            """els => els.filter(e => e.offsetParent && [e, ...e.querySelectorAll('p')]
                     .some(x => x.scrollWidth > x.clientWidth + 1)).map(e => e.innerText)""",
        )
        assert not clipped, f"{name} at {viewport}: buttons cut {clipped}"
        if name == "overview_suppressed":
            expect(page.get_by_text("suppressed (n < 3000)").first).to_be_visible()
    finally:
        context.close()


def test_overview_headline_figures_above_the_fold_on_a_laptop(server, browser):
    context, page = _open(browser, server, "laptop", "")
    try:
        first = page.locator('[data-testid="stMetric"]').first
        box = first.bounding_box()
        assert box is not None and box["y"] + box["height"] <= VIEWPORTS["laptop"]["height"], box
    finally:
        context.close()


def test_demo_bar_buttons_read_in_full_on_a_tablet(server, browser, artifacts):
    """The demo's Back / Next / End read in full at 820 px (they read "B..", "N..", "E.." once)."""
    context, page = _open(browser, server, "tablet", "")
    try:
        page.get_by_role("button", name="Start the two-minute demo").click()
        expect(page.get_by_role("button", name="Next")).to_be_visible(timeout=WAIT_MS)
        _wait_drawn(page)
        for name in ("Back", "Next", "End demo"):
            button = page.get_by_role("button", name=name, exact=True).first
            expect(button).to_contain_text(name)
            assert button.evaluate("b => b.scrollWidth <= b.clientWidth + 1"), name
        out = artifacts / "screens" / "tablet"
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / "demo_step_1.png"))
    finally:
        context.close()

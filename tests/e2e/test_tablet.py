"""A tablet (820 × 1180, sidebar open) and a small laptop (1366 × 768): the Data page's measure table reads
one line a row with its source in view, and Compare's 'Adjusted for …' heading on a small file stays short."""

from pathlib import Path

import pytest

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

DATA = Path(__file__).resolve().parents[1] / "data"
WAIT_MS = 90_000


def _open(browser, url, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    pg = context.new_page()
    pg.set_default_timeout(WAIT_MS)
    pg.goto(url)
    wait_for_app(pg)
    sidebar = pg.get_by_test_id("stSidebar")
    assert sidebar.is_visible() and sidebar.bounding_box()["width"] >= 250  # open, as these sizes start
    return context, pg


def _nav(pg, name):
    pg.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
    wait_for_app(pg)


@pytest.mark.parametrize("size", [(820, 1180), (1366, 768)])
def test_measure_table_reads_one_line_a_row_with_short_sources(server, browser, artifacts, size):
    context, pg = _open(browser, server["url"], *size)
    try:
        _nav(pg, "Data")
        grid = pg.get_by_test_id("stDataFrame").last
        grid.evaluate("e => e.scrollIntoView({block: 'start'})")
        pg.wait_for_timeout(800)
        headers = grid.locator("th").all_inner_texts()
        # The MCID and its source come right after the label, so the first screen of the table shows them.
        assert headers[:4] == ["measure", "label", "MCID or cut-off", "source"], headers
        box = grid.bounding_box()
        rows = 17 + 1  # the catalogue's measures and the header, 35 px each: no row grown tall, no inner scroll bar
        assert box["height"] <= rows * 35 + 10, box
        assert box["width"] <= size[0] - 300  # inside the main column beside the open sidebar
        pg.screenshot(path=str(artifacts / f"data_measures_{size[0]}.png"))
        expander = pg.get_by_test_id("stExpander").filter(has_text="Sources in full")
        expander.get_by_text("Sources in full").click()
        full = expander.get_by_text("Parai et al., Eur Spine J 2020;29:663–9", exact=False).first
        full.wait_for()
        assert full.is_visible()
    finally:
        context.close()


def test_compare_heading_on_a_small_file_is_short_at_tablet_width(server, browser, artifacts):
    context, pg = _open(browser, server["url"], 820, 1180)
    try:
        _nav(pg, "Data")
        pg.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(DATA / "cervical_clinic.csv"))
        pg.get_by_test_id("stSidebar").get_by_text("cervical_clinic.csv — 40 cases").wait_for(timeout=WAIT_MS)
        wait_for_app(pg)
        _nav(pg, "Compare")
        heading = pg.get_by_test_id("stMarkdown").filter(has_text="Adjusted for the score before surgery, condition and 2 more")
        heading.wait_for()
        heading.scroll_into_view_if_needed()
        # Two lines of bold text at most (the old heading listed every covariate and every left-out clause: six).
        assert heading.bounding_box()["height"] <= 60
        below = pg.get_by_test_id("stCaptionContainer").filter(has_text="Left out, too few cases for more terms")
        assert below.is_visible()
        assert "age, sex and level from VAS neck pain at 12 months" in below.inner_text()
        pg.screenshot(path=str(artifacts / "compare_small_file_820.png"))
    finally:
        context.close()

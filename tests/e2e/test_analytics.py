"""The analytics pages in Chromium: deep links, a filter click redrawing the charts, exports (the demo: test_demo.py)."""

import io
import re

import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import free_port, start_streamlit, stop_streamlit, wait_for_app, wait_healthy

pytestmark = pytest.mark.e2e
WAIT_MS = 60_000


def sidebar_nav(page):
    return page.locator('[data-testid="stSidebarNav"]')


def expect_stay_rows(page, names: list[str]) -> None:
    """Wait until the Recovery page's first table (hospital stay) lists exactly these approaches."""
    table = page.locator('[data-testid="stTable"]').first
    expect(table.locator("tbody th")).to_have_text(names, timeout=WAIT_MS)


def test_deep_link_on_a_freshly_started_server_goes_through_the_router(artifacts, browser):
    """The first request after a restart, straight to a bookmarked filtered view, gets the whole app."""
    port = free_port()
    proc = start_streamlit(port, artifacts / "streamlit_cold.log")
    try:
        wait_healthy(port, proc)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/recovery?filter_approach=Open")
        expect(page.get_by_role("heading", name="Hospital stay", exact=True)).to_be_visible(timeout=WAIT_MS)
        wait_for_app(page)
        expect(sidebar_nav(page).get_by_text("Outcomes", exact=True)).to_be_visible()
        expect(page.get_by_text("Data in use")).to_be_visible()
        expect_stay_rows(page, ["Open"])
        page.screenshot(path=str(artifacts / "deep_link_cold.png"))
        context.close()
    finally:
        stop_streamlit(proc)


def test_filter_click_redraws_every_chart_and_lands_in_the_url(server, page, artifacts):
    page.goto(server["url"] + "/recovery")
    expect(page.get_by_role("heading", name="Hospital stay", exact=True)).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    expect(charts).to_have_count(6, timeout=WAIT_MS)
    expect_stay_rows(page, ["Full-endoscopic", "Tubular MIS", "Microscopic", "Open"])
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("2,500 of 2,500 cases")).to_be_visible()
    expect(page.get_by_text("Showing 2,500 of 2,500 cases (no filters)")).to_be_visible()

    sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Approach").first.click()
    page.get_by_role("option", name="Full-endoscopic", exact=True).click()
    page.keyboard.press("Escape")
    expect(page.get_by_text(re.compile(r"^[\d,]+ of 2,500 cases$"))).not_to_have_text("2,500 of 2,500 cases", timeout=WAIT_MS)
    wait_for_app(page)
    expect(charts).to_have_count(6, timeout=WAIT_MS)
    expect_stay_rows(page, ["Full-endoscopic"])
    expect(page.get_by_text(re.compile(r"^Showing [\d,]+ of 2,500 cases · Approach: Full-endoscopic$"))).to_be_visible()
    assert "filter_approach=Full-endoscopic" in page.url
    page.screenshot(path=str(artifacts / "recovery_filtered.png"))

    # The URL is the shareable view: a new browser context opening it sees the same filter.
    other = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    shared = other.new_page()
    shared.goto(page.url)
    expect(shared.get_by_role("heading", name="Hospital stay", exact=True)).to_be_visible(timeout=WAIT_MS)
    wait_for_app(shared)
    expect_stay_rows(shared, ["Full-endoscopic"])
    other.close()


def test_pain_page_draws_trajectory_with_literature_marks(server, page, artifacts):
    page.goto(server["url"] + "/pain?filter_condition=Herniated+disc")
    expect(page.get_by_role("heading", name=re.compile("over follow-up"))).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(3, timeout=WAIT_MS)
    expect(page.get_by_text("Published figures (not your data)").first).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(artifacts / "pain.png"))


def download(page, trigger) -> bytes:
    with page.expect_download(timeout=WAIT_MS) as info:
        trigger()
    path = info.value.path()
    with open(path, "rb") as fh:
        return fh.read()


def test_every_export_downloads_and_opens(server, page, artifacts):
    page.goto(server["url"] + "/export?filter_condition=Spinal+stenosis")
    expect(page.get_by_role("heading", name="Filtered cases")).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)

    csv = download(page, lambda: page.get_by_role("button", name="Cases as CSV").click())
    cases = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig")
    assert len(cases) > 0 and set(cases["Condition"]) == {"Spinal stenosis"}  # readable headers

    xlsx = download(page, lambda: page.get_by_role("button", name="Cases as Excel (.xlsx)").click())
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert book["Cases"].max_row == len(cases) + 1
    assert any("synthetic" in str(c.value).lower() for row in book["About"].iter_rows() for c in row)

    page.get_by_role("button", name="Prepare the PDF report").click()
    button = page.get_by_role("button", name="Download the PDF report")
    expect(button).to_be_visible(timeout=120_000)
    pdf = download(page, button.click)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "SYNTHETIC DEMONSTRATION DATA" in text and "Condition: Spinal stenosis" in text
    (artifacts / "summary.pdf").write_bytes(pdf)

    page.goto(server["url"] + "/recovery")
    expect(page.get_by_role("heading", name="Hospital stay", exact=True)).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)
    page.get_by_role("button", name="Download: Hospital stay by approach").first.click()
    png = download(page, lambda: page.get_by_role("button", name="PNG image").click())
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    (artifacts / "chart_download.png").write_bytes(png)
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Download: Hospital stay by approach").first.click()
    svg = download(page, lambda: page.get_by_role("button", name="SVG image").click()).decode("utf-8")
    assert svg.lstrip().startswith("<svg") and "Hospital stay by approach" in svg
    assert "Sample cohort — synthetic demonstration data" in svg, "the image says where its data came from"

"""A cervical clinic's export in a real browser: its own measures (NDI, arm pain) and no lumbar published figures."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

DATA = Path(__file__).resolve().parents[1] / "data"
WAIT_MS = 60_000


def nav(page, name):
    page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
    wait_for_app(page)


def test_cervical_upload_shows_ndi_and_arm_pain_without_lumbar_figures(server, page, artifacts):
    page.goto(server["url"])
    wait_for_app(page)
    nav(page, "Data")
    page.get_by_role("heading", name="Data", exact=True).wait_for()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(DATA / "cervical_clinic.csv"))
    page.get_by_test_id("stSidebar").get_by_text("cervical_clinic.csv — 40 cases").wait_for(timeout=WAIT_MS)
    wait_for_app(page)

    nav(page, "Patient-reported outcomes")
    main = page.get_by_test_id("stMain")
    expect(page.get_by_role("heading", name=re.compile("over follow-up"))).to_be_visible(timeout=WAIT_MS)
    expect(main.get_by_text("NDI disability (0–100)").first).to_be_visible(timeout=WAIT_MS)
    expect(main.get_by_text("VAS arm pain (0–10)").first).to_be_visible(timeout=WAIT_MS)
    text = main.inner_text()
    assert "VAS leg" not in text and "ODI" not in text
    page.screenshot(path=str(artifacts / "cervical_outcomes.png"), full_page=True)

    # One condition and one region in view: a lumbar file would now get published marks (stay, pain).
    condition = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Condition")
    condition.click()
    page.get_by_role("option", name="Herniated disc").click()
    page.keyboard.press("Escape")
    wait_for_app(page)
    main.get_by_test_id("stButtonGroup").get_by_text("NDI", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("NDI disability .* over follow-up"))).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(2, timeout=WAIT_MS)  # no default MCID: no third
    assert page.get_by_text("Published figures (not your data)").count() == 0
    page.screenshot(path=str(artifacts / "cervical_ndi.png"), full_page=True)

    main.get_by_test_id("stButtonGroup").get_by_text("VAS arm", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("VAS arm pain .* over follow-up"))).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)
    assert page.get_by_text("Published figures (not your data)").count() == 0

    nav(page, "Recovery")
    expect(page.get_by_role("heading", name="Hospital stay")).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)
    expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible(timeout=WAIT_MS)
    assert page.get_by_text("Published figures (not your data)").count() == 0  # lumbar stays are not drawn
    page.screenshot(path=str(artifacts / "cervical_recovery.png"), full_page=True)


def _shots(page, artifacts, name: str) -> None:
    """The page as it stands at a laptop (1366×768) and a tablet (820×1180) window, whole length."""
    from tests.e2e.test_screenshots import VIEWPORTS, screenshot_whole_page

    for viewport, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        wait_for_app(page)
        out = artifacts / "screens" / viewport
        out.mkdir(parents=True, exist_ok=True)
        screenshot_whole_page(page, out / f"cervical_{name}.png")
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_cervical_overview_compare_and_benchmarking_follow_the_catalogue(server, page, artifacts):
    """Overview, Compare and Benchmarking lead with the cervical scores (arm pain, NDI, mJOA), never VAS leg/ODI,
    and split by technique when asked."""
    page.goto(server["url"])
    wait_for_app(page)
    nav(page, "Data")
    page.get_by_role("heading", name="Data", exact=True).wait_for()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(DATA / "cervical_clinic.csv"))
    page.get_by_test_id("stSidebar").get_by_text("cervical_clinic.csv — 40 cases").wait_for(timeout=WAIT_MS)
    wait_for_app(page)
    main = page.get_by_test_id("stMain")

    nav(page, "Overview")
    expect(main.get_by_text("VAS arm change at 12 months").first).to_be_visible(timeout=WAIT_MS)
    expect(main.get_by_text("mJOA MCID reached at 12 months").first).to_be_visible(timeout=WAIT_MS)
    text = main.inner_text()
    assert "VAS leg" not in text and "ODI" not in text
    assert page.get_by_text("Published figures (not your data)").count() == 0
    _shots(page, artifacts, "overview")

    nav(page, "Compare")
    expect(page.get_by_role("heading", name=re.compile(r"\(A\) and .*\(B\)"))).to_be_visible(timeout=WAIT_MS)
    table = main.get_by_test_id("stTable").first
    expect(table.get_by_text(re.compile("^NDI at 12 months"))).to_be_visible(timeout=WAIT_MS)
    expect(table.get_by_text(re.compile("^VAS arm pain at 12 months"))).to_be_visible(timeout=WAIT_MS)
    text = main.inner_text()
    assert "VAS leg" not in text and "ODI" not in text
    _shots(page, artifacts, "compare")

    # Split by technique (sidebar), then technique against technique (a fresh Compare opens on it: AppTest).
    split = page.get_by_test_id("stSidebar").get_by_test_id("stRadio").filter(has_text="Split charts by")
    split.get_by_text("Technique", exact=True).click()
    wait_for_app(page)
    main.get_by_test_id("stRadio").filter(has_text="Technique vs technique").first.get_by_text("Technique vs technique").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=re.compile(r"(Loupes|Microscope) \(A\) and (Loupes|Microscope) \(B\)"))).to_be_visible(
        timeout=WAIT_MS)
    _shots(page, artifacts, "compare_technique")

    nav(page, "Benchmarking")
    wait_for_app(page)
    text = main.inner_text()
    assert "VAS leg" not in text and "ODI" not in text
    # This clinic's file has no surgeon or site column: the page says what it needs instead of a funnel.
    expect(main.get_by_text(re.compile("needs a surgeon or site column"))).to_be_visible(timeout=WAIT_MS)

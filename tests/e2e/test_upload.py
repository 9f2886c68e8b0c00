"""Upload through the real browser file input: a messy export goes into use, a broken one is explained."""

from pathlib import Path

import pytest

from tests.data.make_fixtures import MESSY_ROWS
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

DATA = Path(__file__).resolve().parents[1] / "data"


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def open_data_page(page, url):
    # Enter through the home page: on a fresh server a deep link to /data runs pages/data.py
    # without app.py, because a pages/ folder next to app.py switches Streamlit into its old
    # multipage mode until st.navigation has run once (streamlit/runtime/pages_manager.py).
    page.goto(url)
    wait_for_app(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Data", exact=True).click()
    page.get_by_role("heading", name="Data", exact=True).wait_for()
    wait_for_app(page)


def test_upload_messy_then_broken_export(server, page, artifacts):
    open_data_page(page, server["url"])
    assert "Sample cohort — synthetic demonstration data" in sidebar(page).inner_text()
    page.screenshot(path=str(artifacts / "data_sample.png"), full_page=True)

    file_input = page.locator('[data-testid="stFileUploader"] input[type="file"]').first
    file_input.set_input_files(str(DATA / "messy_export.csv"))
    sidebar(page).get_by_text(f"messy_export.csv — {MESSY_ROWS} cases").wait_for()
    wait_for_app(page)
    body = page.inner_text("body")
    assert f"{MESSY_ROWS} cases accepted and now in use" in body
    assert "converted to hours" in body
    assert "synthetic demonstration data" not in page.get_by_test_id("stMain").inner_text()
    page.screenshot(path=str(artifacts / "data_uploaded.png"), full_page=True)

    # The upload follows the user to other pages.
    page.get_by_test_id("stSidebarNav").get_by_text("Overview", exact=True).click()
    page.get_by_role("heading", name="SpineDash").first.wait_for()
    wait_for_app(page)
    assert f"messy_export.csv — {MESSY_ROWS} cases" in sidebar(page).inner_text()
    page.get_by_test_id("stSidebarNav").get_by_text("Data", exact=True).click()
    page.get_by_role("heading", name="Data", exact=True).wait_for()
    wait_for_app(page)

    file_input = page.locator('[data-testid="stFileUploader"] input[type="file"]').first
    file_input.set_input_files(str(DATA / "broken_export.csv"))
    page.get_by_text("broken_export.csv cannot be used").wait_for()
    wait_for_app(page)
    text = page.get_by_test_id("stTable").first.inner_text()
    assert "Unknown approach 'Laser'" in text
    assert "vas_leg_pre" in text and "between 0 and 10" in text
    assert "2, 7" in text  # the duplicated case id, on rows 2 and 7
    assert f"messy_export.csv — {MESSY_ROWS} cases" in sidebar(page).inner_text()  # still in use
    page.screenshot(path=str(artifacts / "data_broken.png"), full_page=True)

    sidebar(page).get_by_role("button", name="Back to the sample cohort").click()
    sidebar(page).get_by_text("Sample cohort — synthetic demonstration data").wait_for()

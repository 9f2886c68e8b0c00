"""In Chromium: choose the cervical template on Data, download it, upload it back — its NDI and arm pain are read."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e
WAIT_MS = 60_000


def test_cervical_template_downloads_and_loads_back(server, page, artifacts, tmp_path):
    page.goto(server["url"])
    wait_for_app(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Data", exact=True).click()
    wait_for_app(page)
    page.get_by_test_id("stButtonGroup").get_by_text("Cervical", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text("nrs_arm_<time point>").first).to_be_visible(timeout=WAIT_MS)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the template (CSV)").click()
    download = info.value
    assert download.suggested_filename == "spinedash_template_cervical.csv"
    path = Path(tmp_path) / download.suggested_filename
    download.save_as(path)
    header = path.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert {"ndi_pre", "ndi_24m", "vas_arm_pre", "vas_neck_12m", "mjoa_pre", "eq5d_24m"} <= set(header)
    assert "vas_leg_pre" not in header and "odi_pre" not in header

    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(path))
    page.get_by_test_id("stSidebar").get_by_text("spinedash_template_cervical.csv — 3 cases").wait_for(timeout=WAIT_MS)
    wait_for_app(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Patient-reported outcomes", exact=True).click()
    wait_for_app(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("NDI disability (0–100)").first).to_be_visible(timeout=WAIT_MS)
    expect(main.get_by_text("VAS arm pain (0–10)").first).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(artifacts / "template_cervical_outcomes.png"), full_page=True)

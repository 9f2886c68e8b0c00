"""An NKR cervical datadump in a real browser: the levels operated on the Data page, and the benefit of the
operation (NytteOpr, 1 helt bra … 7 verre enn noen gang) as the share answering 1-2, never as a mean."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
WAIT_MS = 60_000


def nav(page, name):
    page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
    wait_for_app(page)


def test_nkr_datadump_shows_levels_and_the_benefit_share(server, page, artifacts):
    page.goto(server["url"])
    wait_for_app(page)
    nav(page, "Data")
    page.get_by_role("heading", name="Data", exact=True).wait_for()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(EXPORTS / "nkr_cervical_datadump.csv"))
    page.get_by_test_id("stSidebar").get_by_text(re.compile(r"nkr_cervical_datadump\.csv — \d+ cases")).wait_for(timeout=WAIT_MS)
    wait_for_app(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Levels operated")).to_be_visible(timeout=WAIT_MS)
    expect(main.get_by_text("2 levels").first).to_be_visible(timeout=WAIT_MS)
    main.get_by_role("heading", name="Levels operated").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "data_levels_operated.png"), full_page=True)

    nav(page, "Patient-reported outcomes")
    expect(page.get_by_role("heading", name=re.compile("over follow-up"))).to_be_visible(timeout=WAIT_MS)
    main.get_by_test_id("stButtonGroup").get_by_text("Benefit (1–7)", exact=True).click()
    wait_for_app(page)
    expect(main.get_by_text(re.compile("draws no mean of them"))).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="Patients reaching the cut-off")).to_be_visible(timeout=WAIT_MS)
    assert "mean with 95% CI" not in main.inner_text()
    page.screenshot(path=str(artifacts / "outcomes_benefit_share.png"), full_page=True)

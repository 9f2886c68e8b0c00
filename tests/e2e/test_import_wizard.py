"""The import wizard in Chromium: two files, a code and a unit mapped, the profile saved; then, in a fresh
browser context, next month's files with the profile import in one step into the same kind of cases."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_for_app
from tests.e2e.test_upload import open_data_page, sidebar
from tests.pages.test_import_wizard import export

pytestmark = pytest.mark.e2e


def wizard_input(page, label: str):
    return page.get_by_test_id("stFileUploader").filter(has_text=label).locator('input[type="file"]')


def write_month(tmp_path, month: int) -> list[str]:
    ops, fu = export(month)
    paths = [tmp_path / f"operations_{month}.csv", tmp_path / f"followup_{month}.csv"]
    paths[0].write_bytes(ops)
    paths[1].write_bytes(fu)
    return [str(p) for p in paths]


def choose(page, label_start: str, option: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has_text=label_start).first
    box.scroll_into_view_if_needed()
    box.locator("input").click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_app(page)


def test_map_two_files_save_the_profile_and_import_next_month_in_one_step(server, browser, page, artifacts, tmp_path):
    open_data_page(page, server["url"])
    wizard_input(page, "Export files").set_input_files(write_month(tmp_path, 1))
    page.get_by_text("4. Codes").wait_for()
    wait_for_app(page)
    assert "joined by patient" in page.inner_text("body")

    choose(page, "'MIS' (3 rows) means", "Tubular MIS")
    choose(page, "'1' (3 rows) means", "male")
    choose(page, "'2' (3 rows) means", "female")
    stay = page.get_by_test_id("stRadio").filter(has_text="hospital stay")
    assert "looks like days" in stay.inner_text()
    stay.get_by_text("hours", exact=True).click()
    wait_for_app(page)
    page.get_by_test_id("stTextInput").filter(has_text="Name of this import profile").locator("input").fill("Clinic e2e export")
    page.keyboard.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Check and use these cases").click()
    page.get_by_text("6 cases accepted and now in use").wait_for()
    wait_for_app(page)
    assert "operations_1.csv + followup_1.csv — 6 cases" in sidebar(page).inner_text()
    page.screenshot(path=str(artifacts / "import_wizard_mapped.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the import profile").click()
    profile_path = tmp_path / "profile.json"
    download.value.save_as(profile_path)
    saved = profile_path.read_text()
    assert '"MIS": "Tubular MIS"' in saved and '"length_of_stay_hours": "hours"' in saved

    # Next month in a fresh browser context (a new session): files + profile, no questions.
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    fresh = context.new_page()
    fresh.set_default_timeout(60_000)
    try:
        open_data_page(fresh, server["url"])
        wizard_input(fresh, "Import profile").set_input_files(str(profile_path))
        wait_for_app(fresh)
        wizard_input(fresh, "Export files").set_input_files(write_month(tmp_path, 2))
        fresh.get_by_text("6 cases accepted and now in use").wait_for()
        wait_for_app(fresh)
        body = fresh.inner_text("body")
        assert "Using your import profile Clinic e2e export" in body
        assert "operations_2.csv + followup_2.csv — 6 cases" in sidebar(fresh).inner_text()
        assert "cannot be used" not in body
        fresh.screenshot(path=str(artifacts / "import_wizard_next_month.png"), full_page=True)
    finally:
        context.close()

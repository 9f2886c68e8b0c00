"""The import in Chromium, through the Data page's one uploader: two files, a column read differently in the
Columns grid, a code and a unit mapped, the profile saved; then, in a fresh browser context, next month's
files with the profile import in one step into the same kind of cases."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app
from tests.e2e.test_screenshots import VIEWPORTS, screenshot_whole_page
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


def step(page, name: str) -> None:
    page.get_by_test_id("stButtonGroup").get_by_text(name, exact=True).click()
    page.get_by_role("heading", name=name, exact=True).wait_for()
    wait_for_app(page)


def edit_read_as(page, source: str, typed: str) -> None:
    """Open the "read as" cell of one source column in the Columns grid, type, and take the first match."""
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    # glide-data-grid's accessible table (one gridcell per cell, hidden behind the canvas) names the rows.
    expect(grid.get_by_role("gridcell", name=source, exact=True, include_hidden=True)).to_have_count(1)
    names = [grid.get_by_test_id(f"glide-cell-0-{r}").text_content() for r in range(grid.locator("tbody tr").count())]
    row = names.index(source)
    why = grid.get_by_test_id(f"glide-cell-3-{row}")
    for _ in range(3):  # under load a click can land while the grid is still being laid out: try again
        grid.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        box = grid.bounding_box()
        # The first column is 150 px wide, "read as" comes next (spinedash/ui/import_wizard.py); rows 35 px under a 35 px header.
        x, y = box["x"] + 150 + 60, box["y"] + 35 + 35 * row + 17
        page.mouse.click(x, y)
        page.mouse.dblclick(x, y)
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
        wait_for_app(page)
        try:
            expect(why).to_have_text("your choice (profile)", timeout=10_000)  # "why", updated by the rerun
            return
        except AssertionError:
            page.keyboard.press("Escape")
    expect(why).to_have_text("your choice (profile)")


def test_map_two_files_save_the_profile_and_import_next_month_in_one_step(server, browser, page, artifacts, tmp_path):
    open_data_page(page, server["url"])
    expect(page.get_by_test_id("stFileUploader")).to_have_count(2)  # one uploader for files, one for a profile
    wizard_input(page, "Export files").set_input_files(write_month(tmp_path, 1))
    page.get_by_role("heading", name="1. Files", exact=True).wait_for()
    wait_for_app(page)
    step(page, "2. Layout")
    assert "joined by patient" in page.inner_text("body")

    step(page, "3. Columns")
    edit_read_as(page, "Theatre", "site")
    page.screenshot(path=str(artifacts / "import_wizard_columns.png"), full_page=True)

    step(page, "4. Codes")
    choose(page, "'MIS' (3 rows) means", "Tubular MIS")
    choose(page, "'1' (3 rows) means", "male")
    choose(page, "'2' (3 rows) means", "female")
    step(page, "5. Units")
    stay = page.get_by_test_id("stRadio").filter(has_text="hospital stay")
    assert "looks like days" in stay.inner_text()
    stay.get_by_text("hours", exact=True).click()
    wait_for_app(page)
    page.get_by_role("button", name="Next: Check and use").click()
    page.get_by_role("heading", name="6. Check and use", exact=True).wait_for()
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
    assert '"MIS": "Tubular MIS"' in saved and '"length_of_stay_hours": "hours"' in saved and '"Theatre": "site"' in saved

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
        fresh.get_by_role("heading", name="6. Check and use", exact=True).wait_for()  # one step; the steps stay shown
        # The same cases as the profile gives in Python, site from the grid's edit included.
        fresh.get_by_test_id("stSidebarNav").get_by_text("Compare", exact=True).click()
        wait_for_app(fresh)
        fresh.get_by_text("Site vs site", exact=True).click()
        wait_for_app(fresh)
        assert "North" in fresh.get_by_test_id("stMain").inner_text() and "South" in fresh.get_by_test_id("stMain").inner_text()
        fresh.screenshot(path=str(artifacts / "import_wizard_next_month.png"), full_page=True)
    finally:
        context.close()


VISITS = (b"record_id,redcap_event_name,condition,approach,vas_leg\n"
          b"1,baseline_arm_1,Herniated disc,Open,7\n1,3_months_arm_1,Herniated disc,Open,3\n"
          b"2,baseline_arm_1,Herniated disc,Open,6\n2,3_months_arm_1,Herniated disc,Open,2\n")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_step_reads_at_laptop_and_tablet_width(server, browser, artifacts, tmp_path, viewport):
    """Each step drawn at both sizes (screenshots to look at), nothing cut sideways but the grid's own
    scrolling, and the one-click switch to the long layout after a refusal."""
    out = artifacts / "screens" / viewport
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        page.goto(server["url"])
        wait_for_app(page)
        page.goto(server["url"] + "/data")
        page.get_by_role("heading", name="Data", exact=True).wait_for()
        wait_for_app(page)
        wizard_input(page, "Export files").set_input_files(write_month(tmp_path, 1))
        page.get_by_role("heading", name="1. Files", exact=True).wait_for()
        wait_for_app(page)
        for i, name in enumerate(("1. Files", "2. Layout", "3. Columns", "4. Codes", "5. Units", "6. Check and use"), 1):
            step(page, name)
            if name == "3. Columns":
                grid = page.get_by_test_id("stDataFrame").first
                expect(grid.get_by_role("gridcell", name="Theatre", exact=True, include_hidden=True)).to_have_count(1)
                # The grid may scroll sideways inside itself at tablet width; its "read as" column starts in view.
                box = grid.bounding_box()
                assert box["x"] >= 0 and box["x"] + 150 + 290 <= VIEWPORTS[viewport]["width"]
            page.get_by_text(name, exact=True).first.scroll_into_view_if_needed()
            screenshot_whole_page(page, out / f"import_step{i}.png")
            assert page.get_by_test_id("stException").count() == 0, name
            overflow = page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                                     " return m.scrollWidth - m.clientWidth; }")
            assert overflow <= 1, f"{name}: the page scrolls sideways by {overflow}px"

        # Last month's profile said one row per case; this export has one row per visit.
        profile = tmp_path / "wide_profile.json"
        profile.write_text('{"spinedash_profile": 1, "name": "Old profile", "layout": {"kind": "wide"}}')
        wizard_input(page, "Import profile").set_input_files(str(profile))
        wait_for_app(page)
        visits = tmp_path / "visits.csv"
        visits.write_bytes(VISITS)
        wizard_input(page, "Export files").set_input_files(str(visits))
        page.get_by_text("visits.csv cannot be used").wait_for()
        wait_for_app(page)
        assert "looks like one row per visit" in page.get_by_test_id("stMain").inner_text()
        screenshot_whole_page(page, out / "import_refused_visits.png")
        page.get_by_role("button", name="Read as one row per case and visit").click()
        page.get_by_text("2 cases accepted and now in use").wait_for()
        wait_for_app(page)
        assert "visits.csv — 2 cases" in sidebar(page).inner_text() if viewport == "laptop" else True
        screenshot_whole_page(page, out / "import_long_accepted.png")
    finally:
        context.close()

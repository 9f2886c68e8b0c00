"""The import in Chromium, through the Data page's one uploader: two files, a column read differently in the
Columns grid, codes mapped in the Codes tables and a unit in the Units table, the profile saved; then, in a
fresh browser context, next month's files with the profile import in one step into the same kind of cases."""

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


def step(page, name: str) -> None:
    page.get_by_test_id("stButtonGroup").get_by_text(name, exact=True).click()
    page.get_by_role("heading", name=name, exact=True).wait_for()
    wait_for_app(page)


def edit_cell(page, grid, row_name: str, x_offset: int, typed: str, changed_col: int, changed_text: str,
              exact: bool = True) -> None:
    """Open one cell of an editable table (glide-data-grid) in the row whose first cell is `row_name`,
    type, and take that choice; then wait until the rerun shows `changed_text` in column `changed_col` (the
    whole cell, or a part of it when not `exact`).

    `x_offset` is the middle of the cell's column from the table's left edge (the widths are set in
    spinedash/ui/import_wizard.py); rows are 35 px under a 35 px header.
    """
    # glide-data-grid's accessible table (one gridcell per cell, hidden behind the canvas) names the rows.
    expect(grid.get_by_role("gridcell", name=row_name, exact=True, include_hidden=True)).to_have_count(1)
    names = [grid.get_by_test_id(f"glide-cell-0-{r}").text_content() for r in range(grid.locator("tbody tr").count())]
    row = names.index(row_name)
    for _ in range(3):  # under load a click can land while the grid is still being laid out: try again
        grid.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        box = grid.bounding_box()
        x, y = box["x"] + x_offset, box["y"] + 35 + 35 * row + 17
        page.mouse.click(x, y)
        page.mouse.dblclick(x, y)
        page.keyboard.type(typed)
        # Typing filters the choices ("male" also finds "female"): take the exact one when the list shows it.
        option = page.get_by_role("option", name=typed, exact=True)
        if option.count() == 1:
            option.click()
        else:
            page.keyboard.press("Enter")
        wait_for_app(page)
        try:
            # The table is drawn afresh from the profile after the edit (a new key): look it up again.
            shows(grid.get_by_test_id(f"glide-cell-{changed_col}-{row}"), changed_text, exact, 10_000)
            return
        except AssertionError:
            page.keyboard.press("Escape")
    shows(grid.get_by_test_id(f"glide-cell-{changed_col}-{row}"), changed_text, exact, 5_000)


def shows(cell, text: str, exact: bool, timeout: int) -> None:
    if exact:
        expect(cell).to_have_text(text, timeout=timeout)
    else:
        expect(cell).to_contain_text(text, timeout=timeout)


def table(page, key_prefix: str):
    """An editable table by its widget key's start (the key follows the profile; Streamlit puts it in a class).
    During a rerun the table under its old key is still on the page, marked stale: the other one is meant."""
    return page.locator(f'[class*="st-key-{key_prefix}"]:not([data-stale="true"])').get_by_test_id("stDataFrame")


def edit_read_as(page, source: str, typed: str) -> None:
    """The Columns grid: "read as" comes after the 150 px first column; "why" (column 3) says the choice."""
    edit_cell(page, page.get_by_test_id("stDataFrame").first, source, 150 + 60, typed, 3, "your choice (profile)")


# The Codes tables' columns: value 130 (pinned), rows 50, suggested 120, maps to 180, note 420; the Units
# table's: column 170 (pinned), unit 90, evidence 450, choices 120 (spinedash/ui/import_wizard.py).
MAPS_TO_X, UNIT_X = 130 + 50 + 120 + 90, 170 + 45


def map_code(page, target: str, value: str, typed: str) -> None:
    """Codes: pick what a value maps to in its column's table (column 3)."""
    edit_cell(page, table(page, f"import_codes_{target}_"), value, MAPS_TO_X, typed, 3, typed)


def set_unit(page, row_name: str, typed: str) -> None:
    """Units: pick the unit of one row (column 1); its evidence (column 2) then ends with the choice."""
    edit_cell(page, table(page, "import_units_"), row_name, UNIT_X, typed, 2, f"your choice: {typed}", exact=False)


def cell_text(grid, row_name: str, col: int) -> str:
    expect(grid.get_by_role("gridcell", name=row_name, exact=True, include_hidden=True)).to_have_count(1)
    names = [grid.get_by_test_id(f"glide-cell-0-{r}").text_content() for r in range(grid.locator("tbody tr").count())]
    return grid.get_by_test_id(f"glide-cell-{col}-{names.index(row_name)}").text_content()


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
    page.set_viewport_size({"width": 1366, "height": 768})
    approach = table(page, "import_codes_approach_")
    assert cell_text(approach, "MIS", 3) == "(leave unmapped)"  # ambiguous: asked, not pre-filled
    assert cell_text(approach, "MIS", 4).startswith("ambiguous: MIS could be")
    assert "'MIS' (3 rows)" in page.get_by_test_id("stMain").inner_text()  # listed as left unmapped
    map_code(page, "approach", "MIS", "Tubular MIS")
    map_code(page, "sex", "1", "male")
    map_code(page, "sex", "2", "female")
    assert "Left unmapped" not in page.get_by_test_id("stMain").inner_text()
    screenshot_whole_page(page, artifacts / "import_wizard_codes.png")

    step(page, "5. Units")
    units = table(page, "import_units_")
    assert cell_text(units, "LOS → hospital stay", 2) == "max 3, median 2, whole numbers: looks like days"
    set_unit(page, "LOS → hospital stay", "hours")
    assert cell_text(units, "LOS → hospital stay", 1) == "hours"
    screenshot_whole_page(page, artifacts / "import_wizard_units.png")
    page.set_viewport_size({"width": 1400, "height": 1000})

    # Back through the steps and forward again: the tables still hold the answers.
    step(page, "4. Codes")
    assert cell_text(table(page, "import_codes_approach_"), "MIS", 3) == "Tubular MIS"
    assert cell_text(table(page, "import_codes_sex_"), "1", 3) == "male" and cell_text(table(page, "import_codes_sex_"), "2", 3) == "female"
    step(page, "3. Columns")
    step(page, "5. Units")
    assert cell_text(table(page, "import_units_"), "LOS → hospital stay", 1) == "hours"
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
    assert '"MIS": "Tubular MIS"' in saved and '"1": "male"' in saved and '"2": "female"' in saved and '"length_of_stay_hours": "hours"' in saved and '"Theatre": "site"' in saved

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
            if name in ("4. Codes", "5. Units"):
                # The editable column starts in view; the rest may scroll sideways inside the table.
                prefix, right = ("import_codes_approach_", MAPS_TO_X + 90) if name == "4. Codes" else ("import_units_", UNIT_X + 45)
                box = table(page, prefix).bounding_box()
                assert box["x"] >= 0 and box["x"] + right <= VIEWPORTS[viewport]["width"], (name, box)
                assert box["height"] <= 38 + 35 * 6, (name, box)  # rows one line high, no taller than their content
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

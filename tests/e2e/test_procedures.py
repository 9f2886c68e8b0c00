"""The Procedures page in Chromium: reached from home, a condition picked with the mouse."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

# The machine may be busy (the app reruns the script on every click); wait as long as wait_for_app does.
WAIT_MS = 60_000


def test_pick_a_condition_and_see_its_approaches(server, page, artifacts):
    page.goto(server["url"])
    wait_for_app(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Procedures", exact=True).click()
    page.wait_for_url("**/procedures", timeout=WAIT_MS)
    main = page.locator('[data-testid="stMain"]')
    # expect() waits: the click starts a rerun, and the home page is still drawn for a moment.
    expect(main.get_by_role("heading", name="Procedures", exact=True)).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)

    page.locator('[data-testid="stSelectbox"]').filter(has_text="Condition").first.click()
    page.get_by_role("option", name="Spinal stenosis", exact=True).click()
    expect(main.get_by_text("Approaches the source documents describe for spinal stenosis")).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)

    cards = main.locator('[class*="st-key-procedures_treats_"]')
    expect(cards).to_have_count(2, timeout=WAIT_MS)
    names = [cards.nth(i).locator("strong").first.inner_text() for i in range(2)]
    assert names == ["Full-endoscopic", "Microscopic"]
    # The document that names no technique is shown apart, under no approach.
    expect(main.locator('[class*="st-key-procedures_general_"]')).to_have_count(1, timeout=WAIT_MS)
    expect(cards.first).to_contain_text("Source: Spinal Endoscopy: A Minimally Invasive Approach to Spinal Care", timeout=WAIT_MS)
    expect(main.get_by_text("Not stated in sources: Tubular MIS, Open")).to_be_visible(timeout=WAIT_MS)
    assert "not medical advice" in page.inner_text("body").lower()
    page.screenshot(path=str(artifacts / "procedures.png"))

    # Streamlit scrolls inside its own container, so a full-page shot shows only the top: scroll instead.
    main.get_by_role("heading", name="One approach in detail").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "procedures_approach.png"))
    # The side-by-side comparison: the table that has the visualisation row.
    table = main.locator('[data-testid="stTable"]').filter(has_text="How the surgeon sees the anatomy")
    table.scroll_into_view_if_needed()
    expect(table.get_by_text("How the surgeon sees the anatomy")).to_be_visible(timeout=WAIT_MS)
    expect(table.get_by_text("About one hour on average.")).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(artifacts / "procedures_compare.png"))


def test_search_box_finds_the_working_channel(server, page, artifacts):
    page.goto(server["url"] + "/procedures")
    wait_for_app(page)
    box = page.get_by_role("textbox", name="Search")
    box.fill("4mm")
    box.press("Enter")
    expect(page.get_by_text("1 matching passage for “4mm”")).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)
    hit = page.locator('[data-testid="stMarkdown"]').filter(has_text="4 mm working channel").last
    hit.scroll_into_view_if_needed()
    expect(hit).to_contain_text("Percutaneous and Endoscopic Spine Procedures (Endoscopic Discectomy)", timeout=WAIT_MS)
    page.screenshot(path=str(artifacts / "procedures_search.png"))

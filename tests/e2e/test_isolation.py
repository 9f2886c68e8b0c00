"""Two surgeons upload different files at the same time; each sees only their own data, everywhere.

Three Chromium contexts (separate cookies, separate Streamlit sessions) on one server: Alpha and
Bravo each upload their own export; a third context uploads nothing. Every page's main area and
sidebar, the sidebar's surgeon filter options, the Compare table and its CSV, the Report page's
CSV and XLSX, and a chart's SVG download are checked to name the context's own data and nothing of
the others'. The uploads are interleaved with the checks, so a cache keyed on anything but the
session (the last upload, the file name, the page) would show up here.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e
WAIT_MS = 60_000
PAGES = ["Overview", "Recovery", "Patient-reported outcomes", "Compare", "Benchmarking", "Data", "Report and export"]


def export_csv(tag: str, n: int) -> bytes:
    """An export whose every identifying value carries `tag` (ALPHA or BRAVO), n cases."""
    header = ("case_id,surgery_date,age,sex,condition,approach,surgeon,site,length_of_stay_hours,"
              "return_to_work_days,employed_before_surgery,last_followup_days,vas_leg_pre,vas_leg_12m,odi_pre,odi_12m")
    approaches = ["Full-endoscopic", "Microscopic", "Open"]
    rows = []
    for i in range(n):
        rows.append(
            f"{tag}-{i:04d},2024-{1 + i % 12:02d}-{1 + i % 27:02d},{35 + i % 40},{'female' if i % 2 else 'male'},"
            f"Herniated disc,{approaches[i % 3]},{tag.title()} Surgeon {i % 3 + 1},{tag.title()} Site {i % 2 + 1},"
            f"{6 + i % 50},{20 + i % 30},yes,365,{6 + i % 4},{i % 3},{40 + i % 20},{10 + i % 15}"
        )
    return ("\n".join([header, *rows]) + "\n").encode()


SESSIONS = {
    "alpha": {"file": "alpha_export.csv", "n": 36, "tag": "ALPHA"},
    "bravo": {"file": "bravo_export.csv", "n": 24, "tag": "BRAVO"},
    "sample": {"file": None, "n": 2500, "tag": None},
}


def mine_and_others(who: str) -> tuple[str, list[str]]:
    """The text this session must show, and the words it must never contain."""
    me = SESSIONS[who]
    others = [w for w in ("alpha", "bravo") if w != who]
    own = f"{me['file']} — {me['n']} cases" if me["file"] else "Sample cohort — synthetic demonstration data"
    return own, others


def assert_only_own(text: str, who: str, where: str, others: list[str] | None = None) -> None:
    others = others if others is not None else mine_and_others(who)[1]
    low = text.lower()
    for other in others:
        assert other not in low, f"{who} sees {other}'s data on {where}: …{_around(low, other)}…"


def _around(text: str, word: str) -> str:
    i = text.find(word)
    return text[max(0, i - 80): i + 80]


def go(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
    page.get_by_test_id("stMain").get_by_role("heading").first.wait_for()
    wait_for_app(page)


def upload(page, who: str) -> None:
    me = SESSIONS[who]
    go(page, "Data")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        files=[{"name": me["file"], "mimeType": "text/csv", "buffer": export_csv(me["tag"], me["n"])}]
    )
    page.get_by_test_id("stSidebar").get_by_text(f"{me['file']} — {me['n']} cases").wait_for(timeout=WAIT_MS)
    wait_for_app(page)


def download(page, trigger) -> bytes:
    with page.expect_download(timeout=WAIT_MS) as info:
        trigger()
    with open(info.value.path(), "rb") as fh:
        return fh.read()


def check_pages(page, who: str, artifacts, others: list[str] | None = None) -> None:
    own, _ = mine_and_others(who)
    for name in PAGES:
        go(page, name)
        try:  # the sidebar is redrawn with the page; give the redraw time before judging it
            page.get_by_test_id("stSidebar").get_by_text(own, exact=False).first.wait_for(timeout=30_000)
        except PlaywrightTimeoutError:
            pass
        sidebar = page.get_by_test_id("stSidebar").inner_text()
        if own not in sidebar:
            page.screenshot(path=str(artifacts / f"isolation_{who}_failed.png"), full_page=True)
        assert own in sidebar, f"{who}: the sidebar on {name} does not name {own!r}: {_around(sidebar.lower(), 'data in use')}"
        assert_only_own(sidebar, who, f"the sidebar of {name}", others)
        assert_only_own(page.get_by_test_id("stMain").inner_text(), who, name, others)
        assert page.get_by_test_id("stException").count() == 0, f"{who}: exception on {name}"
    page.screenshot(path=str(artifacts / f"isolation_{who}.png"), full_page=True)


def check_surgeon_options(page, who: str) -> None:
    go(page, "Recovery")
    box = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Surgeon")
    options = page.get_by_role("option")
    box.click()
    for _ in range(5):  # a click right after a rerun only focuses the box; ArrowDown opens the list
        try:
            expect(options.first).to_be_visible(timeout=3_000)
            break
        except AssertionError:
            box.press("ArrowDown")
    else:
        raise AssertionError(f"{who}: the surgeon filter list did not open")
    texts = [t for t in options.all_inner_texts() if t != "Select all"]
    page.keyboard.press("Escape")
    tag = SESSIONS[who]["tag"]
    if tag:
        assert sorted(texts) == [f"{tag.title()} Surgeon {k}" for k in (1, 2, 3)], texts
    else:
        assert texts and all("alpha" not in t.lower() and "bravo" not in t.lower() for t in texts), texts


def check_downloads(page, who: str) -> None:
    me = SESSIONS[who]
    tag = me["tag"]

    go(page, "Compare")
    page.get_by_text("Surgeon vs the rest", exact=True).click()
    wait_for_app(page)
    table = page.get_by_test_id("stTable").first.inner_text()
    assert_only_own(table, who, "the Compare table")
    if tag:
        assert f"{tag.title()} Surgeon" in table
    compare = download(page, lambda: page.get_by_role("button", name="Download this comparison (CSV)").click())
    assert_only_own(compare.decode("utf-8-sig"), who, "the Compare CSV download")
    if tag:
        assert f"{tag.title()} Surgeon" in compare.decode("utf-8-sig")
    compare_book = openpyxl.load_workbook(
        io.BytesIO(download(page, lambda: page.get_by_role("button", name="Download this comparison (Excel)").click()))
    )
    compare_text = "\n".join(str(c.value) for ws in compare_book.worksheets for row in ws.iter_rows() for c in row)
    assert_only_own(compare_text, who, "the Compare Excel download")
    if tag:
        assert f"{tag.title()} Surgeon" in compare_text

    go(page, "Report and export")
    cases = download(page, lambda: page.get_by_role("button", name="Cases as CSV").click()).decode("utf-8-sig")
    assert_only_own(cases, who, "the cases CSV export")
    lines = cases.strip().splitlines()
    assert len(lines) == me["n"] + 1, f"{who}: cases CSV has {len(lines) - 1} rows"
    if tag:
        assert all(line.startswith(f"{tag}-") for line in lines[1:])
    book = openpyxl.load_workbook(io.BytesIO(download(page, lambda: page.get_by_role("button", name="Cases as Excel (.xlsx)").click())))
    workbook_text = "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row)
    assert_only_own(workbook_text, who, "the cases XLSX export")
    if tag:
        assert f"{tag}-0000" in workbook_text

    go(page, "Recovery")
    page.get_by_role("button", name="Download: Hospital stay by approach").first.click()
    svg = download(page, lambda: page.get_by_role("button", name="SVG image").click()).decode("utf-8")
    page.keyboard.press("Escape")
    assert_only_own(svg, who, "a chart's SVG download")
    source = me["file"] or "Sample cohort — synthetic demonstration data"
    assert source in svg, f"{who}: the chart image does not name its data source"
    assert f"{me['n']:,} of {me['n']:,} cases" in svg, f"{who}: the chart image does not give the cases in view"


def test_concurrent_sessions_each_see_only_their_own_upload(server, browser, artifacts):
    contexts, pages = [], {}
    try:
        for who in SESSIONS:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            contexts.append(ctx)
            pg = ctx.new_page()
            pg.set_default_timeout(WAIT_MS)
            pg.goto(server["url"])
            wait_for_app(pg)
            pages[who] = pg

        upload(pages["alpha"], "alpha")
        # Alpha's upload is the server's most recent one: the other two must not see it.
        check_pages(pages["sample"], "sample", artifacts)
        upload(pages["bravo"], "bravo")
        for who in ("alpha", "bravo", "sample"):
            check_pages(pages[who], who, artifacts)
            check_surgeon_options(pages[who], who)
        for who in ("alpha", "bravo", "sample"):
            check_downloads(pages[who], who)

        # Bravo goes back to the sample; Alpha keeps its upload.
        pages["bravo"].get_by_test_id("stSidebar").get_by_role("button", name="Back to the sample cohort").click()
        pages["bravo"].get_by_test_id("stSidebar").get_by_text("Sample cohort — synthetic demonstration data").wait_for()
        check_pages(pages["alpha"], "alpha", artifacts)
        # (Bravo's own Data page may still report its last upload; Alpha's data must appear nowhere.)
        check_pages(pages["bravo"], "sample", artifacts, others=["alpha"])
    finally:
        for ctx in contexts:
            ctx.close()

"""Text from uploaded files is shown as text: never run as HTML or script, never rendered as Markdown.

In Chromium, an export whose surgeon, site, procedure, complication, column header and file name
are HTML/script/Markdown payloads is uploaded, accepted, and walked through every page (the
Compare page in all three modes, the sidebar's filter lists); then a refused file whose bad values
are payloads shows its problem table. No dialog may fire, no element the payloads describe may
appear, and the payloads must read literally where the page shows them.

A static check beside it: `unsafe_allow_html=True` appears only where the text is the bundled
knowledge base, never uploaded data, and nothing uses st.html or components.html.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

ROOT = Path(__file__).resolve().parents[2]
WAIT_MS = 60_000

SURGEONS = ["<img src=x onerror=alert(1)>", "**bold** [link](javascript:alert(2))", "<script>alert(3)</script>"]
SITES = ["<svg onload=alert(4)>", "![img](http://127.0.0.1:9/x.png)"]
PROCEDURE = "<iframe src=javascript:alert(5)></iframe>"
COMPLICATION = "<img src=x onerror=alert(8)>"
HEADER = "<b onmouseover=alert(7)>note</b>"
FILENAME = "<img src=x onerror=alert(6)>_**f**.csv"
BAD_CONDITION = "<img src=x onerror=alert(9)>"
BAD_APPROACH = "[x](javascript:alert(10))"

# Elements the payloads would create if any were interpreted.
INJECTED = ['img[src="x"]', 'img[src*="127.0.0.1:9"]', "svg[onload]", "iframe[src^='javascript']",
            "a[href^='javascript']", "b[onmouseover]", "[onerror]"]


def _quote(v: str) -> str:
    return '"' + v.replace('"', '""') + '"'


def payload_export() -> bytes:
    header = ["case_id", "condition", "approach", "surgery_date", "age", "length_of_stay_hours", "vas_leg_pre",
              "vas_leg_12m", "surgeon", "site", "procedure", "complication", HEADER]
    approaches = ["Full-endoscopic", "Open"]
    rows = [",".join(_quote(h) for h in header)]
    for i in range(60):
        cells = [f"X{i}", "Herniated disc", approaches[i % 2], f"2024-03-{1 + i % 28:02d}", str(30 + i % 40), str(6 + i),
                 "7", str(i % 5), SURGEONS[i % 3], SITES[i % 2], PROCEDURE, COMPLICATION if i % 4 == 0 else "none", "x"]
        rows.append(",".join(_quote(c) for c in cells))
    return ("\n".join(rows) + "\n").encode()


def refused_export() -> bytes:
    return (
        "case_id,condition,approach,vas_leg_pre\n"
        f"R1,{_quote(BAD_CONDITION)},Open,7\n"
        f"R2,Herniated disc,{_quote(BAD_APPROACH)},7\n"
    ).encode()


def go(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
    page.get_by_test_id("stMain").get_by_role("heading").first.wait_for()
    wait_for_app(page)


def open_list(page, combobox) -> None:
    """Open a multiselect's option list (a click right after a rerun only focuses it; ArrowDown opens it)."""
    combobox.click()
    options = page.get_by_role("option")
    for _ in range(5):
        try:
            expect(options.first).to_be_visible(timeout=3_000)
            return
        except AssertionError:
            combobox.press("ArrowDown")
    expect(options.first).to_be_visible(timeout=WAIT_MS)


def assert_nothing_injected(page, dialogs: list[str], where: str) -> None:
    assert dialogs == [], f"a dialog fired on {where}: {dialogs}"
    for selector in INJECTED:
        assert page.locator(selector).count() == 0, f"{selector} injected on {where}"
    scripts = page.locator("script").evaluate_all("els => els.map(e => e.textContent)")
    assert not any("alert(" in s for s in scripts), f"a payload script element on {where}"


@pytest.mark.e2e
def test_uploaded_text_is_shown_literally_and_never_runs(server, page, artifacts):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server["url"])
    wait_for_app(page)
    go(page, "Data")

    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        files=[{"name": FILENAME, "mimeType": "text/csv", "buffer": payload_export()}]
    )
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(f"{FILENAME} — 60 cases")).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(f"{FILENAME}: 60 cases accepted", exact=False)).to_be_visible()
    warnings = main.get_by_test_id("stAlert").all_inner_texts()
    assert any(HEADER in w for w in warnings), "the ignored payload header is not quoted literally"
    assert any(COMPLICATION in w for w in warnings), "the free-text complication is not quoted literally"
    assert_nothing_injected(page, dialogs, "the Data page")
    page.screenshot(path=str(artifacts / "safe_output_data.png"), full_page=True)

    for name in ("Overview", "Recovery", "Patient-reported outcomes", "Benchmarking", "Report and export", "Procedures"):
        go(page, name)
        assert_nothing_injected(page, dialogs, name)
        assert page.get_by_test_id("stException").count() == 0, name
        assert f"{FILENAME} — 60 cases" in sidebar.inner_text()

    go(page, "Recovery")
    open_list(page, sidebar.get_by_role("combobox", name="Surgeon"))
    options = [t for t in page.get_by_role("option").all_inner_texts() if t != "Select all"]
    page.keyboard.press("Escape")
    assert sorted(options) == sorted(SURGEONS)
    assert_nothing_injected(page, dialogs, "the surgeon filter list")

    go(page, "Compare")
    for mode, group_names in (("Surgeon vs the rest", SURGEONS), ("Site vs site", SITES)):
        page.get_by_text(mode, exact=True).click()
        wait_for_app(page)
        heading = main.get_by_test_id("stHeading").filter(has_text="(A) and").first.inner_text()
        assert any(g in heading for g in group_names), f"{mode}: heading not literal: {heading!r}"
        table = main.get_by_test_id("stTable").first.inner_text()
        assert any(g in table for g in group_names), f"{mode}: table not literal"
        assert_nothing_injected(page, dialogs, f"Compare ({mode})")
    page.screenshot(path=str(artifacts / "safe_output_compare.png"), full_page=True)

    go(page, "Benchmarking")
    assert_nothing_injected(page, dialogs, "Benchmarking")

    go(page, "Data")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        files=[{"name": "refused.csv", "mimeType": "text/csv", "buffer": refused_export()}]
    )
    expect(main.get_by_text("refused.csv cannot be used")).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)
    problems = main.get_by_test_id("stTable").first.inner_text()
    assert f"Unknown condition '{BAD_CONDITION}'" in problems
    assert f"Unknown approach '{BAD_APPROACH}'" in problems
    assert_nothing_injected(page, dialogs, "the problem table")
    page.screenshot(path=str(artifacts / "safe_output_refused.png"), full_page=True)


# ------------------------------------------------------------------------------------------------
# Static: no raw HTML from data.
# ------------------------------------------------------------------------------------------------

# (file, function): raw HTML there is the approach colour badge over the bundled knowledge base
# (data/knowledge/*.csv, committed and reviewed), never a user's upload.
ALLOWED_RAW_HTML = {("spinedash/ui/procedures.py", "show_condition"), ("spinedash/ui/procedures.py", "show_approach")}
# (file, function): fixed CSS and scroll scripts written in the code itself (the demo bar's style, the
# page's responsive layout rules, a scroll to a demo step's fixed anchor); they take no data at all.
ALLOWED_STATIC_HTML = {
    ("spinedash/ui/demo.py", "demo_banner"),
    ("spinedash/ui/layout.py", "page_style"),
    ("spinedash/ui/accessibility.py", "accessibility_style"),
}


def _raw_html_calls() -> set[tuple[str, str]]:
    found = set()
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "spinedash").rglob("*.py"))]
    for path in files:
        tree = ast.parse(path.read_text())
        for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)] + [tree]:
            for node in ast.walk(func):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                raw = any(k.arg == "unsafe_allow_html" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                          for k in node.keywords)
                if raw or name == "html":
                    found.add((str(path.relative_to(ROOT)), getattr(func, "name", "<module>")))
    return found


def test_no_raw_html_outside_the_knowledge_badges():
    found = _raw_html_calls()
    # Module-level scans also see the calls inside functions; keep the innermost attribution.
    named = {f for f in found if f[1] != "<module>"}
    module_only = {f for f in found if f[1] == "<module>" and not any(n[0] == f[0] for n in named)}
    assert (named | module_only) <= ALLOWED_RAW_HTML | ALLOWED_STATIC_HTML, named | module_only


def test_knowledge_badge_functions_take_no_uploaded_data():
    tree = ast.parse((ROOT / "spinedash/ui/procedures.py").read_text())
    for func in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        if ("spinedash/ui/procedures.py", func.name) in ALLOWED_RAW_HTML:
            params = [a.arg for a in func.args.args]
            assert params[0] == "k" and "dataset" not in params and "cases" not in params, (func.name, params)


@pytest.mark.e2e
def test_urls_in_uploaded_names_are_not_made_links(server, page):
    rows = ["case_id,condition,approach,vas_leg_pre,vas_leg_12m,site,surgeon"]
    sites, surgeons = ["http://127.0.0.1:9/x.png", "www.example.org"], ["a@example.org", "Dr B"]
    rows += [f"L{i},Herniated disc,Open,7,{i % 4},{sites[i % 2]},{surgeons[i % 2]}" for i in range(20)]
    page.goto(server["url"])
    wait_for_app(page)
    go(page, "Data")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        files=[{"name": "links.csv", "mimeType": "text/csv", "buffer": ("\n".join(rows) + "\n").encode()}]
    )
    expect(page.get_by_test_id("stSidebar").get_by_text("links.csv — 20 cases")).to_be_visible(timeout=WAIT_MS)
    go(page, "Compare")
    page.get_by_text("Site vs site", exact=True).click()
    wait_for_app(page)
    main = page.get_by_test_id("stMain")
    # The word joiner that stops auto-linking is invisible; compare what the reader sees.
    assert sites[0] in main.get_by_test_id("stTable").first.inner_text().replace("\u2060", "")
    links = main.locator("a[href*='127.0.0.1:9'], a[href*='example.org']")
    assert links.count() == 0, links.evaluate_all("els => els.map(e => e.href)")

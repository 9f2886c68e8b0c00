"""The running app answers the nastiest crafted uploads with a message and stays up, memory bounded.

A server of its own (its memory is this test's to measure) takes, through Chromium's file input,
one after another: the zip bombs, XML entity expansion, random bytes, an 8 MB cell, 10,000
columns, truncated and bit-flipped XLSX/Parquet, impossible dates and a workbook of formulas. After
each the Data page shows a verdict (accepted, "cannot be used", or the import's first step for a
table it does not recognise) and no exception; at the end the
server is healthy, a fresh session still draws the Recovery page, and its resident memory stayed
under a bound.
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    start_streamlit,
    wait_for_app,
    wait_healthy,
)
from tests.fuzz import corpus

pytestmark = pytest.mark.e2e
WAIT_MS = 90_000
RSS_BOUND_MB = 1500
NASTY = {
    "xlsx_zip_bomb_sheet_256mb": "xlsx", "xlsx_zip_bomb_shared_strings_256mb": "xlsx", "xlsx_billion_laughs_sheet": "xlsx",
    "xlsx_external_entity": "xlsx", "random_4": "csv", "csv_huge_cell_condition_8mb": "csv", "csv_10000_columns": "csv",
    "xlsx_10000_columns": "xlsx", "xlsx_truncated_50": "xlsx", "xlsx_bitflip_5": "xlsx", "parquet_bitflip_1": "parquet",
    "parquet_odd_types": "parquet", "date_8": "csv", "csv_one_line_no_newline_4mb": "csv", "xlsx_formulas": "xlsx",
    "csv_20000_unknown_approaches": "csv",
}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def drive_browser(port: int, proc: subprocess.Popen, files: dict[str, bytes]) -> float:
    """Upload every NASTY file in one session, then open the app afresh; returns the peak server RSS seen."""
    from playwright.sync_api import sync_playwright

    peak = 0.0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(WAIT_MS)
        page.goto(f"http://127.0.0.1:{port}")
        wait_for_app(page)
        page.get_by_test_id("stSidebarNav").get_by_text("Data", exact=True).click()
        wait_for_app(page)
        main = page.get_by_test_id("stMain")
        for name, ext in NASTY.items():
            filename = f"{name}.{ext}"
            page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
                files=[{"name": filename, "mimeType": "application/octet-stream", "buffer": files[name]}]
            )
            # Refused, accepted, or (a table SpineDash does not recognise) taken into the import's steps.
            verdict = (main.get_by_text(f"{filename} cannot be used").or_(main.get_by_text(f"{filename}: "))
                       .or_(main.get_by_text(f"Read from {filename}:")))
            expect(verdict.first).to_be_visible(timeout=WAIT_MS)
            wait_for_app(page)
            assert page.get_by_test_id("stException").count() == 0, f"exception after {filename}"
            peak = max(peak, rss_mb(proc.pid))
        page.screenshot(path=str(ARTIFACTS / "fuzz_server_last.png"), full_page=True)

        fresh = browser.new_page(viewport={"width": 1400, "height": 1000})
        fresh.set_default_timeout(WAIT_MS)
        fresh.goto(f"http://127.0.0.1:{port}")
        wait_for_app(fresh)
        fresh.get_by_test_id("stSidebarNav").get_by_text("Recovery", exact=True).click()
        expect(fresh.get_by_role("heading", name="Hospital stay", exact=True)).to_be_visible(timeout=WAIT_MS)
        browser.close()
    return peak


def test_server_answers_every_nasty_upload_and_stays_up(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/test, which installs Debian's chromium")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    files = dict(corpus.crafted_corpus())
    port = free_port()
    proc = start_streamlit(port, tmp_path / "server.log")
    try:
        wait_healthy(port, proc)
        # A thread of its own: Playwright's sync API refuses to start in a thread where the e2e
        # suite's session-wide browser already runs its event loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            peak = pool.submit(drive_browser, port, proc, files).result(timeout=900)

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as r:
            assert r.status == 200
        assert proc.poll() is None, "the server exited"
        time.sleep(0.5)
        peak = max(peak, rss_mb(proc.pid))
        print(f"server RSS peak {peak:.0f} MB over {len(NASTY)} nasty uploads")
        assert peak < RSS_BOUND_MB, f"server RSS peaked at {peak:.0f} MB"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()

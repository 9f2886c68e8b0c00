"""Uploaded bytes are never written to disk and never logged.

A server of its own (so its temp directory and its log are this test's alone, and the log is at
debug level) receives, through Chromium, an accepted upload of more than 1 MB (past Starlette's
in-memory spool limit, so the multipart parser rolls it over to a temporary file) and a refused
one, both full of a marker made fresh for this run. The pages, the exports and the PDF report are
then drawn from it. Afterwards no file in the server's temp directory, the system temp directories
or the working tree — none written since the test started — holds the marker, and nor does the
server's log. A positive control proves the search would have found it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, free_port, start_streamlit, wait_for_app, wait_healthy

pytestmark = pytest.mark.e2e
WAIT_MS = 60_000
# Skipped while searching: what the browser side writes (Playwright's downloads and Chromium's
# profile live in the system temp dir: the downloads hold the marker by design), and bytecode.
BROWSER_SIDE = ("playwright-artifacts-", "playwright_chromiumdev_profile-", "playwright_firefoxdev_profile-")
MAX_SCANNED_FILE = 64 * 2**20


def files_holding(marker: bytes, roots: list[Path], since: float, skip: tuple[Path, ...] = ()) -> list[str]:
    """Files under `roots` modified at or after `since` whose bytes contain `marker` (UTF-8 or UTF-16)."""
    needles = (marker, marker.decode().encode("utf-16-le"))
    hits = []
    for root in roots:
        if not root.exists():
            continue
        for dirpath, dirnames, filenames in os.walk(root, onerror=lambda _e: None):
            here = Path(dirpath)
            dirnames[:] = [d for d in dirnames if not d.startswith(BROWSER_SIDE) and d != "__pycache__"
                           and not any((here / d) == s for s in skip)]
            for name in filenames:
                path = here / name
                try:
                    st = path.lstat()
                    if not path.is_file() or st.st_mtime < since or st.st_size > MAX_SCANNED_FILE:
                        continue
                    data = path.read_bytes()
                except OSError:
                    continue
                if any(n in data for n in needles):
                    hits.append(str(path))
    return hits


def upload_bytes(page, name: str, data: bytes) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )


def go(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
    page.get_by_test_id("stMain").get_by_role("heading").first.wait_for()
    wait_for_app(page)


def download(page, trigger) -> bytes:
    with page.expect_download(timeout=WAIT_MS) as info:
        trigger()
    with open(info.value.path(), "rb") as fh:
        return fh.read()


def marked_export(marker: str, n: int) -> bytes:
    header = "case_id,surgery_date,age,condition,approach,surgeon,site,length_of_stay_hours,vas_leg_pre,vas_leg_12m,odi_pre,odi_12m,comment"
    approaches = ["Full-endoscopic", "Microscopic", "Open"]
    rows = [
        f"{marker}-{i:06d},2024-{1 + i % 12:02d}-{1 + i % 27:02d},{30 + i % 50},Herniated disc,{approaches[i % 3]},"
        f"Surgeon {marker[:6]}{i % 4},Site {marker[:6]}{i % 2},{4 + i % 70},{5 + i % 5},{i % 4},{30 + i % 30},{i % 20},"
        f"free text {marker} row {i}"
        for i in range(n)
    ]
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.fixture()
def private_server(tmp_path):
    """`streamlit run app.py` with its own TMPDIR and a debug-level log file."""
    server_tmp = tmp_path / "server_tmp"
    server_tmp.mkdir()
    log = tmp_path / "server.log"
    port = free_port()
    proc = start_streamlit(port, log, extra_env={"TMPDIR": str(server_tmp), "STREAMLIT_LOGGER_LEVEL": "debug"})
    try:
        wait_healthy(port, proc)
        yield {"url": f"http://127.0.0.1:{port}", "tmp": server_tmp, "log": log, "proc": proc}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_uploaded_bytes_reach_no_file_and_no_log(private_server, browser, artifacts, tmp_path):
    started = time.time() - 1
    marker = "PRIVATE" + uuid.uuid4().hex.upper()
    accepted = marked_export(marker, 9_000)
    assert len(accepted) > 1_200_000  # over Starlette's 1 MB spool: the upload passes through a temp file
    refused = marked_export(marker, 20).replace(b"Herniated disc", f"Unknown {marker}".encode())

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(private_server["url"])
        wait_for_app(page)
        go(page, "Data")

        upload_bytes(page, f"{marker}_refused.csv", refused)
        expect(page.get_by_text(f"{marker}_refused.csv cannot be used")).to_be_visible(timeout=WAIT_MS)
        wait_for_app(page)
        upload_bytes(page, f"{marker}.csv", accepted)
        page.get_by_test_id("stSidebar").get_by_text(f"{marker}.csv — 9,000 cases").wait_for(timeout=120_000)
        wait_for_app(page)

        # Draw everything the upload feeds: every page, the exports, a chart image, the PDF report.
        for name in ("Overview", "Recovery", "Patient-reported outcomes", "Compare", "Benchmarking", "Procedures"):
            go(page, name)
            assert page.get_by_test_id("stException").count() == 0, name
        go(page, "Report and export")
        cases = download(page, lambda: page.get_by_role("button", name="Cases as CSV").click())
        assert marker.encode() in cases  # the export really carries the data
        download(page, lambda: page.get_by_role("button", name="Cases as Excel (.xlsx)").click())
        page.get_by_role("button", name="Prepare the PDF report").click()
        button = page.get_by_role("button", name="Download the PDF report")
        expect(button).to_be_visible(timeout=120_000)
        assert download(page, button.click).startswith(b"%PDF")
        go(page, "Recovery")
        page.get_by_role("button", name="Download: Hospital stay by approach").first.click()
        assert download(page, lambda: page.get_by_role("button", name="SVG image").click()).lstrip().startswith(b"<svg")
        page.screenshot(path=str(artifacts / "no_persistence.png"), full_page=True)
    finally:
        context.close()

    # While the server is still up: nothing on disk…
    system_tmp = {Path(tempfile.gettempdir()), Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")}
    roots = [private_server["tmp"], *sorted(system_tmp), ROOT]
    hits = files_holding(marker.encode(), roots, since=started, skip=(tmp_path,))
    assert hits == [], f"uploaded data written to disk: {hits}"
    # … and nothing in the log, which is at debug level and did record the session.
    log = private_server["log"].read_text(errors="replace")
    assert "Runtime state:" in log, "the server log is not at debug level"  # a DEBUG-only line of streamlit.runtime
    assert marker not in log, "uploaded data appears in the server log"
    assert marker.encode("utf-16-le") not in private_server["log"].read_bytes()

    # Positive control: the same search finds the marker in a file written where it looks.
    control = private_server["tmp"] / "control.txt"
    control.write_bytes(b"x" * 100 + marker.encode() + b"y")
    assert files_holding(marker.encode(), [private_server["tmp"]], since=started) == [str(control)]
